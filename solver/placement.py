"""Where a job landed, and turning placements into concrete rooms.

Rooms of one type are a pool in the model; concrete room ids are assigned afterwards by
sweeping appointments in start order, which is exact for intervals: whenever the pool has
capacity at a start, some room of the type is free then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.scenario import Scenario
from solver.eligibility import Job


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


@dataclass(frozen=True)
class Outage:
    """A room (kind "room") or one unit of a machine (kind "machine") out of service."""

    kind: str
    id: str
    start: int
    end: int


def assign_rooms(
    scenario: Scenario, jobs: list[Job], placements: Placements, outages: Sequence[Outage] = ()
) -> None:
    """Give every placement a concrete room of its type; bookings keep theirs when free.

    Among free rooms the one going out of service soonest is used first, keeping the others
    for the stays that cross an outage.
    """
    rooms_by_type: dict[str, list[str]] = {}
    for room in scenario.rooms:
        rooms_by_type.setdefault(room.type, []).append(room.id)
    down = [o for o in outages if o.kind == "room"]
    by_id = {job.id: job for job in jobs}
    order = sorted(placements, key=lambda job_id: (placements[job_id].start, job_id))
    free_at: dict[str, int] = {room.id: -1 for room in scenario.rooms}
    for job_id in order:
        placement, job = placements[job_id], by_id[job_id]
        start, until = placement.start, placement.end(job) + job.service.buffer_after

        def next_outage(room_id: str, after: int = until) -> int:
            return min(
                (o.start for o in down if o.id == room_id and o.start >= after), default=1 << 40
            )

        free = [
            r
            for r in rooms_by_type[placement.room_type]
            if free_at[r] <= start
            and not any(o.id == r and o.start < until and start < o.end for o in down)
        ]
        if not free:
            raise RuntimeError(f"no free {placement.room_type} room for {job_id}: pool overfull")
        wanted = job.booking.room if job.booking is not None else None
        room_id = wanted if wanted in free else min(free, key=lambda r: (next_outage(r), r))
        placement.room_id = room_id
        free_at[room_id] = until
