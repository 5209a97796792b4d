"""The change list of a re-plan: who moves from when/who/where to when/who/where, who is new,
who must be called, whose cancellation falls under the late-cancellation fee."""

from __future__ import annotations

from datetime import datetime

from models.results import (
    MOVING_CHANGES,
    OFF_CALENDAR_CHANGES,
    Appointment,
    Change,
    Schedule,
)
from models.scenario import RELEASED_STATUSES
from models.times import MINUTES_PER_DAY
from solver.replan.events import Day
from solver.schedule import owner_of

LATE_FEE = frozenset({"cancelled_late", "no_show"})
"""The releases the late-cancellation fee policy covers (not a plain cancellation, a declined
or expired waitlist offer or an expired deposit hold)."""

CALENDAR_CHANGES = MOVING_CHANGES | OFF_CALENDAR_CHANGES | {"room_changed"}
"""Changes that alter an appointment on the calendar (its time, provider or room) or take it
off: each counts its `sequence` up by one, so a calendar updates the event it has."""


def change_list(day: Day, before: Schedule, after: Schedule) -> list[Change]:
    """Who moves from when/who/where to when/who/where, who is new, who must be called."""
    today = day.clock.day(day.now // MINUTES_PER_DAY)
    owner = owner_of(day.scenario.policies, today, same_day=True)
    old = {row.request_id: row for row in before.appointments}
    changes = []
    for row in after.appointments:
        previous = old.get(row.request_id)
        kind = _change_kind(day, previous, row)
        if kind is None:
            continue
        changes.append(
            Change(
                change=kind,
                request_id=row.request_id,
                patient_id=row.patient_id,
                service_id=row.service_id,
                from_start=_text(previous.start if previous else None),
                from_provider=(previous.provider_id or "") if previous else "",
                from_room=(previous.room_id or "") if previous else "",
                to_start=_text(row.start),
                to_provider=row.provider_id or "",
                to_room=row.room_id or "",
                call_patient=kind != "room_changed" and kind not in RELEASED_STATUSES,
                late_fee_applies=kind in LATE_FEE,
                owner=owner,
                note=_note(day, kind, previous, row, after),
            )
        )
    return changes


def counted(before: Schedule, after: Schedule, changes: list[Change]) -> Schedule:
    """The new schedule with each appointment's `sequence` as before, one up for every
    appointment a change in CALENDAR_CHANGES concerns, or any change of one a calendar had
    before (taken off, now booked again); a displaced or rescheduled booking went through the
    re-plan as a request, so its count comes from the schedule before."""
    old = {row.request_id: row.sequence for row in before.appointments}
    changed = {
        change.request_id
        for change in changes
        if change.change in CALENDAR_CHANGES or old.get(change.request_id, 0) > 0
    }
    return Schedule(
        appointments=[
            row.model_copy(
                update={
                    "sequence": old.get(row.request_id, row.sequence) + (row.request_id in changed)
                }
            )
            for row in after.appointments
        ]
    )


def _note(
    day: Day, kind: str, previous: Appointment | None, row: Appointment, after: Schedule
) -> str:
    """What the change does not say: why a room changed, or the row's reason code (an
    escalation's) unless it is the change itself (cancelled_late, no_show)."""
    if kind == "room_changed":
        return _room_note(day, previous, after)
    return "" if row.reason == kind else row.reason


def _room_note(day: Day, previous: Appointment | None, after: Schedule) -> str:
    """Why an appointment that kept its time changed room: its room is out of service, or
    taken then by another appointment."""
    assert previous is not None
    room, (start, end) = previous.room_id, _held(day, previous)
    down = [o for o in day.outages if o.kind == "room" and o.id == room]
    if any(o.start < end and start < o.end for o in down):
        return f"room {room} is out of service then"
    for other in after.appointments:
        if other.room_id == room and other.request_id != previous.request_id:
            other_start, other_end = _held(day, other)
            if other_start < end and start < other_end:
                return f"room {room} is taken then by {other.request_id}"
    return f"room {room} was given to another appointment when rooms were assigned"


def _held(day: Day, row: Appointment) -> tuple[int, int]:
    """When a booked row holds its room, turnover included (clinic minutes)."""
    assert row.start is not None and row.end is not None
    buffer = day.scenario.service(row.service_id).buffer_after
    return day.clock.minute(row.start), day.clock.minute(row.end) + buffer


def _change_kind(day: Day, previous: Appointment | None, row: Appointment) -> str | None:
    was_booked = previous is not None and previous.status == "booked"
    if row.reason in RELEASED_STATUSES and was_booked:
        return row.reason
    if row.status != "booked":
        return "escalated" if was_booked else None
    if not was_booked:
        request = day.requests.get(row.request_id)
        waiting = request is not None and request.source == "waitlist"
        return "booked_from_waitlist" if waiting else "booked_new_request"
    assert previous is not None
    if row.request_id in day.rescheduled:  # the patient asked for another window
        return "rescheduled"
    if (previous.start, previous.provider_id) != (row.start, row.provider_id):
        return "rebooked" if row.request_id in day.displaced else "moved"
    return "room_changed" if previous.room_id != row.room_id else None


def _text(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
