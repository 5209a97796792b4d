"""Reading and writing scenario files (YAML or JSON, safe loading only).

`load_scenario` reports every problem at once, each naming the file, the path inside it
(`providers[2].weekly.tue[0]`), what is wrong and how to fix it.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from models.findings import Finding, excerpt, printable
from models.limits import MAX_ALIAS_NODES, MAX_DEPTH, MAX_INPUT_MB, MAX_PROBLEMS
from models.scenario import DEFER_CROSS_CHECKS, Scenario
from models.shapes import read_unquoted
from models.validation import cross_reference_problems
from models.writing import write_atomically


class ScenarioError(Exception):
    """A scenario file that cannot be used, with every problem found in it."""

    def __init__(self, source: str, problems: list[Finding]) -> None:
        self.source = source
        self.problems = problems[:MAX_PROBLEMS]
        """The problems, the first MAX_PROBLEMS of them and a count of the rest."""
        if len(problems) > MAX_PROBLEMS:
            rest = len(problems) - MAX_PROBLEMS
            message = f"{rest:,} more problems are not listed; fix these and check the file again"
            self.problems.append(Finding("more_problems", "", message))
        super().__init__(self.report())

    def report(self) -> str:
        """One line per problem, each starting with the file name."""
        return "\n".join(f"{self.source}: {_located(problem)}" for problem in self.problems)


def _located(problem: Finding) -> str:
    """A problem as 'where: what', the way the file's author looks for it."""
    return printable(f"{problem.where}: {problem.message}" if problem.where else problem.message)


_FIXES = {
    "missing": "add this field",
    "extra_forbidden": "remove it or check its spelling",
    "int_parsing": "write a whole number",
    "int_from_float": "write a whole number",
    "float_parsing": "write a number",
    "bool_parsing": "write true or false",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "datetime_from_date_parsing": "write the time as YYYY-MM-DDTHH:MM",
    "datetime_parsing": "write the time as YYYY-MM-DDTHH:MM",
    "list_type": "write a list (items starting with '- ')",
    "dict_type": "write a mapping of names to values",
    "model_type": "write a mapping of fields to values",
    "string_type": "write text",
    "string_pattern_mismatch": "use letters, digits and _ . : - only",
    "string_too_long": "shorten it",
    "greater_than": "use a larger number",
    "greater_than_equal": "use a larger number",
    "less_than_equal": "use a smaller number",
    "finite_number": "write an ordinary number (not .inf or .nan, infinity or not-a-number)",
    "too_short": "add at least one",
}

_SHAPES = {type(None): "nothing", list: "a list", str: "only text"}


class _Refused(yaml.MarkedYAMLError):
    """A YAML file refused for what it holds (a repeated key, nesting or aliases beyond the
    limits), with the fix in its message."""

    def __init__(self, code: str, message: str, mark: Any) -> None:
        super().__init__(problem=message, problem_mark=mark)
        self.code = code


_MERGE_TAG = "tag:yaml.org,2002:merge"


class _TextDateLoader(yaml.SafeLoader):
    """Safe YAML loader that leaves dates and times as text, within the limits of
    `models.limits`.

    The models parse dates and times (also under an explicit `!!timestamp` tag), so a bad
    one gets a clear message with its place in the file (PyYAML would crash on 2026-13-01),
    and YAML and JSON files load the same way. A key written twice in one mapping is an
    error, not a silent overwrite; a key after a merge key (`<<: *defaults`) overrides the
    merged one, as YAML says. Nesting is bounded, and so is what aliases add to the file, so
    a small file cannot expand into billions of values.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._open_anchors: set[str] = set()
        self._extents: dict[int, tuple[int, int]] = {}
        """(values, depth) of the nodes aliases stand for, and the nodes in them, by id."""
        self._aliased = 0
        """Values the aliases read so far add to the file."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self.anchors:
                self._check_alias(event)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused("too_deep", _TOO_DEEP, event.start_mark)
        if event.anchor is not None:
            self._open_anchors.add(event.anchor)
        node = super().compose_node(parent, index)
        self._open_anchors.discard(event.anchor)
        self._depth -= 1
        return node

    def _check_alias(self, event: yaml.AliasEvent) -> None:
        anchor = event.anchor
        if anchor in self._open_anchors:
            message = (
                f"the alias *{anchor} stands for the list or mapping that holds it, so it "
                "never ends; write the values out"
            )
            raise _Refused("alias_loop", message, event.start_mark)
        values, depth = self._extent(self.anchors[anchor])
        self._aliased += values
        if self._aliased > MAX_ALIAS_NODES:
            message = (
                f"the aliases up to *{anchor} stand for more than {MAX_ALIAS_NODES:,} values; "
                "write the values out instead of aliases of aliases"
            )
            raise _Refused("too_many_aliases", message, event.start_mark)
        if self._depth + depth > MAX_DEPTH:
            raise _Refused("too_deep", _TOO_DEEP, event.start_mark)

    def _extent(self, node: yaml.Node) -> tuple[int, int]:
        """How many values a node stands for, aliases expanded, and how deep it nests."""
        known = self._extents.get(id(node))
        if known is not None:
            return known
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        extents = [self._extent(child) for child in children]
        extent = (1 + sum(v for v, _ in extents), 1 + max((d for _, d in extents), default=0))
        self._extents[id(node)] = extent
        return extent

    def compose_mapping_node(self, anchor: Any) -> Any:
        node = super().compose_mapping_node(anchor)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused(
                    "invalid_yaml", "a key must be plain text; quote it", key_node.start_mark
                )
            key = self.construct_object(key_node)
            if key in seen:
                message = f"key {excerpt(key)} appears twice in one mapping; keep one"
                raise _Refused("invalid_yaml", message, key_node.start_mark)
            seen.add(key)
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, KeyError, TypeError, OverflowError):
            message = (
                f"{excerpt(node.value)} is not a valid !!{node.tag.rsplit(':', 1)[-1]}; correct "
                "the value or remove the tag"
            )
            raise yaml.constructor.ConstructorError(None, None, message, node.start_mark) from None


