"""Hypothesis strategies that take valid inputs and break them the way hostile users do.

A scenario (or `--events` list) is parsed into plain data, changed at a few places (a wrong
type, a huge or tiny number, a deleted, duplicated or renamed key, deep nesting, a long string
or list, a YAML alias, tag or merge key), written as YAML or JSON, encoded (UTF-8, UTF-16,
latin-1, a BOM) and changed as bytes (NUL and control characters, a truncated file, a line
deleted, duplicated or indented with a tab). A schedule.csv is changed cell by cell and column
by column, and `--event` texts key by key. Every mutation count may be 0, so the simplest
example hypothesis tries is the valid input itself.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from models.loader import scenario_to_data
from scenarios.generator import generate_scenario

Draw = Callable[..., Any]
Path = tuple[Any, ...]
"""Keys and indexes from the root of a data tree to one value."""

NUMBERS = [0, -1, 1, 0.5, -0.0, 1e308, -1e308, 5e-324, 1e19, 1e20, math.inf, -math.inf, math.nan]
NUMBERS += [2**31, 2**63, -(2**63) - 1, 10**20, 100_000_000_000, 10**400]
MOMENTS = [
    "2026-13-01",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:00-12:00",
    "0001-01-01T00:00+14:00",
    "2026-12-07T10:00:30",
    "2026-12-07T10:00:00.5",
    "2026-12-07T10:00+23:59",
    "2026-12-07T24:00",
    "2026-03-08T02:30",
    "2026-11-01T01:30",
    "2030-01-01T10:00",
    "12/7/2026",
    "20261207",
    "now",
]
"""Dates and times off the calendar, off the grid, in a clock change or oddly written."""
RANGES = ["25:00-26:00", "17:00-09:00", "09:00:30-17:00", "09:00-09:00", "24:00-24:05"]
RANGES += ["9am", "9", "12am-12am", "13pm-2pm", "09:00-12:00,13:00-17:00", "9:00 - 17:00"]
"""Time ranges backwards, empty, past midnight, with seconds or oddly written."""
TEXTS = ["", " ", "0", "12:30", "yes", "null", '=HYPERLINK("http://example.com")', "+1", "-x"]
TEXTS += ["@SUM(A1)", "line\nbreak", "tab\there", "nul\x00", "\x1b[2J\x1b[31mred", "\u202eevil"]
TEXTS += ["\u2028", "é", "💉", "a" * 300]
"""Names and ids a spreadsheet would run, that forge lines or move the cursor, or odd."""
HOSTILE = st.one_of(
    st.sampled_from([None, True, False, [], {}, [None], {"": None}]),
    st.sampled_from(NUMBERS + MOMENTS + RANGES + TEXTS),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
)
"""A value of any type, shape or size a file could hold in place of a valid one."""


def related(value: Any) -> st.SearchStrategy[Any]:
    """Values of the kind a file holds here, broken: for a date another date, for a number
    another number, for a time range another range."""
    if isinstance(value, bool):
        return st.sampled_from([None, "yes", "true", 1, 0, 2, "y"])
    if isinstance(value, int | float):
        return st.sampled_from(NUMBERS)
    if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\d", value):
        return st.sampled_from(MOMENTS)
    if isinstance(value, str) and re.match(r"\d\d:\d\d-", value):
        return st.sampled_from(RANGES)
    return st.sampled_from(TEXTS)


PROFILE = os.environ.get("MEDSPA_FUZZ", "ci")
"""The fuzz budget: `ci` (make test) or `nightly`; ci keeps each case under a few seconds."""
NIGHTLY = PROFILE == "nightly"
SIZES = [10, 1_000, 20_000] + ([200_000, 1_000_000] if NIGHTLY else [])
"""Characters of a long text or list."""
DEPTHS = [3, 100, 1_000] + ([25_000, 120_000] if NIGHTLY else [])
"""Levels of nesting."""

YAML_FORMS = [
    "12:30",
    "190:20:30",
    "yes",
    "No",
    "on",
    "~",
    ".inf",
    "-.inf",
    ".nan",
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "2026-12-07",
    "2026-12-07 10:00:00",
    "!!timestamp 2026-12-07",
    "!!timestamp 2026-12-07T10:00:00Z",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1, b: 2]",
    "!!python/object/apply:os.getcwd []",
    "!!float 1e400",
    "!!int 99999999999999999999999",
    "!!str 12:30",
    "!!null ''",
    "!!map {}",
    "!custom x",
    "&a 1",
    "*undefined",
    "[&a x, *a, *a]",
    "{<<: 5}",
    "{<<: *undefined}",
    "{? [a, b] : 1}",
]
"""Plain scalars YAML 1.1 reads as something else, tags, anchors and aliases, merge keys."""

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32", "latin-1", "cp1252"]
BYTES = [b"\x00", b"\xff\xfe", b"\xe9", b"\xc3", b"\r", b"\t", b"\x1b", b"\x7f", b"\x85"]
BYTES += ["\u2028".encode(), "\ufeff".encode()]
FRAMES = [
    (b"", b"\n---\nclinic: {}\n"),
    (b"%YAML 1.1\n---\n", b""),
    (b"%YAML 2.0\n---\n", b""),
    (b"%TAG ! tag:example.com,2000:\n---\n", b""),
    (b"", b"\n...\n"),
    (b"", b"\n# " + b"#" * 10_000),
]
"""Text put before and after a whole file: directives, a second document, an end marker."""


@dataclass(frozen=True)
class Raw:
    """Text written verbatim in place of a value: YAML forms a dumper never writes."""

    text: str


@dataclass(frozen=True)
class FuzzFile:
    """A file to give a command: its name suffix and its bytes."""

    suffix: str
    content: bytes

    def __repr__(self) -> str:  # the example hypothesis prints: the first 2,000 bytes
        return f"FuzzFile({self.suffix!r}, {self.content[:2000]!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


# --- writing data as YAML or JSON -----------------------------------------------------


def flow(node: Any, form: str) -> str:
    """One-line YAML flow (or JSON) text of a value, Raw values verbatim."""
    if isinstance(node, Raw):
        return node.text
    if isinstance(node, dict):
        items = (f"{flow(key, form)}: {flow(value, form)}" for key, value in node.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(node, list):
        return "[" + ", ".join(flow(item, form) for item in node) + "]"
    if isinstance(node, float) and form == "yaml" and not math.isfinite(node):
        return ".nan" if math.isnan(node) else ("-.inf" if node < 0 else ".inf")
    return json.dumps(node)


def serialize(tree: Any, form: str, style: int) -> str:
    """YAML (block or flow, by style) or JSON text of a data tree holding Raw values."""
    raws: list[str] = []

    def token(node: Any) -> Any:
        if isinstance(node, Raw):
            raws.append(node.text)
            return f"@@raw{len(raws) - 1}@@"
        if isinstance(node, dict):
            return {key: token(value) for key, value in node.items()}
        if isinstance(node, list):
            return [token(item) for item in node]
        return node

    plain = token(tree)
    if form == "json":
        text = json.dumps(plain, indent=style or None, ensure_ascii=bool(style % 2))
    else:
        text = _yaml_dump(plain, flow_style=style == 2, unicode=bool(style % 2))
    return re.sub(r"""['"]?@@raw(\d+)@@['"]?""", lambda match: raws[int(match[1])], text)


