"""The hard rules, one check per family, each re-derived from the scenario alone.

Rule codes, by family:
- rows: ``missing_row``, ``unknown_row``, ``duplicate_row``, ``wrong_kind``,
  ``wrong_patient``, ``wrong_service``, ``booking_unscheduled``, ``released_booking_kept``,
  ``missing_reason``
- times: ``missing_placement``, ``wrong_length``, ``off_grid``, ``wrong_utc_offset``
- provider: ``unknown_provider``, ``not_permitted``, ``licence_expired``,
  ``outside_provider_hours``, ``provider_time_off``, ``wrong_provider``
- clinic: ``outside_horizon``, ``clinic_closed``, ``outside_clinic_hours``
- rooms and machines: ``unknown_room``, ``wrong_room_type``, ``room_out_of_service``,
  ``equipment_mismatch``, ``equipment_over_capacity`` (units out of service count as in use)
- one place at a time: ``provider_overlap``, ``room_overlap``, ``patient_overlap``
- requests: ``outside_request_window``, ``visit_partly_booked``, ``visit_not_back_to_back``,
  ``series_spacing``, ``consult_missing``, ``consult_does_not_qualify``, ``deposit_missing``
- deposit holds: ``hold_not_allowed``, ``hold_missing``, ``wrong_pay_by``, ``hold_too_soon``,
  ``hold_not_needed``, ``hold_changed`` (and ``wrong_utc_offset`` of a pay_by)
- waitlist offers: ``offer_not_from_waitlist``, ``reply_by_after_start``, ``offer_not_booked``,
  ``offer_changed`` (and ``wrong_utc_offset`` of a reply_by)
- existing bookings: ``locked_booking_moved``, ``booking_provider_changed``,
  ``booking_moved_to_other_day``
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from checker.context import (
    Check,
    Context,
    Item,
    Placed,
    Span,
    local_time,
    offset_text,
    overlap,
    wall_minute,
    when_text,
)
from models.findings import Finding
from models.results import Appointment, Schedule
from models.scenario import Booking, OutOfService, Patient, Request, Scenario, Service
from models.times import MINUTES_PER_DAY, format_clock, weekday_of

# --- 1, 2: one row per request and booking, statuses and reasons ------------------------


def _row_coverage(ctx: Context) -> Iterator[Finding]:
    """Exactly one row per request and per booking, matching the scenario; no strangers."""
    seen: set[str] = set()
    for row in ctx.schedule.appointments:
        row_id = row.request_id
        item = ctx.items.get(row_id)
        if item is None:
            yield Finding(
                "unknown_row",
                row_id,
                f"row '{row_id}' is neither a request nor a booking of the scenario; remove it",
            )
        elif row_id in seen:
            yield Finding(
                "duplicate_row", row_id, f"'{row_id}' has more than one row; keep exactly one"
            )
        else:
            yield from _row_matches(row, item)
        seen.add(row_id)
    for item_id in [item_id for item_id in ctx.items if item_id not in seen]:
        yield Finding(
            "missing_row",
            item_id,
            f"'{item_id}' has no row in the schedule; every request and booking needs one",
        )


def _row_matches(row: Appointment, item: Item) -> Iterator[Finding]:
    kind = "request" if isinstance(item, Request) else "booking"
    if row.kind != kind:
        yield Finding(
            "wrong_kind",
            row.request_id,
            f"'{row.request_id}' is a {kind} in the scenario but its row says {row.kind}; "
            f"write kind {kind}",
        )
    for field, expected in (("patient", item.patient), ("service", item.service)):
        written = getattr(row, f"{field}_id")
        if written != expected:
            yield Finding(
                f"wrong_{field}",
                row.request_id,
                f"'{row.request_id}' is for {field} '{expected}' but its row says '{written}'; "
                f"write '{expected}'",
            )


def _row_status(ctx: Context) -> Iterator[Finding]:
    """Bookings stay booked or escalated; every row not booked says why."""
    for row_id, row in ctx.rows.items():
        item = ctx.items[row_id]
        released = item.status if isinstance(item, Booking) else "confirmed"
        if released != "confirmed" and (row.status != "unscheduled" or row.reason != released):
            yield Finding(
                "released_booking_kept",
                row_id,
                f"booking '{row_id}' is {released}; its row must be unscheduled with "
                f"reason '{released}', not {row.status}",
            )
        elif released == "confirmed" and isinstance(item, Booking) and row.status == "unscheduled":
            yield Finding(
                "booking_unscheduled",
                row_id,
                f"existing booking '{row_id}' was dropped as unscheduled; keep it booked "
                "or escalate it to a person",
            )
        if row.status != "booked" and not row.reason.strip():
            yield Finding(
                "missing_reason",
                row_id,
                f"'{row_id}' is {row.status} without a reason; say why it is not booked",
            )


# --- 3: lengths, slot grid, UTC offsets -------------------------------------------------


def _row_times(ctx: Context) -> Iterator[Finding]:
    """End = start + service length, start on the slot grid, offsets of the clinic."""
    grid = ctx.scenario.clinic.slot_minutes
    for p in ctx.placements:
        start, end = p.row.start, p.row.end
        assert start is not None and end is not None
        minutes = wall_minute(local_time(end, ctx.zone)) - p.start
        if minutes != p.service.length:
            yield Finding(
                "wrong_length",
                p.id,
                f"'{p.id}' lasts {minutes} minutes from {p.when()} but service "
                f"'{p.service.id}' takes {p.service.length}; set end = start + "
                f"{p.service.length} minutes",
            )
        local = local_time(start, ctx.zone)
        if local.second or local.microsecond or (p.start - p.midnight) % grid:
            yield Finding(
                "off_grid",
                p.id,
                f"'{p.id}' starts at {local:%Y-%m-%d %H:%M:%S}, off the {grid}-minute "
                "booking grid; start on a multiple of clinic.slot_minutes",
            )
        yield from _utc_offset(ctx, p.id, "start", start)
        yield from _utc_offset(ctx, p.id, "end", end)


def _utc_offset(ctx: Context, row_id: str, field: str, moment: datetime) -> Iterator[Finding]:
    written = moment.replace(tzinfo=None)
    expected = ctx.zone.utcoffset(written)
    folds = {ctx.zone.utcoffset(written.replace(fold=fold)) for fold in (0, 1)}
    if moment.utcoffset() not in folds:  # a time the clocks repeat has both offsets
        yield Finding(
            "wrong_utc_offset",
            row_id,
            f"'{row_id}' {field} {moment.isoformat()} has {offset_text(moment.utcoffset())}"
            f" but {ctx.scenario.clinic.timezone} is at {offset_text(expected)} on "
            f"{written:%Y-%m-%d %H:%M}; write the offset in force on that day",
        )


# --- 4, 5, 13: the provider ------------------------------------------------------------


def _permission_and_licence(ctx: Context) -> Iterator[Finding]:
    """The provider may perform the service and has a valid licence that day."""
    for p in ctx.placements:
        who = p.provider.id
        if p.service.id not in p.provider.services:
            yield Finding(
                "not_permitted",
                p.id,
                f"provider '{who}' is not permitted to perform '{p.service.id}' ('{p.id}' "
                f"on {p.when()}); book a permitted provider",
            )
        expires = p.provider.license_expires
        if expires is not None and p.day >= expires:
            yield Finding(
                "licence_expired",
                p.id,
                f"provider '{who}' has a licence expiring {expires} but has '{p.id}' on "
                f"{p.day}; book someone with a valid licence",
            )


def _provider_hours(ctx: Context) -> Iterator[Finding]:
    """Hands-on parts inside the provider's weekly hours and clear of time off."""
    for p in ctx.placements:
        ranges = p.provider.weekly.get(weekday_of(p.day), [])
        parts = [(start - p.midnight, end - p.midnight) for start, end in p.hands_on]
        outside = [part for part in parts if not any(r.contains(*part) for r in ranges)]
        if outside:
            yield Finding(
                "outside_provider_hours",
                p.id,
                f"provider '{p.provider.id}' works on '{p.id}' {_clock_ranges(outside)} on "
                f"{p.day}, outside their hours "
                f"({_clock_ranges([(r.start, r.end) for r in ranges]) or 'not working'}); book it "
                "within their working hours",
            )
        for off in p.provider.time_off:
            away = off.hours
            if off.covers(p.day) and (
                away is None or any(overlap(part, (away.start, away.end)) for part in parts)
            ):
                yield Finding(
                    "provider_time_off",
                    p.id,
                    f"provider '{p.provider.id}' is off ({away or 'all day'}) on {p.day} "
                    f"but has '{p.id}' at {p.when()}; book another time or provider",
                )


