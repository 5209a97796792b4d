"""The same-day re-solver: apply events (cancellations, no-shows, a provider out, running late,
a room or machine down, new requests, reschedules) to a solved schedule at a given "now",
re-plan what is still ahead, fill freed time from the waitlist in the clinic's order, and
list every change.

The day after the events is written down as a *state scenario*: what is on the calendar
becomes bookings (cancelled ones marked so), what still needs a time becomes requests, a
provider away becomes time off. The state scenario and the new schedule pass the independent
checker together, and they are the input of the next event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from models.events import (
    Cancel,
    NewRequest,
    NoShow,
    ProviderOut,
    Reschedule,
    RoomOrMachineDown,
    RunningLate,
)
from models.loader import ScenarioError, scenario_from_data
from models.results import Appointment, Change, Schedule, SolveReport
from models.scenario import Request, Scenario, TimeOff
from models.times import MINUTES_PER_DAY, ClinicClock, day_pieces, format_clock
from solver.eligibility import asked_at, weight_of
from solver.greedy import in_waitlist_order
from solver.placement import Outage
from solver.schedule import build_exceptions, build_schedule, owner_of
from solver.scoring import objective_terms, total
from solver.solve import SolveResult, solve

DISPLACED_PRIORITY_FACTOR = 10
"""Displaced patients weigh this many times the heaviest tier, so they are rebooked first."""


class EventError(ValueError):
    """An event that cannot apply to the schedule (unknown id, in the past, ...)."""


@dataclass
class ReshuffleResult:
    """The state after the events, the new schedule, the change list and the solve report."""

    state: Scenario
    schedule: Schedule
    changes: list[Change]
    report: SolveReport
    value_filled: int
    first_day: date
    solved: SolveResult = field(repr=False)


@dataclass
class _Day:
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

    def __post_init__(self) -> None:
        self.requests = {request.id: request for request in self.scenario.requests}
        self.bookings = {booking.id: booking for booking in self.scenario.bookings}

    def minute(self, moment: datetime | None, default: int) -> int:
        return default if moment is None else self.clock.minute(moment)

    def forget(self, row_id: str) -> None:
        """The patient gave the slot up: an earlier displacement or reschedule no longer holds."""
        self.displaced.discard(row_id)
        self.rescheduled.pop(row_id, None)

    def booked_row(self, row_id: str, event: str) -> Appointment:
        row = self.rows.get(row_id)
        if row is None:
            raise EventError(f"{event}: no appointment '{row_id}' in the schedule; check the id")
        if row.status != "booked" or row.start is None:
            raise EventError(f"{event}: '{row_id}' is not booked ({row.status}); nothing to change")
        return row

    def start_of(self, row: Appointment) -> int:
        assert row.start is not None
        return self.clock.minute(row.start)

    def end_of_day(self, minute: int) -> int:
        return (minute // MINUTES_PER_DAY + 1) * MINUTES_PER_DAY


def _apply_cancel(day: _Day, event: Cancel) -> None:
    row = day.booked_row(event.booking, "cancel")
    start = day.start_of(row)
    if start < day.now:
        raise EventError(f"cancel: '{row.request_id}' started at {row.start}, before now; too late")
    called = day.minute(event.at, day.now)
    notice = day.scenario.policies.cancellation_notice_hours * 60
    late = day.clock.local(start) - day.clock.local(called) < timedelta(minutes=notice)
    day.released[row.request_id] = "cancelled_late" if late else "cancelled"
    day.forget(row.request_id)
    day.active_days.add(start // MINUTES_PER_DAY)


def _apply_no_show(day: _Day, event: NoShow) -> None:
    row = day.booked_row(event.booking, "no_show")
    start = day.start_of(row)
    if start > day.now:
        raise EventError(f"no_show: '{row.request_id}' starts at {row.start}, after now; wait")
    day.released[row.request_id] = "no_show"
    day.forget(row.request_id)
    day.active_days.add(start // MINUTES_PER_DAY)


def _apply_away(day: _Day, provider_id: str, start: int, end: int) -> None:
    """The provider cannot work in [start, end): displace what they had there."""
    known = {p.id for p in day.scenario.providers}
    if provider_id not in known:
        raise EventError(
            f"provider '{provider_id}' is unknown; use one of {', '.join(sorted(known))}"
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


def _busy_until(day: _Day, provider_id: str) -> int:
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


def _hands_on_overlaps(day: _Day, row: Appointment, begin: int, start: int, end: int) -> bool:
    parts = day.scenario.service(row.service_id).hands_on(begin)
    return any(a < end and start < b for a, b in parts)


def _apply_outage(day: _Day, event: RoomOrMachineDown) -> None:
    rooms = {r.id for r in day.scenario.rooms}
    machines = {e.id for e in day.scenario.equipment}
    if event.id not in rooms | machines:
        raise EventError(
            f"{event.kind}: '{event.id}' is neither a room nor a machine; check the id"
        )
    kind = "room" if event.id in rooms else "machine"
    start = max(day.minute(event.start, day.now), day.now)
    end = day.minute(event.end, day.end_of_day(start))
    if end <= start:
        raise EventError(f"{event.kind}: '{event.id}' ends before it starts; check from/to")
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


def _free_from(day: _Day, kind: str, item: str, start: int) -> int:
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


def _displace_treatments_without_consult(day: _Day) -> None:
    """A consult given up, moved or displaced takes with it the patient's later treatments
    that rely on it: they are re-planned (after a new consult) or escalated."""
    policies = day.scenario.policies
    moving = day.displaced | set(day.rescheduled) | set(day.released)
    for consult_id in moving:
        consult = day.rows[consult_id]
        if day.scenario.service(consult.service_id).category != "consult":
            continue
        patient = day.scenario.patient(consult.patient_id)
        for row in day.rows.values():
            if row.patient_id != patient.id or row.status != "booked" or row.request_id in moving:
                continue
            begin = day.start_of(row)
            when = day.clock.day(begin // MINUTES_PER_DAY)
            valid = patient.last_consult is not None and (
                0 <= (when - patient.last_consult).days <= policies.consult_valid_days
            )
            needs = day.scenario.service(row.service_id).requires_consult and not valid
            if needs and begin >= day.now:
                day.displaced.add(row.request_id)


def _apply(day: _Day, event: Any) -> None:
    if isinstance(event, Cancel):
        _apply_cancel(day, event)
    elif isinstance(event, NoShow):
        _apply_no_show(day, event)
    elif isinstance(event, ProviderOut):
        start = day.minute(event.start, day.now)
        end = day.minute(event.end, day.end_of_day(start))
        if end <= start:
            raise EventError(
                f"provider_out: '{event.provider}' ends before it starts; check from/to"
            )
        _apply_away(day, event.provider, start, end)
    elif isinstance(event, RunningLate):
        _apply_away(day, event.provider, day.now, day.now + event.minutes)
    elif isinstance(event, RoomOrMachineDown):
        _apply_outage(day, event)
    elif isinstance(event, NewRequest):
        day.new_requests.append(event.request)
    elif isinstance(event, Reschedule):
        row = day.booked_row(event.booking, "reschedule")
        if day.start_of(row) < day.now:
            raise EventError(f"reschedule: '{row.request_id}' already started; too late to move")
        day.rescheduled[row.request_id] = event
        day.active_days.add(day.start_of(row) // MINUTES_PER_DAY)


def _as_booking(day: _Day, row: Appointment) -> dict[str, Any]:
    """A booked row as an appointment on the calendar of the state scenario."""
    start = day.start_of(row)
    original = day.bookings.get(row.request_id)
    movable = start >= day.now and start // MINUTES_PER_DAY in day.active_days
    return {
        "id": row.request_id,
        "patient": row.patient_id,
        "service": row.service_id,
        "provider": row.provider_id,
        "room": row.room_id,
        "start": _local_text(day, start),
        "locked": not movable or (original is not None and original.locked),
        "status": day.released.get(row.request_id, "confirmed"),
    }


def _displaced_request(day: _Day, row: Appointment, heaviest: int) -> dict[str, Any]:
    """A displaced appointment as a request for the same day, rebooked first."""
    start = day.start_of(row)
    when = day.clock.day(start // MINUTES_PER_DAY).isoformat()
    minute = start % MINUTES_PER_DAY
    slot = day.scenario.clinic.slot_minutes
    return {
        "id": row.request_id,
        "patient": row.patient_id,
        "service": row.service_id,
        "earliest": when,
        "latest": when,
        "preferred_provider": row.provider_id,
        "required_provider": getattr(day.requests.get(row.request_id), "required_provider", None),
        "preferred_times": [f"{format_clock(minute)}-{format_clock(minute + slot)}"],
        "priority": heaviest * DISPLACED_PRIORITY_FACTOR,
        "deposit_paid": True,
        "source": "reschedule",
    }


def _rescheduled_request(day: _Day, row: Appointment, event: Reschedule) -> dict[str, Any]:
    """A booked appointment the patient asked to move, as a request in its new window."""
    base = day.requests.get(row.request_id)
    fields = base.model_dump(mode="json") if base else {"id": row.request_id}
    return fields | {
        "patient": row.patient_id,
        "service": row.service_id,
        "earliest": event.earliest.isoformat(),
        "latest": event.latest.isoformat(),
        "deposit_paid": True,
        "source": "reschedule",
        "visit": None,
    }


def _state(day: _Day) -> Scenario:
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


def _local_text(day: _Day, minute: int) -> str:
    return day.clock.local(minute).replace(tzinfo=None).isoformat()


def waitlist_order(state: Scenario, displaced: set[str]) -> list[str]:
    """Request ids of the state in the clinic's waitlist order (policies.waitlist_order)."""
    keys = state.policies.waitlist_order or ["priority", "requested_at"]
    if "displaced" not in keys:  # displaced patients are always rebooked first
        keys = ["displaced", *keys]

    def key(indexed: tuple[int, Request]) -> tuple[Any, ...]:
        index, request = indexed
        parts: dict[str, Any] = {
            "displaced": request.id not in displaced,
            "priority": -weight_of(state, request),
            "tier": -state.policies.tier_weights.get(state.patient(request.patient).tier, 1),
            "requested_at": asked_at(state, request),
            "value": -state.service(request.service).value,
        }
        return (*[parts[k] for k in keys], index)

    return [r.id for _, r in sorted(enumerate(state.requests), key=key)]


