"""The state scenario: the day after the events written down as a scenario, the input of the
re-plan and of the next event. What is on the calendar becomes bookings (cancelled ones
marked so), what still needs a time becomes requests, a provider away becomes time off, a
room or machine down becomes an out-of-service span."""

from __future__ import annotations

from typing import Any

from models.loader import ScenarioError, scenario_from_data
from models.results import Appointment
from models.scenario import Scenario
from models.times import MINUTES_PER_DAY, format_clock
from solver.replan.events import Day, EventError, Reschedule

DISPLACED_PRIORITY_FACTOR = 10
"""Displaced patients weigh this many times the heaviest tier, so they are rebooked first."""


def _as_booking(day: Day, row: Appointment) -> dict[str, Any]:
    """A booked row as an appointment on the calendar of the state scenario. What has begun,
    and the parts of a visit, are locked; the rest keeps the rulebook's flag (a booked request
    may move within its day), and the re-plan decides which days it opens."""
    start = day.start_of(row)
    original = day.bookings.get(row.request_id)
    visit = day.visit_of(row.request_id)
    kept = original is not None and original.locked
    pay_by = row.pay_by if day.held(row) else None
    offered = day.offered(row) and row.request_id not in day.released
    reply_by = row.reply_by if offered else None
    return {
        "id": row.request_id,
        "patient": row.patient_id,
        "service": row.service_id,
        "provider": row.provider_id,
        "room": row.room_id,
        "start": _local_text(day, start),
        "locked": start < day.now or visit is not None or kept,
        "status": day.released.get(row.request_id, "confirmed"),
        "visit": visit,
        "confirmed": row.confirmed or row.request_id in day.confirmed,
        "from_waitlist": day.from_waitlist(row.request_id),
        "pay_by": pay_by.isoformat() if pay_by else None,  # the offset tells a repeated hour
        "reply_by": reply_by.isoformat() if reply_by else None,
        "sequence": row.sequence,
    }


def _displaced_request(day: Day, row: Appointment, heaviest: int) -> dict[str, Any]:
    """A displaced appointment as a request for the same day, rebooked first. It keeps the
    request's own preferences; without them it prefers its provider and time. Its deposit
    counts as paid unless it was held: then it is held again, from its new time."""
    fields = _request_fields(day, row)
    start = day.start_of(row)
    when = day.clock.day(start // MINUTES_PER_DAY).isoformat()
    minute = start % MINUTES_PER_DAY
    slot = day.scenario.clinic.slot_minutes
    return fields | {
        "patient": row.patient_id,
        "service": row.service_id,
        "earliest": when,
        "latest": when,
        "preferred_provider": fields.get("preferred_provider") or row.provider_id,
        "preferred_times": fields.get("preferred_times")
        or [f"{format_clock(minute)}-{format_clock(minute + slot)}"],
        "priority": heaviest * DISPLACED_PRIORITY_FACTOR,
        "deposit_paid": not day.held(row),
        "source": "reschedule",
        "visit": day.visit_of(row.request_id),
    }


def _rescheduled_request(day: Day, row: Appointment, event: Reschedule) -> dict[str, Any]:
    """A booked appointment the patient asked to move, as a request in its new window (held
    again if it was held)."""
    return _request_fields(day, row) | {
        "patient": row.patient_id,
        "service": row.service_id,
        "earliest": event.earliest.isoformat(),
        "latest": event.latest.isoformat(),
        "deposit_paid": not day.held(row),
        "source": "reschedule",
        "visit": None,
    }


def _request_fields(day: Day, row: Appointment) -> dict[str, Any]:
    """The fields of the request a row was booked for (its preferences), or just its id when
    it was an existing booking."""
    base = day.requests.get(row.request_id)
    return base.model_dump(mode="json") if base else {"id": row.request_id}


def state_scenario(day: Day) -> Scenario:
    """The scenario of the day after the events."""
    heaviest = max(day.scenario.policies.tier_weights.values())
    bookings, requests = [], []
    for row in day.rows.values():
        if row.request_id in day.displaced:
            requests.append(_displaced_request(day, row, heaviest))
        elif row.request_id in day.rescheduled:
            requests.append(_rescheduled_request(day, row, day.rescheduled[row.request_id]))
        elif row.status == "booked":
            bookings.append(_as_booking(day, row))
        elif row.request_id in day.requests:
            requests.append(day.requests[row.request_id].model_dump(mode="json"))
        else:
            bookings.append(day.bookings[row.request_id].model_dump(mode="json"))
    requests += [r.model_dump(mode="json") for r in day.new_requests]
    data = day.scenario.model_dump(mode="json") | {"requests": requests, "bookings": bookings}
    for provider in data["providers"]:
        extra = day.time_off.get(provider["id"], [])
        provider["time_off"] += [absence.model_dump(mode="json") for absence in extra]
    for outage in day.outages:
        items = data["rooms"] if outage.kind == "room" else data["equipment"]
        item = next(i for i in items if i["id"] == outage.id)
        span = {"start": _local_text(day, outage.start), "end": _local_text(day, outage.end)}
        item["out_of_service"].append(span)
    try:
        return scenario_from_data(data, "the day after the events")
    except ScenarioError as error:
        raise EventError(error.report()) from None


def _local_text(day: Day, minute: int) -> str:
    return day.clock.local(minute).replace(tzinfo=None).isoformat()
