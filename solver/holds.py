"""Deposit holds (policies.deposit_holds): a request whose deposit is unpaid is booked held,
its deposit due `deposit_deadline_hours` real hours before it starts (its pay-by time).

A hold is only worth making if its pay-by comes after the booking: so a held request starts at
the earliest that many hours after the booking time (a solve books at the start of its
horizon, 00:00 local of the first day; a re-plan at its "now"). The hours are counted on
absolute time (UTC): across a daylight-saving change 48 hours are 48 real hours, not two
wall-clock days.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.times import ClinicClock


def pay_by(clock: ClinicClock, start: int, hours: int) -> datetime:
    """When the deposit of a held appointment starting at clinic minute `start` is due:
    `hours` real hours before it, as local time."""
    due = clock.local(start).astimezone(UTC) - timedelta(hours=hours)
    return due.astimezone(clock.zone)


def earliest_held_start(clock: ClinicClock, booked_at: int, hours: int) -> int:
    """The first clinic minute at least `hours` real hours after clinic minute `booked_at`:
    the earliest start of an appointment held when booked then."""
    due = clock.local(booked_at).astimezone(UTC) + timedelta(hours=hours)
    minute = clock.minute(due)
    while clock.local(minute) < due:  # the repeated hour when clocks go back
        minute += 1
    return minute
