"""The independent schedule checker: every hard rule re-derived from the scenario alone.

It shares no code with the optimizer (it reads only `models`), so a bug in the model
builder cannot hide itself here. `check_schedule` lists every broken rule as a
`Violation` with a stable code; `recompute_objective` recomputes the optimizer's
objective, term by term, from the schedule rows.

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
  ``series_spacing``, ``consult_missing``, ``deposit_missing``
- existing bookings: ``locked_booking_moved``, ``booking_provider_changed``,
  ``booking_moved_to_other_day``

Times are compared as local wall-clock minutes (``date.toordinal() * 1440 + minute of
day``), the way a clinic writes them; an appointment's end is derived from its start and
the scenario's service length.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from models.results import Appointment, Schedule
from models.scenario import (
    Booking,
    OutOfService,
    Patient,
    Provider,
    Request,
    Scenario,
    Service,
)
from models.times import MINUTES_PER_DAY, format_clock, weekday_of

Item = Request | Booking
Span = tuple[int, int]
"""[start, end) in wall-clock minutes."""


@dataclass(frozen=True)
class Violation:
    """One broken hard rule: its stable code, the row it concerns and what is wrong."""

    rule: str
    row: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


@dataclass(frozen=True)
class ObjectiveBreakdown:
    """The optimizer's objective recomputed from a schedule, with each penalty apart."""

    booked_priority_minutes: int
    penalties: dict[str, int]

    @property
    def total(self) -> int:
        """Booked priority-minutes minus every penalty."""
        return self.booked_priority_minutes - sum(self.penalties.values())


