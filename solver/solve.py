"""`solve()`: scenario in, schedule + exception queue + report out.

Eligibility escalates what no rule allows, the greedy front desk gives a floor and a start
(or the same desk booking the most valuable requests first does, when that is worth more),
CP-SAT searches (until the time limit, or a stop: Ctrl-C), and the better of the two schedules
goes to `solver.report`, where statuses are decided. A same-day re-plan is the same solve with
a `Replan`: a present before which nothing moves, a cap on moves, and the waitlist order made
to hold afterwards.
"""

from __future__ import annotations

import dataclasses
import signal
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from models.results import ProgressPoint
from models.scenario import Scenario
from solver.collector import collector_paused
from solver.cpsat.model import ScheduleModel
from solver.cpsat.params import SearchParams
from solver.cpsat.relaxation import booked_minutes_bound, capacity_rows
from solver.cpsat.search import Incumbent, complete, search
from solver.eligibility import Escalation, Job, eligibility, escalate
from solver.facts import ClinicFacts
from solver.greedy import greedy_schedule, in_waitlist_order, most_valuable_first
from solver.interrupt import Stop
from solver.placement import Placements, assign_rooms
from solver.report import FoundBy, SolveResult, SolveStats, build_result
from solver.scoring import objective_terms, total

ProgressCallback = Callable[[ProgressPoint], None]


@dataclass(frozen=True)
class Replan:
    """What a same-day re-plan asks of a solve."""

    not_before: int = 0
    """No movable start before this clinic minute (the present)."""
    max_moves: int | None = None
    """At most this many existing bookings moved."""
    same_day: frozenset[str] = frozenset()
    """Ids whose exceptions go to the same-day owner (patients displaced today)."""
    waitlist: Callable[[list[Job]], list[Job]] | None = None
    """The jobs in the order the freed time goes to, made to hold after the search."""
    scope: Callable[[list[Job]], tuple[list[Job], list[Escalation]]] | None = None
    """What the re-plan may touch: the jobs it keeps (candidates narrowed) and those it
    hands to a person."""


class ModelDisagreement(RuntimeError):
    """The front desk's schedule and the CP-SAT model disagree on a hard rule (a bug)."""


def _floor(facts: ClinicFacts, jobs: list[Job]) -> tuple[list[Job], Placements, list[Escalation]]:
    """The greedy schedule; bookings it cannot keep where they are are escalated."""
    greedy = greedy_schedule(facts, jobs)
    lost = [job for job in jobs if job.booking is not None and job.id not in greedy]
    detail = "cannot keep its place next to the other bookings (room, machine or series)"
    escalations = [escalate(job, "booking_conflict", detail) for job in lost]
    lost_ids = {job.id for job in lost}
    kept = [job for job in jobs if job.id not in lost_ids]
    return kept, greedy, escalations


def _completed(built: ScheduleModel, placements: Placements, stop: Stop) -> Incumbent | str:
    """These placements as a full model solution, or the model's rule they break."""
    decisions = built.decisions(placements)
    try:
        return complete(built, decisions, stop)
    except RuntimeError:
        return built.disagreement(decisions, stop)


def _starting_point(
    built: ScheduleModel, greedy: Placements, notes: list[str], stop: Stop
) -> tuple[Incumbent, Placements]:
    """The front desk's schedule as a full model solution. If the model rejects it, the rule
    that disagrees goes into the notes and the search starts from the existing bookings alone;
    the front desk's schedule is then never returned."""
    start = _completed(built, greedy, stop)
    if isinstance(start, Incumbent):
        return start, greedy
    message = f"the front desk's schedule breaks the model's rule '{start}'"
    bookings = {job.id for job in built.jobs if job.booking is not None}
    kept = {job_id: p for job_id, p in greedy.items() if job_id in bookings}
    try:
        bookings_alone = complete(built, built.decisions(kept), stop)
    except RuntimeError:
        raise ModelDisagreement(f"{message}, even with the existing bookings alone") from None
    notes.append(f"{message}; the search started from the existing bookings alone")
    return bookings_alone, kept


def _better_start(
    built: ScheduleModel, start: Incumbent, other: Placements, notes: list[str], stop: Stop
) -> Incumbent:
    """`other` as the search's start if it is worth more than `start` and the model accepts
    it (else the rule that disagrees goes into the notes)."""
    worth = total(objective_terms(built.scenario, built.jobs, other))
    if stop.requested or worth <= start.objective:
        return start
    completed = _completed(built, other, stop)
    if isinstance(completed, Incumbent):
        return completed
    if not stop.requested:  # a completion cut short by a stop says nothing about the rules
        rule = f"the most-valuable-first schedule breaks the model's rule '{completed}'"
        notes.append(f"{rule}; unused")
    return start


