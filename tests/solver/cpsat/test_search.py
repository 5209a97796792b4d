"""The neighbourhood search: what one piece may change, and that pieces find improvements."""

from __future__ import annotations

import dataclasses

import pytest
from ortools.sat.python import cp_model

from models.times import MINUTES_PER_DAY
from scenarios.generator import generate_scenario
from solver.cpsat.model import ScheduleModel
from solver.cpsat.params import SearchParams
from solver.cpsat.relaxation import capacity_rows
from solver.cpsat.search import (
    Budget,
    Incumbent,
    NeighbourhoodSearch,
    SharedIncumbent,
    _in_parallel,
    _WholeModelRun,
    complete,
)
from solver.eligibility import eligibility
from solver.facts import ClinicFacts
from solver.solve import _floor

PARAMS = SearchParams()


def _start() -> tuple[ScheduleModel, Incumbent]:
    scenario = generate_scenario(requests=120, providers=5, days=3, seed=4)
    facts = ClinicFacts(scenario)
    jobs, greedy, _ = _floor(facts, eligibility(facts).jobs)
    built = ScheduleModel(facts, jobs, capacity_rows(facts, jobs))
    return built, complete(built, built.decisions(greedy))


@pytest.mark.slow
def test_a_piece_moves_only_freed_jobs_and_only_onto_the_freed_provider_days() -> None:
    built, incumbent = _start()
    search = NeighbourhoodSearch(built, 0, PARAMS)
    budget = Budget(30.0, True, PARAMS)
    improvements = 0
    for _ in range(12):
        freed, days = search.neighbourhood(incumbent)
        found, *_ = search.replan(incumbent, freed, days, budget)
        assert found is not None  # the incumbent itself is always a solution of the piece
        assert found.objective >= incumbent.objective
        before, after = incumbent.placements, found.placements
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
    search = NeighbourhoodSearch(built, 1, PARAMS)
    placements = incumbent.placements
    freed, days = search.neighbourhood(incumbent)
    assert days
    for job_id, placement in placements.items():
        if (placement.provider_id, placement.start // MINUTES_PER_DAY) in days:
            assert job_id in freed


def test_the_shared_schedule_keeps_only_improvements_and_reports_them() -> None:
    reported: list[tuple[int, int]] = []
    shared = SharedIncumbent(
        Incumbent({}, 10),
        Budget(10.0, False, PARAMS),
        lambda o, b, _: reported.append((o, b)),
    )
    shared.offer(None, 50)
    best = Incumbent({}, 12)
    shared.offer(Incumbent({}, 9), 50)
    shared.offer(Incumbent({}, 10), 50)
    shared.offer(best, 40)
    assert shared.best is best
    assert reported == [(12, 40)]


def test_a_bound_counts_as_moving_only_when_it_moves_by_more_than_the_step() -> None:
    built, incumbent = _start()
    run = _WholeModelRun(built, incumbent, 10_000, 1, 0, PARAMS.stall_step)
    # the known bound counts from the start, with the wait for a first better bound
    assert run.stalled(-1.0, 60.0) and not run.stalled(60.0, -1.0)
    run._bound_found(10_001.0)  # no better than the bound known beforehand
    run._bound_found(10_000.0 * (1 - PARAMS.stall_step / 2))
    assert run.moved[0] == 10_000.0 and not run.bettered
    run._bound_found(9_000.0)
    assert run.moved[0] == 9_000.0 and run.bettered
    # once bettered, the run waits for its own bound to move
    assert run.stalled(60.0, -1.0) and not run.stalled(-1.0, 60.0)


@pytest.mark.slow
def test_searches_in_parallel_improve_one_schedule_that_stays_feasible() -> None:
    built, start = _start()
    shared = SharedIncumbent(start, Budget(3.0, False, PARAMS), None)
    search = NeighbourhoodSearch(built, 0, PARAMS)
    _in_parallel([search.fork(1), search.fork(2)], shared, shared.budget, bound=10**9)
    best = shared.best
    assert best.objective > start.objective
    # the decisions of the shared schedule complete into a solution at least as good: a step
    # cut short by its time limit (a loaded machine) may leave a penalty higher than its
    # decisions need, never lower
    assert complete(built, built.decisions(best.placements)).objective >= (best.objective)


class _Clock:
    """A stand-in for time.perf_counter that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_time_limit_is_wall_clock_seconds_whatever_the_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without --deterministic a budget counts seconds on the wall clock: one worker as well
    (it used to count CP-SAT work, which ran up to three times the limit)."""
    clock = _Clock()
    monkeypatch.setattr("solver.cpsat.search.time.perf_counter", clock)
    budget = Budget(2.0, False, PARAMS)
    clock.now += 1.5
    assert budget.left() == pytest.approx(0.5)
    solver = cp_model.CpSolver()
    budget.configure(solver, 10.0)
    assert solver.parameters.max_time_in_seconds == pytest.approx(0.5)
    assert solver.parameters.max_deterministic_time > 1e9  # CP-SAT's default: unlimited


def test_a_deterministic_budget_counts_work_units_not_the_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = _Clock()
    monkeypatch.setattr("solver.cpsat.search.time.perf_counter", clock)
    budget = Budget(2.0, True, PARAMS)
    clock.now += 60.0  # a slow machine: the clock does not end a deterministic search
    assert budget.left() == pytest.approx(2.0)
    solver = cp_model.CpSolver()
    budget.configure(solver, 1.0)
    assert solver.parameters.max_deterministic_time == pytest.approx(
        1.0 / PARAMS.seconds_per_deterministic_unit
    )
    assert solver.parameters.max_time_in_seconds > 1e9


@pytest.mark.parametrize("deterministic", [False, True])
def test_one_worker_counts_work_only_when_asked(
    monkeypatch: pytest.MonkeyPatch, deterministic: bool
) -> None:
    import solver.cpsat.search as search_module

    budgets: list[Budget] = []

    class Recorded(Budget):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)  # type: ignore[arg-type]
            budgets.append(self)

    monkeypatch.setattr(search_module, "Budget", Recorded)
    built, incumbent = _start()
    search_module.search(
        built, incumbent, incumbent.objective + 1000, 0.3, 1, 0, deterministic=deterministic
    )
    assert [b.deterministic for b in budgets] == [deterministic]


