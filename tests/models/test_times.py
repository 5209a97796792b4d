"""Wall-clock times, time ranges and the clinic clock, including daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from models.loader import load_scenario
from models.times import (
    MINUTES_PER_DAY,
    ClinicClock,
    DailyRange,
    TimeRange,
    format_clock,
    parse_clock,
    weekday_of,
)

GOOD = Path(__file__).parents[1] / "data" / "good"
TEN_AM = 10 * 60


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("00:00", 0),
        ("09:30", 570),
        ("9:05", 545),
        (" 07:15 ", 435),
        ("23:59", 1439),
        ("24:00", 1440),
        ("9am", 540),
        ("9 am", 540),
        ("9AM", 540),
        ("09:30am", 570),
        ("9:30 a.m.", 570),
        ("5pm", 1020),
        ("5:30 PM", 1050),
        ("12pm", 720),
        ("12:15pm", 735),
        ("12am", 0),
        ("12:45am", 45),
        ("11:59 pm", 1439),
    ],
)
def test_parse_clock_reads_wall_clock_times(text: str, minutes: int) -> None:
    assert parse_clock(text) == minutes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9", "is not a time; write it as HH:MM, e.g. '09:30', or with am or pm, e.g. '9:30am'"),
        ("", "is not a time"),
        ("9 o'clock", "is not a time"),
        ("9:30a", "is not a time"),
        ("13pm", "'13pm' is not a time of day; with am or pm the hour is 1 to 12"),
        ("0am", "'0am' is not a time of day; with am or pm the hour is 1 to 12"),
        ("00:30am", "with am or pm the hour is 1 to 12"),
        ("13:00pm", "with am or pm the hour is 1 to 12"),
        ("9:75am", "'9:75am' is not a time of day; the minutes run from 00 to 59"),
        ("12:60pm", "the minutes run from 00 to 59"),
        ("12:5", "is not a time"),
        ("-1:00", "is not a time"),
        ("25:00", "is not a time of day; use 00:00 to 24:00"),
        ("24:01", "is not a time of day"),
        ("12:60", "is not a time of day"),
    ],
)
def test_parse_clock_rejects_bad_text(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_clock(text)


def test_format_clock_pads_hours_and_minutes() -> None:
    assert [format_clock(m) for m in (0, 545, 1050, 1440)] == ["00:00", "09:05", "17:30", "24:00"]


def test_clock_text_round_trips_for_every_minute_of_the_day() -> None:
    assert all(parse_clock(format_clock(m)) == m for m in range(MINUTES_PER_DAY + 1))


def test_time_range_text_round_trip() -> None:
    hours = TimeRange.model_validate("09:00-17:30")
    assert (hours.start, hours.end, hours.minutes) == (540, 1050, 510)
    assert str(hours) == "09:00-17:30"
    assert hours.model_dump() == "09:00-17:30"
    assert TimeRange.model_validate(hours.model_dump()) == hours


def test_time_range_accepts_spaces_and_the_end_of_the_day() -> None:
    assert str(TimeRange.model_validate(" 21:00 - 24:00 ")) == "21:00-24:00"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("9am-5pm", "09:00-17:00"),
        ("9:00am - 5:00pm", "09:00-17:00"),
        ("9 AM-5:30 p.m.", "09:00-17:30"),
        ("9am-12pm", "09:00-12:00"),  # until noon
        ("12pm-5pm", "12:00-17:00"),  # from noon
        ("12am-6am", "00:00-06:00"),  # from midnight at the start of the day
        ("6pm-12am", "18:00-24:00"),  # until midnight at its end
        ("10pm-12:00 AM", "22:00-24:00"),
        ("9am-17:00", "09:00-17:00"),
    ],
)
def test_time_range_reads_am_and_pm_as_a_person_means_them(text: str, canonical: str) -> None:
    assert TimeRange.model_validate(text) == TimeRange.model_validate(canonical)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("17:00-09:00", "'17:00-09:00' ends before it starts"),
        ("10:00-10:00", "'10:00-10:00' ends when it starts"),
        ({"start": 600, "end": 540}, "'10:00-09:00' ends before it starts"),
        ("09:00", "is not a time range; write it as 'HH:MM-HH:MM'"),
        ("9-5pm", "'9' is not a time"),
        ("9am", "'9am' is not a time range; write it as 'HH:MM-HH:MM', e.g. '09:00-17:00' or '9am"),
        ("5pm-9am", "'17:00-09:00' ends before it starts"),
        ("12am-12am", "'00:00-00:00' ends when it starts"),
        ("10pm-12:30am", "split a range across midnight in two"),
        ("9am-13pm", "'13pm' is not a time of day"),
        ("09:00-25:00", "'25:00' is not a time of day"),
        ({"start": 600}, "Field required"),
    ],
)
def test_time_range_rejects_bad_ranges(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TimeRange.model_validate(value)


@pytest.mark.parametrize("text", ["17:00-09:00", "22:00-02:00", "24:00-08:00"])
def test_a_range_across_midnight_is_never_told_to_swap_its_times(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TimeRange.model_validate(text)
    message = caught.value.errors()[0]["msg"]
    assert "split a range across midnight in two" in message
    assert "earlier time first" not in message and "swap" not in message


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("21:00-08:00", [21 * 60, 23 * 60, 0, 7 * 60 + 59], [8 * 60, 12 * 60, 20 * 60 + 59]),
        ("08:00-21:00", [8 * 60, 12 * 60, 20 * 60 + 59], [21 * 60, 23 * 60, 0, 7 * 60 + 59]),
        ("21:00-24:00", [21 * 60, 23 * 60 + 59], [0, 20 * 60 + 59]),
        ("00:00-24:00", [0, 12 * 60, 23 * 60 + 59], []),
    ],
)
def test_daily_range_runs_overnight_when_it_ends_before_it_starts(
    text: str, inside: list[int], outside: list[int]
) -> None:
    hours = DailyRange.model_validate(text)
    assert [hours.covers(m) for m in inside + outside] == [True] * len(inside) + [False] * len(
        outside
    )
    assert hours.model_dump() == text


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("9pm-8am", "21:00-08:00"),  # overnight
        ("9:30 PM - 7 AM", "21:30-07:00"),
        ("8am-9pm", "08:00-21:00"),  # the daytime between
        ("9pm-12am", "21:00-24:00"),
        ("12am-6am", "00:00-06:00"),
    ],
)
def test_daily_range_reads_am_and_pm_as_a_person_means_them(text: str, canonical: str) -> None:
    assert DailyRange.model_validate(text) == DailyRange.model_validate(canonical)


@pytest.mark.parametrize(
    "text", ["08:00-08:00", "00:00-00:00", "24:00-00:00", "24:00-24:00", "8am-8am", "12am-12am"]
)
def test_daily_range_with_equal_ends_is_refused_without_guessing(text: str) -> None:
    with pytest.raises(ValidationError, match="starts and ends at the same time") as caught:
        DailyRange.model_validate(text)
    assert "could mean no time or the whole day" in str(caught.value)


def test_time_range_overlap_and_containment() -> None:
    morning = TimeRange.model_validate("09:00-12:00")
    assert morning.overlaps(TimeRange.model_validate("11:55-13:00"))
    assert not morning.overlaps(TimeRange.model_validate("12:00-13:00"))
    assert morning.contains(540, 720)
    assert not morning.contains(535, 600)
    assert not morning.contains(700, 725)


def test_weekday_of_names_the_day() -> None:
    assert [weekday_of(date(2026, 3, 9) + timedelta(days=i)) for i in range(7)] == [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]


DST_CHANGES = {
    # timezone, first day of the horizon, day index of the change, offsets before and after
    "new_york_spring": ("America/New_York", date(2027, 3, 12), 2, "-05:00", "-04:00"),
    "berlin_autumn": ("Europe/Berlin", date(2026, 10, 23), 2, "+02:00", "+01:00"),
}


@pytest.fixture(params=sorted(DST_CHANGES))
def dst(request: pytest.FixtureRequest) -> tuple[ClinicClock, int, str, str]:
    """A clock over a five-day horizon with a daylight-saving change on its third day."""
    timezone, first_day, change, before, after = DST_CHANGES[request.param]
    return ClinicClock(timezone, first_day, 5), change, before, after


def test_iso_gives_the_offset_in_force_on_each_side_of_the_change(
    dst: tuple[ClinicClock, int, str, str],
) -> None:
    clock, change, before, after = dst
    for index in range(clock.num_days):
        expected = f"{clock.day(index)}T10:00:00{before if index < change else after}"
        assert clock.iso(index * MINUTES_PER_DAY + TEN_AM) == expected


def test_wall_clock_stays_at_ten_on_every_day(dst: tuple[ClinicClock, int, str, str]) -> None:
    clock = dst[0]
    for index, day in enumerate(clock.days()):
        local = clock.local(index * MINUTES_PER_DAY + TEN_AM)
        assert (local.date(), local.hour, local.minute) == (day, 10, 0)


def test_an_hour_at_ten_on_the_change_day_lasts_sixty_real_minutes(
    dst: tuple[ClinicClock, int, str, str],
) -> None:
    clock, change, _, _ = dst
    start = change * MINUTES_PER_DAY + TEN_AM
    real = clock.local(start + 60).astimezone(UTC) - clock.local(start).astimezone(UTC)
    assert real == timedelta(minutes=60)


def test_ten_to_ten_across_the_change_is_not_twenty_four_real_hours(
    dst: tuple[ClinicClock, int, str, str],
) -> None:
    clock, change, _, _ = dst
    saturday = (change - 1) * MINUTES_PER_DAY + TEN_AM
    sunday = saturday + MINUTES_PER_DAY
    real = clock.local(sunday).astimezone(UTC) - clock.local(saturday).astimezone(UTC)
    assert real != timedelta(hours=24)
    assert abs(real - timedelta(hours=24)) == timedelta(hours=1)


def test_clinic_minutes_round_trip_on_every_day(dst: tuple[ClinicClock, int, str, str]) -> None:
    clock = dst[0]
    minutes = range(0, clock.num_days * MINUTES_PER_DAY, 5)
    assert [clock.minute(clock.local(m)) for m in minutes] == list(minutes)


def test_minute_converts_other_timezones_to_clinic_time() -> None:
    clock = ClinicClock("America/New_York", date(2027, 3, 12), 5)
    assert clock.minute(datetime(2027, 3, 13, 15, 0, tzinfo=UTC)) == MINUTES_PER_DAY + TEN_AM
    assert clock.minute(datetime(2027, 3, 14, 14, 0, tzinfo=UTC)) == 2 * MINUTES_PER_DAY + TEN_AM
    assert clock.minute(datetime(2027, 3, 14, 10, 0)) == 2 * MINUTES_PER_DAY + TEN_AM


def test_scenario_across_the_spring_change_loads() -> None:
    scenario = load_scenario(GOOD / "dst_spring.yaml")
    clock = scenario.clinic.clock()
    assert clock.days()[2] == date(2027, 3, 14)
    starts = [clock.iso(clock.minute(booking.start)) for booking in scenario.bookings]
    assert starts == ["2027-03-13T10:00:00-05:00", "2027-03-14T10:00:00-04:00"]
