"""`reshuffle()`: apply same-day events to a solved schedule at "now", re-plan what is still
ahead as one solve of the state scenario, and list every change; `replay()` chains a day of
them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from models.results import Change, Schedule, SolveReport
from models.scenario import Scenario
from models.times import MINUTES_PER_DAY
from solver.cpsat.params import SearchParams
from solver.eligibility import Job
from solver.replan.changes import change_list
from solver.replan.events import apply_events
from solver.replan.state import state_scenario
from solver.replan.waitlist import waitlist_order
from solver.report import SolveResult
from solver.solve import Replan, solve


@dataclass
class ReshuffleResult:
    """The state after the events, the new schedule, the change list and the solve report."""

    state: Scenario
    schedule: Schedule
    changes: list[Change]
    report: SolveReport
    value_filled: int
    first_day: date
    solved: SolveResult = field(repr=False)


def reshuffle(
    scenario: Scenario,
    schedule: Schedule,
    events: list[Any],
    now: datetime,
    time_limit: float = 1.0,
    num_workers: int = 2,
    seed: int = 0,
    params: SearchParams | None = None,
) -> ReshuffleResult:
    """Apply events at `now` and re-plan the rest of the horizon with as few moves as possible."""
    day = apply_events(scenario, schedule, events, now)
    state = state_scenario(day)
    ranked = waitlist_order(state, day.displaced)

    def waitlist_jobs(jobs: list[Job]) -> list[Job]:
        by_id = {job.id: job for job in jobs}
        return [by_id[i] for i in ranked if i in by_id]

    replan = Replan(
        not_before=day.now,
        max_moves=scenario.policies.max_moves_same_day,
        same_day=frozenset(day.displaced),
        waitlist=waitlist_jobs,
    )
    solved = solve(state, time_limit, num_workers, seed, params=params, replan=replan)
    before = {row.request_id for row in schedule.appointments if row.status == "booked"}
    filled = sum(
        job.weight * job.service.length
        for job in solved.jobs
        if job.request is not None and job.id in solved.placements and job.id not in before
    )
    changes = change_list(day, schedule, solved.schedule)
    first_day = day.clock.day(min(day.active_days, default=day.now // MINUTES_PER_DAY))
    return ReshuffleResult(
        state, solved.schedule, changes, solved.report, filled, first_day, solved
    )


def replay(
    scenario: Scenario,
    schedule: Schedule,
    timeline: list[tuple[datetime, list[Any]]],
    **options: Any,
) -> list[ReshuffleResult]:
    """Apply a day of events in order, each step starting from the previous step's state."""
    results: list[ReshuffleResult] = []
    for now, events in timeline:
        result = reshuffle(scenario, schedule, events, now, **options)
        results.append(result)
        scenario, schedule = result.state, result.schedule
    return results
