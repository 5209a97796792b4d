"""The change list of a re-plan: who moves from when/who/where to when/who/where, who is new,
who must be called, whose cancellation falls under the fee policy."""

from __future__ import annotations

from datetime import datetime

from models.results import Appointment, Change, Schedule
from models.scenario import RELEASED_STATUSES
from solver.replan.events import Day
from solver.schedule import owner_of


def change_list(day: Day, before: Schedule, after: Schedule) -> list[Change]:
    """Who moves from when/who/where to when/who/where, who is new, who must be called."""
    owner = owner_of(day.scenario.policies, same_day=True)
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
                fee_policy=kind in RELEASED_STATUSES - {"cancelled"},
                owner=owner,
                note=row.reason,
            )
        )
    return changes


def _change_kind(day: Day, previous: Appointment | None, row: Appointment) -> str | None:
    was_booked = previous is not None and previous.status == "booked"
    if row.reason in RELEASED_STATUSES and was_booked:
        return row.reason
    if row.status != "booked":
        return "escalated" if was_booked else None
    if not was_booked:
        return "booked_from_waitlist" if previous is not None else "booked_new_request"
    assert previous is not None
    if row.request_id in day.rescheduled:  # the patient asked for another window
        return "rescheduled"
    if (previous.start, previous.provider_id) != (row.start, row.provider_id):
        return "rebooked" if row.request_id in day.displaced else "moved"
    return "room_changed" if previous.room_id != row.room_id else None


def _text(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
