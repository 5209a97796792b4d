"""A night and a day through the command line, as a clinic runs them: `medspa solve` into
night/, then `medspa reshuffle` of its schedule with one event into day/."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from solver.cli import app

FAST = ["--time-limit", "0.5", "--workers", "1", "--deterministic"]


def night_and_day(clinic: Path, event: str, now: str) -> tuple[Path, Path, str]:
    """Solve `clinic` (a scenario file) into night/ beside it, then re-plan `event` at `now`
    (local ISO time) into day/; both must succeed. Returns the two folders and what the solve
    printed."""
    runner = CliRunner()
    night, day = clinic.parent / "night", clinic.parent / "day"
    solved = runner.invoke(app, ["solve", str(clinic), "--out", str(night), *FAST])
    assert solved.exit_code == 0, solved.output
    command = ["reshuffle", str(clinic), "--schedule", str(night / "schedule.csv")]
    command += ["--event", event, "--now", now, "--out", str(day), *FAST]
    replanned = runner.invoke(app, command)
    assert replanned.exit_code == 0, replanned.output
    return night, day, solved.output
