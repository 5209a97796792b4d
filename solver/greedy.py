"""The "front desk" baseline: existing bookings first, then requests by priority (first come,
first served within a priority), each at the earliest time that breaks no hard rule.

It is the floor of the optimizer (its schedule hints the search, and `solve()` never returns
anything worse) and the yardstick of the benchmarks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from models.times import MINUTES_PER_DAY, day_pieces
from solver.eligibility import Job, asked_at
from solver.facts import ClinicFacts, Outage
from solver.placement import Placement, Placements
from solver.scoring import BOOKED_TERM, objective_terms, total

Busy = list[tuple[int, int]]
_NEVER = 1 << 40


def _clash(busy: Busy, start: int, end: int) -> int | None:
    """The end of the first busy range overlapping [start, end), or None when free."""
    ends = [e for s, e in busy if s < end and start < e]
    return min(ends) if ends else None


class _Calendar:
    """What is already taken: provider hands-on time, rooms, machines, patients."""

    def __init__(self, facts: ClinicFacts) -> None:
        self.facts = facts
        self.grid = facts.grid
        # Busy ranges per (id, day): appointments never cross midnight.
        self.providers: dict[tuple[str, int], Busy] = defaultdict(list)
        self.rooms: dict[tuple[str, int], Busy] = defaultdict(list)
        self.patients: dict[tuple[str, int], Busy] = defaultdict(list)
        self.machines: dict[tuple[str, int], list[tuple[int, int, int]]] = defaultdict(list)
        for outage in facts.outages:
            self._block(outage)

    def blocker(self, job: Job, provider_id: str, start: int) -> tuple[int | None, str | None]:
        """(None, room) when the job fits at start; else (next start worth trying, None)."""
        service, day = job.service, start // MINUTES_PER_DAY
        end = start + service.length
        for low, high in service.hands_on(start):
            blocked = _clash(self.providers[provider_id, day], low, high)
            if blocked is not None:
                return blocked - (low - start), None
        blocked = _clash(self.patients[job.patient_id, day], start, end)
        if blocked is not None:
            return blocked, None
        for machine, units in service.equipment.items():
            blocked = self._machine_blocker(machine, units, start, end)
            if blocked is not None:
                return blocked, None
        return self._room(job, start)

    def _machine_blocker(self, machine: str, units: int, start: int, end: int) -> int | None:
        busy = self.machines[machine, start // MINUTES_PER_DAY]
        uses = [(s, e, u) for s, e, u in busy if s < end and start < e]
        moments = [start] + [s for s, _, _ in uses if s > start]
        for moment in moments:
            in_use = sum(u for s, e, u in uses if s <= moment < e)
            if in_use + units > self.facts.machine_counts[machine]:
                return min((e for s, e, _ in uses if s <= moment < e), default=_NEVER)
        return None

    def _room(self, job: Job, start: int) -> tuple[int | None, str | None]:
        held_until = start + job.service.length + job.service.buffer_after
        preferred = job.booking.room if job.booking is not None else None
        rooms = [r for t in job.room_types for r in self.facts.rooms_of_type[t]]
        rooms.sort(key=lambda room_id: room_id != preferred)
        frees = []
        for room_id in rooms:
            blocked = _clash(self.rooms[room_id, start // MINUTES_PER_DAY], start, held_until)
            if blocked is None:
                return None, room_id
            frees.append(blocked)
        return (min(frees) if frees else None), None

    def take(self, job: Job, placement: Placement) -> None:
        """Mark the placement's provider, room, machines and patient as busy."""
        for busy, entry in self._entries(job, placement):
            busy.append(entry)

    def release(self, job: Job, placement: Placement) -> None:
        """Undo `take`."""
        for busy, entry in self._entries(job, placement):
            busy.remove(entry)

    def _entries(self, job: Job, placement: Placement) -> list[tuple[list, tuple]]:
        service, start = job.service, placement.start
        end, day = start + service.length, start // MINUTES_PER_DAY
        provider = self.providers[placement.provider_id, day]
        assert placement.room_id is not None
        entries: list[tuple[list, tuple]] = [(provider, part) for part in service.hands_on(start)]
        entries += [
            (self.rooms[placement.room_id, day], (start, end + service.buffer_after)),
            (self.patients[job.patient_id, day], (start, end)),
        ]
        for machine, units in service.equipment.items():
            entries.append((self.machines[machine, day], (start, end, units)))
        return entries

    def _block(self, outage: Outage) -> None:
        """Mark a room, or one unit of a machine, as out of service, day by day."""
        for day, start, end in day_pieces(outage.start, outage.end):
            if outage.kind == "room":
                self.rooms[outage.id, day].append((start, end))
            else:
                self.machines[outage.id, day].append((start, end, outage.units))


