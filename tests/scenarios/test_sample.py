"""The sample clinic, Lumen Aesthetics: it loads and holds everything a realistic week needs."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

import scenarios
from models.loader import load_scenario
from models.scenario import Booking, Request, Scenario, Service
from models.times import MINUTES_PER_DAY, TimeRange, weekday_of
from scenarios.generator import SERVICE_CATALOGUE, demand_ratio

SAMPLE = Path(scenarios.__file__).parent / "sample_clinic.yaml"
FILLERS = {"filler_cheek", "filler_lip", "filler_touch_up"}


@pytest.fixture(scope="module")
def sample() -> Scenario:
    return load_scenario(SAMPLE)


def _minutes(scenario: Scenario, booking: Booking) -> tuple[int, int]:
    """Clinic minutes [start, end) of the patient's time in the room."""
    day = (booking.start.date() - scenario.clinic.horizon.start).days
    start = day * MINUTES_PER_DAY + booking.start.hour * 60 + booking.start.minute
    return start, start + scenario.service(booking.service).length


def _outside_hours(scenario: Scenario, booking: Booking) -> str | None:
    provider = scenario.provider(booking.provider)
    service = scenario.service(booking.service)
    day = booking.start.date()
    start = booking.start.hour * 60 + booking.start.minute
    end = start + service.length
    opening = scenario.clinic.hours.get(weekday_of(day))
    in_shift = any(r.contains(start, end) for r in provider.weekly.get(weekday_of(day), []))
    away = any(
        absence.covers(day)
        and (absence.hours is None or absence.hours.overlaps(TimeRange(start=start, end=end)))
        for absence in provider.time_off
    )
    if opening is None or not opening.contains(start, end) or not in_shift or away:
        return f"{booking.id} is outside {provider.id}'s working time"
    if booking.service not in provider.services:
        return f"{booking.id}: {provider.id} may not perform {booking.service}"
    return None


def _room_type_problem(scenario: Scenario, booking: Booking) -> str | None:
    room = next(room for room in scenario.rooms if room.id == booking.room)
    if room.type not in scenario.service(booking.service).room_types:
        return f"{booking.id}: room {room.id} is a {room.type} room"
    return None


def booking_problems(scenario: Scenario) -> list[str]:
    """Every clash of the existing bookings: outside working hours, wrong room type, two at a
    time for a provider, room (turnover included) or patient, more machines than exist."""
    problems = [
        problem
        for booking in scenario.bookings
        for problem in (_outside_hours(scenario, booking), _room_type_problem(scenario, booking))
        if problem
    ]
    held: dict[str, list[tuple[int, int]]] = defaultdict(list)
    machine_use: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for booking in scenario.bookings:
        service = scenario.service(booking.service)
        start, end = _minutes(scenario, booking)
        held[f"provider {booking.provider}"].append((start, end))
        held[f"patient {booking.patient}"].append((start, end))
        held[f"room {booking.room}"].append((start, end + service.buffer_after))
        for machine, units in service.equipment.items():
            machine_use[machine] += [(start, end + service.buffer_after)] * units
    for who, spans in held.items():
        problems += [f"{who} double booked" for a, b in pairwise(sorted(spans)) if b[0] < a[1]]
    counts = {machine.id: machine.count for machine in scenario.equipment}
    for machine, spans in machine_use.items():
        for start, _ in spans:
            in_use = sum(s <= start < e for s, e in spans)
            if in_use > counts[machine]:
                problems.append(f"{in_use} {machine} in use at minute {start}")
    return problems


def _with_bookings(sample: Scenario, bookings: list[Booking]) -> Scenario:
    return sample.model_copy(update={"bookings": bookings})


def test_booking_problems_finds_clashes(sample: Scenario) -> None:
    first = sample.bookings[0]
    twin = first.model_copy(update={"id": "twin"})
    early = first.model_copy(update={"id": "early", "start": first.start.replace(hour=6)})
    problems = booking_problems(_with_bookings(sample, [first, twin, early]))
    assert f"provider {first.provider} double booked" in problems
    assert f"room {first.room} double booked" in problems
    assert f"early is outside {first.provider}'s working time" in problems
    assert booking_problems(_with_bookings(sample, [first, early])) == [
        f"early is outside {first.provider}'s working time"
    ]


