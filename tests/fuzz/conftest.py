"""The valid inputs the fuzz tests start from, made once per run, and the run's summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from models.loader import load_scenario, read_data, save_scenario
from models.results import Schedule
from scenarios.generator import generate_scenario
from tests.fuzz.harness import ROOT, SUMMARY
from tests.fuzz.strategies import EventContext

SAMPLE = ROOT / "scenarios" / "sample_clinic.yaml"


@pytest.fixture(scope="session")
def sample() -> tuple[str, Any]:
    """The sample clinic's text and its data (dates as text, as the loader reads them)."""
    return SAMPLE.read_text(encoding="utf-8"), read_data(SAMPLE)


@pytest.fixture(scope="session")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated clinic (14 requests, 2 providers, 2 days) saved as YAML."""
    path = tmp_path_factory.mktemp("fuzz-clinic") / "clinic.yaml"
    save_scenario(generate_scenario(requests=14, providers=2, days=2, seed=3), path)
    return path


@pytest.fixture(scope="session")
def solved(clinic: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder `medspa solve` writes for the small clinic."""
    out = tmp_path_factory.mktemp("fuzz-solved")
    command = [sys.executable, "-m", "solver", "solve", str(clinic), "--out", str(out)]
    command += ["--time-limit", "1", "--deterministic", "--quiet"]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return out


@pytest.fixture(scope="session")
def context(clinic: Path, solved: Path) -> EventContext:
    """What valid events of the small clinic and its schedule can name."""
    scenario = load_scenario(clinic)
    rows = Schedule.read_csv(solved / "schedule.csv").appointments
    return EventContext(
        booked=[row.request_id for row in rows if row.status == "booked"],
        providers=[p.id for p in scenario.providers],
        rooms=[r.id for r in scenario.rooms] + [e.id for e in scenario.equipment],
        patients=[p.id for p in scenario.patients],
        services=[s.id for s in scenario.services],
        days=[day.isoformat() for day in scenario.clinic.clock().days()],
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line per fuzz test run: cases tried and the known failures met."""
    for test, (cases, known) in SUMMARY.items():
        met = f"; known failures met: {', '.join(known)}" if known else ""
        terminalreporter.write_line(f"fuzz {test}: {cases} cases{met}")