def _clock_ranges(spans: list[Span]) -> str:
    return ", ".join(f"{format_clock(start)}-{format_clock(end)}" for start, end in spans)


def _required_providers(ctx: Context) -> Iterator[Finding]:
    """A request that names a required provider is booked with them."""
    for p in ctx.placements:
        required = p.item.required_provider if isinstance(p.item, Request) else None
        if required is not None and p.provider.id != required:
            yield Finding(
                "wrong_provider",
                p.id,
                f"'{p.id}' must be with provider '{required}' but is booked with "
                f"'{p.provider.id}'; book it with '{required}'",
            )


# --- 6: the clinic calendar ------------------------------------------------------------


def _clinic_calendar(ctx: Context) -> Iterator[Finding]:
    """Inside the horizon, on an open day, within the clinic's hours."""
    clinic = ctx.scenario.clinic
    first = clinic.horizon.start
    last = first + timedelta(days=clinic.horizon.days - 1)
    for p in ctx.placements:
        hours = clinic.hours.get(weekday_of(p.day))
        if not first <= p.day <= last:
            yield Finding(
                "outside_horizon",
                p.id,
                f"'{p.id}' is on {p.day}, outside the horizon {first}..{last}; book it inside "
                "the horizon",
            )
        if hours is None or p.day in clinic.closed_dates:
            yield Finding(
                "clinic_closed",
                p.id,
                f"'{p.id}' is on {p.day}, when the clinic is closed; book a day it is open",
            )
        elif not hours.contains(p.start - p.midnight, p.end - p.midnight):
            yield Finding(
                "outside_clinic_hours",
                p.id,
                f"'{p.id}' runs {_clock_ranges([(p.start - p.midnight, p.end - p.midnight)])}"
                f" on {p.day}, outside clinic hours {hours}; book it within opening hours",
            )