# --- wall-clock minutes -----------------------------------------------------------------


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    """Naive local wall-clock time of a moment (a naive moment already is one)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(zone).replace(tzinfo=None)


def _minute(local: datetime) -> int:
    """Wall-clock minute of a naive local time."""
    return local.date().toordinal() * MINUTES_PER_DAY + local.hour * 60 + local.minute


def _when(minute: int) -> str:
    """A wall-clock minute in words, e.g. '2026-03-09 10:05'."""
    day, clock = divmod(minute, MINUTES_PER_DAY)
    return f"{date.fromordinal(day)} {format_clock(clock)}"


def _offset_text(offset: timedelta | None) -> str:
    """A UTC offset as '-04:00' (or 'no offset')."""
    if offset is None:
        return "no offset"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{format_clock(abs(minutes))}"


def _overlap(first: Span, second: Span) -> bool:
    return first[0] < second[1] and second[0] < first[1]


# --- the rows that are on the calendar --------------------------------------------------


@dataclass(frozen=True)
class _Placement:
    """A booked row whose provider is known, with its scenario item and local start."""

    row: Appointment
    item: Item
    service: Service
    patient: Patient
    provider: Provider
    start: int

    @property
    def id(self) -> str:
        return self.row.request_id

    @property
    def end(self) -> int:
        return self.start + self.service.length

    @property
    def day(self) -> date:
        return date.fromordinal(self.start // MINUTES_PER_DAY)

    @property
    def midnight(self) -> int:
        return self.start - self.start % MINUTES_PER_DAY

    @property
    def hands_on(self) -> list[Span]:
        """The parts the provider works: before and (if any) after processing."""
        service = self.service
        parts = [(self.start, self.start + service.duration)]
        if service.finish:
            parts.append((self.end - service.finish, self.end))
        return parts

    @property
    def room_held(self) -> Span:
        return (self.start, self.end + self.service.buffer_after)

    def when(self) -> str:
        return _when(self.start)


@dataclass
class _Context:
    """What every check reads: the scenario, the rows by id and the booked placements."""

    scenario: Scenario
    schedule: Schedule
    zone: ZoneInfo
    items: dict[str, Item]
    """Requests and existing bookings of the scenario by id, in file order."""
    rows: dict[str, Appointment]
    """The first row of each known id."""
    placements: list[_Placement]
    unplaced: list[Violation]
    """Booked rows that cannot be placed (missing fields, unknown provider)."""

    @classmethod
    def build(cls, scenario: Scenario, schedule: Schedule) -> _Context:
        items: dict[str, Item] = {r.id: r for r in scenario.requests}
        items.update({b.id: b for b in scenario.bookings})
        rows: dict[str, Appointment] = {}
        for row in schedule.appointments:
            if row.request_id in items:
                rows.setdefault(row.request_id, row)
        context = cls(scenario, schedule, ZoneInfo(scenario.clinic.timezone), items, rows, [], [])
        providers = {p.id for p in scenario.providers}
        for row in rows.values():
            if row.status == "booked":
                context._place(row, providers)
        return context

    def _place(self, row: Appointment, providers: set[str]) -> None:
        fields = {"provider_id": "provider", "room_id": "room", "start": "start", "end": "end"}
        missing = [word for field, word in fields.items() if not getattr(row, field)]
        if missing:
            self.unplaced.append(
                Violation(
                    "missing_placement",
                    row.request_id,
                    f"'{row.request_id}' is booked but has no {', '.join(missing)}; "
                    "fill them in or mark the row unscheduled with a reason",
                )
            )
        elif row.provider_id not in providers:
            self.unplaced.append(
                Violation(
                    "unknown_provider",
                    row.request_id,
                    f"'{row.request_id}' is booked with unknown provider '{row.provider_id}'; "
                    "use a provider id of the scenario",
                )
            )
        else:
            assert row.start is not None and row.provider_id is not None
            item = self.items[row.request_id]
            self.placements.append(
                _Placement(
                    row=row,
                    item=item,
                    service=self.scenario.service(item.service),
                    patient=self.scenario.patient(item.patient),
                    provider=self.scenario.provider(row.provider_id),
                    start=_minute(_local(row.start, self.zone)),
                )
            )

    def original_start(self, booking: Booking) -> int:
        """Wall-clock minute of an existing booking as it stands in the scenario."""
        return _minute(_local(booking.start, self.zone))


Check = Callable[[_Context], Iterator[Violation]]


# --- 1, 2: one row per request and booking, statuses and reasons ------------------------


def _row_coverage(ctx: _Context) -> Iterator[Violation]:
    """Exactly one row per request and per booking, matching the scenario; no strangers."""
    seen: set[str] = set()
    for row in ctx.schedule.appointments:
        row_id = row.request_id
        item = ctx.items.get(row_id)
        if item is None:
            yield Violation(
                "unknown_row",
                row_id,
                f"row '{row_id}' is neither a request nor a booking of the scenario; remove it",
            )
        elif row_id in seen:
            yield Violation(
                "duplicate_row", row_id, f"'{row_id}' has more than one row; keep exactly one"
            )
        else:
            yield from _row_matches(row, item)
        seen.add(row_id)
    for item_id in [item_id for item_id in ctx.items if item_id not in seen]:
        yield Violation(
            "missing_row",
            item_id,
            f"'{item_id}' has no row in the schedule; every request and booking needs one",
        )


def _row_matches(row: Appointment, item: Item) -> Iterator[Violation]:
    kind = "request" if isinstance(item, Request) else "booking"
    if row.kind != kind:
        yield Violation(
            "wrong_kind",
            row.request_id,
            f"'{row.request_id}' is a {kind} in the scenario but its row says {row.kind}; "
            f"write kind {kind}",
        )
    for field, expected in (("patient", item.patient), ("service", item.service)):
        written = getattr(row, f"{field}_id")
        if written != expected:
            yield Violation(
                f"wrong_{field}",
                row.request_id,
                f"'{row.request_id}' is for {field} '{expected}' but its row says '{written}'; "
                f"write '{expected}'",
            )


def _row_status(ctx: _Context) -> Iterator[Violation]:
    """Bookings stay booked or escalated; every row not booked says why."""
    for row_id, row in ctx.rows.items():
        item = ctx.items[row_id]
        released = item.status if isinstance(item, Booking) else "confirmed"
        if released != "confirmed" and (row.status != "unscheduled" or row.reason != released):
            yield Violation(
                "released_booking_kept",
                row_id,
                f"booking '{row_id}' is {released}; its row must be unscheduled with "
                f"reason '{released}', not {row.status}",
            )
        elif released == "confirmed" and isinstance(item, Booking) and row.status == "unscheduled":
            yield Violation(
                "booking_unscheduled",
                row_id,
                f"existing booking '{row_id}' was dropped as unscheduled; keep it booked "
                "or escalate it to a person",
            )
        if row.status != "booked" and not row.reason.strip():
            yield Violation(
                "missing_reason",
                row_id,
                f"'{row_id}' is {row.status} without a reason; say why it is not booked",
            )


# --- 3: lengths, slot grid, UTC offsets -------------------------------------------------


def _row_times(ctx: _Context) -> Iterator[Violation]:
    """End = start + service length, start on the slot grid, offsets of the clinic."""
    grid = ctx.scenario.clinic.slot_minutes
    for p in ctx.placements:
        start, end = p.row.start, p.row.end
        assert start is not None and end is not None
        minutes = _minute(_local(end, ctx.zone)) - p.start
        if minutes != p.service.length:
            yield Violation(
                "wrong_length",
                p.id,
                f"'{p.id}' lasts {minutes} minutes from {p.when()} but service "
                f"'{p.service.id}' takes {p.service.length}; set end = start + "
                f"{p.service.length} minutes",
            )
        local = _local(start, ctx.zone)
        if local.second or local.microsecond or (p.start - p.midnight) % grid:
            yield Violation(
                "off_grid",
                p.id,
                f"'{p.id}' starts at {local:%Y-%m-%d %H:%M:%S}, off the {grid}-minute "
                "booking grid; start on a multiple of clinic.slot_minutes",
            )
        yield from _utc_offset(ctx, p.id, "start", start)
        yield from _utc_offset(ctx, p.id, "end", end)


def _utc_offset(ctx: _Context, row_id: str, field: str, moment: datetime) -> Iterator[Violation]:
    written = moment.replace(tzinfo=None)
    expected = ctx.zone.utcoffset(written)
    if moment.utcoffset() != expected:
        yield Violation(
            "wrong_utc_offset",
            row_id,
            f"'{row_id}' {field} {moment.isoformat()} has {_offset_text(moment.utcoffset())}"
            f" but {ctx.scenario.clinic.timezone} is at {_offset_text(expected)} on "
            f"{written:%Y-%m-%d %H:%M}; write the offset in force on that day",
        )


# --- 4, 5, 13: the provider ------------------------------------------------------------


def _permission_and_licence(ctx: _Context) -> Iterator[Violation]:
    """The provider may perform the service and has a valid licence that day."""
    for p in ctx.placements:
        who = p.provider.id
        if p.service.id not in p.provider.services:
            yield Violation(
                "not_permitted",
                p.id,
                f"provider '{who}' is not permitted to perform '{p.service.id}' ('{p.id}' "
                f"on {p.when()}); book a permitted provider",
            )
        expires = p.provider.license_expires
        if expires is not None and p.day >= expires:
            yield Violation(
                "licence_expired",
                p.id,
                f"provider '{who}' has a licence expiring {expires} but has '{p.id}' on "
                f"{p.day}; book someone with a valid licence",
            )


def _provider_hours(ctx: _Context) -> Iterator[Violation]:
    """Hands-on parts inside the provider's weekly hours and clear of time off."""
    for p in ctx.placements:
        ranges = p.provider.weekly.get(weekday_of(p.day), [])
        parts = [(start - p.midnight, end - p.midnight) for start, end in p.hands_on]
        outside = [part for part in parts if not any(r.contains(*part) for r in ranges)]
        if outside:
            yield Violation(
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
                away is None or any(_overlap(part, (away.start, away.end)) for part in parts)
            ):
                yield Violation(
                    "provider_time_off",
                    p.id,
                    f"provider '{p.provider.id}' is off ({away or 'all day'}) on {p.day} "
                    f"but has '{p.id}' at {p.when()}; book another time or provider",
                )