def _yaml_dump(data: Any, flow_style: bool, unicode: bool) -> str:
    import yaml

    return yaml.safe_dump(
        data, sort_keys=False, default_flow_style=flow_style, allow_unicode=unicode, width=10**9
    )


# --- changing a data tree ---------------------------------------------------------------


def paths(tree: Any, path: Path = ()) -> list[Path]:
    """Every place in a tree, root first, in file order."""
    found = [path]
    if isinstance(tree, dict | list):
        for key, value in tree.items() if isinstance(tree, dict) else enumerate(tree):
            found += paths(value, (*path, key))
    return found


def _get(tree: Any, path: Path) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _put(tree: Any, path: Path, value: Any) -> Any:
    """The tree with the value at path replaced (the root itself if path is empty)."""
    if not path:
        return value
    _get(tree, path[:-1])[path[-1]] = value
    return tree


def _delete(tree: Any, path: Path) -> Any:
    if not path:
        return None
    del _get(tree, path[:-1])[path[-1]]
    return tree


def _rename(draw: Draw, tree: Any, path: Path) -> Any:
    parent, key = _get(tree, path[:-1]), path[-1]
    if not isinstance(parent, dict) or not isinstance(key, str):
        return _put(tree, path, draw(HOSTILE))
    renamed = [key.upper(), key.title(), f"{key}s", key[:-1], f" {key}", key.replace("_", "-")]
    new = draw(st.sampled_from([*renamed, "", 1, None, True, "<<"]))
    items = [(new if k == key else k, v) for k, v in parent.items()]
    parent.clear()
    parent.update(items)
    return tree


