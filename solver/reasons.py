"""Why a request the solve left unbooked is not booked, established by trying it.

Each unbooked request is tried alone in the final schedule at every start of its candidates,
against the occupancy of `solver.occupancy`; a visit with all its parts, each starting when
the one before ends or at the latest when that part's room turnover ends. If a start breaks
no hard rule, the request *fits alone*: the best such start is scored with `solver.scoring`
(the change of every objective term), and either the soft rules that cost more than the
booking gains are named (`left_by_soft_rule`), or, when booking it there would have raised
the objective, the search stopped before it found it (`search_stopped_early`). If no start is
free, the kind of blocker that rules out the most starts gives the reason, with the
provider-day, rooms, machine, the patient's own appointment, series or consultation that
ruled them out: `provider_full`, `room_full`, `equipment_full`, `patient_busy`,
`series_too_soon`, `consult_required`. A visit part that fits while another part does not is
`visit_incomplete`; parts that each fit but never one after the other are `visit_apart`. The
words are `solver.stories`; every code is in docs/reasons.md.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from models.scenario import Scenario
from models.times import MINUTES_PER_DAY
from solver.eligibility import Candidate, Job
from solver.facts import ClinicFacts, Ranges, intersect, merge, on_grid, subtract
from solver.occupancy import Blocked, Blocker, Occupancy
from solver.placement import Placement, Placements
from solver.scoring import hands_on_span, objective_terms, total
from solver.stories import apart_story, blocked_story, fits_story


@dataclass
class Try:
    """One candidate of a job tried alone: the starts free of every hard rule, and the
    starts each blocker rules out."""

    job: Job
    candidate: Candidate
    free: Ranges
    blocked: dict[Blocker, Blocked]


@dataclass(frozen=True)
class Insertion:
    """Booking a unit alone at one time: its placements and the change of every objective
    term (penalties as costs)."""

    placements: dict[str, Placement]
    terms: dict[str, int]

    @property
    def change(self) -> int:
        """How much the objective would change."""
        return total(self.terms)


@dataclass
class Reason:
    """Why a request is not booked: a stable code, the story in words, every try, and the
    best insertion when it fits alone."""

    code: str
    detail: str
    tries: list[Try] = field(default_factory=list)
    insertion: Insertion | None = None


def _runs(points: list[int], grid: int) -> Ranges:
    """Sorted starts on the grid as ranges of consecutive ones."""
    runs: Ranges = []
    for point in points:
        if runs and point == runs[-1][1] + grid:
            runs[-1] = (runs[-1][0], point)
        else:
            runs.append((point, point))
    return runs


Holds = tuple[tuple[str, int, int], ...]
"""Rooms held by the earlier parts of a visit: (room, start, end)."""

Offsets = tuple[int, ...]
"""When each part of a unit starts, in minutes after its first part starts."""


class Trier:
    """Tries unbooked requests alone in one schedule (the occupancy is computed once)."""

    def __init__(self, facts: ClinicFacts, jobs: list[Job], placements: Placements) -> None:
        self.facts = facts
        self.scenario: Scenario = facts.scenario
        self.placements = placements
        self.occupancy = Occupancy(facts, jobs, placements)
        self.visits: dict[str, list[Job]] = defaultdict(list)
        for job in jobs:
            if job.request is not None and job.request.visit:
                self.visits[job.request.visit].append(job)
        self._before: dict[frozenset[tuple[str, int]], dict[str, int]] = {}

    def unit(self, job: Job) -> list[Job]:
        """The jobs booked together with `job`: its visit in file order, or itself."""
        visit = job.request.visit if job.request is not None else None
        return self.visits[visit] if visit else [job]

    def tries(self, unit: list[Job]) -> list[Try]:
        """Every candidate of every part of the unit, tried alone (a part after a consultation
        of its visit that qualifies it waits for no other)."""
        found = []
        for index, job in enumerate(unit):
            qualifying = self.facts.qualifying_consults(job.service)
            consult_before = any(j.service.id in qualifying for j in unit[:index])
            found += [self.tried(job, c, consult_before) for c in job.candidates]
        return found

    def tried(self, job: Job, candidate: Candidate, consult_before: bool = False) -> Try:
        """One candidate of a job tried alone (`consult_before`: a consultation of its visit
        that qualifies it comes before it)."""
        blocked = self.occupancy.blocked(job, candidate, consult_before)
        ruled_out = merge(r for b in blocked.values() for r in b.starts)
        free = on_grid(subtract(candidate.starts, ruled_out), self.facts.grid)
        return Try(job, candidate, free, blocked)

    def reason(self, job: Job) -> Reason:
        """Why `job` (a request left unbooked) is not booked, by trying its unit alone."""
        return self.reasons(self.unit(job))[job.id]

    def reasons(self, unit: list[Job]) -> dict[str, Reason]:
        """The reason of each job of a unit left unbooked, by trying the unit alone."""
        tries = self.tries(unit)
        best = None
        for first in (t for t in tries if t.job is unit[0]):
            found = self.best(unit, tries, first, self.chain_starts(unit, tries, first))
            if found is not None and (best is None or found.change > best.change):
                best = found
        if best is not None:
            fits = Reason(*fits_story(self.occupancy, unit, best), tries, best)
            return {job.id: fits for job in unit}
        blocked = [j for j in unit if not any(t.free for t in tries if t.job is j)]
        if not blocked:
            apart = Reason("visit_apart", apart_story(self.facts, unit, tries), tries)
            return {job.id: apart for job in unit}
        code, words = blocked_story(self.facts, [t for t in tries if t.job is blocked[0]])
        own = Reason(code, words, tries)
        partner = Reason("visit_incomplete", f"its visit partner {blocked[0].id}: {words}", tries)
        return {job.id: own if job is blocked[0] else partner for job in unit}

    def offsets(self, unit: list[Job]) -> list[Offsets]:
        """Every way the unit's parts may follow each other: each later part starts when the
        part before ends or, on the grid, up to the end of that part's room turnover (the
        visit rule of the model, the front desk and the checker)."""
        grid, ways = self.facts.grid, []
        for waits in itertools.product(
            *(range(0, j.service.buffer_after + 1, grid) for j in unit[:-1])
        ):
            steps = (j.service.length + w for j, w in zip(unit[:-1], waits, strict=True))
            ways.append((0, *itertools.accumulate(steps)))
        return ways

    def chain_starts(self, unit: list[Job], tries: list[Try], first: Try) -> Ranges:
        """Starts of the unit's first part, with `first`, at which every later part has a
        free candidate on the same day, following the part before in one of the unit's ways."""
        return merge(r for o in self.offsets(unit) for r in self._chain(unit, tries, first, o))

    def _chain(self, unit: list[Job], tries: list[Try], first: Try, offsets: Offsets) -> Ranges:
        """Starts of the first part at which every later part is free at its offset."""
        starts = first.free
        for job, offset in zip(unit[1:], offsets[1:], strict=True):
            later = merge(
                (lo - offset, hi - offset)
                for t in tries
                if t.job is job and t.candidate.day == first.candidate.day
                for lo, hi in t.free
            )
            starts = intersect(starts, later)
        return starts

    def best(
        self, unit: list[Job], tries: list[Try], first: Try, starts: Ranges
    ) -> Insertion | None:
        """The best insertion of the unit at one of `starts` of its first try (None if none
        fits; of equal ones the earliest). For each way the parts follow each other the
        objective's change is piecewise linear in the start, so its turning points and the
        ends of the ranges where every part is free are enough. A visit's parts are free
        there each on its own; the starts at which they also find rooms together are found
        first."""
        found = []
        for offsets in self.offsets(unit):
            these = intersect(starts, self._chain(unit, tries, first, offsets))
            if len(unit) > 1:
                grid, nobody = self.facts.grid, ("",) * len(unit)
                every = [s for low, high in these for s in range(low, high + 1, grid)]
                placed = [s for s in every if self._placed(unit, nobody, s, offsets) is not None]
                these = _runs(placed, grid)
            points = sorted(set(self._turning_points(unit, tries, first, these, offsets)))
            found += [i for s in points for i in self._insertions(unit, tries, first, s, offsets)]
        key = unit[0].id
        return max(found, key=lambda i: (i.change, -i.placements[key].start), default=None)

    def _turning_points(
        self, unit: list[Job], tries: list[Try], first: Try, starts: Ranges, offsets: Offsets
    ) -> Iterator[int]:
        """Starts at which the change of the objective may turn: the ends of `starts`; for
        each part, where it meets the first or last hands-on minute of its provider's day, the
        edges of its preferred times and, for a visit's later parts, where a provider becomes
        free or busy (each as the start of the first part, on the grid, with the parts at
        `offsets`)."""
        grid, day = self.facts.grid, first.candidate.day
        midnight = day * MINUTES_PER_DAY
        for index, (job, offset) in enumerate(zip(unit, offsets, strict=True)):
            own = [first] if index == 0 else [t for t in tries if t.job is job]
            moments = []
            end_offset = hands_on_span(job, 0)[1]
            for t in own:
                if t.candidate.day != day:
                    continue
                bounds = self.occupancy.hands_on_bounds.get((t.candidate.provider_id, day))
                if bounds is not None:
                    moments += [bounds[0], bounds[1] - end_offset]
                if index:
                    moments += [edge for low, high in t.free for edge in (low, high)]
            for liked in job.request.preferred_ranges if job.request else ():
                moments += [midnight + liked.start - grid, midnight + liked.start]
                moments += [midnight + liked.end - grid, midnight + liked.end]
            for moment in moments:
                for point in (moment // grid * grid - offset, -(-moment // grid) * grid - offset):
                    if any(lo <= point <= hi for lo, hi in starts):
                        yield point
        for low, high in starts:
            yield from (low, high)

    def _insertions(
        self, unit: list[Job], tries: list[Try], first: Try, start: int, offsets: Offsets
    ) -> Iterator[Insertion]:
        """Every way of booking the unit from `start` with `first` for its first part and the
        later parts at `offsets`: each later part with any of its free providers, each part in
        a free room."""
        choices = [[first.candidate.provider_id]]
        for job, offset in zip(unit[1:], offsets[1:], strict=True):
            moment = start + offset
            free = [
                t.candidate.provider_id
                for t in tries
                if t.job is job and any(lo <= moment <= hi for lo, hi in t.free)
            ]
            choices.append(list(dict.fromkeys(free)))
        for providers in itertools.product(*choices):
            placements = self._placed(unit, providers, start, offsets)
            if placements is not None:
                yield Insertion(placements, self._change(unit, placements))

    def _placed(
        self,
        unit: list[Job],
        providers: tuple[str, ...],
        start: int,
        offsets: Offsets,
        taken: Holds = (),
    ) -> dict[str, Placement] | None:
        """The unit's parts from `start`, each at its offset with its provider and in a free
        room (a visit's later parts may need a room an earlier part leaves free once its
        turnover ends)."""
        if not unit:
            return {}
        job, begin = unit[0], start + offsets[0]
        end = begin + job.service.length
        for room in self.occupancy.free_rooms(job, begin, list(taken)):
            hold = (room, begin, end + job.service.buffer_after)
            rest = self._placed(unit[1:], providers[1:], start, offsets[1:], (*taken, hold))
            if rest is not None:
                room_type = self.facts.room_type_of[room]
                return {job.id: Placement(providers[0], begin, room_type, room)} | rest
        return None

    def _change(self, unit: list[Job], placements: dict[str, Placement]) -> dict[str, int]:
        """The change of every objective term when the unit is booked at `placements`."""
        days = frozenset((p.provider_id, p.start // MINUTES_PER_DAY) for p in placements.values())
        neighbours = [j for key in sorted(days) for j in self.occupancy.day_jobs[key]]
        around = {j.id: self.placements[j.id] for j in neighbours}
        if days not in self._before:
            self._before[days] = objective_terms(self.scenario, neighbours, around)
        after = objective_terms(self.scenario, neighbours + unit, around | placements)
        return {name: after[name] - value for name, value in self._before[days].items()}


def unbooked_reasons(
    facts: ClinicFacts, jobs: list[Job], placements: Placements
) -> dict[str, Reason]:
    """The reason of every request job left unbooked, by id (a visit's parts share a try)."""
    trier = Trier(facts, jobs, placements)
    reasons: dict[str, Reason] = {}
    for job in jobs:
        if job.request is not None and job.id not in placements and job.id not in reasons:
            reasons |= trier.reasons(trier.unit(job))
    return reasons
