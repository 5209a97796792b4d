"""The derived facts of one scenario, computed once and shared by eligibility, the front desk,
the model, the LP bound and the KPIs: the clinic's and providers' calendars, rooms and
machines out of service, and the indexes of rooms by type and machines by count.

Times are clinic minutes (see models.times); start ranges are inclusive on both ends.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from models.scenario import Patient, Provider, Scenario, Service
from models.times import MINUTES_PER_DAY, ClinicClock, weekday_of

Ranges = list[tuple[int, int]]


@dataclass(frozen=True)
class Outage:
    """A room (kind "room") or one unit of a machine (kind "machine") out of service."""

    kind: str
    id: str
    start: int
    end: int
    units: int = 1


class ClinicFacts:
    """What every part of the solver reads about one scenario, derived once.

    `not_before` (a clinic minute, the present when re-planning a day) keeps every movable
    start at or after it.
    """

    def __init__(self, scenario: Scenario, not_before: int = 0) -> None:
        self.scenario = scenario
        self.clock: ClinicClock = scenario.clinic.clock()
        self.grid = scenario.clinic.slot_minutes
        self.num_days = scenario.clinic.horizon.days
        self.not_before = not_before
        self.room_type_of = {room.id: room.type for room in scenario.rooms}
        self.rooms_of_type: dict[str, list[str]] = {}
        for room in scenario.rooms:
            self.rooms_of_type.setdefault(room.type, []).append(room.id)
        self.machine_counts = {machine.id: machine.count for machine in scenario.equipment}
        self.consult_ids = {s.id for s in scenario.services if s.category == "consult"}
        self._qualifying: dict[str, frozenset[str]] = {}
        self.outages = self._outages()
        self.exact_types = {self.room_type_of[o.id] for o in self.outages if o.kind == "room"}
        """Room types with a room out of service: decided room by room (a pool is not exact)."""
        self._working_ranges: dict[tuple[str, int], Ranges] = {}

    def room_count(self, room_type: str) -> int:
        """How many rooms of a type the clinic has."""
        return len(self.rooms_of_type.get(room_type, []))

    def qualifying_consults(self, service: Service) -> frozenset[str]:
        """Ids of the consult services that qualify `service` (Service.qualifies)."""
        if service.id not in self._qualifying:
            self._qualifying[service.id] = frozenset(
                s.id for s in self.scenario.services if s.qualifies_for(service)
            )
        return self._qualifying[service.id]

    def clinic_open(self, day: int) -> tuple[int, int] | None:
        """The clinic's opening range on day `day` in minutes of that day, if open."""
        when = self.clock.day(day)
        hours = self.scenario.clinic.hours.get(weekday_of(when))
        if hours is None or when in self.scenario.clinic.closed_dates:
            return None
        return hours.start, hours.end

    def open_minutes(self, day: int) -> int:
        """Minutes the clinic is open on day `day`."""
        opening = self.clinic_open(day)
        return opening[1] - opening[0] if opening else 0

    def working(self, provider: Provider, day: int) -> Ranges:
        """A provider's working ranges on day `day` (minutes of the day, end exclusive)."""
        key = (provider.id, day)
        if key not in self._working_ranges:
            self._working_ranges[key] = self._working(provider, day)
        return self._working_ranges[key]

    def _working(self, provider: Provider, day: int) -> Ranges:
        when = self.clock.day(day)
        if provider.license_expires is not None and when >= provider.license_expires:
            return []
        ranges = [(h.start, h.end) for h in provider.weekly.get(weekday_of(when), [])]
        for absence in provider.time_off:
            if absence.covers(when):
                if absence.hours is None:
                    return []
                ranges = _cut(ranges, absence.hours.start, absence.hours.end)
        return ranges

    def starts(self, service: Service, provider: Provider, day: int, fixed: bool = False) -> Ranges:
        """Allowed starts (clinic minutes) of `service` by `provider` on day `day`.

        Starts before `not_before` (the present, when re-planning a day) are left out unless
        `fixed`: an appointment that already happened or is under way stays as it is.
        """
        opening = self.clinic_open(day)
        if opening is None:
            return []
        length = service.length
        allowed = [(opening[0], opening[1] - length)]
        working = self.working(provider, day)
        first_part = merge((a, b - service.duration) for a, b in working)
        allowed = intersect(allowed, first_part)
        if service.finish:
            lead = service.duration + service.processing
            allowed = intersect(allowed, merge((a - lead, b - length) for a, b in working))
        offset = day * MINUTES_PER_DAY
        if not fixed:
            allowed = intersect(allowed, [(self.not_before - offset, MINUTES_PER_DAY)])
        return [(low + offset, high + offset) for low, high in on_grid(allowed, self.grid)]

    def _outages(self) -> list[Outage]:
        """The rooms and machine units out of service, in clinic minutes, widened to the slot
        grid; overlapping spans are merged, and never more units are out than a machine has."""
        scenario, grid = self.scenario, self.grid
        items = [("room", room.id, room.out_of_service, 1) for room in scenario.rooms]
        items += [("machine", m.id, m.out_of_service, m.count) for m in scenario.equipment]
        outages = []
        for kind, item_id, spans, count in items:
            edges = [
                (
                    self.clock.minute(span.start) // grid * grid,
                    -(-self.clock.minute(span.end) // grid) * grid,
                )
                for span in spans
            ]
            moments = sorted({moment for edge in edges for moment in edge})
            for start, end in itertools.pairwise(moments):
                units = min(count, sum(1 for low, high in edges if low <= start and end <= high))
                if units:
                    outages.append(Outage(kind, item_id, start, end, units))
        return outages


def consult_on_file(scenario: Scenario, patient: Patient, service: Service, day: date) -> bool:
    """Whether a consultation on the patient's file, valid on `day`, qualifies `service`.

    On file are every consult service in the history and `last_consult`; a last_consult with
    no consult service in the history on its date does not say which consultation it was, and
    qualifies every service.
    """
    valid = scenario.policies.consult_valid_days

    def fresh(when: date) -> bool:
        return 0 <= (day - when).days <= valid

    past = [(h.date, scenario.service(h.service)) for h in patient.history]
    past = [(when, consult) for when, consult in past if consult.category == "consult"]
    last = patient.last_consult
    if last is not None and fresh(last) and all(when != last for when, _ in past):
        return True
    return any(fresh(when) and consult.qualifies_for(service) for when, consult in past)


def intersect(first: Ranges, second: Ranges) -> Ranges:
    """Intersection of two sorted lists of inclusive ranges."""
    result: Ranges = []
    i = j = 0
    while i < len(first) and j < len(second):
        low = max(first[i][0], second[j][0])
        high = min(first[i][1], second[j][1])
        if low <= high:
            result.append((low, high))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return result


def subtract(ranges: Ranges, removed: Ranges) -> Ranges:
    """The parts of sorted inclusive ranges outside sorted, disjoint inclusive `removed`."""
    result: Ranges = []
    for low, high in ranges:
        for cut_low, cut_high in removed:
            if cut_high < low or cut_low > high:
                continue
            if cut_low > low:
                result.append((low, cut_low - 1))
            low = cut_high + 1
            if low > high:
                break
        if low <= high:
            result.append((low, high))
    return result


def merge(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """Inclusive ranges sorted, with overlapping and touching ones joined."""
    merged: Ranges = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        elif low <= high:
            merged.append((low, high))
    return merged


def on_grid(ranges: Ranges, grid: int) -> Ranges:
    """Inclusive ranges shrunk to the minutes on the grid; empty ones dropped."""
    snapped = [(-(-low // grid) * grid, high // grid * grid) for low, high in ranges]
    return [(low, high) for low, high in snapped if low <= high]


def _cut(ranges: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    pieces = []
    for low, high in ranges:
        if low < start:
            pieces.append((low, min(high, start)))
        if high > end:
            pieces.append((max(low, end), high))
    return pieces
