"""Where a job landed, and turning placements into concrete rooms.

Rooms of one type are a pool in the model; concrete room ids are assigned afterwards by
sweeping appointments in start order, which is exact for intervals: whenever the pool has
capacity at a start, some room of the type is free then.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from models.results import Schedule
from solver.eligibility import Job
from solver.facts import ClinicFacts


@dataclass
class Placement:
    """A job's provider, start (clinic minute), room type and, once assigned, room."""

    provider_id: str
    start: int
    room_type: str
    room_id: str | None = None

    def end(self, job: Job) -> int:
        """When the patient leaves the room (turnover not included)."""
        return self.start + job.service.length


Placements = dict[str, Placement]


def assign_rooms(facts: ClinicFacts, jobs: list[Job], placements: Placements) -> None:
    """Give every placement without a room a concrete room of its type, in start order.
    Bookings keep theirs when it is free: a request takes a free room that no booking still
    to come wants while the request is in it, when there is one. (Types with rooms out of
    service get their rooms from the model itself, so their placements arrive with a room.)"""
    by_id = {job.id: job for job in jobs}
    unassigned = [job_id for job_id, p in placements.items() if p.room_id is None]
    order = sorted(unassigned, key=lambda job_id: (placements[job_id].start, job_id))

    def held(job_id: str) -> tuple[int, int]:
        job, placement = by_id[job_id], placements[job_id]
        return placement.start, placement.end(job) + job.service.buffer_after

    wanted: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    """Room -> the bookings not yet given a room that want it, and when."""
    for job_id in unassigned:
        booking = by_id[job_id].booking
        if booking is not None:
            wanted[booking.room][job_id] = held(job_id)
    free_at: dict[str, int] = dict.fromkeys(facts.room_type_of, -1)
    for job_id in order:
        placement = placements[job_id]
        start, end = held(job_id)
        free = [r for r in facts.rooms_of_type[placement.room_type] if free_at[r] <= start]
        if not free:
            raise RuntimeError(f"no free {placement.room_type} room for {job_id}: pool overfull")
        booking = by_id[job_id].booking
        if booking is not None:
            del wanted[booking.room][job_id]
        clear = [r for r in free if all(e <= start or end <= s for s, e in wanted[r].values())]
        own = booking.room if booking is not None else None
        placement.room_id = own if own in free else (clear or free)[0]
        free_at[placement.room_id] = end


def placements_of(facts: ClinicFacts, schedule: Schedule) -> Placements:
    """The booked rows of a schedule as placements, by row id."""
    return {
        row.request_id: Placement(
            row.provider_id,
            facts.clock.minute(row.start),
            facts.room_type_of[row.room_id],
            row.room_id,
        )
        for row in schedule.booked()
        if row.start is not None and row.provider_id is not None and row.room_id is not None
    }
