"""Which bookings, moved out of the way, would free one start of a request: the smallest sets
of them, from what rules the start out (`solver.occupancy`). The provider's and the patient's
own appointments at that time must all go; of the rooms one must be emptied, and of a
machine enough units freed. A start ruled out by the series spacing, by a consultation not
yet over, by a room or machine out of service alone, or by a booking that may not move, has
none."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator

from models.times import MINUTES_PER_DAY
from solver.eligibility import Job
from solver.occupancy import OUT_OF_SERVICE, Blocker, Occupancy
from solver.reasons import Try

UNMOVABLE_KINDS = frozenset({"series", "consult"})
"""Blockers no booking moved within its day can lift."""


def covers(ranges: list[tuple[int, int]], start: int) -> bool:
    """Whether inclusive ranges hold `start`."""
    return any(low <= start <= high for low, high in ranges)


def blockers_at(tried: Try, start: int) -> dict[Blocker, list[str]]:
    """Each blocker that rules out `start`, with the appointments responsible."""
    return {
        blocker: blocked.ids_at(start)
        for blocker, blocked in tried.blocked.items()
        if covers(blocked.starts, start)
    }


def freeing_sets(
    occupancy: Occupancy, tried: Try, start: int, most: int, movable: Collection[str]
) -> list[frozenset[str]]:
    """The smallest sets of at most `most` movable bookings whose moving frees `start` of the
    try (none when no such set exists), smallest first."""
    found = blockers_at(tried, start)
    if {blocker.kind for blocker in found} & UNMOVABLE_KINDS:
        return []
    must = {who for b, ids in found.items() if b.kind in ("provider", "patient") for who in ids}
    if not must <= set(movable) or len(must) > most:
        return []
    job = tried.job
    choices: list[list[frozenset[str]]] = []
    for blocker in found:
        if blocker.kind == "room":
            choices.append(list(_room_frees(occupancy, job, start, movable)))
        elif blocker.kind == "machine":
            units = job.service.equipment[blocker.what]
            choices.append(
                _machine_frees(occupancy, blocker.what, units, job, start, most, movable)
            )
    sets = {
        frozenset(must.union(*combo))
        for combo in itertools.product(*choices)
        if len(must.union(*combo)) <= most
    }
    smallest = [s for s in sets if not any(other < s for other in sets)]
    return sorted(smallest, key=lambda s: (len(s), sorted(s)))


def _room_frees(
    occupancy: Occupancy, job: Job, start: int, movable: Collection[str]
) -> Iterator[frozenset[str]]:
    """For each room of the job's types, the appointments to move to empty it for the job's
    stay and turnover (rooms out of service then, or held by a booking that may not move,
    left out)."""
    day = start // MINUTES_PER_DAY
    end = start + job.service.length + job.service.buffer_after
    for room_type in job.room_types:
        for room in occupancy.facts.rooms_of_type[room_type]:
            held = {who for a, b, who in occupancy.rooms[room, day] if a < end and start < b}
            if OUT_OF_SERVICE not in held and held <= set(movable):
                yield frozenset(held)


def _machine_frees(
    occupancy: Occupancy,
    machine: str,
    units: int,
    job: Job,
    start: int,
    most: int,
    movable: Collection[str],
) -> list[frozenset[str]]:
    """The smallest sets of movable appointments whose moving leaves `units` of the machine
    free for the whole appointment."""
    day, end = start // MINUTES_PER_DAY, start + job.service.length
    uses = [
        (a, b, u, who) for a, b, u, who in occupancy.machines[machine, day] if a < end and start < b
    ]
    spare = occupancy.facts.machine_counts[machine] - units
    candidates = sorted({who for *_, who in uses if who in movable})
    for size in range(1, most + 1):
        found = [
            frozenset(chosen)
            for chosen in itertools.combinations(candidates, size)
            if _peak([use for use in uses if use[3] not in chosen]) <= spare
        ]
        if found:
            return found
    return []


def _peak(uses: list[tuple[int, int, int, str]]) -> int:
    """The most units in use at once."""
    moments = sorted({m for a, b, *_ in uses for m in (a, b)})
    return max((sum(u for a, b, u, _ in uses if a <= m < b) for m in moments), default=0)
