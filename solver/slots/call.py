"""One phone call against a schedule: the calendar at the moment of the call written down as
bookings (as a re-plan's state scenario), the caller's request among them, and what the rest
of `solver.slots` reads of it, derived once: the jobs, where every booking is, and the
request's job or why it cannot be booked."""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from models.dayparts import day_part_key
from models.events import NewRequest, problem_text
from models.findings import excerpt
from models.limits import MAX_ID_CHARACTERS
from models.reason_codes import SUGGESTED_ACTIONS
from models.results import Schedule
from models.scenario import Request, Scenario
from models.times import MINUTES_PER_DAY
from solver.eligibility import Escalation, Job, eligibility
from solver.facts import ClinicFacts
from solver.placement import Placements, placements_of
from solver.replan.events import Day, EventError, apply_events, horizon_text
from solver.replan.state import state_scenario

ID_ROOM = 8
"""Characters an id made for a call leaves for its number ('_2', '_3', ...)."""


class CallError(ValueError):
    """A call that cannot be asked of this scenario and schedule (an unknown patient, a window
    outside the horizon, ...), with the fix."""


@dataclass(frozen=True)
class Refusal:
    """Why the request cannot be booked at all: a reason code of docs/reasons.md, the
    specifics and what the desk can do."""

    code: str
    detail: str
    action: str


@dataclass
class Call:
    """The calendar at the moment of the call, with the caller's request."""

    scenario: Scenario
    """The clinic's scenario, as the schedule was made for it."""
    schedule: Schedule
    request: Request
    moment: datetime
    """When the call happens (the start of the horizon for a call before it)."""
    day: Day
    """The schedule's booked rows at the moment of the call, with the request added."""
    state: Scenario
    """The booked rows as bookings, and the request."""
    facts: ClinicFacts
    jobs: list[Job]
    """Every booking, and the request when it may be booked."""
    placements: Placements
    """Where every booking is."""
    job: Job | None
    """The request's job (None when it cannot be booked: see `refusal`)."""
    refusal: Refusal | None
    by_id: dict[str, Job] = field(init=False, repr=False)
    movable: frozenset[str] = field(init=False, repr=False)
    """The bookings a call may move: unlocked, and tied by no consultation order to another
    booking of their patient (moving either could put the treatment before the
    consultation, which a call does not re-check)."""

    def __post_init__(self) -> None:
        self.by_id = {job.id: job for job in self.jobs}
        self.movable = frozenset(job.id for job in self.jobs if self.fixed(job) is None)

    def fixed(self, job: Job) -> str | None:
        """Why a call may not move a job, in words (None: it may)."""
        booking = job.booking
        if booking is None:
            return "it is the request itself"
        if job.original_start is not None and job.original_start < self.facts.not_before:
            return "it has begun or is past"
        if booking.visit:
            return f"it is part of visit {booking.visit}"
        if job.locked:
            return "the clinic locked it"
        if _in_consult_order(job):
            others = [j for j in self.jobs if j.booking and j.patient_id == job.patient_id]
            if any(_in_consult_order(other) for other in others if other is not job):
                return f"{job.patient_id}'s treatment must follow the consultation"
        return None


def _in_consult_order(job: Job) -> bool:
    return job.service.category == "consult" or job.service.requires_consult


