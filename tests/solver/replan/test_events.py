"""apply_events: what each kind of same-day event does to the Day (released, displaced,
rescheduled, new requests, time off, outages, active days), and the events refused.

`day_clinic()` and `night_schedule()` (a small clinic and its schedule of the night before,
placed by hand) are shared by the other replan tests."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from checker import check_schedule
from models.events import (
    Cancel,
    NewRequest,
    NoShow,
    ProviderOut,
    Reschedule,
    RoomOrMachineDown,
    RunningLate,
)
from models.loader import scenario_from_data
from models.results import Schedule
from models.scenario import Request, Scenario
from solver.eligibility import eligibility
from solver.facts import ClinicFacts, Outage
from solver.placement import Placement
from solver.reasons import unbooked_reasons
from solver.replan.events import Day, EventError, apply_events
from solver.schedule import build_schedule
from tests.conftest import (
    MINI_WEEK,
    MONDAY,
    TUESDAY,
    booking,
    mini_clinic,
    provider,
    request,
    service,
)

SERVICES = ["botox", "laser", "consult", "treat"]
PLACED = {
    "r1": ("rn", 540, "inj1"),  # p1 botox 09:00-09:30
    "r2": ("rn", 600, "inj1"),  # p2 botox 10:00-10:30
    "r3": ("md", 600, "inj2"),  # p3 laser (the one IPL) 10:00-10:30
    "c1": ("md", 540, "inj2"),  # p4 consult 09:00-09:30
    "t1": ("md", 660, "inj2"),  # p4 treatment needing that consult 11:00-11:30
    "bk": ("md", 1440 + 540, "inj1"),  # p5's booking on Tuesday
}
"""Where the night's schedule put everything; w1 (p5, waitlist) is unscheduled."""


def day_clinic(**policies: Any) -> Scenario:
    """Two providers and two injection rooms, one IPL, Monday's requests and one booking."""
    return mini_clinic(
        policies={"same_day_owner": "desk", **policies},
        services=[
            service("botox"),
            service("laser", equipment={"ipl": 1}),
            service("consult", category="consult"),
            service("treat", requires_consult=True),
        ],
        providers=[provider("rn", SERVICES, MINI_WEEK), provider("md", SERVICES, MINI_WEEK)],
        rooms=[{"id": "inj1", "type": "injection"}, {"id": "inj2", "type": "injection"}],
        equipment=[{"id": "ipl", "name": "IPL", "count": 1}],
        patients=[{"id": f"p{i}"} for i in range(1, 6)],
        requests=[
            request("r1", "p1", "botox", latest=MONDAY),
            request("r2", "p2", "botox", latest=MONDAY),
            request("r3", "p3", "laser", latest=MONDAY),
            request("c1", "p4", "consult", latest=MONDAY),
            request("t1", "p4", "treat", latest=MONDAY),
            request(
                "w1",
                "p5",
                "botox",
                latest=TUESDAY,
                source="waitlist",
                requested_at="2026-12-01T10:00",
            ),
        ],
        bookings=[booking("bk", "p5", "botox", "md", "inj1", f"{TUESDAY}T09:00")],
    )


def night_schedule(scenario: Scenario) -> Schedule:
    """The night's schedule of `day_clinic()`: PLACED booked, w1 unscheduled."""
    facts = ClinicFacts(scenario)
    eligible = eligibility(facts)
    placements = {
        i: Placement(p, start, "injection", room) for i, (p, start, room) in PLACED.items()
    }
    unbooked = unbooked_reasons(facts, eligible.jobs, placements)
    return build_schedule(scenario, eligible.jobs, placements, eligible.escalations, unbooked)


def at(clock: str, day: str = MONDAY) -> datetime:
    """A local time of the clinic, e.g. at("09:40")."""
    return datetime.fromisoformat(f"{day}T{clock}")


def _apply(events: list[Any], now: str, **policies: Any) -> Day:
    scenario = day_clinic(**policies)
    return apply_events(scenario, night_schedule(scenario), events, at(now))


def test_the_night_schedule_is_a_valid_one() -> None:
    scenario = day_clinic()
    schedule = night_schedule(scenario)
    assert check_schedule(scenario, schedule) == []
    assert [r.request_id for r in schedule.booked()] == ["bk", "r1", "r2", "r3", "c1", "t1"]


def test_no_events_change_nothing() -> None:
    day = _apply([], "08:00")
    assert (day.released, day.displaced, day.rescheduled) == ({}, set(), {})
    assert (day.new_requests, day.time_off, day.outages, day.active_days) == ([], {}, [], set())
    assert day.now == 480


# --- cancellations and no-shows ------------------------------------------------------------


def test_a_cancellation_inside_the_notice_is_late_and_one_before_it_is_not() -> None:
    late = _apply([Cancel(booking="r2")], "08:00")
    assert late.released == {"r2": "cancelled_late"}
    assert late.active_days == {0}
    early = _apply([Cancel(booking="r2", at=at("09:00", "2026-12-05"))], "08:00")
    assert early.released == {"r2": "cancelled"}
    short_notice = _apply([Cancel(booking="r2")], "08:00", cancellation_notice_hours=1)
    assert short_notice.released == {"r2": "cancelled"}