def _clock_ranges(spans: list[Span]) -> str:
    return ", ".join(f"{format_clock(start)}-{format_clock(end)}" for start, end in spans)


def _required_providers(ctx: _Context) -> Iterator[Violation]:
    """A request that names a required provider is booked with them."""
    for p in ctx.placements:
        required = p.item.required_provider if isinstance(p.item, Request) else None
        if required is not None and p.provider.id != required:
            yield Violation(
                "wrong_provider",
                p.id,
                f"'{p.id}' must be with provider '{required}' but is booked with "
                f"'{p.provider.id}'; book it with '{required}'",
            )


# --- 6: the clinic calendar ------------------------------------------------------------


def _clinic_calendar(ctx: _Context) -> Iterator[Violation]:
    """Inside the horizon, on an open day, within the clinic's hours."""
    clinic = ctx.scenario.clinic
    first = clinic.horizon.start
    last = first + timedelta(days=clinic.horizon.days - 1)
    for p in ctx.placements:
        hours = clinic.hours.get(weekday_of(p.day))
        if not first <= p.day <= last:
            yield Violation(
                "outside_horizon",
                p.id,
                f"'{p.id}' is on {p.day}, outside the horizon {first}..{last}; book it inside "
                "the horizon",
            )
        if hours is None or p.day in clinic.closed_dates:
            yield Violation(
                "clinic_closed",
                p.id,
                f"'{p.id}' is on {p.day}, when the clinic is closed; book a day it is open",
            )
        elif not hours.contains(p.start - p.midnight, p.end - p.midnight):
            yield Violation(
                "outside_clinic_hours",
                p.id,
                f"'{p.id}' runs {_clock_ranges([(p.start - p.midnight, p.end - p.midnight)])}"
                f" on {p.day}, outside clinic hours {hours}; book it within opening hours",
            )