def reshuffle(
    scenario: Scenario,
    schedule: Schedule,
    events: list[Any],
    now: datetime,
    time_limit: float = 1.0,
    num_workers: int = 2,
    seed: int = 0,
) -> ReshuffleResult:
    """Apply events at `now` and re-plan the rest of the horizon with as few moves as possible."""
    clock = scenario.clinic.clock()
    rows = {row.request_id: row for row in schedule.appointments}
    day = _Day(scenario, rows, clock.minute(now), clock)
    for event in events:
        _apply(day, event)
    _displace_treatments_without_consult(day)
    state = _state(day)
    solved = solve(
        state,
        time_limit=time_limit,
        num_workers=num_workers,
        seed=seed,
        not_before=day.now,
        max_moves=scenario.policies.max_moves_same_day,
    )
    by_id = {job.id: job for job in solved.jobs}
    order = [by_id[i] for i in waitlist_order(state, day.displaced) if i in by_id]
    placements = in_waitlist_order(state, solved.jobs, solved.placements, order)
    new_schedule = build_schedule(state, solved.jobs, placements, solved.escalations)
    terms = objective_terms(state, solved.jobs, placements)
    objective, bound = total(terms), solved.report.best_bound
    report = solved.report.model_copy(
        update={
            "objective": objective,
            "terms": terms,
            "gap": (bound - objective) / abs(bound) if bound else 0.0,
            "status": "optimal" if objective >= bound else "time_limit",
        }
    )
    previously_booked = {row.request_id for row in schedule.appointments if row.status == "booked"}
    filled = sum(
        job.weight * job.service.length
        for job in solved.jobs
        if job.request is not None and job.id in placements and job.id not in previously_booked
    )
    solved.exceptions = build_exceptions(state, new_schedule, solved.escalations, day.displaced)
    changes = change_list(day, schedule, new_schedule)
    first_day = clock.day(min(day.active_days, default=day.now // MINUTES_PER_DAY))
    return ReshuffleResult(state, new_schedule, changes, report, filled, first_day, solved)


def change_list(day: _Day, before: Schedule, after: Schedule) -> list[Change]:
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
                call_patient=kind not in {"room_changed", "cancelled", "cancelled_late", "no_show"},
                fee_policy=kind in {"cancelled_late", "no_show"},
                owner=owner,
                note=row.reason,
            )
        )
    return changes


def _change_kind(day: _Day, previous: Appointment | None, row: Appointment) -> str | None:
    was_booked = previous is not None and previous.status == "booked"
    if row.reason in {"cancelled", "cancelled_late", "no_show"} and was_booked:
        return row.reason
    if row.status != "booked":
        return "escalated" if was_booked else None
    if not was_booked:
        return "booked_from_waitlist" if previous is not None else "booked_new_request"
    assert previous is not None
    if (previous.start, previous.provider_id) != (row.start, row.provider_id):
        return "rebooked" if row.request_id in day.displaced else "moved"
    return "room_changed" if previous.room_id != row.room_id else None


def _text(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def replay(
    scenario: Scenario,
    schedule: Schedule,
    timeline: list[tuple[datetime, list[Any]]],
    **options: Any,
) -> list[ReshuffleResult]:
    """Apply a day of events in order, each step starting from the previous step's state."""
    results: list[ReshuffleResult] = []
    for now, events in timeline:
        result = reshuffle(scenario, schedule, events, now, **options)
        results.append(result)
        scenario, schedule = result.state, result.schedule
    return results