def test_each_strategy_draws_provider_days_of_its_own_shape() -> None:
    built, incumbent = _start()
    search = NeighbourhoodSearch(built, 3, dataclasses.replace(PARAMS, first_piece_size=10_000))
    shapes = {strategy.name: strategy for strategy in search.strategies}
    for _ in range(5):
        _, days = search.neighbourhood(incumbent, shapes["one day"])
        assert len({day for _, day in days}) == 1
        _, days = search.neighbourhood(incumbent, shapes["one provider"])
        assert len({provider for provider, _ in days}) == 1
    _, days = search.neighbourhood(incumbent, shapes["anywhere"])
    assert days == set(search.provider_days)  # a piece as large as the clinic frees it all


def test_pieces_go_to_the_strategy_paying_best_and_now_and_then_to_any() -> None:
    built, _ = _start()
    search = NeighbourhoodSearch(built, 0, dataclasses.replace(PARAMS, explore_share=0.2))
    first, second, third = search.strategies
    assert search._choose() is first  # untried strategies first, in order
    for strategy in search.strategies:
        strategy.learn(0, 0.1, False, 10, len(built.jobs))
    second.learn(500, 0.1, True, 10, len(built.jobs))
    chosen = [search._choose() for _ in range(300)]
    assert chosen.count(second) > 200
    assert chosen.count(first) > 0 and chosen.count(third) > 0
    assert second.size > first.size  # proven pieces grow, cut-short ones shrink