# --- 7, 8: rooms and machines ----------------------------------------------------------


def _rooms(ctx: _Context) -> Iterator[Violation]:
    """The room exists and is of a type the service accepts."""
    rooms = {room.id: room for room in ctx.scenario.rooms}
    for p in ctx.placements:
        room = rooms.get(p.row.room_id or "")
        if room is None:
            yield Violation(
                "unknown_room",
                p.id,
                f"'{p.id}' is in unknown room '{p.row.room_id}'; use a room id of the scenario",
            )
        elif room.type not in p.service.room_types:
            yield Violation(
                "wrong_room_type",
                p.id,
                f"'{p.id}' ({p.service.id}) is in room '{room.id}' of type '{room.type}'; it "
                f"needs a room of type {' or '.join(p.service.room_types)}",
            )


def _spans_out(ctx: _Context, spans: list[OutOfService]) -> list[Span]:
    return [(_minute(_local(s.start, ctx.zone)), _minute(_local(s.end, ctx.zone))) for s in spans]


def _rooms_in_service(ctx: _Context) -> Iterator[Violation]:
    """No stay (with turnover) uses a room while it is out of service."""
    closed = {room.id: _spans_out(ctx, room.out_of_service) for room in ctx.scenario.rooms}
    for p in ctx.placements:
        held_from, held_to = p.room_held
        for start, end in closed.get(p.row.room_id or "", []):
            if held_from < end and start < held_to:
                yield Violation(
                    "room_out_of_service",
                    p.id,
                    f"'{p.id}' holds room '{p.row.room_id}' at {p.when()}, while it is out of "
                    f"service {_when(start)} to {_when(end)}; use another room or time",
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


def _equipment_listed(ctx: _Context) -> Iterator[Violation]:
    """The equipment column lists exactly the service's machines."""
    for p in ctx.placements:
        if _parse_equipment(p.row.equipment) != p.service.equipment:
            yield Violation(
                "equipment_mismatch",
                p.id,
                f"'{p.id}' lists equipment '{p.row.equipment}' but service '{p.service.id}' "
                f"holds '{_equipment_text(p.service.equipment)}'; list the service's machines",
            )


def _equipment_load(ctx: _Context) -> Iterator[Violation]:
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
                yield Violation(
                    "equipment_over_capacity",
                    late.id,
                    f"machine '{machine.id}' has {machine.count} unit(s), {out} out of service, "
                    f"but {_quoted(q.id for q in active)} need {units} at {_when(moment)}; "
                    f"move '{late.id}'",
                )


# --- 9, 10, 11: one place at a time ----------------------------------------------------


def _clashes(
    ctx: _Context, owner: Callable[[_Placement], str], spans: Callable[[_Placement], list[Span]]
) -> Iterator[tuple[str, _Placement, _Placement, int]]:
    """(owner, earlier, later, first shared minute) of every two rows whose spans overlap."""
    groups: dict[str, list[_Placement]] = defaultdict(list)
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
                    max(a[0], b[0]) for a in first_spans for b in spans(second) if _overlap(a, b)
                ]
                if shared:
                    yield key, first, second, min(shared)


def _overlaps(ctx: _Context) -> Iterator[Violation]:
    """Providers (hands-on), rooms (with turnover) and patients are in one place at a time."""
    families: list[tuple[str, Callable[[_Placement], str], Callable[[_Placement], list[Span]]]] = [
        ("provider", lambda p: p.provider.id, lambda p: p.hands_on),
        ("room", lambda p: p.row.room_id or "", lambda p: [p.room_held]),
        ("patient", lambda p: p.patient.id, lambda p: [(p.start, p.end)]),
    ]
    for what, owner, spans in families:
        for key, first, second, moment in _clashes(ctx, owner, spans):
            yield Violation(
                f"{what}_overlap",
                first.id,
                f"{what} '{key}' has '{first.id}' and '{second.id}' at the same time on "
                f"{_when(moment)}; move one of them",
            )


# --- 12, 15-18: request rules ----------------------------------------------------------


