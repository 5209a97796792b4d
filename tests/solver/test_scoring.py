"""The objective in plain Python: each penalty counted on hand-made placements, and the total
the independent checker recomputes from the built schedule."""

from __future__ import annotations

import pytest

from checker import check_schedule, recompute_objective
from models.scenario import PENALTY_NAMES, Scenario
from solver.eligibility import Job, eligibility
from solver.facts import ClinicFacts
from solver.placement import Placement, Placements
from solver.reasons import unbooked_reasons
from solver.schedule import build_schedule
from solver.scoring import BOOKED_TERM, hands_on_span, objective_terms, total
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

WEIGHTS = {
    "preferred_provider": 3,
    "preferred_time": 5,
    "over_daily_bookings": 7,
    "non_preferred_service": 11,
    "moved_booking": 13,
    "idle_slot": 17,
}
"""Distinct weights, so a term counted under another's name shows."""


def _clinic() -> Scenario:
    return mini_clinic(
        policies={"penalties": WEIGHTS},
        services=[service("botox"), service("filler")],
        providers=[
            provider(
                "rn",
                ["botox", "filler"],
                MINI_WEEK,
                preferences={"max_bookings_per_day": 1, "preferred_services": ["filler"]},
            ),
            provider("md", ["botox"], MINI_WEEK),
        ],
        rooms=[{"id": "inj1", "type": "injection"}, {"id": "inj2", "type": "injection"}],
        patients=[{"id": "p1", "tier": "vip"}, {"id": "p2"}, {"id": "p3"}],
        requests=[
            # with rn at 09:00: not the preferred provider, time or one of rn's services
            request(
                "a",
                "p1",
                "botox",
                latest=TUESDAY,
                preferred_provider="md",
                preferred_times=["13:00-15:00"],
            ),
            # rn's second booking that Monday, 30 idle minutes after a
            request("b", "p2", "filler", latest=TUESDAY),
            # with md on Tuesday inside the preferred time: no penalty
            request("c", "p3", "botox", latest=TUESDAY, preferred_times=["09:00-10:00"]),
            request("unbooked", "p3", "botox", latest=TUESDAY),
        ],
        bookings=[booking("bk", "p2", "botox", "md", "inj1", f"{MONDAY}T11:00", locked=False)],
    )


def _placed(scenario: Scenario) -> tuple[list[Job], Placements]:
    jobs = eligibility(ClinicFacts(scenario)).jobs
    placements = {
        "a": Placement("rn", 540, "injection", "inj1"),
        "b": Placement("rn", 600, "injection", "inj1"),
        "c": Placement("md", 1440 + 585, "injection", "inj1"),
        "bk": Placement("md", 720, "injection", "inj2"),  # moved from 11:00 to 12:00
    }
    return jobs, placements


def test_each_penalty_is_counted_once_at_its_weight() -> None:
    scenario = _clinic()
    terms = objective_terms(scenario, *_placed(scenario))
    assert terms == {
        BOOKED_TERM: 4 * 30 + 30 + 30,  # a is a vip's; bookings earn nothing
        "preferred_provider": 3,
        "preferred_time": 5,
        "over_daily_bookings": 7,
        "non_preferred_service": 11,
        "moved_booking": 13,
        "idle_slot": 2 * 17,
    }
    assert set(terms) == {BOOKED_TERM, *PENALTY_NAMES}
    assert total(terms) == 180 - (3 + 5 + 7 + 11 + 13 + 34)


def test_the_total_is_the_one_the_checker_recomputes_from_the_schedule() -> None:
    scenario = _clinic()
    jobs, placements = _placed(scenario)
    unbooked = unbooked_reasons(ClinicFacts(scenario), jobs, placements)
    schedule = build_schedule(scenario, jobs, placements, [], unbooked)
    assert check_schedule(scenario, schedule) == []
    recomputed = recompute_objective(scenario, schedule)
    terms = objective_terms(scenario, jobs, placements)
    assert recomputed.booked_priority_minutes == terms[BOOKED_TERM]
    assert recomputed.penalties == {k: v for k, v in terms.items() if k != BOOKED_TERM}
    assert recomputed.total == total(terms)


def test_a_booking_left_at_its_place_and_nothing_booked_cost_nothing() -> None:
    scenario = _clinic()
    jobs, _ = _placed(scenario)
    kept = {"bk": Placement("md", 660, "injection", "inj2")}
    assert total(objective_terms(scenario, jobs, kept)) == 0
    assert total(objective_terms(scenario, jobs, {})) == 0


@pytest.mark.parametrize(("minute", "missed"), [(780, 0), (885, 0), (900, 1), (765, 1)])
def test_a_preferred_time_range_holds_its_start_and_not_its_end(minute: int, missed: int) -> None:
    scenario = mini_clinic(
        requests=[request("r", "p1", "botox", latest=TUESDAY, preferred_times=["13:00-15:00"])]
    )
    jobs = eligibility(ClinicFacts(scenario)).jobs
    terms = objective_terms(scenario, jobs, {"r": Placement("rn", minute, "injection", "inj1")})
    assert terms["preferred_time"] == 5 * missed


@pytest.mark.parametrize(
    ("times", "day_parts", "missed"),
    [
        (["afternoon"], {}, 0),
        (["morning"], {}, 1),
        (["Morning"], {"morning": "09:00-14:00"}, 0),
        (["afternoon"], {"afternoon": "14:00-17:00"}, 1),
        (["late"], {"late": ["09:00-10:00", "13:00-13:30"]}, 0),
    ],
)
def test_day_parts_count_as_their_ranges(
    times: list[str], day_parts: dict[str, str | list[str]], missed: int
) -> None:
    scenario = mini_clinic(
        policies={"day_parts": day_parts},
        requests=[request("r", "p1", "botox", latest=TUESDAY, preferred_times=times)],
    )
    jobs = eligibility(ClinicFacts(scenario)).jobs
    terms = objective_terms(scenario, jobs, {"r": Placement("rn", 780, "injection", "inj1")})
    assert terms["preferred_time"] == 5 * missed


def test_processing_between_hands_on_parts_is_idle_time_of_the_provider() -> None:
    scenario = mini_clinic(
        services=[service("botox", duration=30, processing=45, finish=15)],
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
    )
    (job,) = eligibility(ClinicFacts(scenario)).jobs
    assert hands_on_span(job, 540) == (540, 630, 45)
    placements = {"r": Placement("rn", 540, "injection", "inj1")}
    terms = objective_terms(scenario, [job], placements)
    assert terms["idle_slot"] == 3  # 45 minutes of processing on a 15-minute grid, weight 1
    schedule = build_schedule(scenario, [job], placements, [], {})
    assert recompute_objective(scenario, schedule).penalties["idle_slot"] == 3
