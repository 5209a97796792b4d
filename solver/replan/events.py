"""Same-day events applied to a solved schedule at "now": what each one frees, displaces,
takes out of service or adds, before anything is re-planned; then the deposit holds whose
pay-by time has come (hold_expired) and the waitlist offers whose reply-by time has come
(offer_expired) are released."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from models.events import (
    Cancel,
    Confirm,
    Decline,
    DepositPaid,
    NewRequest,
    NoShow,
    ProviderOut,
    Reschedule,
    RoomOrMachineDown,
    RunningLate,
)
from models.findings import excerpt
from models.results import Appointment, Schedule
from models.scenario import Request, Scenario, TimeOff
from models.times import MINUTES_PER_DAY, ClinicClock, day_pieces, format_clock
from solver.facts import Outage, consult_on_file


class EventError(ValueError):
    """An event that cannot apply to the schedule (unknown id, in the past, ...)."""


def horizon_minute(clock: ClinicClock, moment: datetime) -> int | None:
    """The clinic minute of a moment within the horizon (its very end included), or None."""
    try:
        minute = clock.minute(moment)
    except OverflowError:  # within a day of year 1 or 9999, with an offset
        return None
    return minute if 0 <= minute <= clock.num_days * MINUTES_PER_DAY else None


def horizon_text(clock: ClinicClock) -> str:
    """The horizon in words: '2026-12-07 00:00 to 2026-12-09 00:00'."""
    return f"{clock.first_day} 00:00 to {clock.day(clock.num_days)} 00:00"


@dataclass
class Day:
    """What the events did to the calendar, before re-planning."""

    scenario: Scenario
    rows: dict[str, Appointment]
    now: int
    clock: ClinicClock
    released: dict[str, str] = field(default_factory=dict)
    displaced: set[str] = field(default_factory=set)
    rescheduled: dict[str, Reschedule] = field(default_factory=dict)
    new_requests: list[Request] = field(default_factory=list)
    time_off: dict[str, list[TimeOff]] = field(default_factory=dict)
    outages: list[Outage] = field(default_factory=list)
    active_days: set[int] = field(default_factory=set)
    stranded: dict[str, str] = field(default_factory=dict)
    """Displaced parts of a visit already under way (id -> the part that started): they cannot
    move away from it, so they go to a person."""
    confirmed: set[str] = field(default_factory=set)
    """Appointments the patient confirmed by a reply."""
    paid: set[str] = field(default_factory=set)
    """Held appointments whose deposit the patient paid (deposit_paid): no longer held."""

    def __post_init__(self) -> None:
        self.requests = {request.id: request for request in self.scenario.requests}
        self.bookings = {booking.id: booking for booking in self.scenario.bookings}

    def visit_of(self, row_id: str) -> str | None:
        """The visit an appointment belongs to, if any."""
        item = self.requests.get(row_id) or self.bookings.get(row_id)
        return item.visit if item is not None else None

    def from_waitlist(self, row_id: str) -> bool:
        """Booked from the waitlist: the row of a `source: waitlist` request, or a booking an
        earlier re-plan made from the waitlist."""
        request, booking = self.requests.get(row_id), self.bookings.get(row_id)
        if request is not None:
            return request.source == "waitlist"
        return booking is not None and booking.from_waitlist

    def minute(self, moment: datetime | None, default: int, what: str, fix: str) -> int:
        """The clinic minute of an event's time, `default` if left out; a time outside the
        horizon is refused, naming `what` it is and the `fix`."""
        if moment is None:
            return default
        minute = horizon_minute(self.clock, moment)
        if minute is None:
            written = excerpt(moment.isoformat(timespec="minutes"))
            raise EventError(
                f"{what} {written} lies outside the scenario's horizon, "
                f"{horizon_text(self.clock)}; write a time within it, or {fix}"
            )
        return minute

    def span(
        self, event: ProviderOut | RoomOrMachineDown, name: str, not_before: int = 0
    ) -> tuple[int, int]:
        """[from, to) of an absence or outage: from now by default (never before
        `not_before`), to the end of that day by default."""
        start = self.minute(event.start, self.now, f"{name}: from", "leave from out for now")
        start = max(start, not_before)
        end = self.minute(
            event.end, self.end_of_day(start), f"{name}: to", "leave to out for the end of that day"
        )
        if end <= start:
            raise EventError(f"{name}: ends before it starts; check from/to")
        return start, end

    def forget(self, row_id: str) -> None:
        """The patient gave the slot up: an earlier displacement or reschedule no longer holds."""
        self.displaced.discard(row_id)
        self.rescheduled.pop(row_id, None)

    def booked_row(self, row_id: str, event: str) -> Appointment:
        row = self.rows.get(row_id)
        if row is None:
            raise EventError(
                f"{event}: no appointment {excerpt(row_id)} in the schedule; check the id"
            )
        if row.status != "booked" or row.start is None:
            raise EventError(
                f"{event}: {excerpt(row_id)} is not booked ({row.status}); nothing to change"
            )
        if row_id in self.released:
            raise EventError(
                f"{event}: {excerpt(row_id)} was given up by an earlier event "
                f"({self.released[row_id]}); nothing to change"
            )
        return row

    def upcoming(self, row: Appointment, event: str) -> int:
        """The start of a booked row that has not begun; one that has is refused for `event`."""
        start = self.start_of(row)
        if start < self.now:
            raise EventError(
                f"{event}: {excerpt(row.request_id)} started at {row.start}, before now; too late"
            )
        return start

    def release(self, row: Appointment, status: str) -> None:
        """The slot is given up (`status`: cancelled, no_show, declined, ...): its day is
        re-planned, and an earlier displacement or reschedule of it no longer holds."""
        self.released[row.request_id] = status
        self.forget(row.request_id)
        self.active_days.add(self.start_of(row) // MINUTES_PER_DAY)

    def held(self, row: Appointment) -> bool:
        """Whether a row is still held for its deposit after the events."""
        return row.pay_by is not None and row.request_id not in self.paid

    def offered(self, row: Appointment) -> bool:
        """Whether a row is a waitlist offer still waiting for the patient's answer (it has a
        reply-by time, and no confirmation)."""
        confirmed = row.confirmed or row.request_id in self.confirmed
        return row.reply_by is not None and not confirmed

    def start_of(self, row: Appointment) -> int:
        assert row.start is not None
        return self.clock.minute(row.start)

    def end_of_day(self, minute: int) -> int:
        return (minute // MINUTES_PER_DAY + 1) * MINUTES_PER_DAY


def _apply_cancel(day: Day, event: Cancel) -> None:
    row = day.booked_row(event.booking, "cancel")
    start = day.upcoming(row, "cancel")
    notice = day.scenario.policies.cancellation_notice_hours * 60
    ahead = day.clock.local(start).timestamp() - _called(day, event).timestamp()
    late = ahead < timedelta(minutes=notice).total_seconds()  # real hours, DST included
    day.release(row, "cancelled_late" if late else "cancelled")


def _called(day: Day, event: Cancel) -> datetime:
    """When the patient called: `at` (any time up to now, days before the horizon too), or
    now."""
    now = day.clock.local(day.now)
    if event.at is None:
        return now
    called = event.at if event.at.tzinfo else event.at.replace(tzinfo=day.clock.zone)
    if called > now:
        written = excerpt(event.at.isoformat(timespec="minutes"))
        raise EventError(
            f"cancel {excerpt(event.booking)}: at {written} is after now ({now:%Y-%m-%d %H:%M}); "
            "write when the patient called, or leave at out for now"
        )
    return called


def _apply_no_show(day: Day, event: NoShow) -> None:
    row = day.booked_row(event.booking, "no_show")
    start = day.start_of(row)
    if start > day.now:
        raise EventError(
            f"no_show: {excerpt(row.request_id)} starts at {row.start}, after now; wait"
        )
    day.release(row, "no_show")


def _apply_decline(day: Day, event: Decline) -> None:
    """A waitlist offer turned down: the slot is released, without a fee, to the waitlist."""
    row = day.booked_row(event.booking, "decline")
    name = excerpt(row.request_id)
    if not day.from_waitlist(row.request_id):
        raise EventError(
            f"decline: {name} was not booked from the waitlist, so there is no offer to turn "
            "down (decline answers a source: waitlist request's slot or one a re-plan booked "
            "from the waitlist); if the patient gives the appointment up, it is a cancel event"
        )
    if row.confirmed or row.request_id in day.confirmed:
        raise EventError(
            f"decline: the patient confirmed {name}, so the offer was taken; if they give it "
            "up now, it is a cancel event"
        )
    day.upcoming(row, "decline")
    day.release(row, "declined")


def _apply_away(day: Day, provider_id: str, start: int, end: int) -> None:
    """The provider cannot work in [start, end): displace what they had there."""
    known = {p.id for p in day.scenario.providers}
    if provider_id not in known:
        raise EventError(
            f"provider {excerpt(provider_id)} is unknown; use one of {', '.join(sorted(known))}"
        )
    start = max(start, day.now, _busy_until(day, provider_id))
    if end <= start:
        return
    grid = day.scenario.clinic.slot_minutes
    start, end = start // grid * grid, -(-end // grid) * grid
    for row in day.rows.values():
        if (
            row.provider_id == provider_id
            and row.status == "booked"
            and row.request_id not in day.released
        ):
            begin = day.start_of(row)
            if begin >= day.now and _hands_on_overlaps(day, row, begin, start, end):
                day.displaced.add(row.request_id)
    for day_index, low, high in day_pieces(start, end):
        midnight = day_index * MINUTES_PER_DAY
        hours = f"{format_clock(low - midnight)}-{format_clock(high - midnight)}"
        absence = TimeOff.model_validate({"date": day.clock.day(day_index), "hours": hours})
        day.time_off.setdefault(provider_id, []).append(absence)
        day.active_days.add(day_index)


def _busy_until(day: Day, provider_id: str) -> int:
    """End of the provider's appointment under way at "now", if any."""
    ends = [
        day.clock.minute(row.end)
        for row in day.rows.values()
        if row.provider_id == provider_id
        and row.status == "booked"
        and row.start is not None
        and row.end is not None
        and day.start_of(row) < day.now < day.clock.minute(row.end)
    ]
    return max(ends, default=day.now)


