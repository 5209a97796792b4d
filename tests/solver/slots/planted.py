"""Small clinics with planted facts for the slots tests: their schedule is the scenario's
bookings as booked rows (no solve needed), and a call is opened against it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from models.loader import save_scenario
from models.results import Appointment, Schedule
from models.scenario import Scenario
from solver.slots import Call, call_request, open_call
from tests.conftest import MONDAY, booking, mini_clinic, patients, provider, room

MONDAY_DATE = date(2026, 12, 7)
TWO_PROVIDERS = [
    provider("rn", ["botox"], {"mon": "09:00-12:00"}),
    provider("md", ["botox"], {"mon": "09:00-12:00"}, role="md"),
]
"""rn and md, both doing botox Monday 09:00-12:00."""
TWO_ROOMS = [room("inj1", "injection"), room("inj2", "injection")]


def gap_clinic() -> Scenario:
    """rn and md (TWO_PROVIDERS) in two rooms; rn has b1 (p1) at 09:00 and b2 (p2) at 10:00,
    30 minutes each, so 09:30-10:00 is an idle gap of two 15-minute slots; p3 is free."""
    return mini_clinic(
        providers=TWO_PROVIDERS,
        rooms=TWO_ROOMS,
        patients=patients(["p1", "p2", "p3"]),
        bookings=[
            booking("b1", "p1", "botox", "rn", "inj1", f"{MONDAY}T09:00"),
            booking("b2", "p2", "botox", "rn", "inj1", f"{MONDAY}T10:00"),
        ],
    )


def booked(scenario: Scenario) -> Schedule:
    """The scenario's bookings as the booked rows of a schedule."""
    zone = scenario.clinic.clock().zone
    rows = []
    for item in scenario.bookings:
        start = item.start if item.start.tzinfo else item.start.replace(tzinfo=zone)
        rows.append(
            Appointment(
                request_id=item.id,
                patient_id=item.patient,
                service_id=item.service,
                provider_id=item.provider,
                room_id=item.room,
                start=start,
                end=start + timedelta(minutes=scenario.service(item.service).length),
                status="booked",
                kind="booking",
            )
        )
    return Schedule(appointments=rows)


def monday(scenario: Scenario, hour: int, minute: int = 0) -> datetime:
    """A clinic time on Monday 7 December 2026."""
    return datetime(2026, 12, 7, hour, minute, tzinfo=scenario.clinic.clock().zone)


def call_on(
    scenario: Scenario,
    patient: str,
    service: str = "botox",
    *,
    days: tuple[date, date] = (MONDAY_DATE, MONDAY_DATE),
    now: datetime | None = None,
    **fields: Any,
) -> Call:
    """A call for `service` on `days` (Monday by default) against the planted schedule."""
    schedule = booked(scenario)
    request = call_request(
        scenario, schedule, patient, service, earliest=days[0], latest=days[1], **fields
    )
    return open_call(scenario, schedule, request, now)


def saved(scenario: Scenario, folder: Path) -> tuple[Path, Path]:
    """The scenario and its planted schedule written to `folder` as a user has them."""
    folder.mkdir(parents=True, exist_ok=True)
    scenario_file, schedule_file = folder / "clinic.yaml", folder / "schedule.csv"
    save_scenario(scenario, scenario_file)
    booked(scenario).write_csv(schedule_file)
    return scenario_file, schedule_file