def _as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A `!!timestamp` as its text, for the models to parse like any other date or time."""
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _unknown_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    message = f"the tag {excerpt(node.tag)} means nothing in a scenario file; remove it"
    raise yaml.constructor.ConstructorError(None, None, message, node.start_mark)


_TOO_DEEP = (
    f"lists and mappings are nested more than {MAX_DEPTH} deep here, far deeper than a "
    "scenario needs; check the brackets and the indentation"
)

_TextDateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_TextDateLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
_TextDateLoader.add_constructor(None, _unknown_tag)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"key {excerpt(repeated[0])} appears twice in one object; keep one")
    return dict(pairs)


_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|([\[{])|[\]}]')


def _json_depth_problem(text: str) -> Finding | None:
    """Nesting beyond MAX_DEPTH in JSON text, at its line (json.loads would recurse into it)."""
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        if token.group(1):
            depth += 1
            if depth > MAX_DEPTH:
                return Finding("too_deep", _line_and_column(text, token.start()), _TOO_DEEP)
        elif token.group() in "]}":
            depth -= 1
    return None


def _line_and_column(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"line {line}, column {offset - text.rfind(chr(10), 0, offset)}"


def _parse_json(text: str, source: str) -> Any:
    too_deep = _json_depth_problem(text)
    if too_deep:
        raise ScenarioError(source, [too_deep])
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ScenarioError(
            source, [Finding("invalid_json", where, f"invalid JSON: {error.msg}")]
        ) from None
    except ValueError as error:
        raise ScenarioError(
            source, [Finding("invalid_json", "", f"invalid JSON: {error}")]
        ) from None


def _parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_TextDateLoader)
    except _Refused as error:
        mark: Any = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        prefix = "invalid YAML: " if error.code == "invalid_yaml" else ""
        raise ScenarioError(
            source, [Finding(error.code, where, f"{prefix}{error.problem}")]
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(error, "problem", None) or str(error)
        hint = (
            ""
            if isinstance(error, yaml.constructor.ConstructorError)
            else "; check indentation and quoting"
        )
        message = f"invalid YAML: {what}{hint}"
        raise ScenarioError(source, [Finding("invalid_yaml", where, message)]) from None


_max_input_bytes = MAX_INPUT_MB * 1_000_000


def set_max_input_mb(megabytes: int) -> None:
    """Raise (or lower) the size limit of every input file read from now on (scenario,
    schedule, events): the global option `medspa --max-input-mb N`."""
    global _max_input_bytes
    _max_input_bytes = megabytes * 1_000_000


def check_input_size(path: Path) -> None:
    """Refuse a file larger than the input limit, before reading it (a file that is not there
    is left for the reader to report)."""
    try:
        size = path.stat().st_size
    except OSError:
        return
    _refuse_size(path, size)


def _refuse_size(path: Path, size: int) -> None:
    if size <= _max_input_bytes:
        return
    megabytes = size / 1_000_000
    message = (
        f"the file is {megabytes:,.1f} MB, larger than the {_max_input_bytes / 1_000_000:,g} MB "
        "an input file may be; if it is meant to be this large, raise the limit with "
        f"`medspa --max-input-mb {math.ceil(megabytes)} ...`"
    )
    raise ScenarioError(str(path), [Finding("file_too_large", "", message)])


def _read_text(path: Path) -> str:
    """The file's UTF-8 text, read only while within the input limit (also for a pipe or a
    device, whose size is not known beforehand)."""
    check_input_size(path)
    with path.open("rb") as stream:
        content = stream.read(_max_input_bytes + 1)
    _refuse_size(path, len(content))
    return content.decode("utf-8")


def read_data(path: Path) -> Any:
    """The parsed content of a YAML or JSON file; syntax errors, and files beyond the limits
    of `models.limits`, become a ScenarioError."""
    source = str(path)
    try:
        text = _read_text(path)
    except FileNotFoundError:
        raise ScenarioError(
            source, [Finding("file_not_found", "", "file not found; check the path")]
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        message = f"cannot be read ({error}); save it as UTF-8 text"
        raise ScenarioError(source, [Finding("unreadable_file", "", message)]) from None
    if path.suffix.lower() == ".json":
        return _parse_json(text, source)
    return _parse_yaml(text, source)


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file; raise ScenarioError listing every problem."""
    path = Path(path)
    data = read_data(path)
    return scenario_from_data(data, str(path))