def _duplicate_key(draw: Draw, tree: Any, path: Path, form: str) -> Any:
    node = _get(tree, path)
    if not isinstance(node, dict) or not node:
        return _put(tree, path, Raw(f"{{a: {flow(node, form)}, a: 1}}"))
    key = draw(st.sampled_from(list(node)))
    again = draw(st.one_of(st.just(node[key]), HOSTILE))
    pairs = [*node.items(), (key, again)]
    return _put(
        tree,
        path,
        Raw("{" + ", ".join(f"{flow(k, form)}: {flow(v, form)}" for k, v in pairs) + "}"),
    )


def _nested(draw: Draw, tree: Any, path: Path) -> Any:
    depth = draw(st.sampled_from(DEPTHS))
    inner = draw(st.sampled_from(["[" * depth + "]" * depth, '{"a": ' * depth + "1" + "}" * depth]))
    return _put(tree, path, Raw(inner))


def _long(draw: Draw, tree: Any, path: Path, form: str) -> Any:
    """A long text, or a long list of this value or another, up to about a megabyte."""
    node, size = _get(tree, path), draw(st.sampled_from(SIZES))
    if isinstance(node, str) and draw(st.booleans()):
        return _put(tree, path, ((node or "x") * size)[:size])
    item = flow(node if draw(st.booleans()) else draw(HOSTILE), form)
    count = max(2, size // (len(item) + 2))
    return _put(tree, path, Raw("[" + ", ".join([item] * count) + "]"))


def _alias_bomb(draw: Draw, tree: Any, path: Path) -> Any:
    """Nested aliases: `[&a0 [x, x], &a1 [*a0, *a0], ...]` stands for width**depth values."""
    depth, width = draw(st.integers(1, 30)), draw(st.integers(2, 9))
    levels = ["&a0 [" + ", ".join(["lol"] * width) + "]"]
    levels += [f"&a{n} [" + ", ".join([f"*a{n - 1}"] * width) + "]" for n in range(1, depth)]
    return _put(tree, path, Raw("[" + ", ".join(levels) + "]"))


def _merge(draw: Draw, tree: Any, path: Path, form: str) -> Any:
    """A YAML merge key: a mapping split into `<<:` and the rest, or a list item merged into
    a copy of itself with another id."""
    node = _get(tree, path)
    if isinstance(node, list) and node and isinstance(node[0], dict):
        copied = {k: v for k, v in node[0].items() if k != "id"}
        copied["id"] = f"{node[0].get('id', 'x')}_copy"
        items = [f"&m0 {flow(node[0], form)}", f"{{<<: *m0, {flow(copied, form)[1:]}"]
        items += [flow(item, form) for item in node[1:]]
        return _put(tree, path, Raw("[" + ", ".join(items) + "]"))
    if isinstance(node, dict) and node:
        keys = list(node)
        cut = draw(st.integers(0, len(keys)))
        merged = {k: node[k] for k in keys[:cut]}
        rest = ", ".join(f"{flow(k, form)}: {flow(node[k], form)}" for k in keys[cut:])
        return _put(tree, path, Raw(f"{{<<: {flow(merged, form)}{', ' if rest else ''}{rest}}}"))
    return _put(tree, path, Raw(draw(st.sampled_from(YAML_FORMS))))


def _swap(draw: Draw, tree: Any, path: Path) -> Any:
    """A value from elsewhere in the file: a provider where a service was, a date for a list."""
    other = _get(tree, draw(st.sampled_from(paths(tree))))
    return _put(tree, path, copy.deepcopy(other))


MUTATIONS = [
    "replace",
    "delete",
    "rename",
    "duplicate_key",
    "swap",
    "yaml_form",
    "merge",
    "long",
    "nested",
    "alias_bomb",
]


@st.composite
def mutated_tree(draw: Draw, tree: Any, form: str) -> Any:
    """The tree with 0 to 3 places changed (changes that need YAML are left out of JSON)."""
    tree = copy.deepcopy(tree)
    yaml_only = {"yaml_form", "merge", "alias_bomb"}
    kinds = [kind for kind in MUTATIONS if form == "yaml" or kind not in yaml_only]
    for _ in range(draw(st.integers(0, 3))):
        places = paths(tree)
        path = places[draw(st.integers(0, len(places) - 1))]
        kind = draw(st.sampled_from(kinds))
        if kind == "replace":
            value = _get(tree, path)
            tree = _put(tree, path, draw(st.one_of(related(value), HOSTILE)))
        elif kind == "delete":
            tree = _delete(tree, path)
        elif kind == "rename" and path:
            tree = _rename(draw, tree, path)
        elif kind == "duplicate_key":
            tree = _duplicate_key(draw, tree, path, form)
        elif kind == "swap":
            tree = _swap(draw, tree, path)
        elif kind == "yaml_form":
            tree = _put(tree, path, Raw(draw(st.sampled_from(YAML_FORMS))))
        elif kind == "merge":
            tree = _merge(draw, tree, path, form)
        elif kind == "long":
            tree = _long(draw, tree, path, form)
        elif kind == "nested":
            tree = _nested(draw, tree, path)
        elif kind == "alias_bomb":
            tree = _alias_bomb(draw, tree, path)
        if not isinstance(tree, dict | list):
            break  # the whole file is one value now: nothing left to walk into
    return tree


# --- changing bytes -------------------------------------------------------------------------


@st.composite
def mutated_bytes(draw: Draw, text: str) -> bytes:
    """Text encoded one of several ways, then 0 to 2 byte-level changes."""
    encoding = draw(st.sampled_from(ENCODINGS))
    data = text.encode(encoding, errors="replace")
    for _ in range(draw(st.integers(0, 2))):
        lines = data.split(b"\n")
        line = draw(st.integers(0, len(lines) - 1))
        kind = draw(
            st.sampled_from(
                ["insert", "truncate", "drop_line", "repeat_line", "tab", "crlf", "frame"]
            )
        )
        if kind == "insert":
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.sampled_from(BYTES)) + data[at:]
        elif kind == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif kind == "drop_line":
            data = b"\n".join(lines[:line] + lines[line + 1 :])
        elif kind == "repeat_line":
            data = b"\n".join(lines[: line + 1] + lines[line:])
        elif kind == "tab":
            data = b"\n".join([*lines[:line], b"\t" + lines[line].lstrip(b" "), *lines[line + 1 :]])
        elif kind == "crlf":
            data = data.replace(b"\n", b"\r\n")
        else:
            before, after = draw(st.sampled_from(FRAMES))
            data = before + data + after
    return data


