"""Where a job landed, and turning placements into concrete rooms.

Rooms of one type are a pool in the model; concrete room ids are assigned afterwards by
sweeping appointments in start order, which is exact for intervals: whenever the pool has
capacity at a start, some room of the type is free then.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """Give every placement without a room a concrete room of its type, in start order;
    bookings keep theirs when it is free. (Types with rooms out of service get their rooms
    from the model itself, so their placements arrive with a room.)"""
    by_id = {job.id: job for job in jobs}
    unassigned = [job_id for job_id, p in placements.items() if p.room_id is None]
    order = sorted(unassigned, key=lambda job_id: (placements[job_id].start, job_id))
    free_at: dict[str, int] = dict.fromkeys(facts.room_type_of, -1)
    for job_id in order:
        placement, job = placements[job_id], by_id[job_id]
        rooms = facts.rooms_of_type[placement.room_type]
        free = [r for r in rooms if free_at[r] <= placement.start]
        if not free:
            raise RuntimeError(f"no free {placement.room_type} room for {job_id}: pool overfull")
        wanted = job.booking.room if job.booking is not None else None
        room_id = wanted if wanted in free else free[0]
        placement.room_id = room_id
        free_at[room_id] = placement.end(job) + job.service.buffer_after