def call_request(
    scenario: Scenario,
    schedule: Schedule,
    patient: str,
    service: str,
    *,
    earliest: date | None = None,
    latest: date | None = None,
    provider: str | None = None,
    **preferences: Any,
) -> Request:
    """The request of a call: the patient, the service, the days the patient can come (the
    whole horizon by default), the provider the patient insists on, and any other request
    field (preferred_provider, preferred_times, priority, deposit_paid, ...). Raises
    CallError naming the fix."""
    clock = scenario.clinic.clock()
    first, last = clock.day(0), clock.day(clock.num_days - 1)
    _known("patient", patient, [p.id for p in scenario.patients])
    _known("service", service, [s.id for s in scenario.services])
    for value in (provider, preferences.get("preferred_provider")):
        if value is not None:
            _known("provider", value, [p.id for p in scenario.providers])
    preferred = preferences.get("preferred_provider")
    able = [p.id for p in scenario.providers if service in p.services]
    if preferred is not None and preferred not in able:
        others = ", ".join(able) or "nobody"
        raise CallError(
            f"{excerpt(preferred)} may not do {service}, so preferring them changes nothing; "
            f"prefer one who may ({others})"
        )
    earliest, latest = earliest or first, latest or last
    if latest < first or earliest > last:
        raise CallError(
            f"the window {earliest} to {latest} lies outside the schedule's horizon, "
            f"{first} to {last}; ask about days within it, or use that week's scenario"
        )
    if latest < earliest:
        raise CallError(f"the window ends ({latest}) before it starts ({earliest}); swap them")
    taken = {row.request_id for row in schedule.appointments}
    taken |= {r.id for r in scenario.requests} | {b.id for b in scenario.bookings}
    stem = f"call_{patient}_{service}"[: MAX_ID_CHARACTERS - ID_ROOM]
    names = itertools.chain([stem], (f"{stem}_{i}" for i in itertools.count(2)))
    name = next(n for n in names if n not in taken)
    fields = {
        "id": preferences.pop("id", None) or name,
        "patient": patient,
        "service": service,
        "earliest": earliest,
        "latest": latest,
        "required_provider": provider,
        **preferences,
    }
    if fields["id"] in taken:
        raise CallError(f"{excerpt(fields['id'])} is already an id of the schedule; give another")
    try:
        request = Request.model_validate(fields)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'])}: {problem_text(e)}" for e in error.errors()
        ]
        raise CallError("; ".join(problems)) from None
    parts = scenario.policies.day_part_ranges()
    for entry in request.preferred_times:
        if isinstance(entry, str) and day_part_key(entry) not in parts:
            raise CallError(
                f"preferred_times: {excerpt(entry)} is no day part of the clinic; write a time "
                f"range HH:MM-HH:MM or one of {', '.join(sorted(parts))}"
            )
    request.resolve_day_parts(parts)
    return request


def _known(what: str, value: str, ids: list[str]) -> None:
    if value not in ids:
        close = difflib.get_close_matches(value, ids, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"use a {what} id of the scenario"
        raise CallError(f"no {what} {excerpt(value)} in the scenario; {hint}")


def open_call(
    scenario: Scenario, schedule: Schedule, request: Request, now: datetime | None = None
) -> Call:
    """The calendar at `now` (default: the start of the horizon; a moment before it counts as
    its start) with the request added. Nothing before `now` is offered or moved. Raises
    CallError for a `now` after the horizon, or a schedule whose bookings cannot stand."""
    clock = scenario.clinic.clock()
    start = clock.local(0)
    moment = start if now is None or now < start else now
    if clock.minute(moment) >= clock.num_days * MINUTES_PER_DAY:
        raise CallError(
            f"the call at {moment:%Y-%m-%d %H:%M} comes after the schedule's horizon, "
            f"{horizon_text(clock)}; ask with the scenario and schedule of the week it is about"
        )
    booked = Schedule(appointments=schedule.booked())
    try:
        day = apply_events(scenario, booked, [NewRequest(request=request)], moment)
        state = state_scenario(day)
    except EventError as error:
        raise CallError(str(error)) from None
    facts = ClinicFacts(state, day.now)
    eligible = eligibility(facts)
    placements = placements_of(facts, booked)
    jobs = {job.id: job for job in eligible.jobs}
    fallen = [e for e in eligible.escalations if e.id != request.id]
    if fallen:
        told = "; ".join(f"{e.id}: {e.detail}" for e in fallen[:3])
        raise CallError(
            f"{len(fallen)} booking(s) of the schedule cannot stand at the time of the call "
            f"({told}); re-plan them first with medspa reshuffle"
        )
    job = jobs.get(request.id)
    refusal = None if job is not None else _refusal(eligible.escalations, request.id)
    return Call(
        scenario,
        schedule,
        request,
        moment,
        day,
        state,
        facts,
        list(jobs.values()),
        placements,
        job,
        refusal,
    )


def _refusal(escalations: list[Escalation], request_id: str) -> Refusal:
    escalation = next(e for e in escalations if e.id == request_id)
    code = escalation.reason_code
    return Refusal(code, escalation.detail, SUGGESTED_ACTIONS[code])
