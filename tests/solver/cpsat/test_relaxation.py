"""The capacity rows' linear relaxation: a valid upper bound, and tighter than booking everyone."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from ortools.linear_solver import pywraplp

from models.scenario import PENALTY_NAMES, Scenario
from scenarios.generator import generate_scenario
from solver.cpsat.relaxation import (
    _Relaxation,
    booked_minutes_bound,
    capacity_rows,
    sure_penalties,
)
from solver.eligibility import Job, eligibility
from solver.facts import ClinicFacts
from solver.solve import solve
from tests.conftest import (
    MINI_WEEK,
    MONDAY,
    booking,
    mini_clinic,
    patients,
    provider,
    request,
)
from tests.solver.test_solve import TINY_CASES, _brute_force, _tiny, switched_clinics


def _relaxed(scenario: Scenario, jobs: list[Job]) -> int | None:
    facts = ClinicFacts(scenario)
    return booked_minutes_bound(scenario, jobs, capacity_rows(facts, jobs), seconds=10.0)


def test_the_bound_of_a_fractional_knapsack_is_its_lp_optimum() -> None:
    lp = _Relaxation()
    a, b = lp.column(("a", 0), 3), lp.column(("b", 0), 2)
    lp.row([(a, 1)], 0, 1)
    lp.row([(b, 1)], 0, 1)
    lp.row([(a, 2), (b, 1)], float("-inf"), 2)  # b whole (ratio 2), then half of a
    assert lp.bound(seconds=10.0) == 3  # 3.5 rounded down: the objective is whole


def test_a_row_that_must_be_kept_counts_in_the_bound() -> None:
    lp = _Relaxation()
    a, b = lp.column(("a", 0), 0), lp.column(("b", 0), 5)
    lp.row([(a, 1)], 1, 1)  # a booking: a stays on the calendar and earns nothing
    lp.row([(b, 1)], 0, 1)
    lp.row([(a, 3), (b, 2)], float("-inf"), 4)  # a leaves room for half of b
    assert lp.bound(seconds=10.0) == 2


@pytest.mark.parametrize("case", TINY_CASES)
def test_the_bound_is_at_least_the_brute_force_optimum(case: str) -> None:
    requests, service_extra = TINY_CASES[case]
    scenario = _tiny(requests, **service_extra)
    result = solve(scenario, time_limit=2.0, num_workers=1, seed=0, deterministic=True)
    relaxed = _relaxed(scenario, result.jobs)
    assert relaxed is not None and relaxed >= _brute_force(scenario)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clinic=switched_clinics())
def test_no_schedule_found_beats_the_bound(clinic: tuple[Scenario, int]) -> None:
    scenario, seed = clinic
    result = solve(scenario, time_limit=0.5, num_workers=1, seed=seed, deterministic=True)
    relaxed = _relaxed(scenario, result.jobs)
    assert relaxed is not None and relaxed >= result.report.objective
    assert result.report.best_bound <= relaxed


@pytest.mark.slow
def test_on_a_full_week_the_bound_is_well_below_booking_everyone() -> None:
    scenario = generate_scenario(requests=300, providers=8, days=5, seed=2)
    result = solve(scenario, time_limit=1.0, num_workers=1, seed=0, deterministic=True)
    everything = sum(j.weight * j.service.length for j in result.jobs if j.request is not None)
    relaxed = _relaxed(scenario, result.jobs)
    assert relaxed is not None and relaxed < 0.9 * everything
    assert result.report.objective <= result.report.best_bound <= relaxed


def test_an_lp_cut_short_gives_no_bound_rather_than_a_wrong_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = generate_scenario(requests=300, providers=8, days=5, seed=2)
    result = solve(scenario, time_limit=0.5, num_workers=1, seed=0, deterministic=True)
    monkeypatch.setattr(pywraplp.Solver, "Solve", lambda _: pywraplp.Solver.NOT_SOLVED)
    assert _relaxed(scenario, result.jobs) is None


def test_the_penalties_each_candidate_surely_pays_tighten_the_bound() -> None:
    scenario = generate_scenario(150, 6, 5, seed=0)
    facts = ClinicFacts(scenario)
    jobs = eligibility(facts).jobs
    rows = capacity_rows(facts, jobs)
    weights = scenario.policies.penalties
    for job in jobs:
        wanted = job.request.preferred_provider if job.request is not None else None
        for candidate in job.candidates:
            if wanted and candidate.provider_id != wanted:
                assert sure_penalties(scenario, job, candidate) >= weights.preferred_provider
    no_penalties = weights.model_copy(update=dict.fromkeys(PENALTY_NAMES, 0))
    policies = scenario.policies.model_copy(update={"penalties": no_penalties})
    free = scenario.model_copy(update={"policies": policies})
    with_penalties = booked_minutes_bound(scenario, jobs, rows, seconds=10.0)
    without = booked_minutes_bound(free, jobs, rows, seconds=10.0)
    assert with_penalties is not None and without is not None
    assert with_penalties < without


def test_bookings_over_a_daily_cap_pay_their_penalty_in_the_bound() -> None:
    capped = provider("rn", ["botox"], MINI_WEEK, preferences={"max_bookings_per_day": 1})
    scenario = mini_clinic(
        providers=[capped],
        patients=patients(["p1", "p2", "p3"]),
        requests=[request(f"r{i}", f"p{i}", "botox") for i in (1, 2, 3)],
        policies={"penalties": {"over_daily_bookings": 20}},
    )
    jobs = eligibility(ClinicFacts(scenario)).jobs
    assert _relaxed(scenario, jobs) == 3 * 30 - 2 * 20  # the optimum: all three, two over
    uncapped = mini_clinic(
        patients=patients(["p1", "p2", "p3"]),
        requests=[request(f"r{i}", f"p{i}", "botox") for i in (1, 2, 3)],
    )
    assert _relaxed(uncapped, eligibility(ClinicFacts(uncapped)).jobs) == 3 * 30
    result = solve(scenario, time_limit=1.0, num_workers=1, seed=0, deterministic=True)
    assert result.report.objective == 3 * 30 - 2 * 20


def test_a_booking_that_stays_counts_towards_the_daily_cap_in_the_bound() -> None:
    capped = provider("rn", ["botox"], MINI_WEEK, preferences={"max_bookings_per_day": 1})
    scenario = mini_clinic(
        providers=[capped],
        patients=patients(["p1", "p2", "p3"]),
        requests=[request(f"r{i}", f"p{i}", "botox") for i in (1, 2)],
        bookings=[booking("b", "p3", "botox", "rn", "inj1", f"{MONDAY}T09:00", locked=True)],
        policies={"penalties": {"over_daily_bookings": 20}},
    )
    jobs = eligibility(ClinicFacts(scenario)).jobs
    best = 2 * 30 - 2 * 20  # both requests beside the booking, each one over the cap
    assert _relaxed(scenario, jobs) == best
    result = solve(scenario, time_limit=1.0, num_workers=1, seed=0, deterministic=True)
    assert result.report.objective == best
