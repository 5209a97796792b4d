"""Capacity rows and the quick upper bound they give.

A capacity row says that some minutes, each counted when a job takes one of its candidates,
fit a capacity: a provider-day's hands-on minutes fit its working minutes; a day's room and
machine minutes fit the open minutes of the pool. Every schedule keeps them, so the CP-SAT
model carries them as redundant constraints (a tighter bound), and their linear relaxation
with the booked minutes as objective is a bound in its own right, found in a fraction of a
second (GLOP): the bound of a short run on a large clinic, before the whole-model run has one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

from models.scenario import Scenario
from models.times import MINUTES_PER_DAY
from solver.eligibility import Candidate, Job
from solver.facts import ClinicFacts
from solver.interrupt import Stop

Term = tuple[int, str, int]
"""Minutes, job id, index of the job's candidate that uses them."""


@dataclass(frozen=True)
class CapacityRow:
    """The minutes of these terms, summed over the candidates taken, fit `capacity`."""

    terms: list[Term]
    capacity: int


def capacity_rows(facts: ClinicFacts, jobs: list[Job]) -> list[CapacityRow]:
    """The rows that can bind: those whose terms could add up to more than the capacity."""
    rows = _provider_days(facts, jobs) + _pool_days(facts, jobs)
    return [row for row in rows if sum(minutes for minutes, _, _ in row.terms) > row.capacity]


def _provider_days(facts: ClinicFacts, jobs: list[Job]) -> list[CapacityRow]:
    """A provider-day's hands-on minutes fit its working minutes."""
    terms: dict[tuple[str, int], list[Term]] = defaultdict(list)
    for job in jobs:
        hands_on = job.service.hands_on_minutes
        for index, candidate in enumerate(job.candidates):
            terms[candidate.provider_id, candidate.day].append((hands_on, job.id, index))
    rows = []
    for (provider_id, day), entries in terms.items():
        working = facts.working(facts.scenario.provider(provider_id), day)
        rows.append(CapacityRow(entries, sum(high - low for low, high in working)))
    return rows


def _pool_days(facts: ClinicFacts, jobs: list[Job]) -> list[CapacityRow]:
    """A day's room minutes (per room type, and all rooms) and machine minutes fit the pools'
    open minutes; a room's last turnover may run past closing, so each room gets the longest
    turnover on top."""
    room_counts = {room_type: len(ids) for room_type, ids in facts.rooms_of_type.items()}
    by_day: dict[int, list[tuple[Job, int]]] = defaultdict(list)
    for job in jobs:
        for index, candidate in enumerate(job.candidates):
            by_day[candidate.day].append((job, index))
    turnover = max((job.service.buffer_after for job in jobs), default=0)
    only_type = {}  # the one room type a job can use, if just one
    for job in jobs:
        types = set(job.service.room_types) & set(room_counts)
        only_type[job.id] = types.pop() if len(types) == 1 else None
    rows = []
    for day, entries in by_day.items():
        open_minutes = facts.open_minutes(day)
        room_minutes = open_minutes + turnover
        held = [(j.service.length + j.service.buffer_after, j.id, i) for j, i in entries]
        rows.append(CapacityRow(held, len(facts.room_type_of) * room_minutes))
        only_here: dict[str | None, list[Term]] = defaultdict(list)
        for term in held:
            only_here[only_type[term[1]]].append(term)
        for room_type, count in room_counts.items():
            rows.append(CapacityRow(only_here[room_type], count * room_minutes))
        for machine in facts.scenario.equipment:
            used = [
                (j.service.equipment[machine.id] * j.service.length, j.id, i)
                for j, i in entries
                if machine.id in j.service.equipment
            ]
            rows.append(CapacityRow(used, machine.count * open_minutes))
    return rows


def booked_minutes_bound(
    scenario: Scenario,
    jobs: list[Job],
    rows: list[CapacityRow],
    seconds: float,
    stop: Stop | None = None,
) -> int | None:
    """An upper bound on the objective: the most priority-weighted minutes, less the
    penalties each candidate surely pays and those for bookings over a provider's daily cap,
    a fractional schedule keeping `rows` could book (the other penalties only lower the
    objective); None if the LP solver does not finish within `seconds`, or a `stop`
    interrupts it.

    The bound is read from the LP's duals (any duals give a valid bound, see `_dual_bound`),
    so the LP solver's tolerances cannot make it too low.
    """
    lp = _Relaxation()
    on_provider_day: dict[tuple[str, int], list[int]] = defaultdict(list)
    for job in jobs:
        gain = job.weight * job.service.length if job.request is not None else 0
        shares = [
            lp.column((job.id, index), gain - sure_penalties(scenario, job, candidate))
            for index, candidate in enumerate(job.candidates)
        ]
        low = 1.0 if job.booking is not None else 0.0  # a booking stays on the calendar
        lp.row([(share, 1) for share in shares], low, 1.0)
        for candidate, share in zip(job.candidates, shares, strict=True):
            on_provider_day[candidate.provider_id, candidate.day].append(share)
    for row in rows:
        terms = [(lp.columns[job_id, index], minutes) for minutes, job_id, index in row.terms]
        lp.row(terms, -math.inf, float(row.capacity))
    _over_daily_bookings(scenario, lp, on_provider_day)
    return lp.bound(seconds, stop)


