"""What every check reads: wall-clock minutes, the booked rows placed on the calendar, and
the scenario's requests and bookings by id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.findings import Finding
from models.results import Appointment, Schedule
from models.scenario import Booking, Patient, Provider, Request, Scenario, Service
from models.times import MINUTES_PER_DAY, format_clock

Item = Request | Booking
Span = tuple[int, int]
"""[start, end) in wall-clock minutes."""


# --- wall-clock minutes -----------------------------------------------------------------


def local_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """Naive local wall-clock time of a moment (a naive moment already is one)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(zone).replace(tzinfo=None)


def wall_minute(local: datetime) -> int:
    """Wall-clock minute of a naive local time."""
    return local.date().toordinal() * MINUTES_PER_DAY + local.hour * 60 + local.minute


def when_text(minute: int) -> str:
    """A wall-clock minute in words, e.g. '2026-03-09 10:05'."""
    day, clock = divmod(minute, MINUTES_PER_DAY)
    return f"{date.fromordinal(day)} {format_clock(clock)}"


def offset_text(offset: timedelta | None) -> str:
    """A UTC offset as '-04:00' (or 'no offset')."""
    if offset is None:
        return "no offset"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{format_clock(abs(minutes))}"


def overlap(first: Span, second: Span) -> bool:
    return first[0] < second[1] and second[0] < first[1]


# --- the rows that are on the calendar --------------------------------------------------


@dataclass(frozen=True)
class Placed:
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
        return when_text(self.start)


@dataclass
class Context:
    """What every check reads: the scenario, the rows by id and the booked placements."""

    scenario: Scenario
    schedule: Schedule
    zone: ZoneInfo
    items: dict[str, Item]
    """Requests and existing bookings of the scenario by id, in file order."""
    rows: dict[str, Appointment]
    """The first row of each known id."""
    placements: list[Placed]
    unplaced: list[Finding]
    """Booked rows that cannot be placed (missing fields, unknown provider)."""

    @classmethod
    def build(cls, scenario: Scenario, schedule: Schedule) -> Context:
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
                Finding(
                    "missing_placement",
                    row.request_id,
                    f"'{row.request_id}' is booked but has no {', '.join(missing)}; "
                    "fill them in or mark the row unscheduled with a reason",
                )
            )
        elif row.provider_id not in providers:
            self.unplaced.append(
                Finding(
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
                Placed(
                    row=row,
                    item=item,
                    service=self.scenario.service(item.service),
                    patient=self.scenario.patient(item.patient),
                    provider=self.scenario.provider(row.provider_id),
                    start=wall_minute(local_time(row.start, self.zone)),
                )
            )

    def original_start(self, booking: Booking) -> int:
        """Wall-clock minute of an existing booking as it stands in the scenario."""
        return wall_minute(local_time(booking.start, self.zone))


Check = Callable[[Context], Iterator[Finding]]
"""One family of hard rules: every broken rule it finds."""
