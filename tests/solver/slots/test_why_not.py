"""Why not then? A planted booking holding the provider is named, with the fewest bookings to
move when it may move and why not when it may not; a time outside the provider's hours, off
the grid, already past, outside the window, the horizon or the provider's days gets its own
rule and words; a free time says so with the change."""

from __future__ import annotations

from datetime import date, datetime

from models.scenario import Scenario
from solver.slots.why_not import Verdict, why_not
from tests.conftest import MONDAY, TUESDAY, booking, mini_clinic, patients, provider
from tests.solver.slots.planted import TWO_ROOMS, call_on, monday


def _clinic(locked: bool) -> Scenario:
    """rn works Monday 09:00-12:00 and has b (p1) at 10:00-10:30; md works Tuesday."""
    return mini_clinic(
        providers=[
            provider("rn", ["botox"], {"mon": "09:00-12:00"}),
            provider("md", ["botox"], {"tue": "09:00-17:00"}, role="md"),
        ],
        rooms=TWO_ROOMS,
        patients=patients(["p1", "p2"]),
        bookings=[booking("b", "p1", "botox", "rn", "inj1", f"{MONDAY}T10:00", locked=locked)],
    )


def _verdict(
    scenario: Scenario, hour: int, minute: int = 0, now: datetime | None = None
) -> Verdict:
    """rn's verdict on Monday at hour:minute for p2's call (made at `now`)."""
    at = monday(scenario, hour, minute)
    (verdict,) = why_not(call_on(scenario, "p2", now=now), at, "rn").verdicts
    return verdict


def test_a_booking_holding_the_provider_is_named_with_the_move_that_frees_it() -> None:
    verdict = _verdict(_clinic(locked=False), 10, 15)
    assert verdict.rule == "provider"
    assert verdict.blocking == ["b"]
    assert verdict.smallest == ["b"]
    assert verdict.words == (
        "rn is with b (p1, botox 10:00-10:30); moving b (p1, botox 10:00-10:30) would free it"
    )
    assert verdict.option is None


def test_a_locked_booking_is_named_and_said_not_to_move_and_why() -> None:
    verdict = _verdict(_clinic(locked=True), 10)
    assert verdict.rule == "provider"
    assert verdict.blocking == ["b"]
    assert verdict.smallest == []
    assert verdict.words.endswith("b may not move (the clinic locked it)")


def test_a_free_time_says_free_with_the_change_of_booking_it() -> None:
    scenario = _clinic(locked=False)
    verdict = _verdict(scenario, 10, 30)
    assert verdict.rule == "free"
    assert verdict.option is not None
    assert verdict.option.start == monday(scenario, 10, 30)
    assert verdict.option.change == 30
    assert verdict.words == "free: booking it there changes the objective by +30 (booked +30)"


def test_a_time_outside_the_providers_hours_names_them_and_the_starts_there_are() -> None:
    verdict = _verdict(_clinic(locked=False), 11, 45)
    assert verdict.rule == "hours"
    assert (
        "a 30-minute botox from 11:45 to 12:15 does not fit rn's hours that day (09:00-12:00"
        in (verdict.words)
    )
    assert verdict.words.endswith("rn can start it at 09:00-11:30")


def test_a_time_off_the_grid_names_the_slots_either_side() -> None:
    # 09:07 lies between two free starts of rn's: it is still not offered
    verdict = _verdict(_clinic(locked=False), 9, 7)
    assert verdict.rule == "grid"
    assert verdict.words == "the clinic books on 15-minute slots: try 09:00 or 09:15"
    assert verdict.option is None
    # and between two starts the provider is busy at
    assert _verdict(_clinic(locked=False), 10, 10).rule == "grid"


def test_a_time_before_the_call_is_past() -> None:
    scenario = _clinic(locked=False)
    verdict = _verdict(scenario, 9, 30, now=monday(scenario, 11))
    assert verdict.rule == "past"
    assert "already past" in verdict.words


def test_a_day_outside_the_window_the_horizon_or_the_providers_days() -> None:
    scenario = _clinic(locked=False)
    tuesday = monday(scenario, 10).replace(day=8)
    call = call_on(scenario, "p2")  # Monday only
    (outside,) = why_not(call, tuesday, "rn").verdicts
    assert outside.rule == "window"
    assert outside.words == f"the patient asked for {MONDAY} to {MONDAY}"
    (beyond,) = why_not(call, tuesday.replace(day=9), "rn").verdicts
    assert beyond.rule == "horizon"
    assert beyond.words == f"the schedule covers {MONDAY} to {TUESDAY} only"
    both = call_on(scenario, "p2", days=(date(2026, 12, 7), date(2026, 12, 8)))
    (off,) = why_not(both, tuesday, "rn").verdicts
    assert (off.rule, off.words) == ("provider_not_working", "works Mon only")
    (md,) = why_not(both, tuesday, "md").verdicts
    assert md.rule == "free"


def test_every_permitted_provider_gets_a_verdict_unless_one_is_named() -> None:
    scenario = _clinic(locked=False)
    answer = why_not(call_on(scenario, "p2"), monday(scenario, 10))
    assert [(v.provider_id, v.rule) for v in answer.verdicts] == [
        ("rn", "provider"),
        ("md", answer.verdicts[1].rule),
    ]
    assert answer.verdicts[1].rule not in ("free", "provider")
