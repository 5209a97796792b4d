"""`medspa reshuffle` as a front desk runs it: the re-plan's files, a state scenario that the
checker and the next re-plan accept, the input schedule never touched, and every bad event
refused with exit 2, a message that names it and nothing written."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from models.results import CHANGE_COLUMNS, Schedule
from scenarios.generator import generate_scenario
from solver.cli import app

runner = CliRunner()
NOW = "2026-12-07T11:00"
FAST = ["--time-limit", "0.5", "--workers", "1", "--seed", "0", "--deterministic"]
OUT = "lies outside the scenario's horizon, 2026-12-07 00:00 to 2026-12-09 00:00"
WITHIN = "write a time within it"
NOT_OPENED = (
    "is not a day the re-plan can open; give a date from 2026-12-07 (the day of --now) to "
    "2026-12-08 (the last day of the horizon)"
)
OUTPUTS = [
    ".medspa-outputs.json",  # the list of what medspa wrote there
    "changes.csv",
    "exceptions.csv",
    "gantt_day.png",
    "report.html",
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


def _booked_ids(schedule_csv: Path, at: str = NOW) -> tuple[str, str]:
    """(an appointment that started before `at`, one that starts after it)."""
    rows = Schedule.read_csv(schedule_csv).booked()
    now = pd.Timestamp(at, tz="America/New_York")
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
    assert list(changes.columns) == CHANGE_COLUMNS
    cancelled = changes.set_index("request_id").loc[future]
    assert (cancelled["change"], cancelled["late_fee_applies"]) == ("cancelled_late", "True")
    assert (out / "gantt_day.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    exceptions = pd.read_csv(out / "exceptions.csv", nrows=0)
    assert list(exceptions.columns)[:4] == ["day", "window", "owner", "request_id"]
    checked = runner.invoke(
        app, ["check", str(out / "scenario.yaml"), "--schedule", str(out / "schedule.csv")]
    )
    assert checked.exit_code == 0, checked.output

    _, later = _booked_ids(out / "schedule.csv", "2026-12-07T12:30")
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
        app,
        ["check", str(next_out / "scenario.yaml"), "--schedule", str(next_out / "schedule.csv")],
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
        (["--event", "cancel:{future}", "--now", "9999-12-31T23:00"], f"'9999-12-31T23:00' {OUT}"),
        (
            ["--event", "cancel:{future}", "--now", "9999-12-31T23:00-12:00"],
            f"'9999-12-31T23:00-12:00' {OUT}",
        ),
        (
            ["--event", "provider_out:np_01", "--now", "2026-12-14T10:00"],
            f"'2026-12-14T10:00' {OUT}",
        ),
        (
            ["--event", "cancel:{future}", "--now", NOW, "--through", "9999-12-31"],
            f"9999-12-31 {NOT_OPENED}",
        ),
        (
            ["--event", "cancel:{future}", "--now", NOW, "--through", "2026-12-06"],
            f"2026-12-06 {NOT_OPENED}",
        ),
        (
            ["--event", "provider_out:np_01,to=9999-12-31T23:00", "--now", NOW],
            f"provider_out 'np_01': to '9999-12-31T23:00' {OUT}; {WITHIN}, or leave to out for the",
        ),
        (
            ["--event", "provider_out:np_01,to=9999-12-31T23:00-12:00", "--now", NOW],
            f"provider_out 'np_01': to '9999-12-31T23:00-12:00' {OUT}",
        ),
        (
            ["--event", "room_down:laser_1,from=0001-01-01T00:00+14:00", "--now", NOW],
            f"room_down 'laser_1': from '0001-01-01T00:00+14:00' {OUT}; {WITHIN}, or leave from",
        ),
        (
            ["--event", "running_late:np_01,minutes=100000000000", "--now", NOW],
            "minutes: 100,000,000,000 minutes is more than a day; running late is at most 1,440",
        ),
        (
            ["--event", "cancel:{future},at=9999-12-31T23:00", "--now", NOW],
            "cancel '{future}': at '9999-12-31T23:00' is after now (2026-12-07 11:00)",
        ),
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
        "now in year 9999",
        "now in year 9999 with an offset",
        "now next week",
        "through year 9999",
        "through before now",
        "out to year 9999",
        "out to year 9999 with an offset",
        "down from year 1",
        "late for ever",
        "a call from the future",
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


def test_without_now_the_computer_clock_outside_the_horizon_is_refused(
    solved: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import solver.cli

    class NextSpring(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> NextSpring:
            return cls(2027, 4, 1, 9, 30, tzinfo=tz)

    monkeypatch.setattr(solver.cli, "datetime", NextSpring)
    scenario, schedule = solved
    out = tmp_path / "replan"
    result = _reshuffle(scenario, schedule, out, "--event", "provider_out:np_01")
    assert result.exit_code == 2, result.output
    assert f"--now: now (2027-04-01 09:30 by this computer's clock) {OUT}" in result.output
    assert "give the time of the change with --now" in result.output
    assert not out.exists()


def _events_file(folder: Path, events: list[dict[str, object]]) -> Path:
    path = folder / "events.json"
    path.write_text(json.dumps(events), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("events", "named"),
    [
        (
            [{"kind": "running_late", "provider": "np_01", "minutes": 100_000_000_000}],
            "events.json: events[0].minutes: 100,000,000,000 minutes is more than a day",
        ),
        (
            [
                {"kind": "cancel", "booking": "{future}"},
                {"kind": "running_late", "provider": "np_01", "minutes": float("inf")},
            ],
            "events.json: events[1].minutes: Input should be a finite number (got inf)",
        ),
        (
            [{"kind": "provider_out", "provider": "np_01", "to": "9999-12-31T23:00-12:00"}],
            f"provider_out 'np_01': to '9999-12-31T23:00-12:00' {OUT}",
        ),
        (
            [{"kind": "cancel", "booking": "{future}"}] * 1_001,
            "1,001 events; a re-plan takes at most 1,000, so re-plan them in steps",
        ),
        (
            [{"kind": "cancel", "booking": "x" * 5_000_000}],
            f"no appointment '{'x' * 60}… (5,000,000 characters)' in the schedule",
        ),
    ],
    ids=["late for ever", "late for infinity", "out to year 9999", "too many", "a 5 MB id"],
)
def test_a_bad_events_file_exits_2_naming_the_event_and_writes_nothing(
    solved: tuple[Path, Path], tmp_path: Path, events: list[dict[str, object]], named: str
) -> None:
    scenario, schedule = solved
    _, future = _booked_ids(schedule)
    filled = json.loads(json.dumps(events).replace("{future}", future))
    out = tmp_path / "replan"
    path = _events_file(tmp_path, filled)
    result = _reshuffle(scenario, schedule, out, "--events", str(path), "--now", NOW)
    assert result.exit_code == 2, result.output[:2000]
    assert named.format(future=future) in result.output
    assert "Traceback" not in result.output
    assert len(result.output) < 2_000
    assert not out.exists()


def test_a_5_mb_event_is_quoted_as_an_excerpt(solved: tuple[Path, Path], tmp_path: Path) -> None:
    scenario, schedule = solved
    out = tmp_path / "replan"
    huge = "cancel:" + "q" * 5_000_000
    result = _reshuffle(scenario, schedule, out, "--event", huge, "--now", NOW)
    assert result.exit_code == 2, result.output[:2000]
    assert "no appointment 'qqqq" in result.output and "(5,000,000 characters)" in result.output
    assert len(result.output) < 2_000
