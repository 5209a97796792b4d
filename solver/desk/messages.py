"""The communications plan: every message to patients a schedule (and a re-plan's change
list) calls for, when it goes out, on which channel and with which text; and every message
that will not go out, with why.

Timing (docs/messages.md): a confirmation and every notice go at `now`, the moment the plan
is made; a reminder `hours_before` the appointment in absolute time, or at a local time of
day `days_before` the appointment's day. Quiet hours move a reminder earlier (or, when that
is already past, to their end) and make a confirmation or notice wait until they end. Nothing
goes before `now` or at or after the appointment's start. A waitlist offer tells the reply-by
time its row carries (the re-plan that made the offer wrote it, solver/replan/offers.py).
A text that is blank or longer than its channel holds does not go. The reminders of an
appointment a re-plan moved or took off the calendar that the new plan does not send are
listed as withdrawn, so a sender drops what an earlier plan queued.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pandas as pd

from models.results import (
    MOVING_CHANGES,
    OFF_CALENDAR_CHANGES,
    Appointment,
    Change,
    Schedule,
    as_datetimes,
)
from models.scenario import Reminder, Scenario
from models.templates import moment_words, render
from models.times import wall_clock
from solver.desk.templates import AppointmentWords

MESSAGE_COLUMNS = [
    "message_id",
    "send_at",
    "patient_id",
    "channel",
    "kind",
    "name",
    "booking_id",
    "only_if_unconfirmed",
    "reply_by",
    "text",
]
"""The columns of messages.csv."""
SKIPPED_COLUMNS = ["message_id", "patient_id", "kind", "name", "booking_id", "reason"]
"""The columns of messages_skipped.csv."""
CLINIC_CANCELLED = frozenset({"escalated", "hold_expired"})
"""A booked appointment the re-plan could not keep, or released because its deposit was not
paid by its pay-by time: the patient gets a cancelled notice (a patient's own cancellation,
no-show, declined offer or offer left unanswered past its reply-by time, offer_expired, gets
none)."""
WITHDRAWN = dict.fromkeys(MOVING_CHANGES, "withdrawn: the appointment moved") | dict.fromkeys(
    OFF_CALENDAR_CHANGES, "withdrawn: the appointment is no longer on the calendar"
)
"""Why a reminder an earlier plan queued for an appointment a re-plan changed is withdrawn,
by change."""

ANSWERED_BY = {"deposit_request": "pay-by", "waitlist_offer": "reply-by"}
"""Notices that ask the patient to act by a time (the row's pay_by, reply_by): none goes once
it has passed."""


class MessagePlan(NamedTuple):
    """The messages that will be sent (messages.csv) and the ones that will not, with why
    (messages_skipped.csv)."""

    messages: pd.DataFrame
    skipped: pd.DataFrame


@dataclass(frozen=True)
class _Wanted:
    """A message an appointment calls for, before the rules decide whether and when."""

    appointment: Appointment
    kind: str
    name: str
    channel: str
    template: str | None
    due: datetime
    """When it is due, before quiet hours."""
    reminder: bool = False
    """A reminder moves earlier in quiet hours; a message on an event waits for their end."""
    only_if_unconfirmed: bool = False
    new: bool = False
    """The appointment was booked by this plan's run."""
    extra: dict[str, str] = field(default_factory=dict)
    """Placeholders beyond the appointment's (old_start, pay_by, deposit)."""
    answer_by: datetime | None = None
    """A deposit request's pay-by time, a waitlist offer's reply-by time (the row's)."""

    @property
    def message_id(self) -> str:
        return f"{self.appointment.request_id}:{self.kind}:{self.name}"


def message_plan(
    scenario: Scenario, schedule: Schedule, now: datetime, changes: list[Change] | None = None
) -> MessagePlan:
    """Every message the schedule calls for at `now` (when the plan is made, and the bookings
    of this run with it), sorted by send time, and the ones that will not go with why.
    `changes`: a re-plan's change list (its moved, cancelled and waitlist notices)."""
    clock = scenario.clinic.clock()
    now = clock.zoned(now).replace(microsecond=0)
    planner = _Planner(scenario, clock.zone, now)
    for wanted in _wanted(scenario, schedule, now, changes):
        planner.add(wanted)
    for wanted, reason in _withdrawn(scenario, now, changes or []):
        planner.withdraw(wanted, reason)
    return planner.plan()


def _wanted(
    scenario: Scenario, schedule: Schedule, now: datetime, changes: list[Change] | None
) -> list[_Wanted]:
    """The messages the appointments after `now` and the changes call for."""
    policies, zone = scenario.policies, now.tzinfo
    assert isinstance(zone, ZoneInfo)
    changed = {change.request_id: change for change in changes or []}
    booked = [
        row
        for row in schedule.appointments
        if row.status == "booked" and row.start is not None and row.start > now
    ]
    clock = scenario.clinic.clock()
    was_at: dict[str, datetime] = {}  # where a solve found the bookings it moved
    if changes is None:
        new = {row.request_id for row in booked if row.kind == "request"}
        was_at = {booking.id: clock.zoned(booking.start) for booking in scenario.bookings}
    else:
        new = {i for i, change in changed.items() if change.change == "booked_new_request"}
    offered = {i for i, change in changed.items() if change.change == "booked_from_waitlist"}
    wanted: list[_Wanted] = []
    for row in booked:
        assert row.start is not None
        fresh = row.request_id in new | offered
        for reminder in policies.reminders:
            if not reminder.on_booking:
                due = _reminder_due(reminder, row.start, zone)
                wanted.append(_reminding(row, reminder, "reminder", due, fresh))
            elif row.request_id in new:
                wanted.append(_reminding(row, reminder, "confirmation", now, fresh))
        old = _old_start(row, changed.get(row.request_id), was_at)
        if row.request_id in offered:
            wanted.append(_notice(scenario, row, "waitlist_offer", now, answer_by=row.reply_by))
        elif old is not None:
            words = moment_words(old.astimezone(zone))
            wanted.append(_notice(scenario, row, "moved", now, {"old_start": words}))
        if row.held and fresh:
            wanted.append(_deposit_request(scenario, row, now))
    for change in changed.values():
        if change.change in CLINIC_CANCELLED and change.from_start:
            was = _was_booked(change)
            if was.start is not None and was.start > now:
                wanted.append(_notice(scenario, was, "cancelled", now))
    return wanted


def _old_start(
    row: Appointment, change: Change | None, was_at: dict[str, datetime]
) -> datetime | None:
    """Where a moved appointment was: its change's from_start in a re-plan, its booking's start
    when a solve moved it; None when it did not move (a room change alone is not worth a
    message)."""
    if change is not None:
        moved = change.change in MOVING_CHANGES and change.from_start
        return datetime.fromisoformat(change.from_start) if moved else None
    return was_at.get(row.request_id) if row.moved else None


def _withdrawn(
    scenario: Scenario, now: datetime, changes: list[Change]
) -> Iterator[tuple[_Wanted, str]]:
    """The reminders of each appointment a re-plan moved or took off the calendar, at its old
    time, with why they are withdrawn (the ones of an appointment already begun went)."""
    zone = now.tzinfo
    assert isinstance(zone, ZoneInfo)
    for change in changes:
        if change.change not in WITHDRAWN or not change.from_start:
            continue
        was = _was_booked(change)
        assert was.start is not None
        if was.start <= now:
            continue
        for reminder in scenario.policies.reminders:
            if not reminder.on_booking:
                due = _reminder_due(reminder, was.start, zone)
                yield _reminding(was, reminder, "reminder", due, False), WITHDRAWN[change.change]


def _reminder_due(reminder: Reminder, start: datetime, zone: ZoneInfo) -> datetime:
    """hours_before: that many hours before the start in absolute time (across a daylight
    saving change too); days_before: the local time `at` that many days before its day."""
    if reminder.hours_before is not None:
        return (start.astimezone(UTC) - timedelta(hours=reminder.hours_before)).astimezone(zone)
    assert reminder.days_before is not None and reminder.minute_of_day is not None
    day = start.astimezone(zone).date() - timedelta(days=reminder.days_before)
    return wall_clock(day, reminder.minute_of_day, zone)


def _reminding(
    row: Appointment, reminder: Reminder, kind: str, due: datetime, new: bool
) -> _Wanted:
    return _Wanted(
        row,
        kind,
        reminder.name,
        reminder.channel,
        _written(reminder.template),
        due,
        reminder=kind == "reminder",
        only_if_unconfirmed=reminder.only_if_unconfirmed,
        new=new,
    )


def _notice(
    scenario: Scenario,
    row: Appointment,
    kind: str,
    now: datetime,
    extra: dict[str, str] | None = None,
    answer_by: datetime | None = None,
) -> _Wanted:
    notice = getattr(scenario.policies.notices, kind)
    channel = "sms" if notice is None else notice.channel
    template = None if notice is None else _written(notice.template)
    return _Wanted(
        row, kind, kind, channel, template, now, new=True, extra=extra or {}, answer_by=answer_by
    )


def _written(template: str | None) -> str | None:
    """The template, None when it is not written or blank."""
    return template if (template or "").strip() else None


def _deposit_request(scenario: Scenario, row: Appointment, now: datetime) -> _Wanted:
    assert row.pay_by is not None and now.tzinfo is not None
    extra = {
        "pay_by": moment_words(row.pay_by.astimezone(now.tzinfo)),
        "deposit": scenario.clinic.money(scenario.service(row.service_id).deposit),
    }
    return _notice(scenario, row, "deposit_request", now, extra, row.pay_by)


def _was_booked(change: Change) -> Appointment:
    """The appointment a change took off the calendar, as it was booked."""
    return Appointment(
        request_id=change.request_id,
        patient_id=change.patient_id,
        service_id=change.service_id,
        provider_id=change.from_provider or None,
        room_id=change.from_room or None,
        start=datetime.fromisoformat(change.from_start),
        status="booked",
    )


class _Planner:
    """Decides for each wanted message whether it goes, when, and with which text."""

    def __init__(self, scenario: Scenario, zone: ZoneInfo, now: datetime) -> None:
        self.patients = {patient.id: patient for patient in scenario.patients}
        self.words = AppointmentWords(scenario)
        self.quiet = scenario.policies.quiet_hours
        self.lengths = scenario.policies.message_lengths
        self.zone, self.now = zone, now
        self.messages: dict[str, dict[str, object]] = {}
        self.skipped: dict[str, dict[str, object]] = {}
        """By message id."""

    def add(self, wanted: _Wanted) -> None:
        """Plan the message, or note it skipped with the reason."""
        reason = self._refusal(wanted)
        send_at = None if reason else self._send_at(wanted)
        if send_at is None:
            self._skip(wanted, reason or self._late(wanted))
            return
        extra, reply_by = wanted.extra, None
        if wanted.kind == "waitlist_offer":
            reply_by = wanted.answer_by
            assert reply_by is not None
            extra = extra | {"reply_by": moment_words(reply_by.astimezone(self.zone))}
        text, reason = self._text(wanted, extra)
        if reason:
            self._skip(wanted, reason)
            return
        self.messages[wanted.message_id] = _row(wanted) | {
            "send_at": send_at,
            "channel": wanted.channel,
            "only_if_unconfirmed": wanted.only_if_unconfirmed,
            "reply_by": reply_by,
            "text": text,
        }

    def withdraw(self, wanted: _Wanted, reason: str) -> None:
        """List a reminder an earlier plan may have queued, unless this plan sends it: why it
        is withdrawn, and why this plan does not send it, unless that is its time."""
        if wanted.message_id in self.messages:
            return
        skipped = self.skipped.get(wanted.message_id, {}).get("reason")
        if skipped is not None and skipped != "due before now":
            reason = f"{reason}; {skipped}"
        self._skip(wanted, reason)

    def _skip(self, wanted: _Wanted, reason: str) -> None:
        self.skipped[wanted.message_id] = _row(wanted) | {"reason": reason}

    def plan(self) -> MessagePlan:
        messages = pd.DataFrame(list(self.messages.values()), columns=MESSAGE_COLUMNS)
        as_datetimes(messages, ("send_at", "reply_by"), self.zone)
        messages = messages.sort_values(["send_at", "message_id"], kind="stable")
        skipped = pd.DataFrame(list(self.skipped.values()), columns=SKIPPED_COLUMNS)
        return MessagePlan(messages.reset_index(drop=True), skipped)

    def _refusal(self, wanted: _Wanted) -> str | None:
        """Why the message cannot go whenever it is sent, or None."""
        if wanted.template is None:
            if wanted.kind in ("confirmation", "reminder"):
                return "no template"
            return f"no {wanted.kind} template in policies.notices"
        patient = self.patients.get(wanted.appointment.patient_id)
        channel = wanted.channel
        if patient is not None and not patient.reachable_on(channel):
            if channel in patient.opt_out:
                return f"opted out of {channel}"
            return f"no {'phone' if channel == 'sms' else 'email'} on file"
        if wanted.only_if_unconfirmed and wanted.appointment.confirmed:
            return "confirmed already"
        if wanted.due < self.now:
            return "booked after this reminder's time" if wanted.new else "due before now"
        if wanted.kind in ANSWERED_BY and wanted.answer_by is None:
            return f"no {ANSWERED_BY[wanted.kind]} time in the schedule"
        if wanted.answer_by is not None and wanted.answer_by <= self.now:
            return f"the {ANSWERED_BY[wanted.kind]} time has passed"
        return None

    def _send_at(self, wanted: _Wanted) -> datetime | None:
        """When the message goes, quiet hours kept (None: no time before the appointment)."""
        if wanted.due >= _start(wanted):
            return None
        send: datetime | None = wanted.due
        quiet = self.quiet
        if quiet is not None and quiet.covers_moment(wanted.due, self.zone):
            earlier = quiet.period(wanted.due, self.zone)[0] - timedelta(minutes=1)
            if (
                wanted.reminder
                and earlier > self.now
                and not quiet.covers_moment(earlier, self.zone)
            ):
                send = earlier
            else:  # when they end (the due time is at or after now); None: quiet all day
                send = quiet.first_moment_outside(wanted.due, self.zone)
        return send if send is not None and send < _start(wanted) else None

    def _late(self, wanted: _Wanted) -> str:
        """Why no time is left for a message that has no reason against it."""
        if wanted.due >= _start(wanted):
            return "due at or after the appointment's start"
        return "quiet hours last until the appointment"

    def _text(self, wanted: _Wanted, extra: dict[str, str]) -> tuple[str, str | None]:
        """The message text, or why it cannot go: the template fails (the audit says why),
        the text is blank or longer than its channel holds."""
        assert wanted.template is not None
        values = self.words.of(wanted.appointment) | extra
        try:
            text = render(wanted.template, values)
        except Exception:  # a template the audit flags as bad_template
            return "", "the template cannot be rendered (medspa audit says why)"
        if not text.strip():
            return "", "the text would be blank"
        limit = getattr(self.lengths, wanted.channel)
        if len(text) > limit:
            return "", f"longer than the {limit:,} characters an {wanted.channel} may hold"
        return text, None


def _start(wanted: _Wanted) -> datetime:
    assert wanted.appointment.start is not None
    return wanted.appointment.start


def _row(wanted: _Wanted) -> dict[str, object]:
    return {
        "message_id": wanted.message_id,
        "patient_id": wanted.appointment.patient_id,
        "kind": wanted.kind,
        "name": wanted.name,
        "booking_id": wanted.appointment.request_id,
    }
