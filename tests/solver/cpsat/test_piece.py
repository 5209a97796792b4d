"""A neighbourhood piece as a model of its own: the incumbent is one of its solutions, what it
pins stays put, and what it finds is a schedule the whole model accepts."""

from __future__ import annotations

import pytest

from models.scenario import Scenario
from models.times import MINUTES_PER_DAY
from scenarios.generator import generate_scenario
from solver.cpsat.model import ScheduleModel
from solver.cpsat.params import SearchParams
from solver.cpsat.relaxation import capacity_rows
from solver.cpsat.search import Budget, Incumbent, NeighbourhoodSearch, complete
from solver.eligibility import eligibility
from solver.facts import ClinicFacts
from solver.scoring import objective_terms, total
from solver.solve import _floor

PARAMS = SearchParams(piece_seconds=0.2)


def _start(scenario: Scenario, max_moves: int | None = None) -> tuple[ScheduleModel, Incumbent]:
    facts = ClinicFacts(scenario)
    jobs, greedy, _ = _floor(facts, eligibility(facts).jobs)
    built = ScheduleModel(facts, jobs, capacity_rows(facts, jobs), max_moves)
    return built, complete(built, built.decisions(greedy))


CLINICS = {
    "visits, series and consults": generate_scenario(160, 5, 4, seed=7),
    "routed consults": generate_scenario(140, 4, 4, seed=3, consult_routing=True),
}


@pytest.mark.parametrize("name", CLINICS)
def test_the_incumbent_is_a_solution_of_every_piece_and_scores_the_same(name: str) -> None:
    built, incumbent = _start(CLINICS[name])
    search = NeighbourhoodSearch(built, 5, PARAMS)
    for _ in range(25):
        freed, days = search.neighbourhood(incumbent)
        piece = search.pieces.piece(incumbent.placements, freed, days)
        own = {
            j.id: incumbent.placements[j.id]
            for j in piece.built.jobs
            if j.id in incumbent.placements
        }
        assert complete(piece.built, piece.built.decisions(own)).objective == piece.before
        assert freed - piece.freed <= {j.id for j in built.jobs if j.request and j.request.visit}


@pytest.mark.slow
@pytest.mark.parametrize("name", CLINICS)
def test_pieces_improve_a_schedule_the_whole_model_accepts(name: str) -> None:
    scenario = CLINICS[name]
    built, incumbent = _start(scenario)
    search = NeighbourhoodSearch(built, 2, PARAMS)
    budget = Budget(60.0, True, PARAMS)
    start = incumbent.objective
    for _ in range(15):
        freed, days = search.neighbourhood(incumbent)
        found, *_ = search.replan(incumbent, freed, days, budget)
        assert found is not None
        for job_id, placement in incumbent.placements.items():  # only freed jobs move
            if job_id not in freed:
                assert found.placements[job_id] == placement
        for job_id in freed & found.placements.keys():
            placement = found.placements[job_id]
            assert (placement.provider_id, placement.start // MINUTES_PER_DAY) in days
        assert found.objective == total(objective_terms(scenario, built.jobs, found.placements))
        if found.objective > incumbent.objective:
            incumbent = found
    assert incumbent.objective > start
    whole = complete(built, built.decisions(incumbent.placements))  # every hard rule holds
    assert whole.objective == incumbent.objective


def test_a_piece_leaves_room_only_for_the_moves_the_cap_has_left() -> None:
    scenario = generate_scenario(120, 4, 3, seed=2)
    built, incumbent = _start(scenario, max_moves=1)
    bookings = [job for job in built.jobs if job.request is None and not job.locked]
    assert len(bookings) >= 2
    search = NeighbourhoodSearch(built, 0, PARAMS)
    moved_one = dict(incumbent.placements)
    first = bookings[0]
    moved_one[first.id] = incumbent.placements[first.id]
    freed = {bookings[1].id}
    placement = incumbent.placements[bookings[1].id]
    days = {(placement.provider_id, placement.start // MINUTES_PER_DAY)}
    assert search.pieces.piece(incumbent.placements, freed, days).built.max_moves == 1
    original = incumbent.placements[first.id]
    elsewhere = type(original)(original.provider_id, original.start + 15, original.room_type)
    moved_one[first.id] = elsewhere
    assert search.pieces.piece(moved_one, freed, days).built.max_moves == 0
