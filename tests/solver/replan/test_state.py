"""state_scenario: the day after the events as a scenario: bookings (released ones kept with
their status), displaced and rescheduled appointments as requests, time off and outages."""

from __future__ import annotations

from typing import Any

import pytest

from models.events import Cancel, NewRequest, ProviderOut, Reschedule, RoomOrMachineDown
from models.loader import scenario_from_data
from models.scenario import Scenario
from solver.replan.events import EventError, apply_events
from solver.replan.state import DISPLACED_PRIORITY_FACTOR, state_scenario
from tests.conftest import MONDAY, TUESDAY, booking
from tests.solver.replan.test_events import at, day_clinic, night_schedule


def _state(events: list[Any], now: str, scenario: Scenario | None = None) -> Scenario:
    scenario = scenario or day_clinic()
    return state_scenario(apply_events(scenario, night_schedule(scenario), events, at(now)))


def _bookings(state: Scenario) -> dict[str, tuple[str, bool]]:
    return {b.id: (b.status, b.locked) for b in state.bookings}


def test_what_is_on_the_calendar_becomes_bookings_and_the_rest_stays_requested() -> None:
    state = _state([Cancel(booking="r2")], "09:10")
    assert [r.id for r in state.requests] == ["w1"]
    assert _bookings(state) == {
        "bk": ("confirmed", True),  # Tuesday: nothing happened on it
        "r1": ("confirmed", True),  # under way
        "r2": ("cancelled_late", False),  # kept, with its status
        "r3": ("confirmed", False),  # ahead today: may move
        "c1": ("confirmed", True),
        "t1": ("confirmed", False),
    }
    r3 = next(b for b in state.bookings if b.id == "r3")
    assert (r3.patient, r3.service, r3.provider, r3.room) == ("p3", "laser", "md", "inj2")
    assert r3.start.isoformat() == f"{MONDAY}T10:00:00"


def test_a_booking_released_before_stays_in_the_state_with_its_status() -> None:
    data = day_clinic().model_dump(mode="json")
    data["bookings"].append(
        booking(
            "old", "p1", "botox", "rn", "inj1", f"{MONDAY}T15:00", status="no_show", locked=False
        )
    )
    state = _state([], "08:00", scenario_from_data(data))
    old = next(b for b in state.bookings if b.id == "old")
    assert (old.status, old.locked, old.start.isoformat()) == (
        "no_show",
        False,
        f"{MONDAY}T15:00:00",
    )


def test_a_displaced_appointment_is_a_same_day_request_that_goes_first() -> None:
    out = ProviderOut.model_validate({"provider": "rn", "from": at("09:45"), "to": at("12:00")})
    state = _state([out], "08:00")
    assert "r2" not in {b.id for b in state.bookings}
    displaced = next(r for r in state.requests if r.id == "r2")
    assert (displaced.earliest.isoformat(), displaced.latest.isoformat()) == (MONDAY, MONDAY)
    assert displaced.preferred_provider == "rn"
    assert [str(t) for t in displaced.preferred_times] == ["10:00-10:15"]
    assert displaced.priority == 4 * DISPLACED_PRIORITY_FACTOR  # the vip weight, times ten
    assert (displaced.deposit_paid, displaced.source) == (True, "reschedule")
    rn = state.provider("rn")
    assert [(t.date.isoformat(), str(t.hours)) for t in rn.time_off] == [(MONDAY, "09:45-12:00")]
    assert state.provider("md").time_off == []


def test_a_displaced_patient_outweighs_the_heaviest_tier_of_the_policy() -> None:
    scenario = day_clinic(tier_weights={"vip": 9})
    out = ProviderOut.model_validate({"provider": "rn", "from": at("09:45"), "to": at("12:00")})
    state = _state([out], "08:00", scenario)
    assert next(r for r in state.requests if r.id == "r2").priority == 90


def test_a_rescheduled_appointment_is_a_request_in_its_new_window() -> None:
    move = Reschedule(booking="r2", earliest=TUESDAY, latest=TUESDAY)
    state = _state([move], "08:00")
    moved = next(r for r in state.requests if r.id == "r2")
    assert (moved.earliest.isoformat(), moved.latest.isoformat()) == (TUESDAY, TUESDAY)
    assert (moved.patient, moved.service, moved.source, moved.deposit_paid) == (
        "p2",
        "botox",
        "reschedule",
        True,
    )
    assert moved.visit is None
    assert "r2" not in {b.id for b in state.bookings}


def test_a_room_down_is_an_out_of_service_span_and_a_new_request_is_added() -> None:
    down = RoomOrMachineDown.model_validate({"id": "inj1", "from": at("09:40"), "to": at("11:00")})
    new = NewRequest.model_validate(
        {"patient": "p5", "service": "botox", "earliest": MONDAY, "latest": MONDAY}
    )
    state = _state([down, new], "08:00")
    (span,) = next(r for r in state.rooms if r.id == "inj1").out_of_service
    assert (span.start.isoformat(), span.end.isoformat()) == (
        f"{MONDAY}T09:40:00",
        f"{MONDAY}T11:00:00",
    )
    assert next(r for r in state.rooms if r.id == "inj2").out_of_service == []
    assert [r.id for r in state.requests] == ["r2", "w1", "new_p5_botox"]


def test_a_machine_down_is_an_out_of_service_span_of_the_machine() -> None:
    state = _state([RoomOrMachineDown(kind="machine_down", id="ipl")], "10:10")
    (span,) = state.equipment[0].out_of_service
    assert (span.start.isoformat(), span.end.isoformat()) == (
        f"{MONDAY}T10:30:00",
        f"{TUESDAY}T00:00:00",
    )


def test_a_state_that_is_not_a_valid_scenario_is_an_event_error() -> None:
    stranger = NewRequest.model_validate(
        {"patient": "p99", "service": "botox", "earliest": MONDAY, "latest": MONDAY}
    )
    with pytest.raises(EventError, match="unknown patient 'p99'"):
        _state([stranger], "08:00")


def test_day_parts_stay_as_written_and_mean_the_same_in_the_state() -> None:
    data = day_clinic(day_parts={"lunch": "12:00-13:00"}).model_dump(mode="json")
    data["requests"][-1]["preferred_times"] = ["Lunch", "am"]  # w1, still waiting
    scenario = scenario_from_data(data)
    state = _state([Cancel(booking="r2")], "09:10", scenario)
    waiting = next(r for r in state.requests if r.id == "w1")
    assert waiting.preferred_times == ["Lunch", "am"]
    assert waiting.preferred_ranges == scenario.requests[-1].preferred_ranges
    assert [str(r) for r in waiting.preferred_ranges] == ["12:00-13:00", "00:00-12:00"]
