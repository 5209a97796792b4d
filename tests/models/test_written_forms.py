"""The forms clinics write: weekdays by any English name in any case, every fixed vocabulary in
any case, times of day with am or pm. Each loads to the same scenario as its canonical form
and the JSON Schema accepts it; a value that names nothing is refused by both, never guessed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.scenario import TIER_WORDS
from models.shapes import Words
from models.times import WEEKDAY_WORDS
from tests.conftest import DAY, HOURS, booking, build, clinic_data, edited, request
from tests.models.test_schema import schema_errors
from tests.models.test_validation import problems_of

BASE = clinic_data(
    requests=[request("r1", "p0", "botox", preferred_times=["09:00-12:00"])],
    bookings=[booking("b1", "p1", "botox", "rn", "inj1", f"{DAY}T09:00")],
)

FORMS = [
    ("clinic.hours", {"Monday": "9am-5pm"}, {"mon": HOURS}),
    ("clinic.hours", {"MON": "9:00am - 5:00pm"}, {"mon": HOURS}),
    ("clinic.hours", {" monday ": "9 AM-5 PM"}, {"mon": HOURS}),
    (
        "clinic.hours",
        {"Mon": "9am-12pm", "tues": "12pm-5pm"},
        {"mon": "09:00-12:00", "tue": "12:00-17:00"},
    ),
    (
        "providers.0.weekly",
        {"Monday": ["9am-12pm", "1pm-5pm"]},
        {"mon": ["09:00-12:00", "13:00-17:00"]},
    ),
    ("providers.0.weekly", {"Mon": "9:30 a.m.-4:45 p.m."}, {"mon": "09:30-16:45"}),
    (
        "providers.0.time_off",
        [{"date": DAY, "hours": "12pm-1pm"}],
        [{"date": DAY, "hours": "12:00-13:00"}],
    ),
    ("services.0.category", "Treatment", "treatment"),
    ("services.0.category", "FOLLOW_UP", "follow_up"),
    ("patients.0.tier", "VIP", "vip"),
    ("patients.0.tier", "Returning", "returning"),
    ("requests.0.source", "Waitlist", "waitlist"),
    ("requests.0.preferred_times", ["9am-12pm", "5pm-12am"], ["09:00-12:00", "17:00-24:00"]),
    ("bookings.0.status", "Cancelled_Late", "cancelled_late"),
    (
        "policies.waitlist_order",
        ["Displaced", "PRIORITY", "Requested_At"],
        ["displaced", "priority", "requested_at"],
    ),
    ("policies.tier_weights", {"VIP": 6, "Member": 4}, {"vip": 6, "member": 4}),
    ("policies.quiet_hours", "9pm-8am", "21:00-08:00"),
    ("policies.quiet_hours", "9:30 PM - 7 AM", "21:30-07:00"),
    ("policies.day_parts", {"lunch": "12pm-1:30pm"}, {"lunch": "12:00-13:30"}),
]


@pytest.mark.parametrize(("path", "written", "canonical"), FORMS)
def test_a_written_form_loads_as_its_canonical_form(
    path: str, written: Any, canonical: Any
) -> None:
    assert build(edited(BASE, {path: written})).model_dump() == (
        build(edited(BASE, {path: canonical})).model_dump()
    )


@pytest.mark.parametrize(("path", "written", "canonical"), FORMS)
def test_the_schema_accepts_a_written_form(path: str, written: Any, canonical: Any) -> None:
    assert schema_errors(edited(BASE, {path: written})) == []


WEEKDAY_NAMES = [
    (spelled, weekday)
    for name, weekday in WEEKDAY_WORDS.names.items()
    for spelled in (name, name.upper(), name.title())
]


@pytest.mark.parametrize(("name", "weekday"), WEEKDAY_NAMES)
def test_every_name_of_a_weekday_keys_its_hours(name: str, weekday: str) -> None:
    data = edited(BASE, {"clinic.hours": {name: HOURS}, "providers.0.weekly": {name: HOURS}})
    scenario = build(data)
    assert list(scenario.clinic.hours) == list(scenario.providers[0].weekly) == [weekday]
    assert schema_errors(data) == []


REFUSED = [
    (
        "services.0.category",
        "Treatmnt",
        "services[0] (id 'botox').category",
        "Input should be 'consult', 'treatment', 'follow_up' or 'touch_up' (got 'Treatmnt')",
    ),
    ("patients.0.tier", "V.I.P.", "patients[0] (id 'p0').tier", "(got 'V.I.P.')"),
    ("requests.0.source", "walk-in", "requests[0] (id 'r1').source", "(got 'walk-in')"),
    (
        "policies.waitlist_order",
        ["Displaced", "first come"],
        "policies.waitlist_order[1]",
        "(got 'first come')",
    ),
    (
        "clinic.hours",
        {"Mondays": HOURS},
        "clinic.hours.Mondays",
        "Input should be 'mon', 'tue', 'wed', 'thu', 'fri', 'sat' or 'sun' (got 'Mondays')",
    ),
    ("providers.0.weekly", {"Th": HOURS}, "providers[0] (id 'rn').weekly.Th", "(got 'Th')"),
    (
        "clinic.hours",
        {"Monday": "9am-13pm"},
        "clinic.hours.Monday",
        "'13pm' is not a time of day; with am or pm the hour is 1 to 12 (12am is midnight, 12pm "
        "noon); without them write HH:MM, 00:00 to 24:00",
    ),
    ("policies.quiet_hours", "9pm-0am", "policies.quiet_hours", "'0am' is not a time of day"),
    (
        "requests.0.preferred_times",
        ["9:75am-11am"],
        "requests[0] (id 'r1').preferred_times[0]",
        "'9:75am' is not a time of day; the minutes run from 00 to 59",
    ),
    (
        "providers.0.weekly",
        {"mon": "9-5"},
        "providers[0] (id 'rn').weekly.mon[0]",
        "'9' is not a time; write it as HH:MM, e.g. '09:30', or with am or pm, e.g. '9:30am'",
    ),
]


@pytest.mark.parametrize(("path", "written", "where", "message"), REFUSED)
def test_a_form_that_names_nothing_is_refused_by_the_loader_and_the_schema(
    path: str, written: Any, where: str, message: str
) -> None:
    data = edited(BASE, {path: written})
    [problem] = problems_of(data)
    assert (problem.where, message in problem.message) == (where, True), problem.message
    assert schema_errors(data) != []


TWICE = [
    (
        "clinic.hours",
        {"mon": "9am-1pm", "Monday": "2pm-5pm"},
        "clinic.hours",
        "'mon' and 'Monday' are one weekday; keep one",
    ),
    (
        "providers.0.weekly",
        {"Thu": HOURS, "thursday": HOURS},
        "providers[0] (id 'rn').weekly",
        "'Thu' and 'thursday' are one weekday; keep one",
    ),
    (
        "policies.tier_weights",
        {"vip": 5, "VIP": 6},
        "policies.tier_weights",
        "'vip' and 'VIP' are one tier; keep one",
    ),
]


@pytest.mark.parametrize(("path", "written", "where", "message"), TWICE)
def test_two_keys_naming_one_word_are_refused_naming_both(
    path: str, written: Any, where: str, message: str
) -> None:
    [problem] = problems_of(edited(BASE, {path: written}))
    assert (problem.where, problem.message) == (where, message)


_NAMES = st.sampled_from(sorted(WEEKDAY_WORDS.names) + sorted(TIER_WORDS.names) + ["Th", "V.I.P"])


@st.composite
def written_names(draw: st.DrawFn) -> str:
    """A name of some vocabulary in random case, maybe spaced, maybe with a typo."""
    name = "".join(c.upper() if draw(st.booleans()) else c for c in draw(_NAMES))
    if draw(st.booleans()):
        position = draw(st.integers(0, len(name)))
        name = name[:position] + draw(st.sampled_from(["", "x", ".", "-"])) + name[position:]
    return draw(st.sampled_from(["", " "])) + name + draw(st.sampled_from(["", " "]))


@pytest.mark.parametrize("words", [WEEKDAY_WORDS, TIER_WORDS], ids=["weekday", "tier"])
@given(text=written_names())
def test_a_words_pattern_matches_what_it_reads(words: Words, text: str) -> None:
    matches = re.match(words.pattern, text) is not None
    assert matches == (words.read(text) in words.names.values())
