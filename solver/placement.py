"""Where a job landed, and turning placements into concrete rooms.

Rooms of one type are a pool in the model; concrete room ids are assigned afterwards by
sweeping appointments in start order, which is exact for intervals: whenever the pool has
capacity at a start, some room of the type is free then.
"""

from __future__ import annotations

import itertools
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
    units: int = 1


def outages_of(scenario: Scenario) -> list[Outage]:
    """The rooms and machine units out of service, in clinic minutes, widened to the slot grid;
    overlapping spans are merged, and never more units are out than a machine has."""
    clock, grid = scenario.clinic.clock(), scenario.clinic.slot_minutes
    items = [("room", room.id, room.out_of_service, 1) for room in scenario.rooms]
    items += [("machine", m.id, m.out_of_service, m.count) for m in scenario.equipment]
    outages = []
    for kind, item_id, spans, count in items:
        edges = [
            (clock.minute(span.start) // grid * grid, -(-clock.minute(span.end) // grid) * grid)
            for span in spans
        ]
        moments = sorted({moment for edge in edges for moment in edge})
        for start, end in itertools.pairwise(moments):
            units = min(count, sum(1 for low, high in edges if low <= start and end <= high))
            if units:
                outages.append(Outage(kind, item_id, start, end, units))
    return outages


def assign_rooms(scenario: Scenario, jobs: list[Job], placements: Placements) -> None:
    """Give every placement without a room a concrete room of its type, in start order;
    bookings keep theirs when it is free. (Types with rooms out of service get their rooms
    from the model itself, so their placements arrive with a room.)"""
    rooms_by_type: dict[str, list[str]] = {}
    for room in scenario.rooms:
        rooms_by_type.setdefault(room.type, []).append(room.id)
    by_id = {job.id: job for job in jobs}
    unassigned = [job_id for job_id, p in placements.items() if p.room_id is None]
    order = sorted(unassigned, key=lambda job_id: (placements[job_id].start, job_id))
    free_at: dict[str, int] = {room.id: -1 for room in scenario.rooms}
    for job_id in order:
        placement, job = placements[job_id], by_id[job_id]
        free = [r for r in rooms_by_type[placement.room_type] if free_at[r] <= placement.start]
        if not free:
            raise RuntimeError(f"no free {placement.room_type} room for {job_id}: pool overfull")
        wanted = job.booking.room if job.booking is not None else None
        room_id = wanted if wanted in free else free[0]
        placement.room_id = room_id
        free_at[room_id] = placement.end(job) + job.service.buffer_after
