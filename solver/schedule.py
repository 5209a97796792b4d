"""Turning placements, escalations and the reasons of unbooked requests into the schedule
rows and the exception queue."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, timedelta
from typing import get_args

from models.reason_codes import SUGGESTED_ACTIONS
from models.results import DEADLINE_COLUMNS, Appointment, ExceptionItem, Schedule
from models.scenario import RELEASED_STATUSES, Policies, Scenario, Tier
from models.times import MINUTES_PER_DAY
from solver.eligibility import Escalation, Job
from solver.holds import pay_by
from solver.placement import Placements
from solver.reasons import Reason


def equipment_text(equipment: dict[str, int]) -> str:
    """Machines as 'id:units' joined by ';' (the schedule.csv equipment column)."""
    return ";".join(f"{machine}:{units}" for machine, units in sorted(equipment.items()))


def build_schedule(
    scenario: Scenario,
    jobs: list[Job],
    placements: Placements,
    escalations: list[Escalation],
    unbooked: Mapping[str, Reason],
) -> Schedule:
    """One row per existing booking and per request, in file order; none dropped. A request
    neither placed nor escalated has its reason in `unbooked` (`solver.reasons`). A held
    request gets its pay-by time; an existing booking keeps the scenario's."""
    clock = scenario.clinic.clock()
    hours = scenario.policies.deposit_deadline_hours
    by_id = {job.id: job for job in jobs}
    escalated = {e.id: e for e in escalations}
    items = [(b.id, b.patient, b.service, "booking") for b in scenario.bookings]
    released = {b.id: b.status for b in scenario.bookings if b.status != "confirmed"}
    on_calendar = {b.id: b for b in scenario.bookings}
    items += [(r.id, r.patient, r.service, "request") for r in scenario.requests]
    rows = []
    for item_id, patient_id, service_id, kind in items:
        row = Appointment(
            request_id=item_id, patient_id=patient_id, service_id=service_id, kind=kind
        )
        placement = placements.get(item_id)
        if placement is not None:
            job = by_id[item_id]
            row.provider_id, row.room_id = placement.provider_id, placement.room_id
            row.equipment = equipment_text(job.service.equipment)
            row.start, row.end = clock.local(placement.start), clock.local(placement.end(job))
            row.status = "booked"
            row.moved = job.original_start is not None and placement.start != job.original_start
            if job.held:
                row.pay_by = pay_by(clock, placement.start, hours)
        elif item_id in escalated:
            row.status, row.reason = "escalated", escalated[item_id].reason_code
        elif item_id in released:
            row.reason = released[item_id]
        else:
            row.reason = unbooked[item_id].code
        booking = on_calendar.get(item_id)
        if booking is not None:
            row.confirmed = booking.confirmed
            row.sequence = booking.sequence + row.moved  # a calendar must update a moved event
            for column in DEADLINE_COLUMNS:  # kept as the booking has them
                moment = getattr(booking, column)
                if row.status == "booked" and moment is not None:
                    setattr(row, column, clock.zoned(moment))
        rows.append(row)
    return Schedule(appointments=rows)


NOBODY = "clinic manager (set policies.escalation_owner)"
"""The owner of an exception the clinic's policy gives to nobody."""


def owner_of(policies: Policies, day: date, same_day: bool, reason_code: str = "") -> str:
    """Who handles an item that concerns `day`: the owner of its reason code
    (policies.exception_owners), else the same-day owner for same-day business, else the
    escalation owner on duty that day."""
    owner = policies.exception_owners.get(reason_code)
    owner = owner or (policies.same_day_owner if same_day else None)
    return owner or policies.escalation_owner_on(day) or NOBODY


TIER_ORDER: tuple[str, ...] = get_args(Tier)
"""Tiers from the highest (vip) to the lowest (new)."""


def build_exceptions(
    scenario: Scenario,
    schedule: Schedule,
    escalations: list[Escalation],
    unbooked: Mapping[str, Reason],
    same_day: Collection[str] = (),
    today: date | None = None,
) -> list[ExceptionItem]:
    """Everything a person must handle: escalations and requests left without a slot (their
    reasons in `unbooked`), most urgent first: by the time each concerns (a booking's start, a
    request's first day still ahead), then the highest value, then the highest tier.

    Each goes to `owner_of` its reason and day: what concerns `today` (the day of a re-plan, a
    solve's first day), existing bookings and the ids in `same_day` (patients displaced today)
    are same-day business.
    """
    clock = scenario.clinic.clock()
    details = {e.id: e.detail for e in escalations}
    details |= {item_id: reason.detail for item_id, reason in unbooked.items()}
    bookings = {b.id: b for b in scenario.bookings}
    requests = {r.id: r for r in scenario.requests}
    items = []
    for row in schedule.appointments:
        if row.status == "booked" or row.reason in RELEASED_STATUSES:  # gave up: the change list
            continue
        service, patient = scenario.service(row.service_id), scenario.patient(row.patient_id)
        booking = bookings.get(row.request_id)
        if booking is not None:
            start = clock.zoned(booking.start)
            day, window = start.date(), _slot(start, service.length)
            when = clock.minute(start)
        else:
            request = requests[row.request_id]
            day = max(request.earliest, today) if today else request.earliest
            window = _days(request.earliest, request.latest)
            when = clock.day_index(day) * MINUTES_PER_DAY
        urgent = row.kind == "booking" or row.request_id in same_day or day == today
        item = ExceptionItem(
            day=day.isoformat(),
            window=window,
            owner=owner_of(scenario.policies, day, urgent, row.reason),
            request_id=row.request_id,
            patient_id=row.patient_id,
            patient_name=patient.name or "",
            tier=patient.tier,
            service_id=service.id,
            service_name=service.name,
            value=scenario.clinic.money(service.value),
            reason_code=row.reason,
            detail=details[row.request_id],
            suggested_action=SUGGESTED_ACTIONS[row.reason],
        )
        items.append((when, -service.value, TIER_ORDER.index(patient.tier), item))
    items.sort(key=lambda entry: entry[:3])
    return [item for *_, item in items]


def _slot(start: datetime, minutes: int) -> str:
    """A booking's day and time in words: "Tue 2026-12-08 10:00-10:30"."""
    end = start + timedelta(minutes=minutes)
    return f"{start:%a} {start.date().isoformat()} {start:%H:%M}-{end:%H:%M}"


def _days(first: date, last: date) -> str:
    """A window of days in words: "Mon 2026-12-07 to Wed 2026-12-09", or one day."""
    words = f"{first:%a} {first.isoformat()}"
    return words if first == last else f"{words} to {last:%a} {last.isoformat()}"
