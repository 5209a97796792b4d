"""Reading and writing scenario files (YAML or JSON, safe loading only).

`load_scenario` reports every problem at once, each naming the file, the path inside it
(`providers[2].weekly.tue[0]`), what is wrong and how to fix it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from models.findings import Finding, excerpt, printable
from models.scenario import DEFER_CROSS_CHECKS, Scenario
from models.validation import cross_reference_problems
from models.writing import write_atomically


class ScenarioError(Exception):
    """A scenario file that cannot be used, with every problem found in it."""

    def __init__(self, source: str, problems: list[Finding]) -> None:
        self.source = source
        self.problems = problems
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
    "greater_than": "use a larger number",
    "greater_than_equal": "use a larger number",
    "less_than_equal": "use a smaller number",
    "too_short": "add at least one",
}

_SHAPES = {type(None): "nothing", list: "a list", str: "only text"}


class _TextDateLoader(yaml.SafeLoader):
    """Safe YAML loader that leaves dates and times as text.

    The models parse them, so a bad date gets a clear message with its place in the file
    (PyYAML would crash on 2026-13-01), and YAML and JSON files load the same way.
    A key written twice in one mapping is an error, not a silent overwrite.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool | type(None)):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be plain text; quote it", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key '{key}' appears twice in one mapping; keep one",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_TextDateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"key '{repeated[0]}' appears twice in one object; keep one")
    return dict(pairs)


def read_data(path: Path) -> Any:
    """The parsed content of a YAML or JSON file; syntax errors become a ScenarioError."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            source, [Finding("file_not_found", "", "file not found; check the path")]
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        message = f"cannot be read ({error}); save it as UTF-8 text"
        raise ScenarioError(source, [Finding("unreadable_file", "", message)]) from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text, object_pairs_hook=_unique_keys)
        return yaml.load(text, Loader=_TextDateLoader)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ScenarioError(
            source, [Finding("invalid_json", where, f"invalid JSON: {error.msg}")]
        ) from None
    except ValueError as error:
        raise ScenarioError(
            source, [Finding("invalid_json", "", f"invalid JSON: {error}")]
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
    if kind == "extra_forbidden":
        message = f"unknown field '{location[-1]}'"
    if kind == "literal_error":
        message = f"{message} (got {excerpt(detail['input'])})"
    elif kind in _FIXES:
        message = f"{message}; {_FIXES[kind]}"
    shows_input = kind not in {"missing", "extra_forbidden", "value_error", "literal_error"}
    if shows_input and not isinstance(detail["input"], dict | list):
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
                text += f" (id '{node['id']}')"
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
