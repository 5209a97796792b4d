"""How scenario files write values, said once for the loader and the JSON Schema alike.

A short form (one range where a list of them is meant, a bare date for a day off) is
expanded before validation, and the schema offers it beside the full form, so an editor that
validates against `medspa schema` accepts what the loader accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema


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


DATE_SCHEMA = {"type": "string", "format": "date"}
"""JSON Schema of a YYYY-MM-DD date."""

_MOMENT_PATTERN = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"([Tt _]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?([Zz]|[+-]([01]\d|2[0-3]):?[0-5]\d)?)?$"
)
Moment = Annotated[datetime, WithJsonSchema({"type": "string", "pattern": _MOMENT_PATTERN})]
"""A moment as scenario files write it: YYYY-MM-DDTHH:MM, seconds and a UTC offset optional
(JSON Schema's date-time would demand both, and a date alone means its midnight)."""
