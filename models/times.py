"""Wall-clock times of the clinic: times of day, ranges, weekdays and the clinic clock.

Everything a clinic writes is local wall-clock time. Inside the project a moment is a
*clinic minute*: ``day_index * 1440 + minutes_since_local_midnight``, counted from the
first day of the horizon. That keeps every working day the same length across a
daylight-saving change (clinics are closed at 02:00), and only the conversion to
ISO 8601 with an offset needs the timezone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_serializer,
    model_validator,
)

from models.limits import MAX_RANGES
from models.shapes import ShortForm, Words, read_unquoted

MINUTES_PER_DAY = 1440
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_WORDS = Words(
    "weekday",
    Weekday,
    {
        "monday": "mon",
        "tuesday": "tue",
        "tues": "tue",
        "wednesday": "wed",
        "thursday": "thu",
        "thur": "thu",
        "thurs": "thu",
        "friday": "fri",
        "saturday": "sat",
        "sunday": "sun",
    },
)
"""Weekdays as files write them: short or full English names in any case (Mon, Monday)."""
_Value = TypeVar("_Value")
ByWeekday = Annotated[dict[Annotated[Weekday, WEEKDAY_WORDS], _Value], WEEKDAY_WORDS.keys]
"""A mapping keyed by weekday (mon ... sun, read from any name of the day, once each)."""

_CLOCK = re.compile(r"^\s*([0-9]{1,2}):([0-9]{2})\s*$")
_TWELVE_HOUR = re.compile(r"^\s*([0-9]{1,2})(?::([0-9]{2}))?\s*([ap])\.?m\.?\s*$", re.IGNORECASE)


def parse_clock(text: str) -> int:
    """Minutes since midnight of a time of day: "HH:MM" ("24:00" is the end of the day) or
    12-hour, "9am", "9:30 PM", "9 a.m." (12am is midnight, 12pm noon)."""
    twelve_hour = _TWELVE_HOUR.match(text)
    if twelve_hour:
        hours, minutes, half = twelve_hour.groups()
        return _twelve_hour(text, int(hours), int(minutes or 0), half.lower() == "p")
    match = _CLOCK.match(text)
    if not match:
        raise ValueError(
            f"'{text}' is not a time; write it as HH:MM, e.g. '09:30', or with am or pm, "
            "e.g. '9:30am'"
        )
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"'{text}' is not a time of day; use 00:00 to 24:00")
    return hours * 60 + minutes


def _twelve_hour(text: str, hours: int, minutes: int, after_noon: bool) -> int:
    if not 1 <= hours <= 12:
        raise ValueError(
            f"'{text}' is not a time of day; with am or pm the hour is 1 to 12 (12am is "
            "midnight, 12pm noon); without them write HH:MM, 00:00 to 24:00"
        )
    if minutes >= 60:
        raise ValueError(f"'{text}' is not a time of day; the minutes run from 00 to 59")
    return (hours % 12 + 12 * after_noon) * 60 + minutes


def format_clock(minutes: int) -> str:
    """The "HH:MM" string of minutes since midnight."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _range_minutes(text: str) -> tuple[int, int]:
    """The start and end minutes of an "HH:MM-HH:MM" (or "9am-5pm") string.

    An end of 12am is midnight at the end of the day, 24:00 ("6pm-12am"), unless the range
    starts at midnight too ("12am-12am" stays as ambiguous as "08:00-08:00").
    """
    first, sep, second = text.partition("-")
    if not sep:
        raise ValueError(
            f"'{text}' is not a time range; write it as 'HH:MM-HH:MM', e.g. '09:00-17:00' "
            "or '9am-5pm'"
        )
    start, end = parse_clock(first), parse_clock(second)
    if end == 0 and start and _TWELVE_HOUR.match(second):
        end = MINUTES_PER_DAY
    return start, end


def _same_day(start: int, end: int) -> None:
    """Refuse a range that does not end later on the day it starts.

    The message never suggests swapping the times: '22:00-02:00' swapped is the day, not
    the night.
    """
    text = f"{format_clock(start)}-{format_clock(end)}"
    if end == start:
        raise ValueError(f"'{text}' ends when it starts, so it holds no time; write when it ends")
    if end < start:
        raise ValueError(
            f"'{text}' ends before it starts; a range must end on the day it starts, by 24:00 "
            "(split a range across midnight in two: until 24:00, and from 00:00 the next day)"
        )


def _not_a_range(value: float) -> ValueError:
    """The error of a number where a range is meant (YAML reads an unquoted 10:00 as 600)."""
    return ValueError(
        f"{value} is not a time range; write it as 'HH:MM-HH:MM' in quotes, e.g. "
        f"'09:00-17:00'; {read_unquoted(value)}"
    )