# --- 7, 8: rooms and machines ----------------------------------------------------------


def _rooms(ctx: Context) -> Iterator[Finding]:
    """The room exists and is of a type the service accepts."""
    rooms = {room.id: room for room in ctx.scenario.rooms}
    for p in ctx.placements:
        room = rooms.get(p.row.room_id or "")
        if room is None:
            yield Finding(
                "unknown_room",
                p.id,
                f"'{p.id}' is in unknown room '{p.row.room_id}'; use a room id of the scenario",
            )
        elif room.type not in p.service.room_types:
            yield Finding(
                "wrong_room_type",
                p.id,
                f"'{p.id}' ({p.service.id}) is in room '{room.id}' of type '{room.type}'; it "
                f"needs a room of type {' or '.join(p.service.room_types)}",
            )


def _spans_out(ctx: Context, spans: list[OutOfService]) -> list[Span]:
    return [
        (wall_minute(local_time(s.start, ctx.zone)), wall_minute(local_time(s.end, ctx.zone)))
        for s in spans
    ]


def _rooms_in_service(ctx: Context) -> Iterator[Finding]:
    """No stay (with turnover) uses a room while it is out of service."""
    closed = {room.id: _spans_out(ctx, room.out_of_service) for room in ctx.scenario.rooms}
    for p in ctx.placements:
        held_from, held_to = p.room_held
        for start, end in closed.get(p.row.room_id or "", []):
            if held_from < end and start < held_to:
                yield Finding(
                    "room_out_of_service",
                    p.id,
                    f"'{p.id}' holds room '{p.row.room_id}' at {p.when()}, while it is out of "
                    f"service {when_text(start)} to {when_text(end)}; use another room or time",
                )


def _equipment_text(units: dict[str, int]) -> str:
    return ";".join(f"{machine}:{count}" for machine, count in sorted(units.items()))


def _parse_equipment(text: str) -> dict[str, int] | None:
    """{machine: units} of an 'id:units;id:units' text, or None when unreadable."""
    units: dict[str, int] = {}
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        machine, _, count = part.partition(":")
        if not count.strip().isdigit():
            return None
        units[machine.strip()] = int(count)
    return units


