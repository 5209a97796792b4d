"""The sample clinic's week, solved once per session in the reproducible mode, as the files a
user has: the scenario and the schedule.csv `medspa solve` wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from solver.cli import app

SAMPLE = Path("scenarios/sample_clinic.yaml")


@pytest.fixture(scope="session")
def sample_week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample clinic's scenario file and the schedule.csv of a 1-second deterministic
    solve."""
    out = tmp_path_factory.mktemp("sample-week")
    args = ["solve", str(SAMPLE), "--out", str(out), "--time-limit", "1", "--workers", "1"]
    result = CliRunner().invoke(app, [*args, "--deterministic", "--quiet"])
    assert result.exit_code == 0, result.output
    return SAMPLE.resolve(), out / "schedule.csv"