def _request_windows(ctx: _Context) -> Iterator[Violation]:
    """A request is booked between its earliest and latest day."""
    for p in ctx.placements:
        if isinstance(p.item, Request) and not p.item.earliest <= p.day <= p.item.latest:
            yield Violation(
                "outside_request_window",
                p.id,
                f"'{p.id}' is booked on {p.day}, outside the requested days "
                f"{p.item.earliest}..{p.item.latest}; book it within those days",
            )


def _visits(ctx: _Context) -> Iterator[Violation]:
    """A visit is booked whole or not at all, back to back on one day in file order."""
    visits: dict[str, list[Request]] = defaultdict(list)
    for request in ctx.scenario.requests:
        if request.visit is not None:
            visits[request.visit].append(request)
    placed = {p.id: p for p in ctx.placements}
    for visit, requests in visits.items():
        booked = [r.id for r in requests if r.id in ctx.rows and ctx.rows[r.id].status == "booked"]
        if booked and len(booked) < len(requests):
            waiting = [r.id for r in requests if r.id not in booked]
            yield Violation(
                "visit_partly_booked",
                requests[0].id,
                f"visit '{visit}' is only partly booked: {_quoted(booked)} booked, "
                f"{_quoted(waiting)} not; book every request of a visit or none",
            )
        for before, after in pairwise(requests):
            first, second = placed.get(before.id), placed.get(after.id)
            if first is not None and second is not None and second.start != first.end:
                yield Violation(
                    "visit_not_back_to_back",
                    after.id,
                    f"visit '{visit}': '{after.id}' starts {second.when()} but '{before.id}' "
                    f"ends {_when(first.end)}; a visit's requests follow each other without "
                    "a gap, on one day, in file order",
                )


def _quoted(ids: Iterable[str]) -> str:
    return ", ".join(f"'{item_id}'" for item_id in ids)


def _series_spacing(ctx: _Context) -> Iterator[Violation]:
    """Appointments of one series and patient are min_days_between apart, history too."""
    series: dict[tuple[str, str], list[_Placement]] = defaultdict(list)
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
                    yield Violation(
                        "series_spacing",
                        p.id,
                        f"patient '{patient}' has '{p.id}' ({service}) on {p.day} and {what}; "
                        f"space this series at least {gap} days apart",
                    )


def _consults(ctx: _Context) -> Iterator[Violation]:
    """A treatment that needs a consult has a valid one or a consult booked before it."""
    valid_days = ctx.scenario.policies.consult_valid_days
    consult_ends: dict[str, list[int]] = defaultdict(list)
    for q in ctx.placements:
        if q.service.category == "consult":
            consult_ends[q.patient.id].append(q.end)
    for p in ctx.placements:
        if not (isinstance(p.item, Request) and p.service.requires_consult):
            continue
        last = p.patient.last_consult
        if last is not None and last <= p.day and (p.day - last).days <= valid_days:
            continue
        if any(end <= p.start for end in consult_ends.get(p.patient.id, [])):
            continue
        yield Violation(
            "consult_missing",
            p.id,
            f"'{p.id}' ({p.service.id}) needs a consultation for patient '{p.patient.id}' "
            f"(last one: {last or 'never'}, valid {valid_days} days) before {p.when()}; "
            "book a consult first",
        )


def _deposits(ctx: _Context) -> Iterator[Violation]:
    """A service with a deposit is booked only when it is paid or a card is on file."""
    for p in ctx.placements:
        if not isinstance(p.item, Request) or not p.service.deposit:
            continue
        if not (p.item.deposit_paid or p.patient.deposit_on_file):
            yield Violation(
                "deposit_missing",
                p.id,
                f"'{p.id}' ({p.service.id}) needs a deposit of {p.service.deposit:g} but "
                f"patient '{p.patient.id}' has neither paid nor a card on file; take the deposit "
                "before booking",
            )


# --- 14: existing bookings -------------------------------------------------------------


def _existing_bookings(ctx: _Context) -> Iterator[Violation]:
    """Locked bookings stay put; unlocked ones keep provider and day."""
    for p in ctx.placements:
        booking = p.item
        if not isinstance(booking, Booking):
            continue
        original = ctx.original_start(booking)
        if p.provider.id != booking.provider:
            yield Violation(
                "booking_provider_changed",
                p.id,
                f"booking '{p.id}' is with provider '{booking.provider}' but the schedule "
                f"gives it to '{p.provider.id}'; keep the booked provider",
            )
        if booking.locked and p.start != original:
            yield Violation(
                "locked_booking_moved",
                p.id,
                f"locked booking '{p.id}' moved from {_when(original)} to {p.when()}; "
                "locked bookings stay where they are",
            )
        elif not booking.locked and p.start // MINUTES_PER_DAY != original // MINUTES_PER_DAY:
            yield Violation(
                "booking_moved_to_other_day",
                p.id,
                f"booking '{p.id}' moved from {_when(original)} to {p.when()}; a booking "
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
)