def _equipment_listed(ctx: Context) -> Iterator[Finding]:
    """The equipment column lists exactly the service's machines."""
    for p in ctx.placements:
        if _parse_equipment(p.row.equipment) != p.service.equipment:
            yield Finding(
                "equipment_mismatch",
                p.id,
                f"'{p.id}' lists equipment '{p.row.equipment}' but service '{p.service.id}' "
                f"holds '{_equipment_text(p.service.equipment)}'; list the service's machines",
            )


def _equipment_load(ctx: Context) -> Iterator[Finding]:
    """At no moment do booked rows hold more units of a machine than are in service."""
    for machine in ctx.scenario.equipment:
        users = sorted(
            (p for p in ctx.placements if machine.id in p.service.equipment),
            key=lambda p: p.start,
        )
        down = _spans_out(ctx, machine.out_of_service)
        for moment in sorted({*(p.start for p in users), *(start for start, _ in down)}):
            active = [q for q in users if q.start <= moment < q.end]
            units = sum(q.service.equipment[machine.id] for q in active)
            out = sum(1 for start, end in down if start <= moment < end)
            if active and units + out > machine.count:
                late = active[-1]
                yield Finding(
                    "equipment_over_capacity",
                    late.id,
                    f"machine '{machine.id}' has {machine.count} unit(s), {out} out of service, "
                    f"but {_quoted(q.id for q in active)} need {units} at {when_text(moment)}; "
                    f"move '{late.id}'",
                )


# --- 9, 10, 11: one place at a time ----------------------------------------------------


def _clashes(
    ctx: Context, owner: Callable[[Placed], str], spans: Callable[[Placed], list[Span]]
) -> Iterator[tuple[str, Placed, Placed, int]]:
    """(owner, earlier, later, first shared minute) of every two rows whose spans overlap."""
    groups: dict[str, list[Placed]] = defaultdict(list)
    for p in ctx.placements:
        groups[owner(p)].append(p)
    for key, group in groups.items():
        ordered = sorted(group, key=lambda p: p.start)
        for index, first in enumerate(ordered):
            first_spans = spans(first)
            last_end = max(end for _, end in first_spans)
            for second in ordered[index + 1 :]:
                if second.start >= last_end:
                    break
                shared = [
                    max(a[0], b[0]) for a in first_spans for b in spans(second) if overlap(a, b)
                ]
                if shared:
                    yield key, first, second, min(shared)


def _overlaps(ctx: Context) -> Iterator[Finding]:
    """Providers (hands-on), rooms (with turnover) and patients are in one place at a time."""
    families: list[tuple[str, Callable[[Placed], str], Callable[[Placed], list[Span]]]] = [
        ("provider", lambda p: p.provider.id, lambda p: p.hands_on),
        ("room", lambda p: p.row.room_id or "", lambda p: [p.room_held]),
        ("patient", lambda p: p.patient.id, lambda p: [(p.start, p.end)]),
    ]
    for what, owner, spans in families:
        for key, first, second, moment in _clashes(ctx, owner, spans):
            yield Finding(
                f"{what}_overlap",
                first.id,
                f"{what} '{key}' has '{first.id}' and '{second.id}' at the same time on "
                f"{when_text(moment)}; move one of them",
            )


# --- 12, 15-18: request rules ----------------------------------------------------------


def _request_windows(ctx: Context) -> Iterator[Finding]:
    """A request is booked between its earliest and latest day."""
    for p in ctx.placements:
        if isinstance(p.item, Request) and not p.item.earliest <= p.day <= p.item.latest:
            yield Finding(
                "outside_request_window",
                p.id,
                f"'{p.id}' is booked on {p.day}, outside the requested days "
                f"{p.item.earliest}..{p.item.latest}; book it within those days",
            )


