"""`medspa reshuffle` as a front desk runs it: the re-plan's files, a state scenario that the
checker and the next re-plan accept, the input schedule never touched, and every bad event
refused with exit 2, a message that names it and nothing written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from models.results import Change, Schedule
from scenarios.generator import generate_scenario
from solver.cli import app

runner = CliRunner()
NOW = "2026-12-07T11:00"
FAST = ["--time-limit", "0.5", "--workers", "1", "--seed", "0", "--deterministic"]
OUTPUTS = [
    ".medspa-outputs.json",  # the list of what medspa wrote there
    "changes.csv",
    "exceptions.csv",
    "gantt_day.png",
    "scenario.yaml",
    "schedule.csv",
]


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(scenario file, schedule.csv) of a generated 40-request clinic solved by `medspa solve`."""
    from models.loader import save_scenario

    folder = tmp_path_factory.mktemp("night")
    scenario = folder / "clinic.yaml"
    save_scenario(generate_scenario(requests=40, providers=3, days=2, seed=4), scenario)
    result = runner.invoke(app, ["solve", str(scenario), "--out", str(folder / "solved"), *FAST])
    assert result.exit_code == 0, result.output
    return scenario, folder / "solved" / "schedule.csv"


def _booked_ids(schedule_csv: Path) -> tuple[str, str]:
    """(an appointment that started before NOW, one that starts after it)."""
    rows = Schedule.read_csv(schedule_csv).booked()
    now = pd.Timestamp(NOW, tz="America/New_York")
    past = next(r.request_id for r in rows if r.start is not None and r.start < now)
    future = next(r.request_id for r in rows if r.start is not None and r.start > now)
    return past, future


def _reshuffle(scenario: Path, schedule: Path, out: Path, *args: str) -> Result:
    command = ["reshuffle", str(scenario), "--schedule", str(schedule), "--out", str(out)]
    return runner.invoke(app, [*command, *args, *FAST])


def test_a_cancellation_writes_the_re_plan_that_the_checker_and_the_next_re_plan_accept(
    solved: tuple[Path, Path], tmp_path: Path
) -> None:
    scenario, schedule = solved
    original = schedule.read_bytes()
    _, future = _booked_ids(schedule)
    out = tmp_path / "replan"
    result = _reshuffle(scenario, schedule, out, "--event", f"cancel:{future}", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert schedule.read_bytes() == original
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS
    columns = pd.read_csv(schedule, nrows=0).columns
    new = pd.read_csv(out / "schedule.csv", dtype=str, keep_default_na=False)
    assert list(new.columns) == list(columns)
    assert set(pd.read_csv(schedule, dtype=str)["request_id"]) <= set(new["request_id"])
    row = new.set_index("request_id").loc[future]
    assert (row["status"], row["reason"]) == ("unscheduled", "cancelled_late")
    changes = pd.read_csv(out / "changes.csv", dtype=str, keep_default_na=False)
    assert list(changes.columns) == list(Change.model_fields)
    cancelled = changes.set_index("request_id").loc[future]
    assert (cancelled["change"], cancelled["fee_policy"]) == ("cancelled_late", "True")
    assert (out / "gantt_day.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    exceptions = pd.read_csv(out / "exceptions.csv", nrows=0)
    assert list(exceptions.columns)[:4] == ["request_id", "patient_id", "reason_code", "owner"]
    checked = runner.invoke(app, ["check", str(out / "scenario.yaml"), str(out / "schedule.csv")])
    assert checked.exit_code == 0, checked.output

    _, later = _booked_ids(out / "schedule.csv")
    next_out = tmp_path / "replan_2"
    step = _reshuffle(
        out / "scenario.yaml",
        out / "schedule.csv",
        next_out,
        "--event",
        f"cancel:{later}",
        "--event",
        "running_late:np_01,minutes=15",
        "--now",
        "2026-12-07T12:30",
    )
    assert step.exit_code == 0, step.output
    checked = runner.invoke(
        app, ["check", str(next_out / "scenario.yaml"), str(next_out / "schedule.csv")]
    )
    assert checked.exit_code == 0, checked.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--event", "cancel:nobody_42", "--now", NOW], "no appointment 'nobody_42'"),
        (["--event", "cancel:{past}", "--now", NOW], "'{past}' started at"),
        (["--event", "no_show:{future}", "--now", NOW], "'{future}' starts at"),
        (["--event", "provider_out:dr_ghost", "--now", NOW], "provider 'dr_ghost' is unknown"),
        (["--event", "cancel:{future}", "--now", "11am"], "'11am' is not a time"),
        (["--event", "explode:{future}", "--now", NOW], "unknown kind 'explode'"),
        (["--event", "running_late:np_01,minutes=soon", "--now", NOW], "minutes"),
        (["--event", "cancel:{future},{past}", "--now", NOW], "is not key=value"),
    ],
    ids=[
        "unknown id",
        "already started",
        "no-show ahead",
        "unknown provider",
        "bad now",
        "bad kind",
        "bad minutes",
        "bad pair",
    ],
)
def test_a_bad_event_exits_2_naming_it_and_writes_nothing(
    solved: tuple[Path, Path], tmp_path: Path, args: list[str], named: str
) -> None:
    scenario, schedule = solved
    original = schedule.read_bytes()
    past, future = _booked_ids(schedule)
    out = tmp_path / "replan"
    filled = [arg.format(past=past, future=future) for arg in args]
    result = _reshuffle(scenario, schedule, out, *filled)
    assert result.exit_code == 2, result.output
    assert named.format(past=past, future=future) in result.output
    assert "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert schedule.read_bytes() == original


def test_the_input_schedule_folder_is_refused_as_output(
    solved: tuple[Path, Path], tmp_path: Path
) -> None:
    scenario, schedule = solved
    before = {p.name: p.read_bytes() for p in schedule.parent.iterdir()}
    _, future = _booked_ids(schedule)
    args = ["--event", f"cancel:{future}", "--now", NOW]
    result = _reshuffle(scenario, schedule, schedule.parent, *args)
    assert result.exit_code == 2, result.output
    assert "holds the input schedule" in result.output
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in schedule.parent.iterdir()} == before
