"""Day parts: named times of day ("morning") that a request may prefer instead of a range.

The defaults split the whole day: morning until 12:00, afternoon 12:00-17:00, evening from
17:00, am before noon, pm from noon. `policies.day_parts` redefines any of them or adds
others. Names ignore case and surrounding spaces. A scenario resolves its requests' day parts
once, when it is validated, so the solver and the checker both see plain ranges.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, PlainValidator, WithJsonSchema

from models.findings import excerpt
from models.limits import MAX_ID_CHARACTERS
from models.times import RANGE_SCHEMA, TimeRange, parse_range

DEFAULT_DAY_PARTS: dict[str, tuple[TimeRange, ...]] = {
    name: (TimeRange.model_validate(hours),)
    for name, hours in {
        "morning": "00:00-12:00",
        "afternoon": "12:00-17:00",
        "evening": "17:00-24:00",
        "am": "00:00-12:00",
        "pm": "12:00-24:00",
    }.items()
}
"""The day parts every clinic has unless its policies.day_parts say otherwise."""

_NAME = r"^\s*[A-Za-z][A-Za-z0-9_ -]*$"
NAME_SCHEMA = {"type": "string", "pattern": _NAME, "maxLength": MAX_ID_CHARACTERS}
"""JSON Schema of a day-part name: a letter, then letters, digits, spaces, _ or -."""


def day_part_key(name: str) -> str:
    """How a day-part name is looked up: lower case, without surrounding spaces."""
    return name.strip().lower()


def _checked_name(name: str) -> str:
    if not re.match(_NAME, name):
        raise ValueError(
            f"{excerpt(name)} is not a day part name; start it with a letter and use letters, "
            "digits, spaces, _ or - only"
        )
    if len(name) > MAX_ID_CHARACTERS:
        raise ValueError(
            f"the day part name {excerpt(name)} is longer than {MAX_ID_CHARACTERS} characters; "
            "shorten it"
        )
    return name


DayPartName = Annotated[str, AfterValidator(_checked_name), WithJsonSchema(NAME_SCHEMA)]
"""The name of a day part in policies.day_parts."""


def _preferred_time(value: Any) -> TimeRange | str:
    """A preferred-time entry: a TimeRange, or the day-part name as written."""
    if isinstance(value, TimeRange):
        return value
    if isinstance(value, str) and value.strip()[:1].isalpha():
        return _checked_name(value)
    if isinstance(value, str) and "-" in value:
        return parse_range(value)
    raise ValueError(
        f"{excerpt(value)} is neither a time range ('HH:MM-HH:MM' or '9am-12pm') nor a day part "
        "such as 'morning'"
    )


PreferredTime = Annotated[
    TimeRange | str,
    PlainValidator(_preferred_time),
    WithJsonSchema({"anyOf": [RANGE_SCHEMA, NAME_SCHEMA]}),
]
"""A preferred time of a request: "HH:MM-HH:MM" or a day part ("morning")."""


def resolve(
    entries: Iterable[TimeRange | str], parts: Mapping[str, tuple[TimeRange, ...]]
) -> tuple[TimeRange, ...]:
    """The ranges of preferred-time entries, day parts looked up in `parts` (by day_part_key).

    A name `parts` does not know is left out; the scenario's validation reports it.
    """
    ranges: list[TimeRange] = []
    for entry in entries:
        if isinstance(entry, TimeRange):
            ranges.append(entry)
        else:
            ranges.extend(parts.get(day_part_key(entry), ()))
    return tuple(ranges)