def _hands_on_overlaps(day: Day, row: Appointment, begin: int, start: int, end: int) -> bool:
    parts = day.scenario.service(row.service_id).hands_on(begin)
    return any(a < end and start < b for a, b in parts)


def _apply_outage(day: Day, event: RoomOrMachineDown) -> None:
    rooms = {r.id for r in day.scenario.rooms}
    machines = {e.id for e in day.scenario.equipment}
    if event.id not in rooms | machines:
        raise EventError(
            f"{event.kind}: {excerpt(event.id)} is neither a room nor a machine; check the id"
        )
    kind = "room" if event.id in rooms else "machine"
    start, end = day.span(event, f"{event.kind} {excerpt(event.id)}", not_before=day.now)
    start = _free_from(day, kind, event.id, start)
    if end <= start:
        return
    day.outages.append(Outage(kind, event.id, start, end))
    for row in day.rows.values():
        if row.status != "booked" or row.request_id in day.released:
            continue
        begin = day.start_of(row)
        service = day.scenario.service(row.service_id)
        uses = row.room_id == event.id if kind == "room" else event.id in service.equipment
        held = begin + service.length + (service.buffer_after if kind == "room" else 0)
        if uses and begin >= day.now and begin < end and start < held:
            day.displaced.add(row.request_id)
    day.active_days.add(start // MINUTES_PER_DAY)


def _free_from(day: Day, kind: str, item: str, start: int) -> int:
    """First moment from `start` at which the appointments under way leave the room, or a unit
    of the machine, free: an outage does not stop what has already begun."""
    capacity = 1
    if kind == "machine":
        capacity = next(m.count for m in day.scenario.equipment if m.id == item)
    holds = []
    for row in day.rows.values():
        if row.status != "booked" or row.request_id in day.released:
            continue
        begin = day.start_of(row)
        if begin >= day.now:
            continue
        service = day.scenario.service(row.service_id)
        if kind == "room" and row.room_id == item:
            holds.append((begin + service.length + service.buffer_after, 1))
        elif kind == "machine":
            holds.append((begin + service.length, service.equipment.get(item, 0)))
    moments = sorted({start, *(end for end, _ in holds if end > start)})
    return next(
        (m for m in moments if sum(units for end, units in holds if end > m) < capacity), start
    )


def _displace_treatments_without_consult(day: Day) -> None:
    """A consult given up, moved or displaced takes with it the patient's later treatments
    that may rely on it (it qualifies them, none on file does): they are re-planned (after a
    new consult) or escalated."""
    scenario = day.scenario
    moving = day.displaced | set(day.rescheduled) | set(day.released)
    for consult_id in moving:
        row = day.rows[consult_id]
        consult = scenario.service(row.service_id)
        if consult.category != "consult":
            continue
        patient = scenario.patient(row.patient_id)
        for other in day.rows.values():
            if other.patient_id != patient.id or other.status != "booked":
                continue
            begin = day.start_of(other)
            service = scenario.service(other.service_id)
            if other.request_id in moving or begin < day.now or not service.requires_consult:
                continue
            when = day.clock.day(begin // MINUTES_PER_DAY)
            if consult.qualifies_for(service) and not consult_on_file(
                scenario, patient, service, when
            ):
                day.displaced.add(other.request_id)


def _apply(day: Day, event: Any) -> None:
    if isinstance(event, Cancel):
        _apply_cancel(day, event)
    elif isinstance(event, NoShow):
        _apply_no_show(day, event)
    elif isinstance(event, ProviderOut):
        _apply_away(
            day, event.provider, *day.span(event, f"provider_out {excerpt(event.provider)}")
        )
    elif isinstance(event, RunningLate):
        _apply_away(day, event.provider, day.now, day.now + event.minutes)
    elif isinstance(event, RoomOrMachineDown):
        _apply_outage(day, event)
    elif isinstance(event, NewRequest):
        day.new_requests.append(event.request)
    elif isinstance(event, Confirm):
        day.confirmed.add(day.booked_row(event.booking, "confirm").request_id)
    elif isinstance(event, Decline):
        _apply_decline(day, event)
    elif isinstance(event, DepositPaid):  # an appointment not held stays as it is
        day.paid.add(day.booked_row(event.booking, "deposit_paid").request_id)
    elif isinstance(event, Reschedule):
        row = day.booked_row(event.booking, "reschedule")
        if day.start_of(row) < day.now:
            raise EventError(
                f"reschedule: {excerpt(row.request_id)} already started; too late to move"
            )
        day.rescheduled[row.request_id] = event
        day.active_days.add(day.start_of(row) // MINUTES_PER_DAY)


def apply_events(
    scenario: Scenario,
    schedule: Schedule,
    events: list[Any],
    now: datetime,
    *,
    expire: bool = False,
) -> Day:
    """The day after `events` at `now`, before re-planning; with `expire` (a re-plan) the
    holds unpaid at their pay-by time and the offers unanswered at their reply-by time are
    released too."""
    clock = scenario.clinic.clock()
    rows = {row.request_id: row for row in schedule.appointments}
    day = Day(scenario, rows, clock.minute(now), clock)
    for event in events:
        _apply(day, event)
    if expire:
        _release_expired(day)
    moving = -1
    while moving != len(day.displaced):  # each rule may displace more for the other
        moving = len(day.displaced)
        _displace_treatments_without_consult(day)
        _displace_whole_visits(day)
    return day


def _release_expired(day: Day) -> None:
    """An appointment still held unpaid at its pay-by time, or an offer still unanswered at
    its reply-by time (at or before now), is given up as hold_expired or offer_expired (the
    earlier time's, when both have come), its time freed as a cancellation's; one already
    under way stays."""
    now = day.clock.local(day.now)
    for row in day.rows.values():
        if row.status != "booked" or row.request_id in day.released:
            continue
        deadlines = [(row.pay_by, "hold_expired")] if day.held(row) else []
        deadlines += [(row.reply_by, "offer_expired")] if day.offered(row) else []
        passed = sorted(
            (when, status)
            for moment, status in deadlines
            if moment is not None and (when := day.clock.zoned(moment)) <= now
        )
        if passed and day.start_of(row) >= day.now:
            day.release(row, passed[0][1])


def _displace_whole_visits(day: Day) -> None:
    """A visit moves whole: displacing one part displaces the others. If a part has already
    begun, the displaced parts cannot follow it elsewhere and are stranded (escalated)."""
    parts: dict[str, list[Appointment]] = {}
    for row in day.rows.values():
        visit = day.visit_of(row.request_id)
        if visit is not None and row.status == "booked" and row.request_id not in day.released:
            parts.setdefault(visit, []).append(row)
    for rows in parts.values():
        if not any(row.request_id in day.displaced for row in rows):
            continue
        begun = [row for row in rows if day.start_of(row) < day.now]
        for row in rows:
            if begun and row.request_id in day.displaced:
                day.stranded[row.request_id] = begun[0].request_id
            elif not begun:
                day.displaced.add(row.request_id)