def _visits(ctx: Context) -> Iterator[Finding]:
    """A visit is booked whole or not at all, on one day in file order, each part starting when
    the part before ends or at the latest when that part's room turnover ends."""
    visits: dict[str, list[Request]] = defaultdict(list)
    for request in ctx.scenario.requests:
        if request.visit is not None:
            visits[request.visit].append(request)
    placed = {p.id: p for p in ctx.placements}
    for visit, requests in visits.items():
        booked = [r.id for r in requests if r.id in ctx.rows and ctx.rows[r.id].status == "booked"]
        if booked and len(booked) < len(requests):
            waiting = [r.id for r in requests if r.id not in booked]
            yield Finding(
                "visit_partly_booked",
                requests[0].id,
                f"visit '{visit}' is only partly booked: {_quoted(booked)} booked, "
                f"{_quoted(waiting)} not; book every request of a visit or none",
            )
        for before, after in pairwise(requests):
            first, second = placed.get(before.id), placed.get(after.id)
            if first is None or second is None:
                continue
            turnover = first.service.buffer_after
            if second.day != first.day or not 0 <= second.start - first.end <= turnover:
                yield Finding(
                    "visit_not_back_to_back",
                    after.id,
                    f"visit '{visit}': '{after.id}' starts {second.when()} but '{before.id}' "
                    f"ends {when_text(first.end)}; each part of a visit starts when the part "
                    f"before ends, or at the latest when its room turnover ends ({turnover} "
                    "minutes later), on one day, in file order",
                )


def _quoted(ids: Iterable[str]) -> str:
    return ", ".join(f"'{item_id}'" for item_id in ids)


def _series_spacing(ctx: Context) -> Iterator[Finding]:
    """Appointments of one series and patient are min_days_between apart, history too."""
    series: dict[tuple[str, str], list[Placed]] = defaultdict(list)
    for p in ctx.placements:
        if p.service.min_days_between:
            series[p.patient.id, p.service.id].append(p)
    for (patient, service), group in series.items():
        gap = ctx.scenario.service(service).min_days_between or 0
        history = ctx.scenario.patient(patient).history
        past = [(f"a past visit on {h.date}", h.date) for h in history if h.service == service]
        ordered = sorted(group, key=lambda p: p.start)
        for index, p in enumerate(ordered):
            later = [(f"'{q.id}' on {q.day}", q.day) for q in ordered[index + 1 :]]
            for what, day in [*past, *later]:
                if abs((p.day - day).days) < gap:
                    yield Finding(
                        "series_spacing",
                        p.id,
                        f"patient '{patient}' has '{p.id}' ({service}) on {p.day} and {what}; "
                        f"space this series at least {gap} days apart",
                    )


def _qualifies(consult: Service | None, service: Service) -> bool:
    """A consultation qualifies a service it lists by id or category, or every service when
    it lists none; None is a consultation on file of unknown service (it qualifies all)."""
    listed = consult.qualifies if consult is not None else None
    return listed is None or service.id in listed or service.category in listed


def _consults_on_file(
    ctx: Context, patient: Patient, day: date
) -> list[tuple[str, Service | None]]:
    """(what, consult service) of the consultations on file still valid on `day`: each consult
    in the history, and last_consult (of unknown service when the history has no consult then)."""
    valid_days = ctx.scenario.policies.consult_valid_days
    history = [(h.date, ctx.scenario.service(h.service)) for h in patient.history]
    history = [(when, s) for when, s in history if s.category == "consult"]
    on_file: list[tuple[date, Service | None]] = list(history)
    last = patient.last_consult
    if last is not None and all(when != last for when, _ in history):
        on_file.append((last, None))
    return [
        (f"{s.id if s else 'a consultation'} on {when} (on file)", s)
        for when, s in on_file
        if 0 <= (day - when).days <= valid_days
    ]


def _consults(ctx: Context) -> Iterator[Finding]:
    """A treatment that needs a consult has a valid one on file, or a consult booked before
    it, that qualifies it."""
    valid_days = ctx.scenario.policies.consult_valid_days
    booked: dict[str, list[Placed]] = defaultdict(list)
    for q in ctx.placements:
        if q.service.category == "consult":
            booked[q.patient.id].append(q)
    for p in ctx.placements:
        if not (isinstance(p.item, Request) and p.service.requires_consult):
            continue
        found = _consults_on_file(ctx, p.patient, p.day)
        found += [
            (f"'{q.id}' ({q.service.id})", q.service)
            for q in booked[p.patient.id]
            if q.end <= p.start
        ]
        if any(_qualifies(consult, p.service) for _, consult in found):
            continue
        if found:
            yield Finding(
                "consult_does_not_qualify",
                p.id,
                f"'{p.id}' ({p.service.id}) needs a consultation that qualifies it, but patient "
                f"'{p.patient.id}' has only {', '.join(what for what, _ in found)} before "
                f"{p.when()}, which do not qualify {p.service.id}; book a consultation that "
                "qualifies it first",
            )
        else:
            last = p.patient.last_consult
            yield Finding(
                "consult_missing",
                p.id,
                f"'{p.id}' ({p.service.id}) needs a consultation for patient '{p.patient.id}' "
                f"(last one: {last or 'never'}, valid {valid_days} days) before {p.when()}; "
                "book a consult first",
            )


