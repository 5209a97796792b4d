"""ClinicFacts: a provider's working ranges, outages on the grid, and the allowed starts."""

from __future__ import annotations

from solver.facts import ClinicFacts, Outage
from tests.conftest import (
    MINI_WEEK,
    MONDAY,
    TUESDAY,
    mini_clinic,
    provider,
    service,
)

# --- working ranges ----------------------------------------------------------------------

RN_WITH_BREAKS = provider(
    "rn",
    ["botox"],
    {"mon": ["09:00-12:00", "13:00-17:00"], "tue": "09:00-17:00"},
    time_off=[{"date": MONDAY, "hours": "10:00-11:00"}],
)
"""rn with a lunch break and 10:00-11:00 off on Monday, and all Tuesday at work."""


def test_working_ranges_keep_breaks_and_cut_out_partial_time_off() -> None:
    scenario = mini_clinic(providers=[RN_WITH_BREAKS])
    facts = ClinicFacts(scenario)
    rn = scenario.provider("rn")
    assert facts.working(rn, 0) == [(540, 600), (660, 720), (780, 1020)]
    assert facts.working(rn, 1) == [(540, 1020)]  # the time off is on Monday only


def test_a_whole_day_off_and_a_multi_day_absence_leave_no_working_time() -> None:
    whole_day = mini_clinic(providers=[provider("rn", ["botox"], MINI_WEEK, time_off=[MONDAY])])
    facts = ClinicFacts(whole_day)
    assert facts.working(whole_day.provider("rn"), 0) == []
    assert facts.working(whole_day.provider("rn"), 1) == [(540, 1020)]
    both = mini_clinic(
        providers=[
            provider("rn", ["botox"], MINI_WEEK, time_off=[{"date": MONDAY, "until": TUESDAY}])
        ]
    )
    facts = ClinicFacts(both)
    assert [facts.working(both.provider("rn"), day) for day in (0, 1)] == [[], []]


def test_no_working_time_on_or_after_the_day_the_licence_expires() -> None:
    scenario = mini_clinic(
        providers=[provider("rn", ["botox"], MINI_WEEK, license_expires=TUESDAY)]
    )
    facts = ClinicFacts(scenario)
    rn = scenario.provider("rn")
    assert facts.working(rn, 0) == [(540, 1020)]
    assert facts.working(rn, 1) == []
    assert facts.starts(scenario.service("botox"), rn, 1) == []


def test_a_weekday_without_weekly_hours_is_not_worked() -> None:
    scenario = mini_clinic(providers=[provider("rn", ["botox"], {"mon": "09:00-17:00"})])
    facts = ClinicFacts(scenario)
    assert facts.working(scenario.provider("rn"), 1) == []


# --- clinic calendar and indexes ---------------------------------------------------------


def test_the_clinic_is_closed_on_closed_dates_and_weekdays_without_hours() -> None:
    scenario = mini_clinic(
        clinic={"horizon": {"start": MONDAY, "days": 3}, "closed_dates": [TUESDAY]}
    )
    facts = ClinicFacts(scenario)
    assert facts.clinic_open(0) == (540, 1020)
    assert facts.clinic_open(1) is None  # a holiday
    assert facts.clinic_open(2) is None  # Wednesday has no opening hours
    assert [facts.open_minutes(day) for day in range(3)] == [480, 0, 0]
    assert facts.starts(scenario.service("botox"), scenario.provider("rn"), 1) == []


def test_rooms_are_indexed_by_type_and_machines_by_count() -> None:
    scenario = mini_clinic(
        rooms=[
            {"id": "inj1", "type": "injection"},
            {"id": "inj2", "type": "injection"},
            {"id": "las1", "type": "laser"},
        ],
        equipment=[{"id": "ipl", "name": "IPL", "count": 2}],
    )
    facts = ClinicFacts(scenario)
    assert facts.rooms_of_type == {"injection": ["inj1", "inj2"], "laser": ["las1"]}
    assert facts.room_type_of["las1"] == "laser"
    assert (facts.room_count("injection"), facts.room_count("facial")) == (2, 0)
    assert facts.machine_counts == {"ipl": 2}
    assert facts.exact_types == set()  # no room is out of service


# --- outages -----------------------------------------------------------------------------