def _suffix(draw: Draw, form: str) -> str:
    usual = ".json" if form == "json" else ".yaml"
    return draw(st.sampled_from([usual, usual, usual, ".yml", ".YAML", ".JSON", ".txt", ""]))


@st.composite
def data_files(draw: Draw, tree: Any, text: str | None = None) -> FuzzFile:
    """A file of this data, mutated; `text`, if given, is the file as written by hand, which
    is sometimes changed as bytes only (keeping its comments, flow style and quoting)."""
    if text is not None and draw(st.booleans()):
        return FuzzFile(".yaml", draw(mutated_bytes(text)))
    form = draw(st.sampled_from(["yaml", "yaml", "json"]))
    style = draw(st.integers(0, 2))
    written = serialize(draw(mutated_tree(tree, form)), form, style)
    return FuzzFile(_suffix(draw, form), draw(mutated_bytes(written)))


def generated_clinics(most_requests: int = 15) -> st.SearchStrategy[dict[str, Any]]:
    """Clinics of scenarios.generator as plain data (as their saved files hold)."""
    return st.builds(
        generate_scenario,
        requests=st.integers(1, most_requests),
        providers=st.integers(1, 3),
        days=st.integers(1, 3),
        seed=st.integers(0, 2**16),
    ).map(scenario_to_data)


@st.composite
def scenario_files(draw: Draw, sample_text: str, sample_tree: Any) -> FuzzFile:
    """The sample clinic or a generated one, mutated."""
    if draw(st.booleans()):
        return draw(data_files(sample_tree, sample_text))
    return draw(data_files(draw(generated_clinics())))


# --- schedules ----------------------------------------------------------------------------


