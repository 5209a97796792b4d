"""Wall-clock times of the clinic: "HH:MM" strings, ranges, weekdays and the clinic clock.

Everything a clinic writes is local wall-clock time. Inside the project a moment is a
*clinic minute*: ``day_index * 1440 + minutes_since_local_midnight``, counted from the
first day of the horizon. That keeps every working day the same length across a
daylight-saving change (clinics are closed at 02:00), and only the conversion to
ISO 8601 with an offset needs the timezone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, WithJsonSchema, model_serializer, model_validator

MINUTES_PER_DAY = 1440
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def parse_clock(text: str) -> int:
    """Minutes since midnight of an "HH:MM" string ("24:00" is the end of the day)."""
    match = _CLOCK.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a time; write it as HH:MM, e.g. '09:30'")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"'{text}' is not a time of day; use 00:00 to 24:00")
    return hours * 60 + minutes


def format_clock(minutes: int) -> str:
    """The "HH:MM" string of minutes since midnight."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class TimeRange(BaseModel):
    """A range of wall-clock time within one day, written "HH:MM-HH:MM"."""

    model_config = ConfigDict(frozen=True)

    start: int
    """Minutes since midnight when the range starts."""
    end: int
    """Minutes since midnight when the range ends (exclusive)."""

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, str):
            first, sep, second = value.partition("-")
            if not sep:
                raise ValueError(f"'{value}' is not a time range; write it as 'HH:MM-HH:MM'")
            value = {"start": parse_clock(first), "end": parse_clock(second)}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError(f"'{self}' ends before it starts; write the earlier time first")
        return self

    @model_serializer
    def _as_text(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return f"{format_clock(self.start)}-{format_clock(self.end)}"

    @property
    def minutes(self) -> int:
        """Length of the range in minutes."""
        return self.end - self.start

    def overlaps(self, other: TimeRange) -> bool:
        """Whether the two ranges share any minute."""
        return self.start < other.end and other.start < self.end

    def contains(self, start: int, end: int) -> bool:
        """Whether [start, end) lies inside the range."""
        return self.start <= start and end <= self.end


_RANGE_SCHEMA = {"type": "string", "pattern": r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$"}
Hours = Annotated[TimeRange, WithJsonSchema(_RANGE_SCHEMA)]
"""A "HH:MM-HH:MM" range as it appears in scenario files."""


def day_pieces(start: int, end: int) -> list[tuple[int, int, int]]:
    """(day index, start, end) of each day that the clinic minutes [start, end) touch."""
    first, last = start // MINUTES_PER_DAY, (end - 1) // MINUTES_PER_DAY
    return [
        (day, max(start, day * MINUTES_PER_DAY), min(end, (day + 1) * MINUTES_PER_DAY))
        for day in range(first, last + 1)
    ]


def weekday_of(day: date) -> Weekday:
    """The three-letter weekday name of a date."""
    return WEEKDAYS[day.weekday()]


class ClinicClock:
    """Converts between clinic minutes, dates and timezone-aware datetimes."""

    def __init__(self, timezone: str, first_day: date, num_days: int) -> None:
        self.zone = ZoneInfo(timezone)
        self.first_day = first_day
        self.num_days = num_days

    def day(self, index: int) -> date:
        """The date of day `index` of the horizon."""
        return self.first_day + timedelta(days=index)

    def day_index(self, day: date) -> int:
        """How many days `day` lies after the first day of the horizon."""
        return (day - self.first_day).days

    def days(self) -> list[date]:
        """Every date of the horizon."""
        return [self.day(i) for i in range(self.num_days)]

    def minute(self, moment: datetime) -> int:
        """The clinic minute of a datetime (naive = clinic wall-clock time)."""
        if moment.tzinfo is not None:
            moment = moment.astimezone(self.zone).replace(tzinfo=None)
        index = self.day_index(moment.date())
        return index * MINUTES_PER_DAY + moment.hour * 60 + moment.minute

    def local(self, minute: int) -> datetime:
        """The timezone-aware local datetime of a clinic minute."""
        index, in_day = divmod(minute, MINUTES_PER_DAY)
        naive = datetime.combine(self.day(index), time()) + timedelta(minutes=in_day)
        return naive.replace(tzinfo=self.zone)

    def iso(self, minute: int) -> str:
        """ISO 8601 text with the UTC offset in force then, e.g. 2026-03-09T10:00:00-04:00."""
        return self.local(minute).isoformat()
