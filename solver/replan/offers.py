"""Waitlist offers: a re-plan that books a waitlist request (booked_from_waitlist) offers the
slot, and the patient has until its reply-by time to take it (a confirm event); unanswered by
then, the next re-plan releases it (offer_expired) to the next on the waitlist.

The reply-by time is when the offer can go out (now, or the end of the quiet hours if now is
in them) plus policies.waitlist_reply_minutes in real minutes, never after the appointment
starts. It is written on the schedule row (schedule.csv's reply_by), the one place the
messages, the next re-plan and the state scenario read it from.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.results import Change, Schedule
from models.scenario import Policies


def reply_by(policies: Policies, now: datetime, start: datetime) -> datetime:
    """When a waitlist offer made at `now` (timezone-aware, the clinic's) for an appointment
    starting at `start` must be answered."""
    zone = now.tzinfo
    assert zone is not None
    quiet = policies.quiet_hours
    sent = now if quiet is None else quiet.first_moment_outside(now, zone)
    if sent is None:  # quiet all day: the offer cannot go, it lasts until the start
        return start.astimezone(zone)
    due = sent.astimezone(UTC) + timedelta(minutes=policies.waitlist_reply_minutes)
    return min(due, start.astimezone(UTC)).astimezone(zone)


def with_offers(
    policies: Policies, now: datetime, schedule: Schedule, changes: list[Change]
) -> Schedule:
    """The schedule with the reply-by time on every row the change list booked from the
    waitlist."""
    offered = {change.request_id for change in changes if change.change == "booked_from_waitlist"}
    return Schedule(
        appointments=[
            row.model_copy(update={"reply_by": reply_by(policies, now, row.start)})
            if row.request_id in offered and row.start is not None
            else row
            for row in schedule.appointments
        ]
    )