@st.composite
def schedule_files(draw: Draw, text: str) -> FuzzFile:
    """A schedule.csv with 0 to 3 cells, columns or rows changed, written with a separator."""
    rows = list(csv.reader(io.StringIO(text)))
    for _ in range(draw(st.integers(0, 3))):
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.integers(0, len(rows[0]) - 1))
        kind = draw(
            st.sampled_from(["cell", "cell", "drop_column", "copy_column", "drop_row", "copy_row"])
        )
        if kind == "cell" and column < len(rows[row]):
            rows[row][column] = str(draw(st.one_of(related(rows[row][column]), HOSTILE)))
        elif kind == "drop_column":
            rows = [r[:column] + r[column + 1 :] for r in rows]
        elif kind == "copy_column":
            rows = [r[: column + 1] + r[column:] for r in rows]
        elif kind == "drop_row" and len(rows) > 1:
            del rows[row]
        elif kind == "copy_row":
            rows.insert(row, list(rows[row]))
    delimiter = draw(st.sampled_from([",", ",", ",", ";", "\t", "|"]))
    written = io.StringIO()
    csv.writer(written, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return FuzzFile(".csv", draw(mutated_bytes(written.getvalue())))


# --- events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventContext:
    """What valid events of one scenario and schedule can name."""

    booked: list[str]
    providers: list[str]
    rooms: list[str]
    patients: list[str]
    services: list[str]
    days: list[str]


def valid_events(context: EventContext) -> st.SearchStrategy[dict[str, str]]:
    """One valid event as the fields of its `--events` form."""
    day, provider = st.sampled_from(context.days), st.sampled_from(context.providers)

    def moment(clock: str) -> st.SearchStrategy[str]:
        return day.map(lambda d: f"{d}T{clock}")

    return st.one_of(
        st.builds(dict, kind=st.just("cancel"), booking=st.sampled_from(context.booked)),
        st.builds(dict, kind=st.just("no_show"), booking=st.sampled_from(context.booked)),
        st.builds(
            dict,
            kind=st.sampled_from(["confirm", "decline"]),
            booking=st.sampled_from(context.booked),
        ),
        st.builds(dict, kind=st.just("running_late"), provider=provider, minutes=st.just("20")),
        st.builds(
            lambda **f: {"from": f.pop("start"), "to": f.pop("end"), **f},
            kind=st.just("provider_out"),
            provider=provider,
            start=moment("12:00"),
            end=moment("15:00"),
        ),
        st.builds(
            lambda **f: {"from": f.pop("start"), "to": f.pop("end"), **f},
            kind=st.sampled_from(["room_down", "machine_down", "room_or_machine_down"]),
            id=st.sampled_from(context.rooms),
            start=moment("11:00"),
            end=moment("13:00"),
        ),
        st.builds(
            dict,
            kind=st.just("new_request"),
            patient=st.sampled_from(context.patients),
            service=st.sampled_from(context.services),
            earliest=day,
            latest=day,
        ),
        st.builds(
            dict,
            kind=st.just("reschedule"),
            booking=st.sampled_from(context.booked),
            earliest=day,
            latest=st.just(context.days[-1]),
        ),
    )


def event_text(pairs: list[tuple[str, str]], short: bool) -> str:
    """The `--event kind:target,key=value,...` form of an event's (key, value) pairs, the
    first being its kind; `short` writes the target without its key (`cancel:b_01`)."""
    (_, kind), *rest = pairs
    parts = [f"{key}={value}" for key, value in rest]
    if short and rest and rest[0][0] in {"booking", "provider", "id"}:
        parts[0] = rest[0][1]
    return f"{kind}:" + ",".join(parts)


@st.composite
def event_texts(draw: Draw, context: EventContext) -> list[str]:
    """One to three `--event` texts, each with 0 to 2 keys or values changed."""
    texts = []
    for fields in draw(st.lists(valid_events(context), min_size=1, max_size=3)):
        pairs = [(key, str(value)) for key, value in fields.items()]
        for _ in range(draw(st.integers(0, 2))):
            at = draw(st.integers(0, len(pairs) - 1))
            key, value = pairs[at]
            kind = draw(st.sampled_from(["value", "value", "key", "drop", "copy"]))
            if kind == "value":
                pairs[at] = (key, str(draw(st.one_of(related(value), HOSTILE))))
            elif kind == "key":
                pairs[at] = (draw(st.sampled_from([key.upper(), f"{key}s", "", "kind"])), value)
            elif kind == "drop" and at:
                del pairs[at]
            else:
                pairs.append((key, value))
        texts.append(event_text(pairs, draw(st.booleans())))
    return texts


@st.composite
def event_files(draw: Draw, context: EventContext) -> FuzzFile:
    """A `--events` YAML/JSON list of valid events, mutated like a scenario file."""
    return draw(data_files(draw(st.lists(valid_events(context), min_size=1, max_size=3))))
