"""The neighbourhood search: what one piece may change, and that pieces find improvements."""

from __future__ import annotations

from models.times import MINUTES_PER_DAY
from scenarios.generator import generate_scenario
from solver.eligibility import eligibility
from solver.model import ScheduleModel
from solver.search import Budget, Incumbent, NeighbourhoodSearch, complete
from solver.solve import _floor


def _start() -> tuple[ScheduleModel, Incumbent]:
    scenario = generate_scenario(requests=120, providers=5, days=3, seed=4)
    jobs, greedy, _ = _floor(scenario, eligibility(scenario).jobs)
    built = ScheduleModel(scenario, jobs)
    return built, complete(built, built.decisions(greedy))


def test_a_piece_moves_only_freed_jobs_and_only_onto_the_freed_provider_days() -> None:
    built, incumbent = _start()
    search = NeighbourhoodSearch(built, seed=0)
    budget = Budget(seconds=30.0, deterministic=True)
    improvements = 0
    for _ in range(12):
        freed, days = search.neighbourhood(incumbent)
        found, _ = search.replan(incumbent, freed, days, budget)
        assert found is not None  # the incumbent itself is always a solution of the piece
        assert found.objective >= incumbent.objective
        before, after = built.placements(incumbent.values), built.placements(found.values)
        for job in built.jobs:
            if job.id not in freed:
                assert after.get(job.id) == before.get(job.id), job.id
            elif job.id in after:
                placement = after[job.id]
                assert (placement.provider_id, placement.start // MINUTES_PER_DAY) in days
        improvements += found.objective > incumbent.objective
        incumbent = found
    assert improvements > 0


def test_a_neighbourhood_frees_what_is_booked_on_its_provider_days() -> None:
    built, incumbent = _start()
    search = NeighbourhoodSearch(built, seed=1)
    placements = built.placements(incumbent.values)
    freed, days = search.neighbourhood(incumbent)
    assert days
    for job_id, placement in placements.items():
        if (placement.provider_id, placement.start // MINUTES_PER_DAY) in days:
            assert job_id in freed
