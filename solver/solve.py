"""`solve()`: scenario in, schedule + exception queue + report out.

Eligibility escalates what no rule allows, the greedy front desk gives a floor and a hint,
CP-SAT searches, and the better of the two schedules is returned. CP-SAT statuses are
translated here and nowhere else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from models.results import ExceptionItem, ProgressPoint, Schedule, SolveReport
from models.scenario import Scenario
from solver.eligibility import Escalation, Job, eligibility
from solver.greedy import greedy_schedule
from solver.model import ScheduleModel
from solver.placement import Placements, assign_rooms
from solver.relaxation import booked_minutes_bound
from solver.schedule import build_exceptions, build_schedule
from solver.scoring import objective_terms, total
from solver.search import complete, search

ProgressCallback = Callable[[ProgressPoint], None]


@dataclass
class SolveResult:
    """The schedule, the exception queue and the report of one solve."""

    scenario: Scenario
    schedule: Schedule
    exceptions: list[ExceptionItem]
    report: SolveReport
    jobs: list[Job] = field(repr=False, default_factory=list)
    placements: Placements = field(repr=False, default_factory=dict)
    escalations: list[Escalation] = field(repr=False, default_factory=list)

    @property
    def frame(self) -> pd.DataFrame:
        """The schedule as a DataFrame with the schedule.csv columns."""
        return self.schedule.to_frame()


def _floor(scenario: Scenario, jobs: list[Job]) -> tuple[list[Job], Placements, list[Escalation]]:
    """The greedy schedule; bookings it cannot keep where they are are escalated."""
    greedy = greedy_schedule(scenario, jobs)
    lost = [job for job in jobs if job.booking is not None and job.id not in greedy]
    detail = "cannot keep its place next to the other bookings (room, machine or series)"
    escalations = [
        Escalation(j.id, j.patient_id, j.service.id, "booking", "booking_conflict", detail)
        for j in lost
    ]
    lost_ids = {job.id for job in lost}
    kept = [job for job in jobs if job.id not in lost_ids]
    return kept, greedy, escalations


def solve(
    scenario: Scenario,
    time_limit: float = 10.0,
    num_workers: int = 2,
    seed: int = 0,
    on_progress: ProgressCallback | None = None,
    *,
    not_before: int = 0,
    max_moves: int | None = None,
) -> SolveResult:
    """Book as much priority-weighted time as possible without breaking a hard rule.

    Parameters
    ----------
    scenario
        The clinic's rulebook and requests.
    time_limit
        Seconds of search; the best schedule found by then is returned.
    num_workers, seed
        CP-SAT workers and random seed; one worker and a fixed seed repeat exactly.
    on_progress
        Called with each improving schedule found during the search.
    not_before, max_moves
        For re-planning a day: no movable start before this clinic minute, and at most this
        many existing bookings moved.
    """
    started = time.perf_counter()
    eligible = eligibility(scenario, not_before)
    jobs, greedy, lost = _floor(scenario, eligible.jobs)
    escalations = eligible.escalations + lost
    build_started = time.perf_counter()
    built = ScheduleModel(scenario, jobs, max_moves)
    build_time = time.perf_counter() - build_started

    points: list[ProgressPoint] = []

    def improved(objective: int, bound: int, seconds: float) -> None:
        point = ProgressPoint(seconds=round(seconds, 3), objective=objective, bound=bound)
        points.append(point)
        if on_progress is not None:
            on_progress(point)

    everything = sum(job.weight * job.service.length for job in jobs if job.request is not None)
    relaxed = booked_minutes_bound(jobs, built.capacity_rows)
    bound = everything if relaxed is None else min(everything, relaxed)
    greedy_terms = objective_terms(scenario, jobs, greedy)
    placements, terms, status = greedy, greedy_terms, "greedy"
    try:
        start = complete(built, built.decisions(greedy))
    except RuntimeError:  # the front desk's schedule does not fit the model: keep it as it is
        start = None
    if start is not None:
        improved(start.objective, bound, 0.0)
        outcome = search(built, start, bound, time_limit, num_workers, seed, improved)
        found = built.placements(outcome.best.values)
        found_terms = objective_terms(scenario, jobs, found)
        if total(found_terms) > total(greedy_terms) or outcome.proven:
            assign_rooms(scenario, jobs, found)
            placements, terms = found, found_terms
            status = "optimal" if outcome.proven else "time_limit"
        bound = outcome.bound
    objective = total(terms)
    bound = max(bound, objective)
    proto = built.model.proto
    report = SolveReport(
        status=status,
        objective=objective,
        best_bound=bound,
        gap=(bound - objective) / abs(bound) if bound else 0.0,
        greedy_objective=total(greedy_terms),
        terms=terms,
        wall_time=time.perf_counter() - started,
        build_time=build_time,
        time_limit=time_limit,
        num_workers=num_workers,
        seed=seed,
        num_variables=len(proto.variables),
        num_constraints=len(proto.constraints),
        progress=points,
    )
    schedule = build_schedule(scenario, jobs, placements, escalations)
    return SolveResult(
        scenario=scenario,
        schedule=schedule,
        exceptions=build_exceptions(scenario, schedule, escalations),
        report=report,
        jobs=jobs,
        placements=placements,
        escalations=escalations,
    )
