"""Turning placements, escalations and the reasons of unbooked requests into the schedule
rows and the exception queue."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from models.results import Appointment, ExceptionItem, Schedule
from models.scenario import RELEASED_STATUSES, Policies, Scenario
from solver.eligibility import SUGGESTED_ACTIONS, Escalation, Job
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
    neither placed nor escalated has its reason in `unbooked` (`solver.reasons`)."""
    clock = scenario.clinic.clock()
    by_id = {job.id: job for job in jobs}
    escalated = {e.id: e for e in escalations}
    items = [(b.id, b.patient, b.service, "booking") for b in scenario.bookings]
    released = {b.id: b.status for b in scenario.bookings if b.status != "confirmed"}
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
        elif item_id in escalated:
            row.status, row.reason = "escalated", escalated[item_id].reason_code
        elif item_id in released:
            row.reason = released[item_id]
        else:
            row.reason = unbooked[item_id].code
        rows.append(row)
    return Schedule(appointments=rows)


def owner_of(policies: Policies, same_day: bool) -> str:
    """Who handles an item: the same-day owner for same-day changes, else the escalation owner."""
    owner = (policies.same_day_owner if same_day else None) or policies.escalation_owner
    return owner or "clinic manager (set policies.escalation_owner)"


def build_exceptions(
    scenario: Scenario,
    schedule: Schedule,
    escalations: list[Escalation],
    unbooked: Mapping[str, Reason],
    same_day: Collection[str] = (),
) -> list[ExceptionItem]:
    """Everything a person must handle: escalations and requests left without a slot (their
    reasons in `unbooked`).

    Existing bookings and the ids in `same_day` (patients displaced today) go to the
    same-day owner, the rest to the escalation owner.
    """
    details = {e.id: e.detail for e in escalations}
    details |= {item_id: reason.detail for item_id, reason in unbooked.items()}
    items = []
    for row in schedule.appointments:
        if row.status == "booked" or row.reason in RELEASED_STATUSES:  # gave up: the change list
            continue
        today = row.kind == "booking" or row.request_id in same_day
        items.append(
            ExceptionItem(
                request_id=row.request_id,
                patient_id=row.patient_id,
                reason_code=row.reason,
                owner=owner_of(scenario.policies, today),
                suggested_action=SUGGESTED_ACTIONS[row.reason],
                detail=details[row.request_id],
            )
        )
    return items