def scenario_from_data(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate parsed data as a scenario; raise ScenarioError listing every problem."""
    if not isinstance(data, dict):
        shape = _SHAPES.get(type(data), "a single value")
        message = f"the file holds {shape}; it must hold a mapping with at least a 'clinic' section"
        raise ScenarioError(source, [Finding("not_a_mapping", "", message)])
    try:
        scenario = Scenario.model_validate(data, context={DEFER_CROSS_CHECKS: True})
    except ValidationError as error:
        problems = [_problem(detail, data) for detail in error.errors()]
        raise ScenarioError(source, problems) from None
    problems = cross_reference_problems(scenario)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def _problem(detail: Any, data: Any) -> Finding:
    location = tuple(detail["loc"])
    message = detail["msg"].removeprefix("Value error, ")
    kind = detail["type"]
    unquoted = kind == "string_type" and isinstance(detail["input"], int | float)
    if kind == "extra_forbidden":
        message = f"unknown field '{location[-1]}'"
    if kind == "literal_error":
        message = f"{message} (got {excerpt(detail['input'])})"
    elif kind == "too_long":
        limit, length = detail["ctx"]["max_length"], detail["ctx"]["actual_length"]
        message = (
            f"holds {length:,} items, more than the {limit:,} it may hold; remove some (or "
            "split the scenario into smaller ones)"
        )
    elif kind == "int_parsing_size":
        message = "the number is far too large; use a smaller whole number"
    elif unquoted:
        message = f"{message}; put it in quotes: {read_unquoted(detail['input'])}"
    elif kind in _FIXES:
        message = f"{message}; {_FIXES[kind]}"
    shown = unquoted or kind in {"missing", "extra_forbidden", "value_error", "literal_error"}
    if not shown and not isinstance(detail["input"], dict | list):
        message = f"{message} (got {excerpt(detail['input'])})"
    return Finding(kind, _path(location, data), message)


def _path(location: tuple[Any, ...], data: Any) -> str:
    """`providers[2] (id 'rn_kim').weekly.tue[0]`-style path of a pydantic error location."""
    text = ""
    node = data
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                text += f" (id {excerpt(node['id'])})"
        else:
            if str(part).startswith("function-") or part == "[key]":
                continue
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


def scenario_to_data(scenario: Scenario) -> dict[str, Any]:
    """Plain data of a scenario, as it would be written in a file."""
    return scenario.model_dump(mode="json", exclude_defaults=True)


class _TextDumper(yaml.SafeDumper):
    """Safe YAML dumper that writes text holding Unicode line breaks in double quotes.

    PyYAML folds NEL, U+2028 and U+2029 inside plain or single-quoted text, so a saved
    scenario would load back with different names; double quotes escape them exactly.
    """


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if any(mark in text for mark in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_TextDumper.add_representer(str, _represent_text)


def save_scenario(scenario: Scenario, path: str | Path) -> None:
    """Write a scenario as YAML or JSON (by suffix), atomically."""
    path = Path(path)
    data = scenario_to_data(scenario)
    if path.suffix.lower() == ".json":
        text = json.dumps(data, indent=2)
    else:
        text = yaml.dump(data, Dumper=_TextDumper, sort_keys=False, allow_unicode=True)
    write_atomically(path, text)