def _over_daily_bookings(
    scenario: Scenario, lp: _Relaxation, on_provider_day: dict[tuple[str, int], list[int]]
) -> None:
    """The penalty for bookings over a provider's daily cap: a share e in [0, 1] of the
    most the day can go over (n candidates, cap c) with shares - (n - c) e <= c, each share of
    that excess paying the penalty; any schedule's count over the cap fits it exactly."""
    weight = scenario.policies.penalties.over_daily_bookings
    for (provider_id, _), shares in on_provider_day.items():
        cap = scenario.provider(provider_id).preferences.max_bookings_per_day
        if not weight or cap is None or len(shares) <= cap:
            continue
        most = len(shares) - cap
        excess = lp.column(None, -weight * most)
        lp.row([(share, 1) for share in shares] + [(excess, -most)], -math.inf, float(cap))


def sure_penalties(scenario: Scenario, job: Job, candidate: Candidate) -> int:
    """The penalties a job pays on this candidate whatever its start: another provider than
    the preferred one, a service outside the provider's favourites, no start in a preferred
    time range, a booking that cannot keep its start."""
    weights = scenario.policies.penalties
    provider = scenario.provider(candidate.provider_id)
    request = job.request
    if request is None:
        kept = any(low <= (job.original_start or 0) <= high for low, high in candidate.starts)
        return weights.moved_booking * (job.original_start is not None and not kept)
    favourites = provider.preferences.preferred_services
    paid = weights.preferred_provider * bool(
        request.preferred_provider and request.preferred_provider != provider.id
    )
    paid += weights.non_preferred_service * bool(favourites and job.service.id not in favourites)
    day = candidate.day * MINUTES_PER_DAY
    liked = [(day + r.start, day + r.end - 1) for r in request.preferred_ranges]
    hit = any(low <= b and a <= high for low, high in candidate.starts for a, b in liked)
    return paid + weights.preferred_time * (bool(liked) and not hit)


class _Relaxation:
    """max gains.x over low <= A.x <= high, 0 <= x <= 1, solved by GLOP."""

    def __init__(self) -> None:
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        self.columns: dict[tuple[str, int], int] = {}
        self.variables: list[pywraplp.Variable] = []
        self.gains: list[float] = []
        self.rows: list[tuple[pywraplp.Constraint, float, float, list[tuple[int, int]]]] = []

    def column(self, key: tuple[str, int] | None, gain: float) -> int:
        """A new share in [0, 1] with this gain (a job's candidate's, found by `key`); its
        column number."""
        variable = self.solver.NumVar(0, 1, "")
        self.solver.Objective().SetCoefficient(variable, gain)
        column = len(self.variables)
        if key is not None:
            self.columns[key] = column
        self.variables.append(variable)
        self.gains.append(gain)
        return column

    def row(self, terms: list[tuple[int, int]], low: float, high: float) -> None:
        """low <= sum of coefficient * column <= high."""
        infinity = self.solver.infinity()
        constraint = self.solver.Constraint(max(low, -infinity), min(high, infinity))
        for column, coefficient in terms:
            constraint.SetCoefficient(self.variables[column], coefficient)
        self.rows.append((constraint, low, high, terms))

    def bound(self, seconds: float, stop: Stop | None = None) -> int | None:
        """The whole-number bound, or None if GLOP does not reach an optimum in time (or a
        stop interrupts it)."""
        self.solver.Objective().SetMaximization()
        self.solver.SetTimeLimit(max(1, round(seconds * 1000)))  # 0 would mean none
        status = (stop or Stop()).run(self.solver.Solve, self.solver.InterruptSolve)
        if status != pywraplp.Solver.OPTIMAL:
            return None
        value = self._dual_bound()
        return math.floor(value + 1e-9 * max(1.0, abs(value)))

    def _dual_bound(self) -> float:
        """For any duals y: gains.x <= sum_i max(y_i low_i, y_i high_i) + sum_j max(0,
        gains_j - (A'y)_j) when 0 <= x <= 1. Any duals make it valid; GLOP's make it tight."""
        total, priced = 0.0, [0.0] * len(self.variables)
        for constraint, low, high, terms in self.rows:
            dual = constraint.dual_value()
            side = high if dual > 0 else low
            if not dual or math.isinf(side):
                continue  # an unbounded side cannot be priced; leaving the row out stays valid
            total += dual * side
            for column, coefficient in terms:
                priced[column] += dual * coefficient
        return total + sum(max(0.0, gain - p) for gain, p in zip(self.gains, priced, strict=True))
