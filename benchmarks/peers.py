"""A peer to hold the optimizer against: plain CP-SAT on the project's full model.

The peer is built from the solver's own pieces (the same facts, eligibility, greedy floor,
capacity rows and model as `solve()`), hinted with the greedy schedule and solved in one call
with the run's workers and time limit: no neighbourhoods, no separate bound run. Its schedule
is turned into a result as solve() does and judged by the independent checker, which also
recomputes its objective from the schedule rows: that must equal the solver's scoring of the
placements. CP-SAT's own objective value is kept beside it: with 2 workers it can be below the
objective of the very solution it returns (the sample clinic at 1 s: 10,354 reported, 10,414
recomputed), so the peer's objective is the schedule's, as for the optimizer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from checker import check_schedule, recompute_objective
from models.scenario import Scenario
from solver.cpsat.model import ScheduleModel
from solver.cpsat.relaxation import capacity_rows
from solver.cpsat.search import complete
from solver.eligibility import eligibility
from solver.facts import ClinicFacts
from solver.placement import Placements, assign_rooms
from solver.report import SolveStats, build_result
from solver.scoring import objective_terms, total
from solver.solve import _floor


@dataclass(frozen=True)
class PeerResult:
    """What plain CP-SAT found in the time limit (objective None: no schedule)."""

    objective: int | None
    """The objective of the returned schedule (solver.scoring, as the optimizer's)."""
    cpsat_objective: int | None
    """The objective value CP-SAT reported with it."""
    bound: int | None
    seconds: float
    status: str
    checker_passes: bool | None
    """No broken rule, and the checker's recomputed objective equal to `objective` (None: no
    schedule)."""
    violations: int | None


def _hinted(built: ScheduleModel, greedy: Placements) -> cp_model.CpModel:
    """The whole model with the greedy schedule (completed to every variable) as its hint."""
    decisions = built.decisions(greedy)
    try:
        return built.fixed({}, complete(built, decisions).values)
    except RuntimeError:  # the model rejects the greedy: hint its decisions alone
        model = built.fixed({})
        model.proto.solution_hint.vars.extend(decisions)
        model.proto.solution_hint.values.extend(decisions.values())
        return model


def peer_solve(scenario: Scenario, time_limit: float, workers: int, seed: int) -> PeerResult:
    """Plain CP-SAT on the full model of `scenario`, hinted with the greedy schedule."""
    facts = ClinicFacts(scenario)
    eligible = eligibility(facts)
    jobs, greedy, lost = _floor(facts, eligible.jobs)
    built = ScheduleModel(facts, jobs, capacity_rows(facts, jobs))
    model = _hinted(built, greedy)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    started = time.perf_counter()
    status = solver.solve(model)
    seconds = time.perf_counter() - started
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return PeerResult(None, None, None, seconds, name, None, None)
    placements = built.placements(list(solver.response_proto.solution))
    assign_rooms(facts, jobs, placements)
    result = build_result(
        facts,
        jobs,
        eligible.escalations + lost,
        placements,
        found_by="search",
        bound=round(solver.best_objective_bound),
        greedy_objective=total(objective_terms(scenario, jobs, greedy)),
        stats=SolveStats(time_limit, workers, seed),
    )
    violations = check_schedule(scenario, result.schedule)
    objective = result.report.objective
    agrees = recompute_objective(scenario, result.schedule).total == objective
    return PeerResult(
        objective,
        round(solver.objective_value),
        round(solver.best_objective_bound),
        seconds,
        name,
        agrees and not violations,
        len(violations),
    )
