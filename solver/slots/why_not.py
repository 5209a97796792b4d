"""Why not then? For one start time of a call and each provider who may do the service (or one
named), what stands in the way, established by trying it: the day is outside the window or
the provider's days, the time is outside the provider's hours or off the booking grid, or the
bookings that rule it out (the provider's, the rooms', a machine's, the patient's own), with
the smallest set of movable bookings whose moving would free it. A time that is free says
what booking it there would change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models.times import MINUTES_PER_DAY, format_clock
from solver.eligibility import Candidate, Job
from solver.facts import merge
from solver.occupancy import OUT_OF_SERVICE, Blocker
from solver.reasons import Trier
from solver.slots.call import Call, Refusal
from solver.slots.freeing import blockers_at, covers, freeing_sets
from solver.slots.options import Option, option_of
from solver.stories import when_text
from solver.unavailable import ProviderDays, day_label

MOST_MOVES = 3
"""The largest set of bookings whose moving the answer looks for."""

_RULES = {
    "provider": "{provider} is with {ids}",
    "room": "every {what} room is taken ({ids})",
    "machine": "every {what} is in use ({ids})",
    "patient": "the patient has {ids} then",
    "series": "it is too close to {ids} of the same series",
    "consult": "it must come after the consultation ({ids})",
}


@dataclass
class Verdict:
    """One provider at the time asked about."""

    provider_id: str
    rule: str
    """What decides it: free, or the first rule that rules the time out (provider, room,
    machine, patient, series, consult, window, not_working, hours, grid, past)."""
    words: str
    blocking: list[str] = field(default_factory=list)
    """Every booking that rules the time out."""
    smallest: list[str] = field(default_factory=list)
    """The fewest movable bookings whose moving frees the time (empty: none of at most
    MOST_MOVES does)."""
    option: Option | None = None
    """When the time is free: booking it there."""


@dataclass
class WhyNot:
    """The answer for one time: why the request cannot be booked at all, or each provider."""

    at: datetime
    refusal: Refusal | None
    verdicts: list[Verdict]


def why_not(call: Call, at: datetime, provider: str | None = None) -> WhyNot:
    """Why the call's request is not offered at `at` (clinic time unless it has an offset)
    with each permitted provider, or with `provider` alone."""
    zone = call.facts.clock.zone
    at = at.astimezone(zone) if at.tzinfo else at.replace(tzinfo=zone)
    job = call.job
    if job is None:
        return WhyNot(at, call.refusal, [])
    scenario = call.state
    providers = [p.id for p in scenario.providers if job.service.id in p.services]
    asked = [provider] if provider is not None else providers
    trier = Trier(call.facts, call.jobs, call.placements)
    verdicts = [
        _verdict(call, trier, job, p, call.facts.clock.minute(at), providers) for p in asked
    ]
    return WhyNot(at, None, verdicts)


def _verdict(
    call: Call, trier: Trier, job: Job, provider_id: str, minute: int, permitted: list[str]
) -> Verdict:
    day = minute // MINUTES_PER_DAY
    if provider_id not in permitted:
        return Verdict(provider_id, "not_permitted", f"{provider_id} may not do {job.service.id}")
    request = job.request
    assert request is not None
    if request.required_provider not in (None, provider_id):
        words = f"the patient asked for {request.required_provider} only"
        return Verdict(provider_id, "not_required", words)
    candidate = next(
        (c for c in job.candidates if c.provider_id == provider_id and c.day == day), None
    )
    if candidate is None:
        return _no_day(call, job, provider_id, day)
    if minute % call.facts.grid or not covers(candidate.starts, minute):
        return _off_hours(call, job, candidate, minute)
    tried = trier.tried(job, candidate)
    if covers(tried.free, minute):
        insertion = trier.best([job], [tried], tried, [(minute, minute)])
        assert insertion is not None, "a free start has a free room"
        option = option_of(call, insertion, ())
        words = f"free: booking it there changes the objective by {option.change:+} ({option.why})"
        return Verdict(provider_id, "free", words, option=option)
    found = blockers_at(tried, minute)
    smallest = freeing_sets(trier.occupancy, tried, minute, MOST_MOVES, call.movable)
    blocking = list(dict.fromkeys(who for ids in found.values() for who in ids))
    rules = [
        _RULES[b.kind].format(provider=provider_id, what=b.what, ids=_bookings(call, ids))
        for b, ids in found.items()
    ]
    first = next(iter(found)).kind
    if smallest:
        moves = f"moving {_bookings(call, sorted(smallest[0]))} would free it"
    else:
        moves = _why_no_move(call, found)
    words = f"{'; '.join(rules)}; {moves}"
    return Verdict(provider_id, first, words, blocking, sorted(smallest[0]) if smallest else [])


def _no_day(call: Call, job: Job, provider_id: str, day: int) -> Verdict:
    """Why the provider has no start for the request on the day at all."""
    facts, request = call.facts, job.request
    assert request is not None
    if not 0 <= day < facts.num_days:
        first, last = facts.clock.day(0), facts.clock.day(facts.num_days - 1)
        words = f"the schedule covers {first} to {last} only"
        return Verdict(provider_id, "horizon", words)
    when = facts.clock.day(day)
    if not request.earliest <= when <= request.latest:
        words = f"the patient asked for {request.earliest} to {request.latest}"
        return Verdict(provider_id, "window", words)
    if facts.clinic_open(day) is None:
        return Verdict(provider_id, "closed", f"the clinic is closed on {day_label(when)}")
    provider = call.state.provider(provider_id)
    if facts.starts(job.service, provider, day):
        words = f"{day_label(when)} is taken out by the series spacing or the consultation it needs"
        return Verdict(provider_id, "series", words)
    cause, _ = ProviderDays(facts, job.service).cause(provider, day)
    return Verdict(provider_id, cause, ProviderDays(facts, job.service).told(provider, day))


def _off_hours(call: Call, job: Job, candidate: Candidate, minute: int) -> Verdict:
    """Why a start on a day the provider has starts is not one of them: off the grid (the
    starts are ranges, so a minute between two slots may lie within them), past, or outside
    the hours."""
    facts, provider_id = call.facts, candidate.provider_id
    grid, midnight = facts.grid, candidate.day * MINUTES_PER_DAY
    if minute % grid:
        low = minute // grid * grid
        words = (
            f"the clinic books on {grid}-minute slots: try {format_clock(low % MINUTES_PER_DAY)} "
            f"or {format_clock((low + grid) % MINUTES_PER_DAY)}"
        )
        return Verdict(provider_id, "grid", words)
    if minute < facts.not_before:
        return Verdict(provider_id, "past", f"{when_text(facts, minute)} is already past")
    service = job.service
    hours = ", ".join(
        f"{format_clock(a)}-{format_clock(b)}"
        for a, b in facts.working(call.state.provider(provider_id), candidate.day)
    )
    opening = facts.clinic_open(candidate.day)
    assert opening is not None
    end = minute - midnight + service.length
    words = (
        f"a {service.length}-minute {service.id} from {format_clock(minute - midnight)} to "
        f"{format_clock(end)} does not fit {provider_id}'s hours that day ({hours}; the clinic "
        f"is open {format_clock(opening[0])}-{format_clock(opening[1])}); "
        f"{provider_id} can start it at {_starts(candidate)}"
    )
    return Verdict(provider_id, "hours", words)


def _starts(candidate: Candidate) -> str:
    return ", ".join(
        format_clock(a % MINUTES_PER_DAY)
        + ("" if a == b else f"-{format_clock(b % MINUTES_PER_DAY)}")
        for a, b in merge(candidate.starts)
    )


def _why_no_move(call: Call, found: dict[Blocker, list[str]]) -> str:
    """Why no small set of moves frees the time."""
    if {b.kind for b in found} & {"series", "consult"}:
        return "no move within a day changes that"
    ids = {who for ids in found.values() for who in ids}
    if OUT_OF_SERVICE in ids:
        return "what is out of service cannot be moved"
    fixed = [(who, call.fixed(call.by_id[who])) for who in sorted(ids)]
    told = [f"{who} may not move ({why})" for who, why in fixed if why is not None]
    return "; ".join(told) or f"no move of at most {MOST_MOVES} bookings frees it"


def _bookings(call: Call, ids: list[str]) -> str:
    """Bookings in words: 'r_012 (p_044, botox 14:00-14:20)'."""
    texts = []
    for who in ids:
        placement = call.placements.get(who)
        if placement is None:
            texts.append(who)
            continue
        job = call.by_id[who]
        start = placement.start % MINUTES_PER_DAY
        texts.append(
            f"{who} ({job.patient_id}, {job.service.id} "
            f"{format_clock(start)}-{format_clock(start + job.service.length)})"
        )
    return ", ".join(texts)