def check_schedule(scenario: Scenario, schedule: Schedule) -> list[Violation]:
    """Every hard rule the schedule breaks, judged from the scenario alone (empty = valid)."""
    ctx = _Context.build(scenario, schedule)
    return [*ctx.unplaced, *(v for check in _CHECKS for v in check(ctx))]


# --- the objective ---------------------------------------------------------------------


def _booked_requests(ctx: _Context) -> Iterator[tuple[_Placement, Request]]:
    for p in ctx.placements:
        if isinstance(p.item, Request):
            yield p, p.item


def _weight(ctx: _Context, p: _Placement, request: Request) -> int:
    """Priority of one booked minute: the request's priority, else the patient's tier weight."""
    if request.priority is not None:
        return request.priority
    return ctx.scenario.policies.tier_weights.get(p.patient.tier, 1)


def _by_provider_day(ctx: _Context) -> dict[tuple[str, date], list[_Placement]]:
    days: dict[tuple[str, date], list[_Placement]] = defaultdict(list)
    for p in ctx.placements:
        days[p.provider.id, p.day].append(p)
    return days


def _off_preferred_provider(ctx: _Context) -> int:
    """Booked requests with someone other than their preferred provider."""
    return sum(
        1
        for p, request in _booked_requests(ctx)
        if request.preferred_provider is not None and p.provider.id != request.preferred_provider
    )


def _off_preferred_time(ctx: _Context) -> int:
    """Booked requests starting outside all their preferred time ranges."""
    return sum(
        1
        for p, request in _booked_requests(ctx)
        if request.preferred_times
        and not any(r.start <= p.start - p.midnight < r.end for r in request.preferred_times)
    )


def _over_daily_bookings(ctx: _Context) -> int:
    """Rows beyond each provider's max_bookings_per_day, day by day (bookings included)."""
    over = 0
    for (provider, _), rows in _by_provider_day(ctx).items():
        limit = ctx.scenario.provider(provider).preferences.max_bookings_per_day
        if limit is not None:
            over += max(0, len(rows) - limit)
    return over


def _non_preferred_service(ctx: _Context) -> int:
    """Booked requests outside their provider's preferred services (when they list any)."""
    return sum(
        1
        for p, _ in _booked_requests(ctx)
        if p.provider.preferences.preferred_services
        and p.service.id not in p.provider.preferences.preferred_services
    )


def _moved_bookings(ctx: _Context) -> int:
    """Existing bookings placed at another start than before."""
    return sum(
        1
        for p in ctx.placements
        if isinstance(p.item, Booking) and p.start != ctx.original_start(p.item)
    )


def _idle_slots(ctx: _Context) -> int:
    """Idle slots between each provider's first and last hands-on minute of each day."""
    slot = ctx.scenario.clinic.slot_minutes
    idle = 0
    for rows in _by_provider_day(ctx).values():
        parts = [part for p in rows for part in p.hands_on]
        span = max(end for _, end in parts) - min(start for start, _ in parts)
        idle += (span - sum(end - start for start, end in parts)) // slot
    return idle


_PENALTY_COUNTS: dict[str, Callable[[_Context], int]] = {
    "preferred_provider": _off_preferred_provider,
    "preferred_time": _off_preferred_time,
    "over_daily_bookings": _over_daily_bookings,
    "non_preferred_service": _non_preferred_service,
    "moved_booking": _moved_bookings,
    "idle_slot": _idle_slots,
}


def recompute_objective(scenario: Scenario, schedule: Schedule) -> ObjectiveBreakdown:
    """The optimizer's objective of a schedule: booked priority-minutes and each penalty.

    Counts booked rows whose provider is known (the first row of each id).
    """
    ctx = _Context.build(scenario, schedule)
    weights = scenario.policies.penalties
    booked = sum(_weight(ctx, p, r) * p.service.length for p, r in _booked_requests(ctx))
    penalties = {
        name: count(ctx) * getattr(weights, name) for name, count in _PENALTY_COUNTS.items()
    }
    return ObjectiveBreakdown(booked, penalties)