def test_a_no_show_releases_the_slot_once_it_has_started() -> None:
    day = _apply([NoShow(booking="r1")], "09:10")
    assert day.released == {"r1": "no_show"}
    assert day.displaced == set()


def test_cancelling_a_consult_displaces_the_treatment_that_relies_on_it() -> None:
    day = _apply([Cancel(booking="c1")], "08:00")
    assert day.released == {"c1": "cancelled_late"}
    assert day.displaced == {"t1"}


def test_cancelling_a_consult_that_does_not_qualify_the_treatment_leaves_the_treatment() -> None:
    scenario = day_clinic()
    data = scenario.model_dump(mode="json")
    data["services"][2]["qualifies"] = ["botox"]  # the consult no longer qualifies treat
    routed = scenario_from_data(data)
    day = apply_events(routed, night_schedule(scenario), [Cancel(booking="c1")], at("08:00"))
    assert day.released == {"c1": "cancelled_late"}
    assert day.displaced == set()


@pytest.mark.parametrize(
    ("event", "now", "message"),
    [
        (Cancel(booking="r1"), "09:10", "before now; too late"),
        (Cancel(booking="nope"), "08:00", "no appointment 'nope'"),
        (Cancel(booking="w1"), "08:00", "'w1' is not booked"),
        (NoShow(booking="r2"), "09:10", "after now; wait"),
        (Reschedule(booking="r1", earliest=TUESDAY, latest=TUESDAY), "09:10", "already started"),
        (ProviderOut(provider="ghost"), "08:00", "provider 'ghost' is unknown"),
        (RunningLate(provider="ghost", minutes=10), "08:00", "provider 'ghost' is unknown"),
        (RoomOrMachineDown(id="spa9"), "08:00", "neither a room nor a machine"),
        (
            ProviderOut.model_validate({"provider": "rn", "from": at("12:00"), "to": at("11:00")}),
            "08:00",
            "ends before it starts",
        ),
    ],
)
def test_an_event_that_cannot_apply_is_refused(event: Any, now: str, message: str) -> None:
    with pytest.raises(EventError, match=message):
        _apply([event], now)


HORIZON = "the scenario's horizon, 2026-12-07 00:00 to 2026-12-09 00:00; write a time within it"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            ProviderOut.model_validate({"provider": "rn", "to": "9999-12-31T23:00"}),
            f"provider_out 'rn': to '9999-12-31T23:00' lies outside {HORIZON}, or leave to out",
        ),
        (
            ProviderOut.model_validate({"provider": "rn", "to": "9999-12-31T23:00-12:00"}),
            "to '9999-12-31T23:00-12:00' lies outside",
        ),
        (
            RoomOrMachineDown.model_validate({"id": "inj1", "from": "0001-01-01T00:00+14:00"}),
            f"room_or_machine_down 'inj1': from '0001-01-01T00:00+14:00' lies outside {HORIZON}",
        ),
        (
            RoomOrMachineDown.model_validate({"id": "ipl", "to": "2026-12-09T00:01"}),
            "to '2026-12-09T00:01' lies outside",
        ),
        (
            Cancel.model_validate({"booking": "r2", "at": "9999-12-31T23:00-12:00"}),
            "cancel 'r2': at '9999-12-31T23:00-12:00' is after now (2026-12-07 08:00)",
        ),
    ],
    ids=["to in year 9999", "with an offset", "from in year 1", "a minute late", "a call ahead"],
)
def test_an_event_time_outside_the_horizon_or_ahead_of_now_is_refused_naming_it(
    event: Any, message: str
) -> None:
    with pytest.raises(EventError) as refused:
        _apply([event], "08:00")
    assert message in str(refused.value)


def test_an_absence_may_last_to_the_end_of_the_horizon_and_a_call_come_before_it() -> None:
    out = ProviderOut.model_validate({"provider": "rn", "to": "2026-12-09T00:00"})
    called = Cancel.model_validate({"booking": "r2", "at": "0001-01-01T00:00+14:00"})
    day = _apply([out, called], "08:00")
    assert [str(absence.hours) for absence in day.time_off["rn"]] == ["08:00-24:00", "00:00-24:00"]
    assert day.released == {"r2": "cancelled"}  # called long before: not late


# --- a provider away ---------------------------------------------------------------------


def test_a_provider_out_displaces_the_hands_on_time_it_covers_and_becomes_time_off() -> None:
    out = ProviderOut.model_validate({"provider": "rn", "from": at("09:45"), "to": at("12:00")})
    day = _apply([out], "08:00")
    assert day.displaced == {"r2"}  # r1 ends at 09:30
    (absence,) = day.time_off["rn"]
    assert (absence.date.isoformat(), str(absence.hours)) == (MONDAY, "09:45-12:00")
    assert day.active_days == {0}


def test_a_provider_out_without_times_is_out_from_now_to_the_end_of_the_day() -> None:
    day = _apply([ProviderOut(provider="md")], "10:40")
    assert day.displaced == {"t1"}  # r3 and c1 already started
    assert str(day.time_off["md"][0].hours) == "10:30-24:00"  # widened to the grid


