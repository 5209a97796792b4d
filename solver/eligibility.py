"""Eligibility: which provider, day and start times each request could take after every hard
rule that does not depend on other appointments.

A request with no candidate is escalated with a reason code and never enters the model.
Times are clinic minutes (see models.times); start ranges are inclusive on both ends. The
calendars and indexes come from `solver.facts`, computed once per scenario.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from models.scenario import Booking, Provider, Request, Scenario, Service
from models.times import MINUTES_PER_DAY
from solver.facts import ClinicFacts, Ranges, consult_on_file, intersect, on_grid
from solver.holds import earliest_held_start
from solver.unavailable import ProviderDays, when_text


@dataclass(frozen=True)
class Candidate:
    """One provider on one day, with the start times allowed there."""

    provider_id: str
    day: int
    starts: Ranges


@dataclass
class Job:
    """A request or existing booking to place, with its candidates."""

    id: str
    kind: str
    patient_id: str
    service: Service
    weight: int
    candidates: list[Candidate]
    request: Request | None = None
    booking: Booking | None = None
    original_start: int | None = None
    needs_consult_days: set[int] = field(default_factory=set)
    room_types: tuple[str, ...] = ()
    """Room types it may use: the service's types the clinic has, or the type of the room an
    existing booking already has, when that is one of them."""
    held: bool = False
    """A request booked before its deposit is paid (policies.deposit_holds): booked, it is
    held until its pay-by time (`solver.holds`)."""

    @property
    def locked(self) -> bool:
        """An existing booking that must stay exactly where it is."""
        return self.booking is not None and self.booking.locked


@dataclass(frozen=True)
class Escalation:
    """A request or booking that cannot be booked without a person, and why."""

    id: str
    patient_id: str
    service_id: str
    kind: str
    reason_code: str
    detail: str


def escalate(item: Job | Request | Booking, reason_code: str, detail: str) -> Escalation:
    """The escalation of a job, request or booking."""
    if isinstance(item, Job):
        return Escalation(item.id, item.patient_id, item.service.id, item.kind, reason_code, detail)
    kind = "request" if isinstance(item, Request) else "booking"
    return Escalation(item.id, item.patient, item.service, kind, reason_code, detail)


@dataclass
class Eligibility:
    """Jobs for the model and escalations for the exception queue."""

    jobs: list[Job]
    escalations: list[Escalation]


def asked_at(scenario: Scenario, request: Request) -> datetime:
    """When the patient asked, as clinic wall-clock time (no time given: after everyone)."""
    asked = request.requested_at
    if asked is None:
        return datetime.max
    if asked.tzinfo is not None:
        asked = asked.astimezone(scenario.clinic.clock().zone).replace(tzinfo=None)
    return asked


class _RequestRules:
    """Applies the hard rules to one request, remembering the first rule that empties it."""

    def __init__(self, facts: ClinicFacts) -> None:
        self.facts = facts
        self.scenario = scenario = facts.scenario
        self.consults_asked: dict[str, set[str]] = defaultdict(set)
        """The consult services each patient has requested or booked."""
        confirmed = [b for b in scenario.bookings if b.status == "confirmed"]
        items: list[Request | Booking] = [*scenario.requests, *confirmed]
        for item in items:
            if item.service in facts.consult_ids:
                self.consults_asked[item.patient].add(item.service)
        hours = scenario.policies.deposit_deadline_hours
        self.held_from = earliest_held_start(facts.clock, facts.not_before, hours)
        """The earliest start of a held request: the deposit deadline after the booking time
        (`facts.not_before`: the horizon's start, or a re-plan's now)."""

    def evaluate(self, request: Request) -> Job | Escalation:
        """The request's job with candidates, or its escalation."""
        service = self.scenario.service(request.service)
        problem = self._static_problem(request, service)
        if problem:
            return escalate(request, *problem)
        days = self._window_days(request)
        if not days:
            return escalate(request, "window_closed", "the clinic is closed on every day")
        today = self.facts.not_before // MINUTES_PER_DAY
        if all(day < today for day in days):
            return escalate(request, "window_passed", "every day of the window is past")
        days = self._spaced_days(request, service, days)
        if not days:
            detail = f"too soon after the last {service.id} (series spacing)"
            return escalate(request, "series_too_soon", detail)
        consult_days = self._days_needing_consult(request, service, days)
        qualifying = self.facts.qualifying_consults(service)
        if consult_days and not qualifying & self.consults_asked[request.patient]:
            days = [day for day in days if day not in consult_days]
            if not days and not qualifying:
                detail = f"no consultation on the menu qualifies {service.id}"
                return escalate(request, "no_qualifying_consult", detail)
            if not days:
                detail = f"no valid consultation on file or requested qualifies {service.id}"
                return escalate(request, "consult_required", detail)
        providers = self._providers(request, service)
        candidates = self._candidates(service, providers, days)
        if not candidates:
            return escalate(request, *ProviderDays(self.facts, service).why_none(providers, days))
        held = self._deposit_due(request, service)
        if held:
            candidates = self._after_deposit_deadline(candidates)
            if not candidates:
                return escalate(request, "deposit_due_too_soon", self._too_soon(service))
        return Job(
            id=request.id,
            kind="request",
            patient_id=request.patient,
            service=service,
            weight=self.scenario.weight_of(request),
            candidates=candidates,
            request=request,
            needs_consult_days=consult_days & {c.day for c in candidates},
            room_types=_usable_room_types(self.facts, service, None),
            held=held,
        )

    def _static_problem(self, request: Request, service: Service) -> tuple[str, str] | None:
        permitted = [p for p in self.scenario.providers if service.id in p.services]
        if not permitted:
            return "no_permitted_provider", f"nobody may perform {service.id}"
        required = request.required_provider
        if required and required not in {p.id for p in permitted}:
            return "required_provider_not_permitted", f"{required} may not perform {service.id}"
        if required:
            permitted = [self.scenario.provider(required)]
        if all(self._expired_before(p, request.earliest) for p in permitted):
            expiries = "; ".join(f"{p.id}: licence expired {p.license_expires}" for p in permitted)
            return "licence_expired", f"every permitted provider's licence has expired ({expiries})"
        if not _usable_room_types(self.facts, service, None):
            return "no_room_of_type", f"no room of type {', '.join(service.room_types)}"
        counts = self.facts.machine_counts
        for machine, units in service.equipment.items():
            if counts.get(machine, 0) < units:
                return (
                    "no_equipment",
                    f"{machine}: {units} needed, {counts.get(machine, 0)} working",
                )
        if self._deposit_due(request, service) and not self.scenario.policies.deposit_holds:
            return "deposit_unpaid", f"{self._deposit_words(service)} not paid and no card on file"
        return None

    @staticmethod
    def _expired_before(provider: Provider, day: date) -> bool:
        return provider.license_expires is not None and provider.license_expires <= day

    def _deposit_due(self, request: Request, service: Service) -> bool:
        """Whether the service's deposit is still to be paid: not paid, no card on file."""
        patient = self.scenario.patient(request.patient)
        return service.deposit > 0 and not (request.deposit_paid or patient.deposit_on_file)

    def _deposit_words(self, service: Service) -> str:
        return f"deposit of {self.scenario.clinic.money(service.deposit)}"

    def _after_deposit_deadline(self, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates' starts from `held_from` on; candidates left without one dropped."""
        kept = []
        for candidate in candidates:
            starts = intersect(candidate.starts, [(self.held_from, candidate.starts[-1][1])])
            starts = on_grid(starts, self.facts.grid)
            if starts:
                kept.append(Candidate(candidate.provider_id, candidate.day, starts))
        return kept

    def _too_soon(self, service: Service) -> str:
        """Why a held request has no start: all are before its deposit could be due."""
        hours = self.scenario.policies.deposit_deadline_hours
        when = when_text(self.facts, self.held_from)
        return (
            f"{self._deposit_words(service)} not paid and no card on file; held, it would be "
            f"sooner than the {hours}-hour deposit deadline: every start of its window is before "
            f"{when}"
        )

    def _window_days(self, request: Request) -> list[int]:
        clock = self.facts.clock
        first = max(0, clock.day_index(request.earliest))
        last = min(clock.num_days - 1, clock.day_index(request.latest))
        return [d for d in range(first, last + 1) if self.facts.clinic_open(d) is not None]

    def _spaced_days(self, request: Request, service: Service, days: list[int]) -> list[int]:
        spacing = service.min_days_between
        if spacing is None:
            return days
        past = [
            h.date
            for h in self.scenario.patient(request.patient).history
            if h.service == service.id
        ]
        clock = self.facts.clock
        return [d for d in days if all(abs((clock.day(d) - when).days) >= spacing for when in past)]

    def _days_needing_consult(
        self, request: Request, service: Service, days: list[int]
    ) -> set[int]:
        if not service.requires_consult:
            return set()
        patient = self.scenario.patient(request.patient)
        clock = self.facts.clock
        return {
            d for d in days if not consult_on_file(self.scenario, patient, service, clock.day(d))
        }

    def _providers(self, request: Request, service: Service) -> list[Provider]:
        providers = [p for p in self.scenario.providers if service.id in p.services]
        if request.required_provider:
            providers = [p for p in providers if p.id == request.required_provider]
        return providers

    def _candidates(
        self, service: Service, providers: list[Provider], days: list[int]
    ) -> list[Candidate]:
        candidates = []
        for provider in providers:
            for day in days:
                starts = self.facts.starts(service, provider, day)
                if starts:
                    candidates.append(Candidate(provider.id, day, starts))
        return candidates


def _usable_room_types(
    facts: ClinicFacts, service: Service, room_id: str | None
) -> tuple[str, ...]:
    """The service's room types the clinic has; only the room's type when an existing booking
    already has a room of one of them."""
    types = tuple(t for t in service.room_types if facts.room_count(t))
    kept = facts.room_type_of.get(room_id) if room_id is not None else None
    return (kept,) if kept in types else types


def _booking_job(facts: ClinicFacts, booking: Booking) -> Job | Escalation:
    scenario = facts.scenario
    service = scenario.service(booking.service)
    provider = scenario.provider(booking.provider)
    start = facts.clock.minute(booking.start)
    day = start // MINUTES_PER_DAY
    problem = _booking_problem(facts, booking, facts.clock.day(day))
    if problem:
        return escalate(booking, "booking_conflict", problem)
    starts = facts.starts(service, provider, day, fixed=booking.locked)
    if booking.locked:
        if not any(low <= start <= high for low, high in starts):
            detail = f"{provider.id} or the clinic is not available at the booked time"
            return escalate(booking, "booking_conflict", detail)
        starts = [(start, start)]
    if not starts:
        return escalate(
            booking, "booking_conflict", f"{provider.id} has no time for it that day any more"
        )
    return Job(
        id=booking.id,
        kind="booking",
        patient_id=booking.patient,
        service=service,
        weight=0,
        candidates=[Candidate(provider.id, day, starts)],
        booking=booking,
        original_start=start,
        room_types=_usable_room_types(facts, service, booking.room),
    )


def _booking_problem(facts: ClinicFacts, booking: Booking, when: date) -> str | None:
    """Why an existing booking cannot stand whatever its time, if it cannot."""
    scenario = facts.scenario
    service = scenario.service(booking.service)
    if service.id not in scenario.provider(booking.provider).services:
        return f"{booking.provider} may not perform {service.id}"
    if not _usable_room_types(facts, service, None):
        return f"no room of type {', '.join(service.room_types)}"
    counts = facts.machine_counts
    short = [m for m, units in service.equipment.items() if counts.get(m, 0) < units]
    if short:
        return f"not enough working {', '.join(short)}"
    spacing = service.min_days_between or 0
    history = scenario.patient(booking.patient).history
    if any(h.service == service.id and abs((when - h.date).days) < spacing for h in history):
        return f"too soon after the last {service.id} (series spacing {spacing} days)"
    return None


def _overlap(first: list[tuple[int, int]], second: list[tuple[int, int]]) -> bool:
    return any(a < d and c < b for a, b in first for c, d in second)


def _locked_clashes(scenario: Scenario, jobs: list[Job]) -> dict[str, str]:
    """Locked bookings that collide with an earlier locked booking, and with which."""
    clashes: dict[str, str] = {}
    kept: list[Job] = []
    for job in (j for j in jobs if j.locked):
        other = next((o for o in kept if _collide(job, o)), None)
        if other is None:
            kept.append(job)
        else:
            clashes[job.id] = other.id
    return clashes


def _collide(first: Job, second: Job) -> bool:
    """Whether two locked bookings need the same provider, patient or room at once."""
    assert first.booking is not None and second.booking is not None
    start_a, start_b = first.original_start or 0, second.original_start or 0
    stay_a = [(start_a, start_a + first.service.length)]
    stay_b = [(start_b, start_b + second.service.length)]
    turnover_a = [(start_a, stay_a[0][1] + first.service.buffer_after)]
    turnover_b = [(start_b, stay_b[0][1] + second.service.buffer_after)]
    return (
        (
            first.booking.provider == second.booking.provider
            and _overlap(first.service.hands_on(start_a), second.service.hands_on(start_b))
        )
        or (first.patient_id == second.patient_id and _overlap(stay_a, stay_b))
        or (first.booking.room == second.booking.room and _overlap(turnover_a, turnover_b))
        or _too_close(first, second)
    )


def _too_close(first: Job, second: Job) -> bool:
    """Two bookings of one series for one patient closer than the series spacing."""
    if first.patient_id != second.patient_id or first.service.id != second.service.id:
        return False
    day_a = (first.original_start or 0) // MINUTES_PER_DAY
    day_b = (second.original_start or 0) // MINUTES_PER_DAY
    return abs(day_a - day_b) < (first.service.min_days_between or 0)


def eligibility(facts: ClinicFacts) -> Eligibility:
    """Candidates for every request and booking, and the escalations (every movable start at
    or after `facts.not_before`)."""
    scenario = facts.scenario
    rules = _RequestRules(facts)
    active = [b for b in scenario.bookings if b.status == "confirmed"]
    outcomes = [_booking_job(facts, b) for b in active]
    outcomes += [rules.evaluate(r) for r in scenario.requests]
    jobs = [o for o in outcomes if isinstance(o, Job)]
    escalations = [o for o in outcomes if isinstance(o, Escalation)]
    clashes = _locked_clashes(scenario, jobs)
    for job in [j for j in jobs if j.id in clashes]:
        jobs.remove(job)
        escalations.append(
            escalate(job, "booking_conflict", f"overlaps locked booking {clashes[job.id]}")
        )
    return _whole_visits(scenario, _consults_to_book(facts, Eligibility(jobs, escalations)))


def _consults_to_book(facts: ClinicFacts, result: Eligibility) -> Eligibility:
    """Treatments that need a consult in the schedule keep only the days they can have one
    that qualifies them; a treatment left with no day is escalated as consult_required."""
    consults: dict[str, set[str]] = defaultdict(set)
    for job in result.jobs:
        if job.service.category == "consult":
            consults[job.patient_id].add(job.service.id)
    jobs = []
    for job in result.jobs:
        qualifying = facts.qualifying_consults(job.service)
        if job.needs_consult_days and not qualifying & consults[job.patient_id]:
            job.candidates = [c for c in job.candidates if c.day not in job.needs_consult_days]
            job.needs_consult_days = set()
        if job.candidates:
            jobs.append(job)
        else:
            detail = "the consultation it needs cannot be booked"
            result.escalations.append(escalate(job, "consult_required", detail))
    return Eligibility(jobs, result.escalations)


def _whole_visits(scenario: Scenario, result: Eligibility) -> Eligibility:
    """Escalate every part of a visit one of whose parts is escalated."""
    broken = {
        r.visit for r in scenario.requests if r.visit and r.id in {e.id for e in result.escalations}
    }
    if not broken:
        return result
    keep = []
    for job in result.jobs:
        if job.request is not None and job.request.visit in broken:
            detail = f"another part of visit {job.request.visit} cannot be booked"
            result.escalations.append(escalate(job, "visit_incomplete", detail))
        else:
            keep.append(job)
    return Eligibility(keep, result.escalations)
