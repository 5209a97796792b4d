"""Ranked options for one call. Every opening where the request fits as the calendar stands (a
run of free starts of one provider on one day) gives one option, at its best start, with the
change of every objective term (`solver.reasons` tries it). With `max_moves`, an opening that
moving at most that many unlocked bookings of its day creates gives one too: the bookings in
the way (`solver.slots.freeing`) are taken off, the request is booked at the best start that
frees, and each of them is put back at its own best free start that day, with its provider.
Options rank by the objective's change, then fewer moves, then the earlier start."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime

from models.reason_codes import SUGGESTED_ACTIONS
from models.results import Schedule
from models.scenario import Request, Scenario
from models.times import MINUTES_PER_DAY
from solver.facts import on_grid, subtract
from solver.placement import Placement, Placements
from solver.reasons import Insertion, Trier, Try
from solver.schedule import equipment_text
from solver.scoring import BOOKED_TERM, objective_terms
from solver.slots.call import Call, Refusal, open_call
from solver.slots.freeing import freeing_sets


@dataclass(frozen=True)
class Move:
    """A booking moved to make room: from when and where to when and where (same provider,
    same day)."""

    booking_id: str
    patient_id: str
    service_id: str
    provider_id: str
    from_start: datetime
    to_start: datetime
    from_room: str
    to_room: str


@dataclass(frozen=True)
class Option:
    """One place the request can be booked, what it changes and the moves it needs."""

    provider_id: str
    room_id: str
    equipment: str
    start: datetime
    end: datetime
    change: int
    """How much the objective rises (falls, if negative) with the request booked here."""
    terms: dict[str, int]
    """The change of each objective term: booked priority-minutes gained, and each soft rule's
    cost (negative: a cost saved, e.g. an idle gap filled)."""
    moves: tuple[Move, ...] = ()
    placements: dict[str, Placement] = field(default_factory=dict, repr=False, compare=False)
    """The request's placement and every moved booking's."""

    @property
    def why(self) -> str:
        """The change of each objective term in words (`terms_text`)."""
        return terms_text(self.terms)


_TERM_WORDS = {
    BOOKED_TERM: "booked",
    "over_daily_bookings": "over the daily cap",
    "preferred_provider": "not the preferred provider",
    "preferred_time": "outside the preferred times",
    "non_preferred_service": "not a preferred service",
    "moved_booking": "moves",
}


def terms_text(terms: dict[str, int]) -> str:
    """The change of each objective term as its effect on the objective, in words:
    'booked +60; fills idle time +4; over the daily cap -60' (never a leading sign, which a
    spreadsheet would read as a formula)."""
    parts = []
    for name, value in terms.items():
        if name == BOOKED_TERM:
            parts.append(f"booked {value:+}")
        elif name == "idle_slot":
            parts.append(f"{'fills' if value < 0 else 'adds'} idle time {-value:+}")
        else:
            parts.append(f"{_TERM_WORDS[name]} {-value:+}")
    return "; ".join(parts)


@dataclass
class Recommendation:
    """The options of a call, best first, or why there are none."""

    call: Call = field(repr=False)
    options: list[Option]
    refusal: Refusal | None = None
    """Why the request has no option: it cannot be booked at all, or nothing is free for it."""


def recommend(
    scenario: Scenario,
    schedule: Schedule,
    request: Request,
    top: int = 5,
    max_moves: int = 0,
    now: datetime | None = None,
) -> Recommendation:
    """The `top` best options for `request` in `schedule` (read-only), with at most
    `max_moves` unlocked bookings moved for each; nothing before `now` is offered or moved
    (default: the start of the horizon)."""
    return ranked(open_call(scenario, schedule, request, now), top, max_moves)


def ranked(call: Call, top: int = 5, max_moves: int = 0) -> Recommendation:
    """The options of an opened call (see `recommend`)."""
    job = call.job
    if job is None:
        return Recommendation(call, [], call.refusal)
    trier = Trier(call.facts, call.jobs, call.placements)
    tries = trier.tries([job])
    found = [trier.best([job], tries, t, [run]) for t in tries for run in t.free]
    options = [option_of(call, i, ()) for i in found if i is not None]
    if max_moves:
        options += _MoveSearch(call, trier, max_moves).options(tries, options, top)
    options.sort(key=_rank)
    best: dict[tuple[str, datetime], Option] = {}
    for option in options:  # of two ways to one time, the better
        best.setdefault((option.provider_id, option.start), option)
    if best:
        return Recommendation(call, list(best.values())[:top])
    reason = trier.reason(job)
    return Recommendation(
        call, [], Refusal(reason.code, reason.detail, SUGGESTED_ACTIONS[reason.code])
    )


def _rank(option: Option) -> tuple[int, int, datetime, str]:
    return (-option.change, len(option.moves), option.start, option.provider_id)


def option_of(call: Call, insertion: Insertion, moves: tuple[Move, ...]) -> Option:
    job = call.job
    assert job is not None
    placement = insertion.placements[job.id]
    assert placement.room_id is not None
    clock = call.facts.clock
    return Option(
        provider_id=placement.provider_id,
        room_id=placement.room_id,
        equipment=equipment_text(job.service.equipment),
        start=clock.local(placement.start),
        end=clock.local(placement.end(job)),
        change=insertion.change,
        terms={name: value for name, value in insertion.terms.items() if value},
        moves=moves,
        placements=insertion.placements,
    )


MOVE_TRIES = 150
"""Sets of moves tried per call at most: each is a re-fit of a day (a few milliseconds)."""


class _MoveSearch:
    """Options that need bookings moved, one try (provider-day) of the request at a time, the
    most promising first; a set of moves that cannot rank among the `top` is not tried."""

    def __init__(self, call: Call, trier: Trier, most: int) -> None:
        self.call, self.trier, self.most = call, trier, most
        self.idle_cost = call.state.policies.penalties.idle_slot
        self.on_day: dict[int, list[str]] = {}
        """The bookings of each day, by id."""
        assert call.job is not None
        self.callers = [
            i for i in call.placements if self.call.by_id[i].patient_id == call.job.patient_id
        ]
        """The caller's own bookings."""

    def options(self, tries: list[Try], found: list[Option], top: int) -> list[Option]:
        """An option for each set of bookings whose moving opens starts of a try and that may
        rank among the `top` with the options `found` so far; at most MOVE_TRIES sets are
        tried, the most promising first."""
        ranks = sorted(_rank(o)[:2] for o in found)
        pairs = [(self._at_most(t, moved), moved, t) for t in tries for moved in self._sets(t)]
        pairs.sort(key=lambda pair: (-pair[0], len(pair[1]), sorted(pair[1])))
        options = []
        for at_most, moved, tried in pairs[:MOVE_TRIES]:
            if len(ranks) >= top and (-at_most, len(moved)) >= ranks[top - 1]:
                break
            option = self._moved(tried, moved)
            if option is not None:
                options.append(option)
                bisect.insort(ranks, _rank(option)[:2])
        return options

    def _sets(self, tried: Try) -> list[frozenset[str]]:
        """The smallest sets of movable bookings that free some start of the try."""
        grid, sets = self.call.facts.grid, set()
        for low, high in subtract(tried.candidate.starts, tried.free):
            for start in range(-(-low // grid) * grid, high + 1, grid):
                sets.update(
                    freeing_sets(self.trier.occupancy, tried, start, self.most, self.call.movable)
                )
        return sorted(sets, key=lambda s: (len(s), sorted(s)))

    def _at_most(self, tried: Try, moved: frozenset[str]) -> int:
        """The most the objective can rise with the request in this try and `moved` moved:
        its booked minutes less the costs no time avoids (another provider than the preferred
        one, a service the provider does not prefer, a booking beyond the daily cap), plus the
        idle time it can save. The request fills at most its own hands-on time of its
        provider's idle time; more, or any on another provider's day, takes a booking moved to
        another time, which costs a move (a booking that only changes room changes no idle
        time)."""
        job, day, grid = tried.job, tried.candidate.day, self.call.facts.grid
        provider_id = tried.candidate.provider_id
        penalties = self.call.state.policies.penalties
        provider = self.call.state.provider(provider_id)
        request = job.request
        assert request is not None
        cost = 0
        if request.preferred_provider not in (None, provider_id):
            cost += penalties.preferred_provider
        favourites = provider.preferences.preferred_services
        if favourites and job.service.id not in favourites:
            cost += penalties.non_preferred_service
        cap = provider.preferences.max_bookings_per_day
        if (
            cap is not None
            and len(self.trier.occupancy.day_jobs.get((provider_id, day), [])) >= cap
        ):
            cost += penalties.over_daily_bookings
        idle, move = penalties.idle_slot, penalties.moved_booking
        own = self._idle(provider_id, day)
        saved = max(min(own, job.service.hands_on_minutes // grid + 1) * idle, own * idle - move)
        others = {self.call.placements[i].provider_id for i in moved} - {provider_id}
        saved += sum(max(0, self._idle(other, day) * idle - move) for other in others)
        return job.weight * job.service.length - cost + saved

    def _idle(self, provider_id: str, day: int) -> int:
        """The idle slots between a provider's first and last appointment of a day."""
        occupancy = self.trier.occupancy
        jobs = occupancy.day_jobs.get((provider_id, day))
        if not jobs:
            return 0
        first, last = occupancy.hands_on_bounds[provider_id, day]
        return (
            last - first - sum(j.service.hands_on_minutes for j in jobs)
        ) // self.call.facts.grid

    def _moved(self, tried: Try, moved: frozenset[str]) -> Option | None:
        """The request booked in the try with `moved` out of the way, each moved booking put
        back at its best free start; None when any of it does not fit."""
        call, job = self.call, tried.job
        kept = self._around(tried, moved)
        trier = Trier(call.facts, call.jobs, kept)
        again = trier.tried(job, tried.candidate)
        opened = on_grid(subtract(again.free, tried.free), call.facts.grid)
        if not opened:
            return None
        insertion = trier.best([job], [again], again, opened)
        if insertion is None:
            return None
        placed = kept | insertion.placements
        for booking_id in sorted(moved, key=lambda i: call.placements[i].start):
            booking = self.call.by_id[booking_id]
            trier = Trier(call.facts, call.jobs, placed)
            back = [trier.tried(booking, c) for c in booking.candidates]
            best = [trier.best([booking], back, t, t.free) for t in back if t.free]
            chosen = max((b for b in best if b is not None), key=lambda b: b.change, default=None)
            if chosen is None:
                return None
            placed = placed | chosen.placements
        return option_of(call, self._insertion(placed, moved), self._moves(placed, moved))

    def _around(self, tried: Try, moved: frozenset[str]) -> Placements:
        """The bookings the request in the try and the `moved` ones put back can meet: on its
        day, those of the providers, room types, machines and patients concerned, and every
        booking of the caller (for the series and consultations)."""
        call, day = self.call, tried.candidate.day
        involved = [tried.job, *(self.call.by_id[i] for i in moved)]
        providers = {tried.candidate.provider_id} | {call.placements[i].provider_id for i in moved}
        room_types = {t for j in involved for t in j.room_types}
        machines = {m for j in involved for m in j.service.equipment}
        patients = {j.patient_id for j in involved}
        if day not in self.on_day:
            self.on_day[day] = [
                i for i, p in call.placements.items() if p.start // MINUTES_PER_DAY == day
            ]
        return {
            i: call.placements[i]
            for i in [*self.on_day[day], *self.callers]
            if i not in moved
            and (
                call.placements[i].provider_id in providers
                or call.placements[i].room_type in room_types
                or machines.intersection(self.call.by_id[i].service.equipment)
                or self.call.by_id[i].patient_id in patients
            )
        }

    def _insertion(self, placed: Placements, moved: frozenset[str]) -> Insertion:
        """The request and the moves as one insertion: its placements, and the change of every
        term over the provider-days they touch."""
        call, job = self.call, self.call.job
        assert job is not None
        changed = {i: placed[i] for i in (job.id, *moved)}
        days = {(p.provider_id, p.start // MINUTES_PER_DAY) for p in changed.values()}
        days |= {
            (call.placements[i].provider_id, call.placements[i].start // MINUTES_PER_DAY)
            for i in moved
        }

        def terms(placements: Placements) -> dict[str, int]:
            around = {
                i: p
                for i, p in placements.items()
                if (p.provider_id, p.start // MINUTES_PER_DAY) in days
            }
            return objective_terms(call.state, [self.call.by_id[i] for i in around], around)

        before, after = terms(call.placements), terms(call.placements | changed)
        change = {name: after[name] - before[name] for name in after}
        assert change[BOOKED_TERM] == job.weight * job.service.length
        return Insertion(changed, change)

    def _moves(self, placed: Placements, moved: frozenset[str]) -> tuple[Move, ...]:
        """The bookings of `moved` that changed time or room (one taken out of the way may
        find its own place the best again once the request is in)."""
        clock = self.call.facts.clock
        moves = []
        for booking_id in sorted(moved, key=lambda i: placed[i].start):
            job, before, after = (
                self.call.by_id[booking_id],
                self.call.placements[booking_id],
                placed[booking_id],
            )
            assert before.room_id is not None and after.room_id is not None
            if (after.start, after.room_id) == (before.start, before.room_id):
                continue
            moves.append(
                Move(
                    booking_id,
                    job.patient_id,
                    job.service.id,
                    after.provider_id,
                    clock.local(before.start),
                    clock.local(after.start),
                    before.room_id,
                    after.room_id,
                )
            )
        return tuple(moves)