def _deposits(ctx: Context) -> Iterator[Finding]:
    """A service with a deposit is booked only when it is paid, a card is on file, or (with
    policies.deposit_holds) it is held until exactly deposit_deadline_hours before it starts;
    only such a held request has a pay-by time, and an existing booking keeps its own."""
    for p in ctx.placements:
        if isinstance(p.item, Booking):
            yield from _kept_time(ctx, p, p.item, "pay_by", "hold_changed")
        else:
            yield from _request_hold(ctx, p, p.item)
    yield from _unbooked_with(ctx, "pay_by", "hold_not_needed", "held")


def _unbooked_with(ctx: Context, field: str, code: str, what: str) -> Iterator[Finding]:
    """A row not booked that carries a time `field` (pay_by, reply_by): nothing is `what`."""
    for row_id, row in ctx.rows.items():
        moment = getattr(row, field)
        if row.status != "booked" and moment is not None:
            yield Finding(
                code,
                row_id,
                f"'{row_id}' is {row.status}, not booked, but has {field} "
                f"{moment.isoformat()}; nothing is {what}, clear {field}",
            )


def _request_hold(ctx: Context, p: Placed, request: Request) -> Iterator[Finding]:
    policies, money = ctx.scenario.policies, ctx.scenario.clinic.money(p.service.deposit)
    due = p.service.deposit > 0 and not (request.deposit_paid or p.patient.deposit_on_file)
    pay_by = p.row.pay_by
    if not due:
        if pay_by is not None:
            yield Finding(
                "hold_not_needed",
                p.id,
                f"'{p.id}' ({p.service.id}) is held until {pay_by.isoformat()} but needs no "
                "deposit, or it is paid or covered by a card on file; clear pay_by",
            )
        return
    if not policies.deposit_holds and pay_by is not None:
        yield Finding(
            "hold_not_allowed",
            p.id,
            f"'{p.id}' ({p.service.id}) is held until {pay_by.isoformat()} but "
            "policies.deposit_holds is off: its deposit of "
            f"{money} is taken before booking; take it and clear pay_by, or turn deposit_holds on",
        )
        return
    if not policies.deposit_holds:
        yield Finding(
            "deposit_missing",
            p.id,
            f"'{p.id}' ({p.service.id}) needs a deposit of {money} but "
            f"patient '{p.patient.id}' has neither paid nor a card on file; take the deposit "
            "before booking",
        )
        return
    hours = policies.deposit_deadline_hours
    assert p.row.start is not None
    expected = _absolute(p.row.start, ctx) - timedelta(hours=hours)
    shown = expected.astimezone(ctx.zone).isoformat()
    if pay_by is None:
        yield Finding(
            "hold_missing",
            p.id,
            f"'{p.id}' ({p.service.id}) is booked with its deposit of {money} unpaid and no "
            f"card on file; with deposit_holds it is held: write pay_by {shown} "
            f"({hours} hours before it starts)",
        )
        return
    yield from _utc_offset(ctx, p.id, "pay_by", pay_by)
    if _absolute(pay_by, ctx) != expected:
        yield Finding(
            "wrong_pay_by",
            p.id,
            f"'{p.id}' is held until {pay_by.isoformat()} but its deposit is due "
            f"{hours} hours (deposit_deadline_hours, real hours) before it starts, at {shown}; "
            "write that pay_by",
        )
        return
    horizon = datetime.combine(ctx.scenario.clinic.horizon.start, datetime.min.time())
    booked = horizon.replace(tzinfo=ctx.zone)
    if expected < booked:
        yield Finding(
            "hold_too_soon",
            p.id,
            f"'{p.id}' is held until {shown}, before the schedule's first day begins "
            f"({booked.isoformat()}), so its deposit is due before it could be booked; book "
            f"it at least {hours} hours after booking, or collect the deposit first",
        )


