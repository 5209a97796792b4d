"""The front desk's schedule is only a start: when the model rejects it, solve() says which rule
disagrees and never returns it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

import solver.solve as solve_module
from checker import check_schedule
from models.scenario import Scenario
from scenarios.generator import generate_scenario
from solver.cpsat.model import ScheduleModel
from solver.cpsat.relaxation import capacity_rows
from solver.cpsat.search import Incumbent, complete
from solver.eligibility import Job, eligibility
from solver.facts import ClinicFacts
from solver.greedy import greedy_schedule, most_valuable_first
from solver.interrupt import Stop
from solver.placement import Placement, Placements
from solver.scoring import objective_terms, total
from solver.solve import ModelDisagreement, solve


@pytest.fixture
def clinic() -> Scenario:
    return generate_scenario(requests=40, providers=2, days=2, seed=3)


def _fits(job: Job, provider_id: str, start: int) -> bool:
    return any(
        c.provider_id == provider_id and any(low <= start <= high for low, high in c.starts)
        for c in job.candidates
    )


DOUBLE_BOOKED: dict[str, Placement] = {}
"""The request the bad front desk moved, and where to."""


def _double_booking(facts: ClinicFacts, jobs: list[Job]) -> Placements:
    """The real front desk's schedule with one request moved onto another's provider and start."""
    placements = greedy_schedule(facts, jobs)
    requests = [job for job in jobs if job.id in placements and job.request is not None]
    for first in requests:
        taken = placements[first.id]
        for second in requests:
            if second is not first and _fits(second, taken.provider_id, taken.start):
                moved = dataclasses.replace(
                    placements[second.id], provider_id=taken.provider_id, start=taken.start
                )
                placements[second.id] = moved
                DOUBLE_BOOKED[second.id] = moved
                return placements
    raise AssertionError("the clinic has no two requests that could share a start")


def test_a_front_desk_schedule_the_model_rejects_is_named_and_never_returned(
    clinic: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    DOUBLE_BOOKED.clear()
    monkeypatch.setattr(solve_module, "greedy_schedule", _double_booking)
    result = solve(clinic, time_limit=1.0, num_workers=1, seed=0, deterministic=True)
    assert result.report.notes == [
        "the front desk's schedule breaks the model's rule 'provider one thing at a time'; "
        "the search started from the existing bookings alone"
    ]
    assert check_schedule(clinic, result.schedule) == []
    assert result.report.status != "greedy"
    ((second, moved),) = DOUBLE_BOOKED.items()
    returned = result.placements.get(second)
    assert returned is None or (returned.provider_id, returned.start) != (
        moved.provider_id,
        moved.start,
    )


def test_a_model_that_rejects_even_the_existing_bookings_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clinic = generate_scenario(requests=60, providers=3, days=2, seed=1)
    assert any(b.locked for b in clinic.bookings)

    def moved_booking(facts: ClinicFacts, jobs: list[Job]) -> Placements:
        placements = greedy_schedule(facts, jobs)
        locked = next(job for job in jobs if job.locked and job.id in placements)
        here = placements[locked.id]
        placements[locked.id] = dataclasses.replace(here, start=here.start + facts.grid)
        return placements

    monkeypatch.setattr(solve_module, "greedy_schedule", moved_booking)
    with pytest.raises(ModelDisagreement, match="'one provider, day, start and room each'"):
        solve(clinic, time_limit=1.0, num_workers=1, seed=0, deterministic=True)


def test_a_sound_front_desk_schedule_leaves_no_note(clinic: Scenario) -> None:
    result = solve(clinic, time_limit=0.5, num_workers=1, seed=0, deterministic=True)
    assert result.report.notes == []
    assert result.report.objective >= result.report.greedy_objective


def test_the_search_starts_from_the_most_valuable_first_schedule_when_it_is_worth_more() -> None:
    clinic = generate_scenario(requests=300, providers=6, days=3, seed=2)
    facts = ClinicFacts(clinic)
    jobs, front_desk, _ = solve_module._floor(facts, eligibility(facts).jobs)
    valued = most_valuable_first(facts, jobs)
    worth = {
        name: total(objective_terms(clinic, jobs, p))
        for name, p in (("front desk", front_desk), ("valued", valued))
    }
    assert worth["valued"] > worth["front desk"]  # the clinic shows the difference
    result = solve(clinic, time_limit=0.2, num_workers=1, seed=0, deterministic=True)
    report = result.report
    assert report.greedy_objective == worth["front desk"]  # the baseline stays the front desk
    assert report.progress[0].objective == worth["valued"]
    assert report.objective >= worth["valued"] and report.status != "greedy"
    assert check_schedule(clinic, result.schedule) == []


def test_a_most_valuable_first_schedule_the_model_rejects_is_named_and_unused(
    clinic: Scenario,
) -> None:
    DOUBLE_BOOKED.clear()
    facts = ClinicFacts(clinic)
    jobs, front_desk, _ = solve_module._floor(facts, eligibility(facts).jobs)
    built = ScheduleModel(facts, jobs, capacity_rows(facts, jobs))
    start = complete(built, built.decisions(front_desk))
    worth_little = Incumbent(start.placements, -(10**9))  # anything is worth more
    notes: list[str] = []
    chosen = solve_module._better_start(
        built, worth_little, _double_booking(facts, jobs), notes, Stop()
    )
    assert chosen is worth_little
    assert notes == [
        "the most-valuable-first schedule breaks the model's rule 'provider one thing at a "
        "time'; unused"
    ]


def test_a_stop_while_the_second_start_is_made_returns_the_front_desk_schedule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clinic = generate_scenario(requests=300, providers=6, days=3, seed=2)  # valued is worth more
    stop = Stop()
    booked_before_the_stop: list[int] = []

    def stopped_while_booking(
        facts: ClinicFacts, jobs: list[Job], until: Callable[[], bool]
    ) -> Placements:
        stop.request()  # a Ctrl-C now: the desk books no more requests
        placements = most_valuable_first(facts, jobs, until)
        booked_before_the_stop.append(
            sum(job.request is not None for job in jobs if job.id in placements)
        )
        return placements

    monkeypatch.setattr(solve_module, "most_valuable_first", stopped_while_booking)
    result = solve(clinic, time_limit=30.0, num_workers=1, seed=0, stop=stop)
    report = result.report
    assert booked_before_the_stop == [0]
    assert report.status == "interrupted" and report.notes == []
    assert report.objective == report.greedy_objective  # the front desk's, no search
    assert check_schedule(clinic, result.schedule) == []
