"""What the tests share: one clinic builder, as functions and as fixtures.

`clinic_data(**overrides)` returns a fresh scenario as plain data, in the shape of a scenario
file (clinic, policies, services, providers, rooms, equipment, patients, requests, bookings).
Left alone it is the default clinic: one Monday, 7 December 2026, in America/Chicago, open
09:00-17:00 on the 5-minute grid; one service `botox` (30 minutes in an injection room), one
provider `rn` (an rn who does botox all Monday), one room `inj1` (injection), no machines,
patients p0 to p9, no requests, no bookings and no policies (tests lean on these defaults,
the day above all: change them together with the tests). An override of `clinic` or
`policies` is merged into that section (`clinic={"timezone": "Europe/Berlin"}` keeps the
name, horizon and hours); an override of any list section replaces it. `build()` turns such
data into a validated Scenario (models.loader.scenario_from_data), and `edited()` copies data
with values changed by dotted path ("providers.1.weekly.tue"), for tests that break one rule.

The item helpers (`service`, `provider`, `room`, `machine`, `patient`, `patients`,
`request`, `booking`, `week`) write one entry of a section with the fields no test cares
about filled in (a display name is the id unless given), so a test names only what it means:

    from tests.conftest import build, machine, provider, request, room, service

    scenario = build(
        clinic={"slot_minutes": 15},
        services=[service("peel", 60, "facial", equipment={"lamp": 1})],
        providers=[provider("ann", ["peel"], role="aesthetician")],
        rooms=[room("f1", "facial")],
        equipment=[machine("lamp")],
        requests=[request("r1", "p0", "peel")],
    )

Where those short names would clash with a module's own (a loop over `service`, a local
`request` helper), import the module instead: `from tests import conftest as make`, then
`make.service(...)`.

`mini_clinic(**sections)` is a preset on top of clinic_data: the small two-day clinic most
solver tests use (Monday and Tuesday, `MONDAY` and `TUESDAY`, 09:00-17:00 on the 15-minute
grid; botox, provider `rn` working `MINI_WEEK`, room `inj1`, patients p1 and p2), built into a
Scenario. Its tests spell out the preset's defaults in the item helpers:

    provider("md", ["botox"], MINI_WEEK)                 # works Monday and Tuesday
    request("r", "p1", "botox", latest=TUESDAY)           # p1 wants botox on either day
    booking("b", "p1", "botox", "rn", "inj1", f"{MONDAY}T10:00")  # locked unless told

The fixtures `data` (the default clinic's data) and `scenario` (`build(data)`) serve tests
of the default clinic; a module that overrides `data` with its own clinic gets its own
`scenario` too.

The session fixture `sample_week` is the sample clinic's week as a user has it after
`medspa solve` (the scenario file and the schedule.csv of a 1-second deterministic run),
solved once for every test that only reads it.

The longer solver runs are marked `@pytest.mark.slow`: `pytest -m "not slow"` gives a quick
run, and plain `pytest` (which `make test` runs) runs every test.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from models.loader import scenario_from_data
from models.scenario import Scenario
from solver.cli import app

Data = dict[str, Any]

DAY = "2026-12-07"
"""The default clinic's only day, a Monday."""
HOURS = "09:00-17:00"
"""The default clinic's opening hours, and a provider's unless told otherwise."""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
EVERY_DAY = (*WEEKDAYS, "sat", "sun")

MONDAY, TUESDAY = DAY, "2026-12-08"
"""The two days of the mini clinic (clinic minutes 0.. and 1440..)."""
NINE = 9 * 60
"""09:00, the opening time, in minutes of the day."""
MINI_DAYS = ("mon", "tue")
"""The weekdays the mini clinic is open."""

SECTIONS = ("services", "providers", "rooms", "equipment", "patients", "requests", "bookings")
"""The list sections of a scenario, in file order after clinic and policies."""

DELETE = object()
"""A value for `edited` that removes the field instead of setting it."""


def week(days: Iterable[str], hours: str | list[str]) -> dict[str, Any]:
    """The same hours on each of `days` ("09:00-17:00" or a list of ranges), each its own copy."""
    return {day: copy.deepcopy(hours) for day in days}


def service(
    sid: str,
    duration: int = 30,
    rooms: str | Sequence[str] = "injection",
    *,
    category: str = "treatment",
    name: str | None = None,
    **more: Any,
) -> Data:
    """A service of `duration` minutes in a room of any of `rooms` (one type or several;
    default a 30-minute treatment in an injection room); `more` adds fields such as
    processing, finish, buffer_after or equipment."""
    room_types = [rooms] if isinstance(rooms, str) else list(rooms)
    kind = {"category": category, "duration": duration, "room_types": room_types}
    return {"id": sid, "name": name or sid, **kind, **more}


def provider(
    pid: str,
    services: Sequence[str],
    weekly: Mapping[str, Any] | None = None,
    *,
    role: str = "rn",
    name: str | None = None,
    **more: Any,
) -> Data:
    """A provider who does `services` in the `weekly` hours (default: Monday 09:00-17:00)."""
    hours = dict(weekly) if weekly is not None else {"mon": HOURS}
    return {"id": pid, "name": name or pid, "role": role, "services": list(services)} | {
        "weekly": hours,
        **more,
    }


def room(rid: str, kind: str, **more: Any) -> Data:
    """A room of type `kind`."""
    return {"id": rid, "type": kind, **more}


def machine(mid: str, count: int = 1, *, name: str | None = None, **more: Any) -> Data:
    """An entry of the equipment section: `count` units of one machine."""
    return {"id": mid, "name": name or mid, "count": count, **more}