def solve(
    scenario: Scenario,
    time_limit: float = 10.0,
    num_workers: int = 2,
    seed: int = 0,
    on_progress: ProgressCallback | None = None,
    *,
    params: SearchParams | None = None,
    replan: Replan | None = None,
    deterministic: bool = False,
    stop: Stop | None = None,
) -> SolveResult:
    """Book as much priority-weighted time as possible without breaking a hard rule.

    Parameters
    ----------
    scenario
        The clinic's rulebook and requests.
    time_limit
        Wall-clock seconds of search; the best schedule found by then is returned.
    num_workers, seed
        CP-SAT workers and random seed.
    on_progress
        Called with each improving schedule found during the search.
    params
        The search's tuning (default: `SearchParams()`).
    replan
        For re-planning a day (see `Replan`).
    deterministic
        Repeat exactly: one worker, and the time limit counted in CP-SAT work units (at the
        reference machine's pace) instead of seconds, so the same seed gives the same schedule
        on any machine, however long it takes there.
    stop
        Once requested, the search ends within moments and the best schedule found so far is
        returned (status interrupted). Without one, Ctrl-C (or a Jupyter kernel interrupt) is
        the stop while solve() runs in the main thread; a second Ctrl-C, or one before a first
        schedule exists, raises `solver.interrupt.Interrupted` (a KeyboardInterrupt).
    """
    stats = SolveStats(time_limit, 1 if deterministic else num_workers, seed, deterministic)
    watch = Stop().on_signals(signal.SIGINT) if stop is None else nullcontext(stop)
    with watch as halt:
        return _solve(scenario, stats, on_progress, params or SearchParams(), replan, halt)


def _solve(
    scenario: Scenario,
    stats: SolveStats,
    on_progress: ProgressCallback | None,
    params: SearchParams,
    replan: Replan | None,
    stop: Stop,
) -> SolveResult:
    started = time.perf_counter()
    replan = replan or Replan()
    facts = ClinicFacts(scenario, replan.not_before)
    eligible = eligibility(facts)
    jobs, escalations = eligible.jobs, eligible.escalations
    if replan.scope is not None:
        jobs, handed = replan.scope(jobs)
        escalations = escalations + handed
    jobs, greedy, lost = _floor(facts, jobs)
    escalations = escalations + lost
    build_started = time.perf_counter()
    with collector_paused():
        rows = capacity_rows(facts, jobs)
        built = ScheduleModel(facts, jobs, rows, replan.max_moves)
    stats.build_time = time.perf_counter() - build_started
    stats.num_variables = len(built.model.proto.variables)
    stats.num_constraints = len(built.model.proto.constraints)
    start, placements = _starting_point(built, greedy, stats.notes, stop)
    stop.has_schedule = True
    fallback = start.objective  # what `placements` is worth, returned unless the search beats it
    if placements is greedy:  # the front desk's schedule is sound: a second start may beat it
        valued = most_valuable_first(facts, jobs, lambda: stop.requested)
        start = _better_start(built, start, valued, stats.notes, stop)

    def improved(objective: int, bound: int, seconds: float) -> None:
        point = ProgressPoint(seconds=round(seconds, 3), objective=objective, bound=bound)
        stats.progress.append(point)
        if on_progress is not None:
            on_progress(point)

    everything = sum(job.weight * job.service.length for job in jobs if job.request is not None)
    relaxed = booked_minutes_bound(scenario, jobs, rows, params.lp_seconds, stop)
    bound = everything if relaxed is None else min(everything, relaxed)
    greedy_objective = total(objective_terms(scenario, jobs, greedy))
    found_by: FoundBy = "front_desk"
    improved(start.objective, bound, 0.0)
    outcome = search(
        built,
        start,
        bound,
        stats.time_limit,
        stats.num_workers,
        stats.seed,
        improved,
        params=params,
        deterministic=stats.deterministic,
        stop=stop,
    )
    if stop.when is not None:
        stats.interrupted_after = round(max(0.0, stop.when - started), 3)
    found = {job_id: dataclasses.replace(p) for job_id, p in outcome.best.placements.items()}
    if total(objective_terms(scenario, jobs, found)) > fallback or outcome.proven:
        assign_rooms(facts, jobs, found)
        placements, found_by = found, "search"
    if replan.waitlist is not None:
        placements = in_waitlist_order(facts, jobs, placements, replan.waitlist(jobs))
    stats.wall_time = time.perf_counter() - started
    return build_result(
        facts,
        jobs,
        escalations,
        placements,
        found_by=found_by,
        bound=outcome.bound,
        greedy_objective=greedy_objective,
        stats=stats,
        same_day=replan.same_day,
    )