def test_a_provider_out_while_with_a_patient_leaves_once_the_appointment_ends() -> None:
    day = _apply([ProviderOut(provider="rn")], "09:10")
    assert day.displaced == {"r2"}
    assert str(day.time_off["rn"][0].hours) == "09:30-24:00"  # r1 runs until 09:30


def test_running_late_blocks_the_provider_from_now_for_those_minutes_on_the_grid() -> None:
    day = _apply([RunningLate(provider="rn", minutes=20)], "09:50")
    assert day.displaced == {"r2"}
    assert str(day.time_off["rn"][0].hours) == "09:45-10:15"
    on_time = _apply([RunningLate(provider="rn", minutes=5)], "09:40")
    assert on_time.displaced == set()  # 09:40-09:45 holds nothing of rn's


# --- a room or a machine down --------------------------------------------------------------


def test_a_room_down_displaces_the_stays_it_covers_and_becomes_an_outage() -> None:
    down = RoomOrMachineDown.model_validate({"id": "inj1", "from": at("09:40"), "to": at("11:00")})
    day = _apply([down], "08:00")
    assert day.outages == [Outage("room", "inj1", 580, 660)]
    assert day.displaced == {"r2"}
    assert day.active_days == {0}


def test_a_machine_down_displaces_what_uses_it_after_the_use_under_way_ends() -> None:
    down = RoomOrMachineDown(kind="machine_down", id="ipl")
    day = _apply([down], "10:10")
    assert day.outages == [Outage("machine", "ipl", 630, 1440)]  # r3 keeps it until 10:30
    assert day.displaced == set()  # r3 has begun; nothing else uses the IPL
    earlier = _apply([down], "09:50")
    assert earlier.displaced == {"r3"}
    assert earlier.outages == [Outage("machine", "ipl", 590, 1440)]


def test_one_unit_of_two_goes_down_at_once_while_the_other_is_in_use() -> None:
    data = day_clinic().model_dump(mode="json")
    data["equipment"][0]["count"] = 2
    scenario = scenario_from_data(data)
    down = RoomOrMachineDown(kind="machine_down", id="ipl")
    day = apply_events(scenario, night_schedule(scenario), [down], at("10:10"))
    assert day.outages == [Outage("machine", "ipl", 610, 1440)]


# --- new requests and reschedules ----------------------------------------------------------


def test_a_new_request_and_a_reschedule_are_remembered_for_the_re_plan() -> None:
    new = NewRequest.model_validate(
        {"patient": "p5", "service": "botox", "earliest": MONDAY, "latest": MONDAY}
    )
    move = Reschedule(booking="r2", earliest=TUESDAY, latest=TUESDAY)
    day = _apply([new, move], "08:00")
    assert [r.id for r in day.new_requests] == ["new_p5_botox"]
    assert isinstance(day.new_requests[0], Request)
    assert day.rescheduled == {"r2": move}
    assert day.active_days == {0}


def test_a_cancellation_after_a_reschedule_or_displacement_forgets_them() -> None:
    move = Reschedule(booking="r2", earliest=TUESDAY, latest=TUESDAY)
    day = _apply([move, Cancel(booking="r2")], "08:00")
    assert (day.rescheduled, day.released) == ({}, {"r2": "cancelled_late"})
    out = ProviderOut.model_validate({"provider": "rn", "from": at("09:45"), "to": at("12:00")})
    gone = _apply([out, Cancel(booking="r2")], "08:00")
    assert (gone.displaced, gone.released) == (set(), {"r2": "cancelled_late"})


@pytest.mark.parametrize(
    ("first_day", "appointment", "released"),
    [
        # spring: Saturday 09:30 CST to Sunday 10:00 CDT is 23.5 real hours: late
        ("2026-03-07", 600, "cancelled_late"),
        # autumn: Saturday 09:30 CDT to Sunday 09:00 CST is 23.5 hours on the wall clock but
        # 24.5 real hours: in time, no fee
        ("2026-10-31", 540, "cancelled"),
    ],
    ids=["spring forward", "fall back"],
)
def test_the_notice_of_a_cancellation_is_counted_in_real_hours_across_a_dst_change(
    first_day: str, appointment: int, released: str
) -> None:
    weekend = {"sat": "09:00-17:00", "sun": "09:00-17:00"}
    sunday = (date.fromisoformat(first_day) + timedelta(days=1)).isoformat()
    scenario = mini_clinic(
        clinic={"horizon": {"start": first_day, "days": 2}, "hours": weekend},
        providers=[provider("rn", ["botox"], weekend)],
        requests=[request("r", "p1", "botox", earliest=first_day, latest=sunday)],
    )
    eligible = eligibility(ClinicFacts(scenario))
    on_sunday = {"r": Placement("rn", 1440 + appointment, "injection", "inj1")}
    schedule = build_schedule(scenario, eligible.jobs, on_sunday, [], {})
    saturday = datetime.combine(date.fromisoformat(first_day), time(9, 30))
    day = apply_events(scenario, schedule, [Cancel(booking="r")], saturday)
    assert day.released == {"r": released}