def test_booking_problems_counts_machines(sample: Scenario) -> None:
    facial = next(b for b in sample.bookings if sample.service(b.service).equipment)
    other_room = next(r.id for r in sample.rooms if r.type == "facial" and r.id != facial.room)
    second = facial.model_copy(update={"id": "second", "room": other_room})
    problems = booking_problems(_with_bookings(sample, [facial, second]))
    assert any(problem.startswith("2 hydrafacial in use") for problem in problems)
    assert booking_problems(_with_bookings(sample, [facial])) == []


def test_sample_describes_one_new_york_week(sample: Scenario) -> None:
    clinic = sample.clinic
    assert clinic.name == "Lumen Aesthetics"
    assert clinic.timezone == "America/New_York"
    assert clinic.slot_minutes == 5
    assert clinic.horizon.start == date(2026, 12, 7)
    assert clinic.horizon.start.weekday() == 0
    assert clinic.horizon.days == 5
    assert set(clinic.hours) == {"mon", "tue", "wed", "thu", "fri", "sat"}
    assert clinic.hours["sat"].minutes < clinic.hours["mon"].minutes
    last = clinic.horizon.start + timedelta(days=clinic.horizon.days - 1)
    assert all(not clinic.horizon.start <= day <= last for day in clinic.closed_dates)


def test_sample_has_a_real_team(sample: Scenario) -> None:
    providers = sample.providers
    roles = Counter(p.role for p in providers)
    assert len(providers) >= 6
    assert len(roles) >= 4
    assert roles["rn_injector"] >= 2
    rns = [p for p in providers if p.role == "rn_injector"]
    assert any(set(p.services) >= FILLERS for p in rns)
    assert any(not FILLERS & set(p.services) for p in rns), "one RN is not yet signed off"
    for provider in providers:
        assert any(len(ranges) >= 2 for ranges in provider.weekly.values()), "lunch break"
        assert provider.preferences.max_bookings_per_day
        assert set(provider.preferences.preferred_services) <= set(provider.services)
    absences = [absence for p in providers for absence in p.time_off]
    assert any(absence.hours is None for absence in absences)
    assert any(absence.hours is not None for absence in absences)


def test_sample_menu(sample: Scenario) -> None:
    services = {s.id: s for s in sample.services}
    assert len(services) >= 15
    assert {s.category for s in services.values()} == {
        "consult",
        "treatment",
        "follow_up",
        "touch_up",
    }
    assert services["filler_lip"].processing > 0
    assert services["body_contouring"].processing >= 30
    assert services["body_contouring"].equipment
    assert services["microneedling"].processing > 0
    machine_users = Counter(m for s in services.values() for m in s.equipment)
    assert max(machine_users.values()) >= 2, "a machine shared by two services"
    for service in services.values():
        assert 5 <= service.buffer_after <= 15
        if service.requires_consult:
            assert service.deposit > 0
        if service.id.startswith("laser") or service.category == "touch_up":
            assert service.min_days_between
        assert any(service.id in p.services for p in sample.providers), service.id
    assert all(services[s].requires_consult for s in ("filler_cheek", "biostimulator"))
    assert sum(s.value for s in services.values()) > 0


def test_sample_menu_is_the_generator_catalogue(sample: Scenario) -> None:
    assert sample.services == [Service.model_validate(item) for item in SERVICE_CATALOGUE]


def test_sample_rooms_and_machines(sample: Scenario) -> None:
    room_types = Counter(room.type for room in sample.rooms)
    assert len(sample.rooms) >= 5
    assert len(room_types) >= 3
    assert room_types["injection"] >= 2
    assert len(sample.equipment) >= 2
    needed = {kind for service in sample.services for kind in service.room_types}
    assert needed <= set(room_types)
    assert next(e for e in sample.equipment if e.id == "laser_platform").count == 1


