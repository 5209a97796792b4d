"""`medspa notify` as a user runs it: the files it writes (beside the solve's, or into --out),
the counts it prints (never a text, name or contact), and exit 2 on bad input."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from models.loader import save_scenario
from models.results import Appointment, Change, Schedule, changes_frame
from models.scenario import Scenario
from models.spreadsheet import read_csv, write_csv
from solver.cli import app
from solver.outputs.folder import RECORD, write_set
from tests.conftest import booking, build, patient, request
from tests.solver.desk.rows import booked, change

runner = CliRunner()
CHICAGO = ZoneInfo("America/Chicago")
SECRET = ("Maya", "555 0199", "See you")
"""What the console must never show: a name, a phone number, a message's text."""


@pytest.fixture
def scenario() -> Scenario:
    """The default Monday clinic with a confirmation, a reminder 2 h before, quiet hours
    21:00-08:00 and a moved notice."""
    return build(
        policies={
            "reminders": [
                {"name": "confirm", "on_booking": True, "template": "See you {{ first_name }}"},
                {"name": "soon", "hours_before": 2, "template": "See you at {{ time }}"},
            ],
            "quiet_hours": "21:00-08:00",
            "notices": {"moved": "Moved to {{ start }} from {{ old_start }}"},
        },
        patients=[patient("p1", name="Maya Lind", phone="555 0199"), patient("p2")],
        requests=[request("r1", "p1", "botox")],
        bookings=[booking("b1", "p2", "botox", "rn", "inj1", "2026-12-07T09:00")],
    )


def row(rid: str, patient_id: str, hour: int, kind: str = "request") -> Appointment:
    return booked(rid, patient_id, datetime(2026, 12, 7, hour, tzinfo=CHICAGO), kind=kind)


def solved_folder(tmp_path: Path, scenario: Scenario, changes: list[Change] | None = None) -> Path:
    """A folder as solve (or, with changes, reshuffle) writes it, and the scenario file."""
    save_scenario(scenario, tmp_path / "clinic.yaml")
    schedule = Schedule(appointments=[row("b1", "p2", 9, "booking"), row("r1", "p1", 10)])
    writers = {"schedule.csv": lambda path: schedule.write_csv(path, scenario)}
    if changes is not None:
        writers["changes.csv"] = lambda path: write_csv(changes_frame(changes, scenario), path)
    return write_set(tmp_path / "week", writers, "solve")[0].parent


def notify(tmp_path: Path, *more: str) -> tuple[int, str]:
    args = ["notify", str(tmp_path / "clinic.yaml"), str(tmp_path / "week"), *more]
    result = runner.invoke(app, args)
    return result.exit_code, result.output


def test_notify_adds_the_plan_to_the_solves_folder_and_prints_counts_only(
    tmp_path: Path, scenario: Scenario
) -> None:
    week = solved_folder(tmp_path, scenario)
    code, output = notify(tmp_path, "--now", "2026-12-06T12:00")
    assert code == 0, output
    assert not any(secret in output for secret in SECRET)
    assert "3 message(s) to send, the first at Sun 2026-12-06 12:00" in output
    record = json.loads((week / RECORD).read_text())
    assert record["written_by"] == "medspa solve"  # still the solve's set, with two files more
    assert sorted(record["files"]) == ["messages.csv", "messages_skipped.csv", "schedule.csv"]
    messages = read_csv(week / "messages.csv")
    assert messages[["message_id", "send_at"]].values.tolist() == [
        ["r1:confirmation:confirm", "2026-12-06T12:00:00-06:00"],
        ["b1:reminder:soon", "2026-12-06T20:59:00-06:00"],  # 07:00 is quiet: the evening before
        ["r1:reminder:soon", "2026-12-07T08:00:00-06:00"],
    ]
    assert messages.text.tolist()[0] == "See you Maya"
    assert read_csv(week / "messages_skipped.csv").empty
    assert (week / "schedule.csv").exists()


def test_notify_json_counts_by_kind_channel_and_reason(tmp_path: Path, scenario: Scenario) -> None:
    solved_folder(tmp_path, scenario)
    code, output = notify(tmp_path, "--now", "2026-12-07T07:30", "--json")
    assert code == 0, output
    assert not any(secret in output for secret in SECRET)
    figures = json.loads(output)
    assert figures["now"] == "2026-12-07T07:30:00-06:00"
    assert figures["messages"] == 2 and figures["by_kind"] == {
        "confirmation": {"sms": 1},
        "reminder": {"sms": 1},
    }
    assert figures["skipped_by_reason"] == {"due before now": 1}  # b1's, due 07:00


def test_notify_tells_a_replan_folders_moves(tmp_path: Path, scenario: Scenario) -> None:
    moved = change("moved", "r1", from_start="2026-12-07T14:00:00-06:00")
    solved_folder(tmp_path, scenario, [moved])
    out = tmp_path / "messages"
    code, output = notify(tmp_path, "--now", "2026-12-07T08:30", "--out", str(out))
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == [
        RECORD,
        "messages.csv",
        "messages_skipped.csv",
    ]
    messages = read_csv(out / "messages.csv")
    assert messages.text.tolist() == ["Moved to Mon 7 Dec at 10:00 from Mon 7 Dec at 14:00"]
    skipped = read_csv(out / "messages_skipped.csv")
    assert skipped[["message_id", "reason"]].values.tolist() == [
        ["b1:reminder:soon", "due before now"],
        # due at 12:00 before the move, at 08:00 after it: a sender drops the queued one
        ["r1:reminder:soon", "withdrawn: the appointment moved"],
    ]


def test_notify_refuses_bad_input_and_writes_nothing(tmp_path: Path, scenario: Scenario) -> None:
    week = solved_folder(tmp_path, scenario)
    code, output = notify(tmp_path, "--now", "yesterday")
    assert code == 2 and "'yesterday' is not a time" in output
    (week / "schedule.csv").write_text("nonsense\n")
    code, output = notify(tmp_path, "--now", "2026-12-06T12:00")
    assert code == 2 and "schedule.csv" in output and "nothing was written" in output
    assert not (week / "messages.csv").exists()
    for folder in (tmp_path / "no", week / "schedule.csv"):  # none there, or a file
        result = runner.invoke(app, ["notify", str(tmp_path / "clinic.yaml"), str(folder)])
        assert result.exit_code == 2
        assert f"{folder}: is not a folder; give the folder `medspa solve --out`" in result.output


def test_notify_refuses_a_broken_changes_file(tmp_path: Path, scenario: Scenario) -> None:
    week = solved_folder(tmp_path, scenario, [])
    (week / "changes.csv").write_text("change,request_id\nmoved,r1\n")
    code, output = notify(tmp_path, "--now", "2026-12-06T12:00")
    assert code == 2
    assert "missing column(s) patient_id, service_id, from_start, to_start" in output
    assert not (week / "messages.csv").exists()


def test_notify_leaves_a_folder_of_other_files_alone(tmp_path: Path, scenario: Scenario) -> None:
    week = solved_folder(tmp_path, scenario)
    (week / "notes.txt").write_text("the front desk's")
    code, output = notify(tmp_path, "--now", "2026-12-06T12:00")
    assert code == 2 and "notes.txt" in output
    assert sorted(p.name for p in week.iterdir()) == [RECORD, "notes.txt", "schedule.csv"]
