"""Rules that tie scenario items together: ids that must exist or be unique, hours that must
not overlap, times on the slot grid, dates inside the horizon, day parts that must be defined.

Each check yields `Finding`s naming the path inside the file, what is wrong and the fix;
`cross_reference_problems` returns all of them at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from models.dayparts import day_part_key
from models.findings import EXCERPT_CHARACTERS, Finding, excerpt
from models.scenario import CATEGORIES
from models.times import TimeRange, format_clock

if TYPE_CHECKING:
    from models.scenario import Scenario


class HasId(Protocol):
    """Any scenario item with an id."""

    @property
    def id(self) -> str: ...


def cross_reference_problems(scenario: Scenario) -> list[Finding]:
    """Every cross-reference problem of the scenario, in file order."""
    checks = (
        _duplicate_ids,
        _unknown_references,
        _overlapping_hours,
        _off_grid_times,
        _times_the_clocks_skip,
        _dates_outside_horizon,
        _visits_of_one_patient,
        _unknown_day_parts,
    )
    return [problem for check in checks for problem in check(scenario)]


def _items(scenario: Scenario, field: str) -> Iterator[tuple[str, Any]]:
    """(path, item) of every item of a top-level list, the path naming the id.

    For example `providers[1] (id 'rn_kim')`, so a clinic manager finds the item.
    """
    for index, item in enumerate(getattr(scenario, field)):
        yield f"{field}[{index}] (id {excerpt(item.id)})", item


def _duplicate_ids(scenario: Scenario) -> Iterator[Finding]:
    for field in ("services", "providers", "rooms", "equipment", "patients"):
        yield from _repeats(list(_items(scenario, field)))
    yield from _repeats([*_items(scenario, "requests"), *_items(scenario, "bookings")])


def _repeats(items: list[tuple[str, HasId]]) -> Iterator[Finding]:
    first: dict[str, str] = {}
    for path, item in items:
        if item.id in first:
            yield Finding(
                "duplicate_id",
                f"{path}.id",
                f"id '{item.id}' is already used by {first[item.id]}; give it a unique id "
                "(requests and bookings share one set of ids)",
            )
        else:
            first[item.id] = path


def _unknown(path: str, kind: str, value: str | None, known: Iterable[str]) -> Iterator[Finding]:
    known = set(known)
    if value is not None and value not in known:
        hint = ", ".join(sorted(known)[:8]) or "none defined"
        yield Finding(
            "unknown_reference",
            path,
            f"unknown {kind} {excerpt(value)}; use one of the {kind} ids ({hint})",
        )


def _unknown_references(scenario: Scenario) -> Iterator[Finding]:
    services = {s.id for s in scenario.services}
    providers = {p.id for p in scenario.providers}
    patients = {p.id for p in scenario.patients}
    rooms = {r.id for r in scenario.rooms}
    machines = {e.id for e in scenario.equipment}
    for where, service in _items(scenario, "services"):
        for machine in service.equipment:
            yield from _unknown(f"{where}.equipment", "equipment", machine, machines)
        yield from _unknown_qualified(where, service.id, service.qualifies or [], services)
    for where, provider in _items(scenario, "providers"):
        for j, service_id in enumerate(provider.services):
            yield from _unknown(f"{where}.services[{j}]", "service", service_id, services)
        for j, service_id in enumerate(provider.preferences.preferred_services):
            path = f"{where}.preferences.preferred_services[{j}]"
            yield from _unknown(path, "service", service_id, services)
    for where, patient in _items(scenario, "patients"):
        for j, item in enumerate(patient.history):
            path = f"{where}.history[{j}].service"
            yield from _unknown(path, "service", item.service, services)
    for where, request in _items(scenario, "requests"):
        yield from _unknown(f"{where}.patient", "patient", request.patient, patients)
        yield from _unknown(f"{where}.service", "service", request.service, services)
        for field in ("required_provider", "preferred_provider"):
            value = getattr(request, field)
            yield from _unknown(f"{where}.{field}", "provider", value, providers)
    for where, booking in _items(scenario, "bookings"):
        yield from _unknown(f"{where}.patient", "patient", booking.patient, patients)
        yield from _unknown(f"{where}.service", "service", booking.service, services)
        yield from _unknown(f"{where}.provider", "provider", booking.provider, providers)
        yield from _unknown(f"{where}.room", "room", booking.room, rooms)


def _unknown_qualified(
    where: str, consult: str, entries: list[str], services: set[str]
) -> Iterator[Finding]:
    for j, entry in enumerate(entries):
        if entry not in services and entry not in CATEGORIES:
            hint = ", ".join(sorted(services)[:8])
            yield Finding(
                "unknown_reference",
                f"{where}.qualifies[{j}]",
                f"consultation '{consult}' qualifies '{entry}', which is neither a service nor "
                f"a category; use a service id ({hint}) or a category "
                f"({', '.join(CATEGORIES)})",
            )


def _overlapping_hours(scenario: Scenario) -> Iterator[Finding]:
    for where, provider in _items(scenario, "providers"):
        for day, ranges in provider.weekly.items():
            ordered = sorted(enumerate(ranges), key=lambda pair: pair[1].start)
            latest = ordered[0][1] if ordered else None
            for j, hours in ordered[1:]:
                if latest is not None and latest.overlaps(hours):
                    yield Finding(
                        "overlapping_hours",
                        f"{where}.weekly.{day}[{j}]",
                        f"'{hours}' overlaps '{latest}'; working ranges of one day must not "
                        "overlap (leave a gap for a break or merge them)",
                    )
                if latest is None or hours.end > latest.end:
                    latest = hours


def _off_grid(path: str, grid: int, minutes: int, what: str) -> Iterator[Finding]:
    if minutes % grid:
        yield Finding(
            "off_grid",
            path,
            f"{what} is off the {grid}-minute booking grid; "
            f"use a multiple of {grid} minutes (clinic.slot_minutes)",
        )


def _off_grid_range(path: str, grid: int, hours: TimeRange) -> Iterator[Finding]:
    if hours.start % grid or hours.end % grid:
        yield from _off_grid(path, grid, 1, f"'{hours}'")


def _off_grid_times(scenario: Scenario) -> Iterator[Finding]:
    grid = scenario.clinic.slot_minutes
    for day, hours in scenario.clinic.hours.items():
        yield from _off_grid_range(f"clinic.hours.{day}", grid, hours)
    for where, service in _items(scenario, "services"):
        for field in ("duration", "processing", "finish", "buffer_after"):
            minutes = getattr(service, field)
            yield from _off_grid(f"{where}.{field}", grid, minutes, f"{minutes} minutes")
    for where, provider in _items(scenario, "providers"):
        for day, ranges in provider.weekly.items():
            for j, hours in enumerate(ranges):
                yield from _off_grid_range(f"{where}.weekly.{day}[{j}]", grid, hours)
        for j, absence in enumerate(provider.time_off):
            if absence.hours is not None:
                yield from _off_grid_range(f"{where}.time_off[{j}].hours", grid, absence.hours)
    clock = scenario.clinic.clock()
    for where, booking in _items(scenario, "bookings"):
        minute = clock.minute(booking.start) % 1440
        start = booking.start.astimezone(clock.zone) if booking.start.tzinfo else booking.start
        if start.second or start.microsecond:
            yield Finding(
                "off_grid",
                f"{where}.start",
                f"start {start:%H:%M:%S} has seconds, so it is off the {grid}-minute booking "
                f"grid; write it as HH:MM, a multiple of {grid} minutes (clinic.slot_minutes)",
            )
        else:
            yield from _off_grid(f"{where}.start", grid, minute, f"start {format_clock(minute)}")


def _times_the_clocks_skip(scenario: Scenario) -> Iterator[Finding]:
    """Local times that never happen: the hour skipped when the clocks go forward."""
    clock = scenario.clinic.clock()
    moments = [(f"{where}.start", booking.start) for where, booking in _items(scenario, "bookings")]
    for field in ("rooms", "equipment"):
        for where, item in _items(scenario, field):
            for j, span in enumerate(item.out_of_service):
                path = f"{where}.out_of_service[{j}]"
                moments += [(f"{path}.start", span.start), (f"{path}.end", span.end)]
    for path, moment in moments:
        skipped = clock.skipped(moment)
        if skipped is not None:
            start, end = (f"{t:%H:%M}" for t in skipped)
            yield Finding(
                "time_skipped_by_clock_change",
                path,
                f"{moment:%Y-%m-%dT%H:%M} never happens in {scenario.clinic.timezone}: that "
                f"night the clocks go forward from {start} to {end}; write a time the clocks "
                f"show, before {start} or from {end}",
            )


def _dates_outside_horizon(scenario: Scenario) -> Iterator[Finding]:
    first = scenario.clinic.horizon.start
    last = first + timedelta(days=scenario.clinic.horizon.days - 1)
    span = f"the horizon {first}..{last}"
    for where, request in _items(scenario, "requests"):
        if request.latest < first or request.earliest > last:
            yield Finding(
                "outside_horizon",
                where,
                f"window {request.earliest}..{request.latest} lies outside {span}; "
                "move the window or extend clinic.horizon",
            )
    clock = scenario.clinic.clock()
    for where, booking in _items(scenario, "bookings"):
        day = clock.local(clock.minute(booking.start)).date()
        if not first <= day <= last:
            yield Finding(
                "outside_horizon",
                f"{where}.start",
                f"{booking.start} lies outside {span}; remove the booking or extend clinic.horizon",
            )


def _visits_of_one_patient(scenario: Scenario) -> Iterator[Finding]:
    owner: dict[str, str] = {}
    for part in ("requests", "bookings"):
        for where, item in _items(scenario, part):
            if item.visit is None:
                continue
            patient = owner.setdefault(item.visit, item.patient)
            if patient != item.patient:
                yield Finding(
                    "visit_of_two_patients",
                    f"{where}.visit",
                    f"visit '{item.visit}' already belongs to patient {excerpt(patient)}; the "
                    "parts of one visit must be for the same patient (use another visit id)",
                )


def _unknown_day_parts(scenario: Scenario) -> Iterator[Finding]:
    known = scenario.policies.day_part_ranges()
    names = ", ".join(sorted(known))
    for where, request in _items(scenario, "requests"):
        for j, entry in enumerate(request.preferred_times):
            if isinstance(entry, str) and day_part_key(entry) not in known:
                key = day_part_key(entry)
                example = f" as {key}: 'HH:MM-HH:MM'" if len(key) <= EXCERPT_CHARACTERS else ""
                yield Finding(
                    "unknown_day_part",
                    f"{where}.preferred_times[{j}]",
                    f"unknown day part {excerpt(entry)}; write a time range 'HH:MM-HH:MM', one of "
                    f"the day parts ({names}), or define it in policies.day_parts{example}",
                )