def test_sample_policies(sample: Scenario) -> None:
    policies = sample.policies
    assert policies.escalation_owner and policies.same_day_owner
    assert policies.consult_valid_days == 365
    assert policies.deposit_deadline_hours == 48
    assert policies.cancellation_notice_hours == 24
    assert policies.waitlist_order == ["displaced", "priority", "requested_at"]
    assert policies.max_moves_same_day == 3
    assert policies.quiet_hours is not None and str(policies.quiet_hours) == "21:00-08:00"
    reminders = policies.reminders
    assert any(r.on_booking for r in reminders)
    assert {r.hours_before for r in reminders} >= {48, 2}
    assert all(r.template for r in reminders)


def test_sample_patients(sample: Scenario) -> None:
    patients = sample.patients
    tiers = Counter(p.tier for p in patients)
    share = {tier: count / len(patients) for tier, count in tiers.items()}
    assert len(patients) >= 80
    assert 0.05 <= share["vip"] <= 0.15
    assert 0.20 <= share["member"] <= 0.30
    assert 0.35 <= share["returning"] <= 0.45
    assert 0.20 <= share["new"] <= 0.30
    assert sum(p.last_consult is not None for p in patients) >= 20
    assert sum(p.deposit_on_file for p in patients) >= 10
    series = {s.id for s in sample.services if s.min_days_between}
    assert any(item.service in series for p in patients for item in p.history)


def _visits(requests: list[Request]) -> list[list[Request]]:
    groups: dict[str, list[Request]] = defaultdict(list)
    for request in requests:
        if request.visit:
            groups[request.visit].append(request)
    return list(groups.values())


def test_sample_requests(sample: Scenario) -> None:
    requests = sample.requests
    assert len(requests) >= 150
    assert all(1 <= (r.latest - r.earliest).days + 1 <= 5 for r in requests)
    assert any(r.required_provider for r in requests)
    assert any(r.preferred_provider for r in requests)
    assert any(r.preferred_times for r in requests)
    waitlist = [r for r in requests if r.source == "waitlist"]
    assert len(waitlist) >= 5
    assert all(r.requested_at for r in waitlist)


def test_sample_visits(sample: Scenario) -> None:
    visits = _visits(sample.requests)
    assert len(visits) >= 5
    for visit in visits:
        assert len({(r.patient, r.earliest, r.latest) for r in visit}) == 1
    pairs = [[sample.service(r.service) for r in visit] for visit in visits]
    consult_first = [p for p in pairs if p[0].category == "consult" and p[1].requires_consult]
    assert consult_first
    new_with_consult = [
        visit
        for visit in visits
        if sample.service(visit[0].service).category == "consult"
        and sample.patient(visit[0].patient).tier == "new"
    ]
    assert new_with_consult
    assert any([s.id for s in p] == ["hydrafacial", "chemical_peel"] for p in pairs)


def test_sample_has_requests_that_need_a_person(sample: Scenario) -> None:
    consulted = {
        r.patient for r in sample.requests if sample.service(r.service).category == "consult"
    }
    consulted |= {
        b.patient for b in sample.bookings if sample.service(b.service).category == "consult"
    }
    valid_days = sample.policies.consult_valid_days

    def lacks_consult(request: Request) -> bool:
        last = sample.patient(request.patient).last_consult
        expired = last is None or (request.latest - last).days > valid_days
        return request.patient not in consulted and expired

    def unpaid(request: Request) -> bool:
        covered = request.deposit_paid or sample.patient(request.patient).deposit_on_file
        return sample.service(request.service).deposit > 0 and not covered

    def series_too_soon(request: Request) -> bool:
        gap = sample.service(request.service).min_days_between or 0
        history = sample.patient(request.patient).history
        before = [item.date for item in history if item.service == request.service]
        return bool(gap and before) and max(before) + timedelta(days=gap) > request.latest

    needs_consult = [r for r in sample.requests if sample.service(r.service).requires_consult]
    assert any(lacks_consult(r) for r in needs_consult)
    assert any(unpaid(r) for r in sample.requests)
    assert any(series_too_soon(r) for r in sample.requests)


def test_sample_demand_is_above_capacity(sample: Scenario) -> None:
    assert 1.2 <= demand_ratio(sample) <= 1.4


def test_sample_existing_bookings(sample: Scenario) -> None:
    bookings = sample.bookings
    assert 15 <= len(bookings) <= 25
    unlocked = [b for b in bookings if not b.locked]
    assert 1 <= len(unlocked) < len(bookings) / 2
    assert booking_problems(sample) == []
