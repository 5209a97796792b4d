"""What a schedule occupies, computed once, and which starts of a candidate each occupant
rules out: the provider's hands-on time, the rooms of the job's types, machine units, the
patient's own appointments, the series a service belongs to and the consultation that
qualifies a treatment, which it waits for. `solver.reasons` tries unbooked requests against it.

Times are clinic minutes; busy spans are [start, end), start ranges inclusive on both ends.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from models.times import MINUTES_PER_DAY, day_pieces
from solver.eligibility import Candidate, Job
from solver.facts import ClinicFacts, Ranges, intersect, merge, on_grid
from solver.placement import Placement, Placements
from solver.scoring import hands_on_span

OUT_OF_SERVICE = "out of service"
"""The occupant named for a room or machine unit out of service."""

Span = tuple[int, int, str]
"""[start, end) and who holds it."""


@dataclass(frozen=True)
class Blocker:
    """What rules starts out: a kind (provider, room, machine, patient, series, consult), the
    provider, room types, machine, patient or service concerned, and the day."""

    kind: str
    what: str
    day: int


@dataclass(frozen=True)
class Blocked:
    """The starts a blocker rules out, and who rules out which: (lowest start, highest
    start, appointment or OUT_OF_SERVICE)."""

    starts: Ranges
    by: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        """The appointments responsible, in the order of the schedule."""
        return list(dict.fromkeys(who for _, _, who in self.by))

    def ids_at(self, start: int) -> list[str]:
        """The appointments that rule out `start`."""
        return list(dict.fromkeys(who for low, high, who in self.by if low <= start <= high))


def _ruled_out(spans: list[Span], first: int, last: int) -> list[tuple[int, int, str]]:
    """Starts s at which the part [s + first, s + last) of a job overlaps a busy span."""
    return [(a - last + 1, b - first - 1, who) for a, b, who in spans]


def _within(ruled: list[tuple[int, int, str]], starts: Ranges, grid: int) -> Blocked | None:
    """The starts on the grid among `starts` that `ruled` rules out, with who rules each out
    (None when it rules out none)."""
    first, last = starts[0][0], starts[-1][1]
    hits = [
        (lo, hi, who)
        for lo, hi, who in ruled
        if lo <= last and first <= hi and any(lo <= b and a <= hi for a, b in starts)
    ]
    covered = on_grid(intersect(merge((lo, hi) for lo, hi, _ in hits), starts), grid)
    if not covered:
        return None
    return Blocked(covered, hits)


class Occupancy:
    """Who holds each provider, room, machine and patient when, from a schedule."""

    def __init__(self, facts: ClinicFacts, jobs: list[Job], placements: Placements) -> None:
        self.facts = facts
        self.placements = placements
        self.day_jobs: dict[tuple[str, int], list[Job]] = defaultdict(list)
        self.hands_on_bounds: dict[tuple[str, int], tuple[int, int]] = {}
        """Each provider-day's first hands-on minute and the end of its last hands-on part."""
        self.providers: dict[tuple[str, int], list[Span]] = defaultdict(list)
        self.rooms: dict[tuple[str, int], list[Span]] = defaultdict(list)
        self.machines: dict[tuple[str, int], list[tuple[int, int, int, str]]] = defaultdict(list)
        self.patients: dict[tuple[str, int], list[Span]] = defaultdict(list)
        self.series: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        self.consults: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        """Each patient's booked consultations: (end, appointment, consult service)."""
        self._room_cache: dict[tuple[tuple[str, ...], int, int], list[tuple[int, int, str]]] = {}
        self._machine_cache: dict[tuple[str, int, int, int], list[tuple[int, int, str]]] = {}
        self._within_cache: dict[tuple[Blocker, str, tuple[tuple[int, int], ...]], Blocked | None]
        self._within_cache = {}
        for outage in facts.outages:
            for day, start, end in day_pieces(outage.start, outage.end):
                if outage.kind == "room":
                    self.rooms[outage.id, day].append((start, end, OUT_OF_SERVICE))
                else:
                    machine = (start, end, outage.units, OUT_OF_SERVICE)
                    self.machines[outage.id, day].append(machine)
        by_id = {job.id: job for job in jobs}
        for job_id, placement in sorted(placements.items(), key=lambda item: item[1].start):
            self._take(by_id[job_id], placement)

    def _take(self, job: Job, placement: Placement) -> None:
        service, start = job.service, placement.start
        end, day = start + service.length, start // MINUTES_PER_DAY
        assert placement.room_id is not None
        self.day_jobs[placement.provider_id, day].append(job)
        first, last, _ = hands_on_span(job, start)
        low, high = self.hands_on_bounds.get((placement.provider_id, day), (first, last))
        self.hands_on_bounds[placement.provider_id, day] = (min(low, first), max(high, last))
        self.providers[placement.provider_id, day] += [
            (a, b, job.id) for a, b in service.hands_on(start)
        ]
        self.rooms[placement.room_id, day].append((start, end + service.buffer_after, job.id))
        for machine, units in service.equipment.items():
            self.machines[machine, day].append((start, end, units, job.id))
        self.patients[job.patient_id, day].append((start, end, job.id))
        self.series[job.patient_id, service.id].append((day, job.id))
        if service.category == "consult":
            self.consults[job.patient_id].append((end, job.id, service.id))

    def blocked(
        self, job: Job, candidate: Candidate, consult_in_visit: bool
    ) -> dict[Blocker, Blocked]:
        """The starts of the candidate each occupant rules out (blockers ruling out none are
        left out). A treatment whose visit holds a consultation that qualifies it before it
        waits for none.

        What the provider, rooms and machines rule out is the same for every request of a
        service with the same candidate, so it is computed once."""
        service, day, starts = job.service, candidate.day, candidate.starts
        shared: dict[Blocker, Callable[[], list[tuple[int, int, str]]]] = {
            Blocker("provider", candidate.provider_id, day): lambda: self._provider(job, candidate),
            Blocker("room", "/".join(job.room_types), day): lambda: self._rooms(job, day),
        }
        for machine, units in service.equipment.items():
            shared[Blocker("machine", machine, day)] = partial(
                self._machine, machine, units, service.length, day
            )
        own = {
            Blocker("patient", job.patient_id, day): _ruled_out(
                self.patients[job.patient_id, day], 0, service.length
            ),
            Blocker("series", service.id, day): self._series(job, day),
        }
        if day in job.needs_consult_days and not consult_in_visit:
            own[Blocker("consult", "consult", day)] = self._consult(job, day)
        found = {}
        for blocker, ruled in shared.items():
            key = (blocker, service.id, tuple(starts))
            if key not in self._within_cache:
                self._within_cache[key] = _within(ruled(), starts, self.facts.grid)
            found[blocker] = self._within_cache[key]
        for blocker, spans in own.items():
            found[blocker] = _within(spans, starts, self.facts.grid)
        return {blocker: blocked for blocker, blocked in found.items() if blocked is not None}

    def _provider(self, job: Job, candidate: Candidate) -> list[tuple[int, int, str]]:
        busy = self.providers[candidate.provider_id, candidate.day]
        service = job.service
        ruled = _ruled_out(busy, 0, service.duration)
        if service.finish:
            ruled += _ruled_out(busy, service.length - service.finish, service.length)
        return ruled

    def _rooms(self, job: Job, day: int) -> list[tuple[int, int, str]]:
        """Starts at which every room of the job's types is held (turnover included)."""
        held = job.service.length + job.service.buffer_after
        key = (job.room_types, held, day)
        if key not in self._room_cache:
            rooms = [r for t in job.room_types for r in self.facts.rooms_of_type[t]]
            ruled = [_ruled_out(self.rooms[room, day], 0, held) for room in rooms]
            everywhere: Ranges = [(day * MINUTES_PER_DAY, (day + 1) * MINUTES_PER_DAY - 1)]
            for spans in ruled:
                everywhere = intersect(everywhere, merge((lo, hi) for lo, hi, _ in spans))
            self._room_cache[key] = [
                (low, high, who)
                for spans in ruled
                for lo, hi, who in spans
                for low, high in intersect([(lo, hi)], everywhere)
            ]
        return self._room_cache[key]

    def _machine(
        self, machine: str, units: int, length: int, day: int
    ) -> list[tuple[int, int, str]]:
        """Starts at which fewer than `units` units of the machine stay free for `length`."""
        key = (machine, units, length, day)
        if key not in self._machine_cache:
            uses = self.machines[machine, day]
            spare = self.facts.machine_counts[machine] - units
            moments = sorted({moment for a, b, _, _ in uses for moment in (a, b)})
            ruled = []
            for start, end in itertools.pairwise(moments):
                active = [(u, who) for a, b, u, who in uses if a <= start and end <= b]
                if sum(u for u, _ in active) > spare:
                    ruled += [(start - length + 1, end - 1, who) for _, who in active]
            self._machine_cache[key] = ruled
        return self._machine_cache[key]

    def _series(self, job: Job, day: int) -> list[tuple[int, int, str]]:
        spacing = job.service.min_days_between or 0
        whole_day = (day * MINUTES_PER_DAY, (day + 1) * MINUTES_PER_DAY - 1)
        return [
            (*whole_day, who)
            for booked, who in self.series[job.patient_id, job.service.id]
            if abs(booked - day) < spacing
        ]

    def _consult(self, job: Job, day: int) -> list[tuple[int, int, str]]:
        """Starts before the patient's first booked consultation that qualifies the treatment
        has ended (consult routing: `Service.qualifies`)."""
        booked = self.consults[job.patient_id]
        qualifying = self.facts.qualifying_consults(job.service)
        ends = [(end, who) for end, who, consult in booked if consult in qualifying]
        first = min((end for end, _ in ends), default=(day + 1) * MINUTES_PER_DAY)
        if ends:
            who = next(w for end, w in ends if end == first)
        elif booked:
            who = f"no consultation booked that qualifies {job.service.id}"
        else:
            who = "no consultation booked"
        return [(day * MINUTES_PER_DAY, first - 1, who)]

    def free_rooms(self, job: Job, start: int, taken: list[tuple[str, int, int]]) -> Iterator[str]:
        """The rooms of the job's types free for its stay and turnover from `start`, also clear
        of `taken` (room, start, end) holds."""
        end = start + job.service.length + job.service.buffer_after
        day = start // MINUTES_PER_DAY
        for room_type in job.room_types:
            for room in self.facts.rooms_of_type[room_type]:
                spans = self.rooms[room, day] + [(a, b, "") for r, a, b in taken if r == room]
                if not any(a < end and start < b for a, b, _ in spans):
                    yield room