OVERLAPPING = [
    {"start": f"{MONDAY}T10:05", "end": f"{MONDAY}T10:40"},
    {"start": f"{MONDAY}T10:30", "end": f"{MONDAY}T11:10"},
]
"""Two spans off the 15-minute grid that overlap from 10:30 to 10:40."""


def _units_out(outages: list[Outage], item: str, minute: int) -> int:
    return sum(o.units for o in outages if o.id == item and o.start <= minute < o.end)


def test_outages_are_widened_to_the_grid_merged_and_capped_at_the_machine_count() -> None:
    scenario = mini_clinic(
        rooms=[{"id": "inj1", "type": "injection", "out_of_service": OVERLAPPING}],
        equipment=[
            {"id": "one", "name": "One", "count": 1, "out_of_service": OVERLAPPING},
            {"id": "two", "name": "Two", "count": 2, "out_of_service": OVERLAPPING},
        ],
    )
    facts = ClinicFacts(scenario)
    assert {o.kind for o in facts.outages if o.id == "inj1"} == {"room"}
    assert {o.kind for o in facts.outages if o.id != "inj1"} == {"machine"}
    # 10:05 widens down to 10:00, 11:10 up to 11:15; the overlap is 10:30-10:45 on the grid
    for item in ("inj1", "one", "two"):
        covered = {m for m in range(0, 1440) if _units_out(facts.outages, item, m)}
        assert covered == set(range(600, 675)), item
    assert [_units_out(facts.outages, "inj1", m) for m in (600, 630, 644, 645)] == [1] * 4
    assert [_units_out(facts.outages, "one", m) for m in (600, 630, 644, 645)] == [1] * 4
    assert [_units_out(facts.outages, "two", m) for m in (600, 630, 644, 645)] == [1, 2, 2, 1]
    assert all(o.start % 15 == 0 and o.end % 15 == 0 for o in facts.outages)
    assert facts.exact_types == {"injection"}


def test_a_machine_with_no_units_has_no_outage_and_outages_are_in_clinic_minutes() -> None:
    scenario = mini_clinic(
        rooms=[
            {
                "id": "inj1",
                "type": "injection",
                "out_of_service": [{"start": f"{TUESDAY}T09:00", "end": f"{TUESDAY}T09:30"}],
            }
        ],
        equipment=[{"id": "gone", "name": "Gone", "count": 0, "out_of_service": OVERLAPPING}],
    )
    assert ClinicFacts(scenario).outages == [Outage("room", "inj1", 1440 + 540, 1440 + 570)]


# --- starts ------------------------------------------------------------------------------


def test_starts_leave_room_for_the_whole_appointment_before_closing() -> None:
    scenario = mini_clinic(services=[service("botox", duration=60, buffer_after=15)])
    facts = ClinicFacts(scenario)
    starts = facts.starts(scenario.service("botox"), scenario.provider("rn"), 0)
    assert starts == [(540, 960)]  # 16:00 is the last start of a 60-minute appointment
    tuesday = facts.starts(scenario.service("botox"), scenario.provider("rn"), 1)
    assert tuesday == [(1440 + 540, 1440 + 960)]


def test_processing_frees_the_provider_but_the_finish_needs_them_at_work() -> None:
    scenario = mini_clinic(
        services=[service("botox", duration=30, processing=60, finish=15)],
        providers=[RN_WITH_BREAKS],
    )
    facts = ClinicFacts(scenario)
    starts = facts.starts(scenario.service("botox"), scenario.provider("rn"), 0)
    # 09:30: hands-on until 10:00, processing over the time off, finish at 11:00-11:15;
    # 11:30: hands-on until 12:00, processing over lunch, finish at 13:00-13:15;
    # from 13:00 until 15:15, the last start whose 105 minutes end by 17:00.
    assert starts == [(570, 570), (690, 690), (780, 915)]


def test_not_before_drops_earlier_starts_unless_fixed() -> None:
    scenario = mini_clinic()
    now = 1440 + 10 * 60 + 7  # Tuesday 10:07
    facts = ClinicFacts(scenario, not_before=now)
    botox, rn = scenario.service("botox"), scenario.provider("rn")
    assert facts.starts(botox, rn, 0) == []
    assert facts.starts(botox, rn, 1) == [(1440 + 615, 1440 + 990)]  # from 10:15, on the grid
    assert facts.starts(botox, rn, 0, fixed=True) == [(540, 990)]
    assert facts.starts(botox, rn, 1, fixed=True) == [(1440 + 540, 1440 + 990)]