def _kept_time(
    ctx: Context, p: Placed, booking: Booking, field: str, code: str
) -> Iterator[Finding]:
    """An existing booking's row keeps the booking's time `field` (pay_by, reply_by), or none."""
    moment, kept = getattr(p.row, field), getattr(booking, field)
    if moment is None and kept is None:
        return
    if moment is None or kept is None or _absolute(moment, ctx) != _absolute(kept, ctx):
        written = moment.isoformat() if moment else "none"
        yield Finding(
            code,
            p.id,
            f"booking '{p.id}' has {field} {written} in the schedule but "
            f"{kept.isoformat() if kept else 'none'} in the scenario; keep the booking's {field}",
        )


def _absolute(moment: datetime, ctx: Context) -> datetime:
    """A moment as UTC time (a naive one is the clinic's local time)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=ctx.zone)
    return aware.astimezone(UTC)


def _offers(ctx: Context) -> Iterator[Finding]:
    """Only a waitlist offer has a reply-by time, never after its start: the booked row of a
    `source: waitlist` request (an offer a re-plan made), or of a booking from the waitlist,
    which keeps the booking's (a re-plan carries an unanswered offer on)."""
    for p in ctx.placements:
        reply_by, start = p.row.reply_by, p.row.start
        assert start is not None
        if isinstance(p.item, Booking):
            yield from _kept_time(ctx, p, p.item, "reply_by", "offer_changed")
        if reply_by is None:
            continue
        yield from _utc_offset(ctx, p.id, "reply_by", reply_by)
        item = p.item
        waiting = item.from_waitlist if isinstance(item, Booking) else item.source == "waitlist"
        if not waiting:
            yield Finding(
                "offer_not_from_waitlist",
                p.id,
                f"'{p.id}' has reply_by {reply_by.isoformat()} but was not booked from the "
                "waitlist; only a waitlist offer is answered by a time, clear reply_by",
            )
        elif _absolute(reply_by, ctx) > _absolute(start, ctx):
            yield Finding(
                "reply_by_after_start",
                p.id,
                f"'{p.id}' is offered until {reply_by.isoformat()}, after it starts "
                f"({start.isoformat()}); an offer is answered by its start at the latest",
            )
    yield from _unbooked_with(ctx, "reply_by", "offer_not_booked", "offered")


# --- 14: existing bookings -------------------------------------------------------------


def _existing_bookings(ctx: Context) -> Iterator[Finding]:
    """Locked bookings stay put; unlocked ones keep provider and day."""
    for p in ctx.placements:
        booking = p.item
        if not isinstance(booking, Booking):
            continue
        original = ctx.original_start(booking)
        if p.provider.id != booking.provider:
            yield Finding(
                "booking_provider_changed",
                p.id,
                f"booking '{p.id}' is with provider '{booking.provider}' but the schedule "
                f"gives it to '{p.provider.id}'; keep the booked provider",
            )
        if booking.locked and p.start != original:
            yield Finding(
                "locked_booking_moved",
                p.id,
                f"locked booking '{p.id}' moved from {when_text(original)} to {p.when()}; "
                "locked bookings stay where they are",
            )
        elif not booking.locked and p.start // MINUTES_PER_DAY != original // MINUTES_PER_DAY:
            yield Finding(
                "booking_moved_to_other_day",
                p.id,
                f"booking '{p.id}' moved from {when_text(original)} to {p.when()}; a booking "
                "may only move within its day",
            )


_CHECKS: tuple[Check, ...] = (
    _row_coverage,
    _row_status,
    _row_times,
    _permission_and_licence,
    _provider_hours,
    _clinic_calendar,
    _rooms,
    _rooms_in_service,
    _equipment_listed,
    _equipment_load,
    _overlaps,
    _request_windows,
    _required_providers,
    _existing_bookings,
    _visits,
    _series_spacing,
    _consults,
    _deposits,
    _offers,
)


def check_schedule(scenario: Scenario, schedule: Schedule) -> list[Finding]:
    """Every hard rule the schedule breaks, judged from the scenario alone (empty = valid)."""
    ctx = Context.build(scenario, schedule)
    return [*ctx.unplaced, *(v for check in _CHECKS for v in check(ctx))]