class _ClockRange(BaseModel):
    """Two wall-clock times of a day, written "HH:MM-HH:MM"."""

    model_config = ConfigDict(frozen=True)

    start: int
    """Minutes since midnight when the range starts."""
    end: int
    """Minutes since midnight when the range ends (exclusive)."""

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, str):
            start, end = _range_minutes(value)
            value = {"start": start, "end": end}
        elif isinstance(value, int | float):
            raise _not_a_range(value)
        return value

    @model_serializer
    def _as_text(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return f"{format_clock(self.start)}-{format_clock(self.end)}"


class TimeRange(_ClockRange):
    """A range of wall-clock time within one day, written "HH:MM-HH:MM"."""

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        _same_day(self.start, self.end)
        return self

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


def parse_range(text: str) -> TimeRange:
    """The TimeRange of an "HH:MM-HH:MM" string; a bad one raises ValueError (not a
    ValidationError), for validators that parse ranges among other forms."""
    start, end = _range_minutes(text)
    _same_day(start, end)
    return TimeRange(start=start, end=end)


class DailyRange(_ClockRange):
    """Wall-clock times repeated every day, which may cross midnight: "21:00-08:00" is from
    21:00 until 08:00 the next morning, "08:00-21:00" the daytime between."""

    @model_validator(mode="after")
    def _not_ambiguous(self) -> DailyRange:
        whole_day = (self.start, self.end) == (0, MINUTES_PER_DAY)
        if self.start % MINUTES_PER_DAY == self.end % MINUTES_PER_DAY and not whole_day:
            raise ValueError(
                f"'{self}' starts and ends at the same time, so it could mean no time or the "
                "whole day; write when it starts and when it ends ('21:00-08:00' runs "
                "overnight), '00:00-24:00' for the whole day, or leave it out for none"
            )
        return self

    def covers(self, minute: int) -> bool:
        """Whether the minute of the day (0-1439) lies in the range."""
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def covers_moment(self, moment: datetime, zone: tzinfo) -> bool:
        """Whether a moment lies in the range on the clock of `zone`."""
        local = moment.astimezone(zone)
        return self.covers(local.hour * 60 + local.minute)

    def period(self, moment: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
        """When the range a covered `moment` falls in began and when it ends (local)."""
        local = moment.astimezone(zone)
        day, minute = local.date(), local.hour * 60 + local.minute
        overnight = self.start > self.end
        began_day = day - timedelta(days=1) if overnight and minute < self.end else day
        ends_day = began_day + timedelta(days=1) if overnight else began_day
        return wall_clock(began_day, self.start, zone), wall_clock(ends_day, self.end, zone)

    def first_moment_outside(self, moment: datetime, zone: tzinfo) -> datetime | None:
        """`moment` itself when the range does not cover it, else when its range ends; None
        when the range covers the whole day (quiet hours all day: no moment outside)."""
        if not self.covers_moment(moment, zone):
            return moment
        ends = self.period(moment, zone)[1]
        return None if self.covers_moment(ends, zone) else ends


_CLOCK_PATTERN = (
    r"\s*(?:[01]?[0-9]:[0-5][0-9]|2[0-3]:[0-5][0-9]|24:00"
    r"|(?:0?[1-9]|1[0-2])(?::[0-5][0-9])?\s*[AaPp]\.?[Mm]\.?)\s*"
)
RANGE_SCHEMA = {"type": "string", "pattern": f"^{_CLOCK_PATTERN}-{_CLOCK_PATTERN}$"}
"""JSON Schema of "HH:MM-HH:MM" (or "9am-5pm") text; the order of the two times is the
loader's to check."""
Hours = Annotated[TimeRange, WithJsonSchema(RANGE_SCHEMA)]
"""A "HH:MM-HH:MM" range within one day, as it appears in scenario files."""
DailyHours = Annotated[DailyRange, WithJsonSchema(RANGE_SCHEMA)]
"""A "HH:MM-HH:MM" range repeated every day, possibly across midnight ("21:00-08:00")."""


def _one_as_list(value: Any) -> Any:
    if isinstance(value, int | float):
        raise _not_a_range(value)
    return [value] if isinstance(value, str) else value


RangeList = Annotated[
    list[Hours], Field(max_length=MAX_RANGES), ShortForm(RANGE_SCHEMA, _one_as_list)
]
"""Ranges of one day, or a single range written alone ("09:00-17:00")."""


def wall_clock(day: date, minute: int, zone: tzinfo) -> datetime:
    """The wall-clock minute of `day` as a moment in `zone` (a time the clocks skip reads as
    after the change)."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


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

    def zoned(self, moment: datetime) -> datetime:
        """A moment on the clinic's clock: one with an offset converted (a time the clocks
        repeat keeps which of the two it is), one without read as clinic wall-clock time."""
        return moment.astimezone(self.zone) if moment.tzinfo else moment.replace(tzinfo=self.zone)

    def local(self, minute: int) -> datetime:
        """The timezone-aware local datetime of a clinic minute."""
        index, in_day = divmod(minute, MINUTES_PER_DAY)
        naive = datetime.combine(self.day(index), time()) + timedelta(minutes=in_day)
        return naive.replace(tzinfo=self.zone)

    def skipped(self, moment: datetime) -> tuple[datetime, datetime] | None:
        """The wall-clock span the clocks skip (they go forward from its start to its end)
        that holds a local moment, or None if the moment is on the clock."""
        if moment.tzinfo is not None or self.happens(moment):
            return None
        start = moment.replace(second=0, microsecond=0)
        while not self.happens(start - timedelta(minutes=1)):
            start -= timedelta(minutes=1)
        before, after = (moment.replace(tzinfo=self.zone, fold=f).utcoffset() for f in (0, 1))
        assert before is not None and after is not None
        return start, start + (after - before)

    def happens(self, moment: datetime) -> bool:
        """Whether a naive local moment is on the clock (not skipped when clocks go forward)."""
        aware = moment.replace(tzinfo=self.zone)
        return aware.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) == moment

    def iso(self, minute: int) -> str:
        """ISO 8601 text with the UTC offset in force then, e.g. 2026-03-09T10:00:00-04:00."""
        return self.local(minute).isoformat()
