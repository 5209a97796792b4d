"""Ranking: the option that fills an idle gap, or meets the preferred provider or time, comes
first; ties go to the earlier start; each option's terms say what the slot changes."""

from __future__ import annotations

from datetime import date

from solver.slots import ranked
from tests.conftest import MONDAY, booking, mini_clinic, patients, provider
from tests.solver.slots.planted import TWO_PROVIDERS, TWO_ROOMS, call_on, gap_clinic, monday


def test_the_opening_that_fills_an_idle_gap_ranks_first() -> None:
    scenario = gap_clinic()
    options = ranked(call_on(scenario, "p3"), top=10).options
    first = options[0]
    assert (first.provider_id, first.start) == ("rn", monday(scenario, 9, 30))
    # the 30 minutes between b1 and b2 are two idle 15-minute slots, now filled
    assert first.terms == {"booked_priority_minutes": 30, "idle_slot": -2}
    assert first.change == 32
    assert all(o.change == 30 for o in options[1:])
    assert {o.provider_id for o in options[1:]} == {"rn", "md"}


def test_the_preferred_provider_ranks_first_and_the_other_carries_its_cost() -> None:
    scenario = mini_clinic(providers=TWO_PROVIDERS, rooms=TWO_ROOMS)
    options = ranked(call_on(scenario, "p1", preferred_provider="md")).options
    assert [(o.provider_id, o.start) for o in options] == [
        ("md", monday(scenario, 9)),
        ("rn", monday(scenario, 9)),
    ]
    assert options[0].terms == {"booked_priority_minutes": 30}
    assert options[1].terms == {"booked_priority_minutes": 30, "preferred_provider": 10}
    assert options[1].change == options[0].change - 10


def test_a_start_in_the_preferred_times_ranks_before_an_earlier_one_outside() -> None:
    scenario = mini_clinic(
        providers=[
            provider("rn", ["botox"], {"mon": "09:00-12:00"}),
            provider("md", ["botox"], {"mon": "13:00-17:00"}, role="md"),
        ],
        rooms=TWO_ROOMS,
    )
    first, second = ranked(call_on(scenario, "p1", preferred_times=["14:00-16:00"])).options
    assert (first.provider_id, first.start) == ("md", monday(scenario, 14))
    assert (second.provider_id, second.start) == ("rn", monday(scenario, 9))
    assert first.terms == {"booked_priority_minutes": 30}
    assert second.terms == {"booked_priority_minutes": 30, "preferred_time": 5}
    assert (first.change, second.change) == (30, 25)


def test_equal_options_go_to_the_earlier_start() -> None:
    scenario = mini_clinic(
        patients=patients(["p1", "p2"]),
        bookings=[booking("b", "p1", "botox", "rn", "inj1", f"{MONDAY}T10:00")],
    )
    call = call_on(scenario, "p2", days=(date(2026, 12, 7), date(2026, 12, 8)))
    options = ranked(call).options
    # next to b before it, next to b after it, and the empty Tuesday: all +30, earliest first
    assert [o.start for o in options] == [
        monday(scenario, 9, 30),
        monday(scenario, 10, 30),
        monday(scenario, 9).replace(day=8),
    ]
    assert {o.change for o in options} == {30}
    assert all(o.terms == {"booked_priority_minutes": 30} for o in options)