class _FrontDesk:
    """Places jobs one at a time, respecting visits, series spacing and consults."""

    def __init__(self, facts: ClinicFacts, jobs: list[Job], by_value: bool = False) -> None:
        self.facts = facts
        self.jobs = jobs
        self.by_value = by_value
        self.calendar = _Calendar(facts)
        self.placements: Placements = {}
        self.series_days: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.consult_ends: dict[str, list[tuple[int, str]]] = defaultdict(list)
        """Per patient, the end and service of each consult on the calendar."""
        self.on_provider_day: dict[tuple[str, int], dict[str, Job]] = defaultdict(dict)
        self.journal: list[tuple[bool, Job, Placement]] | None = None
        """While an attempt is on: each commit (True) and release (False), to undo it."""
        self.starts: dict[str, dict[tuple[str, int], list[tuple[int, int]]]] = {}
        """Per job, the starts each (provider, day) allows."""
        for job in jobs:
            allowed = self.starts[job.id] = defaultdict(list)
            for c in job.candidates:
                allowed[c.provider_id, c.day] += c.starts

    def run(self, until: Callable[[], bool] = lambda: False) -> Placements:
        """Book the existing bookings, then the requests in turn, until every request had its
        turn or `until()` says to stop (what is booked by then is returned)."""
        for job in sorted(
            (j for j in self.jobs if j.booking is not None), key=lambda j: not j.locked
        ):
            self._place_chain([job])
        visits: dict[str, list[Job]] = defaultdict(list)
        for job in self.jobs:
            if job.request is not None and job.request.visit:
                visits[job.request.visit].append(job)
        done: set[str] = set()
        for job in sorted((j for j in self.jobs if j.request is not None), key=self._priority):
            if job.id in done:
                continue
            if until():
                break
            assert job.request is not None
            chain = visits[job.request.visit] if job.request.visit else [job]
            done.update(j.id for j in chain)
            self._place_chain(chain)
        return self.placements

    def _priority(self, job: Job) -> tuple[int, int, bool, datetime, str]:
        """Priority first (consults before treatments, then first asked), or with `by_value`
        priority-minutes first."""
        assert job.request is not None
        asked = asked_at(self.facts.scenario, job.request)
        value = job.weight * job.service.length if self.by_value else 0
        return (-value, -job.weight, job.service.category != "consult", asked, job.id)

    def _place_chain(self, chain: list[Job]) -> None:
        """Book the chain's jobs back to back at the earliest start that fits all of them."""
        first = chain[0]
        options = sorted(
            (low, high, c.provider_id) for c in first.candidates for low, high in c.starts
        )
        if first.original_start is not None:  # an existing booking stays put when it can
            provider_id = first.candidates[0].provider_id
            options.insert(0, (first.original_start, first.original_start, provider_id))
        for low, high, provider_id in options:
            start = low
            while start <= high:
                placed, retry = self._try_chain(chain, provider_id, start)
                if placed is not None:
                    for job, placement in zip(chain, placed, strict=True):
                        self._commit(job, placement)
                    return
                grid = self.calendar.grid
                start = max(start + grid, -(-(retry or 0) // grid) * grid)

    def _try_chain(
        self, chain: list[Job], provider_id: str, start: int
    ) -> tuple[list[Placement] | None, int | None]:
        placed: list[Placement] = []
        taken: list[tuple[Job, Placement]] = []
        moment, wait = start, 0
        try:
            for index, job in enumerate(chain):
                if index == 0:
                    placement, retry = self._fit(job, [provider_id], start)
                else:
                    placement, retry = self._fit_after(job, moment, wait)
                if placement is None:
                    return None, (retry - (moment - start)) if retry is not None else None
                self.calendar.take(job, placement)
                taken.append((job, placement))
                placed.append(placement)
                moment, wait = placement.end(job), job.service.buffer_after
                if job.service.category == "consult":  # a visit's consult serves its treatment
                    self.consult_ends[job.patient_id].append((moment, job.service.id))
            return placed, None
        finally:
            for job, placement in taken:
                self.calendar.release(job, placement)
                if job.service.category == "consult":
                    self.consult_ends[job.patient_id].remove((placement.end(job), job.service.id))

    def _fit_after(self, job: Job, end: int, wait: int) -> tuple[Placement | None, int | None]:
        """A visit's next part at the earliest fitting start from the end of the part before
        to the end of that part's room turnover (`wait` minutes later)."""
        retry = None
        for start in range(end, end + wait + 1, self.calendar.grid):
            placement, retry = self._fit(job, self._providers_at(job, start), start)
            if placement is not None:
                return placement, None
        return None, retry if not wait else None  # with a wait, try the next chain start

    def _providers_at(self, job: Job, start: int) -> list[str]:
        return [
            c.provider_id for c in job.candidates if any(lo <= start <= hi for lo, hi in c.starts)
        ]

    def _fit(
        self, job: Job, providers: list[str], start: int
    ) -> tuple[Placement | None, int | None]:
        retries = []
        for provider_id in providers:
            if not self._rules_allow(job, provider_id, start):
                continue
            retry, room_id = self.calendar.blocker(job, provider_id, start)
            if room_id is not None:
                room_type = self.facts.room_type_of[room_id]
                return Placement(provider_id, start, room_type, room_id), None
            if retry is not None:
                retries.append(retry)
        return None, min(retries) if retries else None

    def _rules_allow(self, job: Job, provider_id: str, start: int) -> bool:
        day = start // MINUTES_PER_DAY
        starts = self.starts[job.id].get((provider_id, day), ())
        if not any(lo <= start <= hi for lo, hi in starts):
            return False
        spacing = job.service.min_days_between
        if spacing and any(
            abs(day - d) < spacing for d in self.series_days[job.patient_id, job.service.id]
        ):
            return False
        if day in job.needs_consult_days:
            qualifying = self.facts.qualifying_consults(job.service)
            ends = self.consult_ends[job.patient_id]
            return any(end <= start and consult in qualifying for end, consult in ends)
        return True

    def _commit(self, job: Job, placement: Placement) -> None:
        self.calendar.take(job, placement)
        self.placements[job.id] = placement
        self.on_provider_day[_provider_day(placement)][job.id] = job
        if self.journal is not None:
            self.journal.append((True, job, placement))
        self.series_days[job.patient_id, job.service.id].append(placement.start // MINUTES_PER_DAY)
        if job.service.category == "consult":
            self.consult_ends[job.patient_id].append((placement.end(job), job.service.id))

    def _release(self, job: Job) -> Placement:
        placement = self.placements.pop(job.id)
        self.calendar.release(job, placement)
        del self.on_provider_day[_provider_day(placement)][job.id]
        if self.journal is not None:
            self.journal.append((False, job, placement))
        self.series_days[job.patient_id, job.service.id].remove(placement.start // MINUTES_PER_DAY)
        if job.service.category == "consult":
            self.consult_ends[job.patient_id].remove((placement.end(job), job.service.id))
        return placement

    def _needed_consult(self, job: Job) -> bool:
        """A booked consult that a booked treatment of the same patient may rely on."""
        return job.service.category == "consult" and any(
            other.patient_id == job.patient_id
            and other.id in self.placements
            and self.placements[other.id].start // MINUTES_PER_DAY in other.needs_consult_days
            and job.service.id in self.facts.qualifying_consults(other.service)
            for other in self.jobs
        )

    def fill_in_order(self, order: list[Job]) -> None:
        """Book each unbooked job in order at any free fitting time, if that does not lower the
        objective; else in the slot of a lower-ranked job it fits (which then gets the next
        free fitting time, if any), if that does not raise the soft-rule penalties: the
        waitlist order, not the booked minutes, decides who gets a slot."""
        for rank, job in enumerate(order):
            if job.id in self.placements:
                continue
            self._attempt([partial(self._place_chain, [job])], swap=False)
            for lower in reversed(order[rank + 1 :]):
                if job.id in self.placements:
                    break
                if lower.id not in self.placements or self._needed_consult(lower):
                    continue
                providers = self._providers_at(job, self.placements[lower.id].start)
                swaps = [
                    partial(self._swap, job, lower, provider_id, rebook)
                    for provider_id in providers
                    for rebook in (True, False)
                ]
                self._attempt(swaps, swap=True)

    def _swap(self, job: Job, lower: Job, provider_id: str, rebook: bool) -> None:
        """Give `lower`'s slot to `job` with this provider; `lower` takes the next free time
        (if `rebook`) or waits."""
        taken = self._release(lower)
        placement, _ = self._fit(job, [provider_id], taken.start)
        if placement is None:
            self._commit(lower, taken)
            return
        self._commit(job, placement)
        if rebook:
            self._place_chain([lower])

    def _attempt(self, changes: Sequence[Callable[[], None]], swap: bool) -> None:
        """Try each change and keep the best: a booking if it does not lower the objective,
        a swap if it does not raise the penalties (then the one that books more)."""
        best: tuple[int, list[tuple[bool, Job, Placement]]] | None = None
        unchanged: dict[tuple[str, int], tuple[int, int]] = {}
        for change in changes:
            self.journal = []
            change()
            journal, self.journal = self.journal, None
            touched = {_provider_day(placement) for _, _, placement in journal}
            after = self._value(touched)
            self._replay(journal, undo=True)
            # the objective is a sum over provider-days, each as it was before every change
            for key in touched - unchanged.keys():
                unchanged[key] = self._value({key})
            before = tuple(sum(unchanged[key][i] for key in touched) for i in (0, 1))
            allowed = after[1] <= before[1] if swap else after[0] >= before[0]
            gain = after[0] - before[0]
            if allowed and (best is None or gain > best[0]):
                best = (gain, journal)
        if best is not None:
            self._replay(best[1])

    def _replay(self, journal: list[tuple[bool, Job, Placement]], undo: bool = False) -> None:
        """Redo the commits and releases of an attempt, or undo them."""
        for committed, job, placement in reversed(journal) if undo else journal:
            if committed != undo:
                self._commit(job, placement)
            else:
                self._release(job)

    def _value(self, provider_days: set[tuple[str, int]]) -> tuple[int, int]:
        """(objective, soft-rule penalties) of the jobs on these provider-days."""
        jobs = [job for key in provider_days for job in self.on_provider_day[key].values()]
        terms = objective_terms(self.facts.scenario, jobs, self.placements)
        objective = total(terms)
        return objective, terms[BOOKED_TERM] - objective


def _provider_day(placement: Placement) -> tuple[str, int]:
    return placement.provider_id, placement.start // MINUTES_PER_DAY


def in_waitlist_order(
    facts: ClinicFacts, jobs: list[Job], placements: Placements, order: list[Job]
) -> Placements:
    """The placements with the waitlist order made to hold (see `_FrontDesk.fill_in_order`);
    the soft rules count as in any solve. Visits are left as they are."""
    desk = _FrontDesk(facts, jobs)
    by_id = {job.id: job for job in jobs}
    for job_id, placement in placements.items():
        desk._commit(by_id[job_id], placement)
    desk.fill_in_order([job for job in order if job.request is None or not job.request.visit])
    return desk.placements


def greedy_schedule(facts: ClinicFacts, jobs: list[Job]) -> Placements:
    """Placements of the front-desk baseline (rooms already assigned)."""
    return _FrontDesk(facts, jobs).run()


def most_valuable_first(
    facts: ClinicFacts, jobs: list[Job], until: Callable[[], bool] = lambda: False
) -> Placements:
    """The front desk's way of booking, taking the requests worth the most priority-minutes
    first: a second start for the search (the front desk stays the baseline). Stops booking
    once `until()`."""
    return _FrontDesk(facts, jobs, by_value=True).run(until)
