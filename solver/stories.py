"""The words of the reasons `solver.reasons` establishes: where an unbooked request fits and
what it would cost, or what rules out its starts, counted by kind with the worst example."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from models.times import MINUTES_PER_DAY, format_clock
from solver.eligibility import Job
from solver.facts import ClinicFacts, Ranges, merge
from solver.occupancy import Blocked, Blocker, Occupancy
from solver.scoring import BOOKED_TERM
from solver.unavailable import day_label, few, when_text

if TYPE_CHECKING:
    from solver.reasons import Insertion, Try

BLOCKER_CODES = {
    "provider": "provider_full",
    "room": "room_full",
    "machine": "equipment_full",
    "patient": "patient_busy",
    "series": "series_too_soon",
    "consult": "consult_required",
}
"""The reason code of each kind of blocker, in the order ties are broken."""
_BLOCKER_WORDS = {
    "provider": "with the provider busy (most: {what} on {day} at {starts}, with {ids})",
    "room": "with every {what} room taken (most: {day} at {starts}, by {ids})",
    "machine": "with every {what} unit in use (most: {day} at {starts}, by {ids})",
    "patient": "with the patient at another appointment (most: {day} at {starts}, {ids})",
    "series": "too close to the same {what} series (most: {day}, {ids})",
    "consult": "before its consultation has ended (most: {day}, {ids})",
}


def count(ranges: Ranges, grid: int) -> int:
    """How many starts on the grid inclusive ranges hold (their ends are on the grid)."""
    return sum((high - low) // grid + 1 for low, high in ranges)


def starts_text(ranges: Ranges, most: int = 3) -> str:
    """Start ranges as clock times of their day, e.g. '09:00-11:45, 14:00'."""
    texts = [
        format_clock(low % MINUTES_PER_DAY)
        + ("" if low == high else f"-{format_clock(high % MINUTES_PER_DAY)}")
        for low, high in ranges
    ]
    return few(texts, most)


def where_text(facts: ClinicFacts, unit: list[Job], insertion: Insertion) -> str:
    """Where the unit fits: 'fits Tue 2026-12-08 14:00 with rn_chen'."""
    first = insertion.placements[unit[0].id]
    when = when_text(facts, first.start)
    if len(unit) == 1:
        return f"fits {when} with {first.provider_id}"
    parts = ", ".join(f"{j.id} with {insertion.placements[j.id].provider_id}" for j in unit)
    return f"the visit fits {when} ({parts})"


def fits_story(occupancy: Occupancy, unit: list[Job], insertion: Insertion) -> tuple[str, str]:
    """(code, words) of a unit that fits alone: the soft rules that outweigh it, or the gain
    the search did not reach."""
    facts = occupancy.facts
    gained = insertion.terms[BOOKED_TERM]
    penalties = {k: v for k, v in insertion.terms.items() if k != BOOKED_TERM}
    net = gained - insertion.change
    where = where_text(facts, unit, insertion)
    if insertion.change > 0:
        if net:
            soft = f"{net} lost to soft rules" if net > 0 else f"{-net} saved on soft rules"
        else:
            soft = "no soft rule broken"
        return "search_stopped_early", (
            f"{where} and would raise the objective by {insertion.change} ({gained} gained, "
            f"{soft}); the search stopped before it found this"
        )
    costs = {k: v for k, v in penalties.items() if v > 0}
    saved = " and ".join(f"{k} {-v}" for k, v in penalties.items() if v < 0)
    worth = " + ".join(f"{j.service.length} min x weight {j.weight}" for j in unit)
    cost = " + ".join(f"{name} {value}" for name, value in costs.items())
    return "left_by_soft_rule", (
        f"{where}, but {cost} would cost {net}"
        + (f" ({saved} saved)" if saved else "")
        + f" against the {gained} gained ({worth})"
        + "".join(f"; {note}" for note in _cost_notes(occupancy, unit, insertion, costs))
    )


def _cost_notes(
    occupancy: Occupancy, unit: list[Job], insertion: Insertion, costs: dict[str, int]
) -> list[str]:
    """What each penalty of the insertion is for, in words."""
    notes = []
    for job in unit:
        placement = insertion.placements[job.id]
        provider = occupancy.facts.scenario.provider(placement.provider_id)
        request = job.request
        if "over_daily_bookings" in costs:
            booked = len(occupancy.day_jobs[provider.id, placement.start // MINUTES_PER_DAY])
            cap = provider.preferences.max_bookings_per_day
            if cap is not None and booked >= cap:
                notes.append(f"{provider.id} already has {booked} that day and wants at most {cap}")
        if "preferred_provider" in costs and request and request.preferred_provider:
            notes.append(f"the patient prefers {request.preferred_provider}")
        if "preferred_time" in costs and request and request.preferred_times:
            liked = ", ".join(str(r) for r in request.preferred_times)
            notes.append(f"the patient prefers {liked}")
        favourites = provider.preferences.preferred_services
        if "non_preferred_service" in costs and favourites:
            notes.append(f"{provider.id} prefers {', '.join(favourites)}")
    if "idle_slot" in costs:
        notes.append("it adds idle time between the provider's appointments")
    return list(dict.fromkeys(notes))


def blocked_story(facts: ClinicFacts, tries: list[Try]) -> tuple[str, str]:
    """(code, words) of a job none of whose starts is free: the starts each kind of blocker
    rules out, most first, with the blocker that rules out the most of them."""
    grid = facts.grid
    by_kind: dict[str, int] = defaultdict(int)
    by_blocker: dict[Blocker, Blocked] = {}
    for t in tries:
        for blocker, blocked in t.blocked.items():
            by_kind[blocker.kind] += count(blocked.starts, grid)
            held = by_blocker.get(blocker, Blocked([]))
            by_blocker[blocker] = Blocked(
                merge([*held.starts, *blocked.starts]), [*held.by, *blocked.by]
            )
    kinds = sorted(by_kind, key=lambda k: (-by_kind[k], list(BLOCKER_CODES).index(k)))
    told = []
    for kind in kinds:
        blocker, blocked = max(
            ((b, v) for b, v in by_blocker.items() if b.kind == kind),
            key=lambda item: count(item[1].starts, grid),
        )
        words = _BLOCKER_WORDS[kind].format(
            what=blocker.what,
            day=day_label(facts.clock.day(blocker.day)),
            starts=starts_text(blocked.starts),
            ids=few(blocked.ids),
        )
        told.append(f"{by_kind[kind]} {words}")
    tried = sum(count(t.candidate.starts, grid) for t in tries)
    return BLOCKER_CODES[kinds[0]], f"no free start among {tried} tried: {'; '.join(told)}"


def apart_story(facts: ClinicFacts, unit: list[Job], tries: list[Try]) -> str:
    """The words of a visit whose parts each fit alone, but never one after the other."""
    parts = []
    for job in unit:
        free = [t for t in tries if t.job is job and t.free]
        day = day_label(facts.clock.day(free[0].candidate.day))
        more = f" and {len(free) - 1} more provider-days" if len(free) > 1 else ""
        parts.append(
            f"{job.id} at {day} {starts_text(free[0].free)} with "
            f"{free[0].candidate.provider_id}{more}"
        )
    return (
        "each part fits alone, but never one after the other (a part may wait only for the room "
        f"turnover of the part before): {'; '.join(parts)}"
    )
