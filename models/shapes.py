"""How scenario files write values, said once for the loader and the JSON Schema alike.

A short form (one range where a list of them is meant, a bare date for a day off) is
expanded before validation, and the schema offers it beside the full form, so an editor that
validates against `medspa schema` accepts what the loader accepts. The words of a fixed
vocabulary (a tier, a weekday) are read in any case and by their other names, and become the
canonical word at load.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BeforeValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from models.limits import FIRST_DATE, LAST_DATE


@dataclass(frozen=True)
class ShortForm:
    """Annotation of a field that may also be written in a shorter form.

    `expand` turns the short form into the full one (and leaves anything else alone);
    `schema` is the JSON Schema of the short form.
    """

    schema: dict[str, Any]
    expand: Callable[[Any], Any]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_before_validator_function(self.expand, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [self.schema, handler(schema)]}


class Words:
    """A fixed vocabulary, a Literal of lower-case words, as files write it: in any case,
    surrounding spaces ignored, and by the other names of a word ("Monday" for mon).

    A `Words` annotates a value of the Literal (`Annotated[Tier, TIER_WORDS]`) and `keys` a
    mapping keyed by it, whose key type it annotates too. A value that names no word is left
    as written, for the Literal's own error that lists the words: nothing is guessed.
    """

    def __init__(self, noun: str, literal: Any, other_names: Mapping[str, str] | None = None):
        self.noun = noun
        self.names = {word: word for word in get_args(literal)} | dict(other_names or {})
        self.pattern = rf"^\s*(?:{'|'.join(_any_case(name) for name in self.names)})\s*$"
        self.keys = BeforeValidator(self._one_key_each)

    def read(self, value: Any) -> Any:
        """The word that `value` names, or `value` itself if it names none."""
        return self.names.get(value.strip().lower(), value) if isinstance(value, str) else value

    def _one_key_each(self, value: Any) -> Any:
        """Refuse two keys naming one word, which would silently keep one of them.

        The keys are read one by one, by the key type, so an error names the key as written.
        """
        written: dict[Any, Any] = {}
        for key in value if isinstance(value, dict) else ():
            first = written.setdefault(self.read(key), key)
            if first != key:
                raise ValueError(f"'{first}' and '{key}' are one {self.noun}; keep one")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_before_validator_function(self.read, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # "type" at the top, or pydantic leaves a key schema out of a mapping's propertyNames
        return {"type": "string", "anyOf": [handler(schema), {"pattern": self.pattern}]}


def _any_case(name: str) -> str:
    """A JSON Schema (ECMA 262) pattern of `name` in any case: it has no case-blind flag."""
    return "".join(f"[{c.upper()}{c}]" if c.isalpha() else re.escape(c) for c in name)


_YEAR = r"^(19|2[0-9])[0-9]{2}-"
"""The years FIRST_DATE to LAST_DATE, as a JSON Schema pattern."""
DATE_SCHEMA = {"type": "string", "format": "date", "pattern": _YEAR}
"""JSON Schema of a YYYY-MM-DD date, FIRST_DATE to LAST_DATE."""

_Dated = TypeVar("_Dated", date, datetime)


def _on_the_calendar(value: _Dated) -> _Dated:
    """Refuse a date before FIRST_DATE or after LAST_DATE (the calendar ends in 9999, and an
    offset, a horizon or a consult's validity must never run off it)."""
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DATE <= day <= LAST_DATE:
        bound = (
            f"before {FIRST_DATE}, the first"
            if day < FIRST_DATE
            else f"after {LAST_DATE}, the last"
        )
        raise ValueError(f"{day} is {bound} date a scenario may hold; check the year")
    return value


Day = Annotated[date, AfterValidator(_on_the_calendar), WithJsonSchema(DATE_SCHEMA)]
"""A date as scenario files write it: YYYY-MM-DD, FIRST_DATE to LAST_DATE."""

_MOMENT_PATTERN = (
    r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"([Tt _]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?([Zz]|[+-]([01]\d|2[0-3]):?[0-5]\d)?)?$"
)
Moment = Annotated[
    datetime,
    AfterValidator(_on_the_calendar),
    WithJsonSchema({"type": "string", "pattern": _MOMENT_PATTERN}),
]
"""A moment as scenario files write it: YYYY-MM-DDTHH:MM, seconds and a UTC offset optional
(JSON Schema's date-time would demand both, and a date alone means its midnight), on a date
from FIRST_DATE to LAST_DATE."""


def read_unquoted(value: Any) -> str:
    """What YAML made of a value written without quotes where text is meant, as the reason to
    put it in quotes: `12:30` reads as the number 750 (minutes in base 60), `yes` as true."""
    if isinstance(value, bool):
        return f"unquoted, yes, no, on and off are read as true or false (got {value})"
    if isinstance(value, int) and value >= 60:
        digits = []
        rest = value
        while rest:
            rest, digit = divmod(rest, 60)
            digits.append(digit)
        clock = ":".join([str(digits[-1]), *(f"{d:02d}" for d in reversed(digits[:-1]))])
        return f"unquoted, it was read as the number {value}, as YAML reads an unquoted {clock}"
    return f"unquoted, it was read as the number {value}"