def patient(pid: str, tier: str | None = None, **more: Any) -> Data:
    """A patient, of the default tier (new) unless `tier` says otherwise."""
    return {"id": pid, **({"tier": tier} if tier else {}), **more}


def patients(ids: Iterable[str], **more: Any) -> list[Data]:
    """One patient per id, each with the same `more` fields (for instance tier)."""
    return [patient(pid, **more) for pid in ids]


def request(
    rid: str,
    patient: str,
    service: str,
    earliest: str = DAY,
    latest: str | None = None,
    **more: Any,
) -> Data:
    """A request for one service between `earliest` and `latest` (default: the same day)."""
    window = {"earliest": earliest, "latest": latest or earliest}
    return {"id": rid, "patient": patient, "service": service, **window, **more}


def booking(
    bid: str, patient: str, service: str, provider: str, room: str, start: str, **more: Any
) -> Data:
    """An existing booking at `start` (local ISO time unless it carries an offset)."""
    where = {"provider": provider, "room": room, "start": start}
    return {"id": bid, "patient": patient, "service": service, **where, **more}


MINI_WEEK = week(MINI_DAYS, HOURS)
"""The mini clinic's opening hours, and its providers' unless told otherwise: Monday and
Tuesday 09:00-17:00 (`provider` copies it, so no test changes it for another)."""


def clinic_data(
    *,
    clinic: Mapping[str, Any] | None = None,
    policies: Mapping[str, Any] | None = None,
    **sections: list[Any],
) -> Data:
    """A fresh copy of the default clinic (see the module docstring) with overrides.

    `clinic` and `policies` are merged into the default sections, one level deep (give the
    whole `horizon` or `hours` to change them); each of `sections` (services, providers,
    rooms, equipment, patients, requests, bookings) replaces the default list. The overrides
    are copied, so a test may change the result without touching what it passed in.
    """
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise TypeError(f"clinic_data() has no section {', '.join(unknown)}")
    data: Data = {
        "clinic": {
            "name": "Test Spa",
            "timezone": "America/Chicago",
            "horizon": {"start": DAY, "days": 1},
            "hours": {"mon": HOURS},
        },
        "policies": {},
        "services": [service("botox")],
        "providers": [provider("rn", ["botox"])],
        "rooms": [room("inj1", "injection")],
        "equipment": [],
        "patients": patients(f"p{i}" for i in range(10)),
        "requests": [],
        "bookings": [],
    }
    data["clinic"].update(copy.deepcopy(dict(clinic or {})))
    data["policies"].update(copy.deepcopy(dict(policies or {})))
    data.update(copy.deepcopy(sections))
    return data


def build(data: Mapping[str, Any] | None = None, **overrides: Any) -> Scenario:
    """The validated Scenario of `data`, or of `clinic_data(**overrides)` when no data is given.

    Raises models.loader.ScenarioError listing every problem, as loading a file does.
    """
    if data is not None and overrides:
        raise TypeError("build() takes data or overrides, not both")
    return scenario_from_data(dict(data) if data is not None else clinic_data(**overrides))


def edited(data: Mapping[str, Any], changes: Mapping[str, Any]) -> Data:
    """A deep copy of `data` with each dotted path of `changes` set to its value.

    Integer parts index lists ("providers.1.weekly.tue"); the value DELETE removes the field,
    and the index one past a list's end appends to it ("services.2" of two services).
    """
    result = copy.deepcopy(dict(data))
    for path, value in changes.items():
        *parents, last = path.split(".")
        node: Any = result
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key = int(last) if isinstance(node, list) else last
        if value is DELETE:
            del node[key]
        elif isinstance(node, list) and key == len(node):
            node.append(copy.deepcopy(value))
        else:
            node[key] = copy.deepcopy(value)
    return result


def mini_clinic(**sections: Any) -> Scenario:
    """The mini clinic (see the module docstring) with overrides, as a validated Scenario.

    Like clinic_data: `clinic` and `policies` are merged into the preset's sections, every
    other keyword replaces its list section.
    """
    clinic = {
        "name": "Mini",
        "slot_minutes": 15,
        "horizon": {"start": MONDAY, "days": len(MINI_DAYS)},
        "hours": week(MINI_DAYS, HOURS),
    }
    preset: dict[str, Any] = {
        "services": [service("botox")],
        "providers": [provider("rn", ["botox"], MINI_WEEK)],
        "rooms": [room("inj1", "injection")],
        "patients": patients(["p1", "p2"]),
    }
    clinic.update(sections.pop("clinic", None) or {})
    return build(clinic=clinic, **(preset | sections))


@pytest.fixture
def data() -> Data:
    """The default clinic as plain data, fresh for each test; a module may override it."""
    return clinic_data()


@pytest.fixture
def scenario(data: Data) -> Scenario:
    """The validated scenario of the `data` fixture."""
    return build(data)


SAMPLE = Path("scenarios/sample_clinic.yaml")
"""The project's sample clinic (the tests run from the repository's root)."""


@pytest.fixture(scope="session")
def sample_week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample clinic's scenario file and the schedule.csv of a 1-second deterministic
    `medspa solve` (read it, do not change it)."""
    out = tmp_path_factory.mktemp("sample-week")
    args = ["solve", str(SAMPLE), "--out", str(out), "--time-limit", "1", "--workers", "1"]
    result = CliRunner().invoke(app, [*args, "--deterministic", "--quiet"])
    assert result.exit_code == 0, result.output
    return SAMPLE.resolve(), out / "schedule.csv"
