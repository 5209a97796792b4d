"""`reshuffle()`: apply same-day events to a solved schedule at "now", re-plan the days they
touch as one solve of the state scenario, and list every change; `replay()` chains a day of
them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from models.results import Change, ExceptionItem, Schedule, SolveReport
from models.scenario import Scenario
from models.times import MINUTES_PER_DAY
from solver.cpsat.params import SearchParams
from solver.eligibility import Job
from solver.interrupt import Stop
from solver.replan.changes import change_list, counted
from solver.replan.events import apply_events
from solver.replan.offers import with_offers
from solver.replan.scope import NOT_REPLANNED, Scope, replan_days
from solver.replan.state import state_scenario
from solver.replan.waitlist import waitlist_order
from solver.report import SolveResult
from solver.solve import Replan, solve


@dataclass
class ReshuffleResult:
    """The state after the events, the new schedule, the change list, what a person must
    handle and the solve report."""

    state: Scenario
    schedule: Schedule
    changes: list[Change]
    exceptions: list[ExceptionItem]
    report: SolveReport
    value_filled: int
    first_day: date
    days: list[date]
    """The days the re-plan opened: waitlist requests were booked and bookings moved only
    there."""
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
    *,
    deterministic: bool = False,
    through: date | None = None,
    stop: Stop | None = None,
) -> ReshuffleResult:
    """Apply events at `now`, release the deposit holds unpaid by then (hold_expired) and the
    waitlist offers unanswered by then (offer_expired), and re-plan, with as few moves as
    possible, the days they touch and the rest of today (every day up to `through` too, if
    given); each waitlist offer it makes gets its reply-by time. A `stop` (or Ctrl-C, as in
    `solve`) ends the search early with the best re-plan found so far."""
    day = apply_events(scenario, schedule, events, now, expire=True)
    state = state_scenario(day)
    ranked = waitlist_order(state, day.displaced)

    def waitlist_jobs(jobs: list[Job]) -> list[Job]:
        by_id = {job.id: job for job in jobs}
        return [by_id[i] for i in ranked if i in by_id]

    days = replan_days(day, through)
    created = frozenset(day.displaced | set(day.rescheduled) | {r.id for r in day.new_requests})
    replan = Replan(
        not_before=day.now,
        max_moves=scenario.policies.max_moves_same_day,
        same_day=frozenset(day.displaced),
        waitlist=waitlist_jobs,
        scope=Scope(days, created, dict(day.stranded)),
    )
    solved = solve(
        state,
        time_limit,
        num_workers,
        seed,
        params=params,
        replan=replan,
        deterministic=deterministic,
        stop=stop,
    )
    left_out = {e.id for e in solved.escalations if e.reason_code == NOT_REPLANNED}
    after = _rows_kept(schedule, solved.schedule, left_out)
    before = {row.request_id for row in schedule.appointments if row.status == "booked"}
    filled = sum(
        job.weight * job.service.length
        for job in solved.jobs
        if job.request is not None and job.id in solved.placements and job.id not in before
    )
    changes = change_list(day, schedule, after)
    after = counted(schedule, after, changes)
    after = with_offers(scenario.policies, day.clock.local(day.now), after, changes)
    exceptions = [item for item in solved.exceptions if item.request_id not in left_out]
    first_day = day.clock.day(min(day.active_days, default=day.now // MINUTES_PER_DAY))
    opened = [day.clock.day(index) for index in sorted(days)]
    return ReshuffleResult(
        state, after, changes, exceptions, solved.report, filled, first_day, opened, solved
    )


def _rows_kept(before: Schedule, after: Schedule, left_out: set[str]) -> Schedule:
    """The new schedule with the rows of the requests the re-plan left out as they were."""
    old = {row.request_id: row for row in before.appointments}
    return Schedule(
        appointments=[
            old[row.request_id] if row.request_id in left_out else row for row in after.appointments
        ]
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
