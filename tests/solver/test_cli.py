"""The medspa command line as a user runs it: exit codes, files written, messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from icalendar import Calendar
from typer.testing import CliRunner, Result

from models.loader import load_scenario, save_scenario
from models.results import APPOINTMENT_COLUMNS, SCHEDULE_COLUMNS, Schedule
from scenarios.generator import generate_scenario
from solver.cli import app

runner = CliRunner()
BAD = Path("tests/data/bad")
MANIFEST = yaml.safe_load((BAD / "expected.yaml").read_text())


@pytest.fixture(scope="module")
def small_clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated 40-request clinic saved as YAML."""
    path = tmp_path_factory.mktemp("clinic") / "clinic.yaml"
    save_scenario(generate_scenario(requests=40, providers=3, days=2, seed=4), path)
    return path


@pytest.fixture(scope="module")
def solved(small_clinic: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of `medspa solve` on the small clinic (a 2 s solve: the tests that
    use it are marked slow)."""
    out = tmp_path_factory.mktemp("out")
    args = ["solve", str(small_clinic), "--out", str(out), "--time-limit", "2", "--workers", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.slow
def test_solve_writes_the_five_outputs_with_one_row_per_request_and_booking(
    small_clinic: Path, solved: Path
) -> None:
    assert sorted(p.name for p in solved.iterdir()) == [
        ".medspa-outputs.json",  # the list of what medspa wrote there
        "exceptions.csv",
        "gantt.png",
        "kpis.json",
        "report.html",
        "schedule.csv",
    ]
    schedule = pd.read_csv(solved / "schedule.csv", dtype=str, keep_default_na=False)
    scenario = load_scenario(small_clinic)
    assert list(schedule.columns) == SCHEDULE_COLUMNS
    expected = [b.id for b in scenario.bookings] + [r.id for r in scenario.requests]
    assert sorted(schedule["request_id"]) == sorted(expected)
    booked = schedule[schedule["status"] == "booked"]
    assert not booked.empty
    by_day = booked[["date", "provider_id", "start"]].values.tolist()
    assert by_day == sorted(by_day)  # one offset all week: the ISO text sorts as time
    assert (schedule["status"] == "booked").tolist() == sorted(
        schedule["status"] == "booked", reverse=True
    )  # the rows not booked last
    assert booked["start"].str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$").all()
    assert set(schedule["status"]) <= {"booked", "unscheduled", "escalated"}
    assert (schedule.loc[schedule["status"] != "booked", "reason"] != "").all()
    kpis = json.loads((solved / "kpis.json").read_text())
    assert set(kpis["utilization"]) == {"definition", "overall", "providers", "rooms", "equipment"}
    assert kpis["objective"]["total"] >= kpis["objective"]["greedy"]
    assert set(kpis["objective"]["terms"]) >= {"booked_priority_minutes", "idle_slot"}
    exceptions = pd.read_csv(solved / "exceptions.csv", dtype=str, keep_default_na=False)
    assert list(exceptions.columns)[:4] == ["day", "window", "owner", "request_id"]
    assert {"tier", "service_name", "value", "reason_code", "suggested_action"} <= set(
        exceptions.columns
    )
    assert list(exceptions["day"]) == sorted(exceptions["day"])  # most urgent first
    assert len(exceptions) == int((schedule["status"] != "booked").sum())
    assert (solved / "gantt.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_check_accepts_a_solved_schedule_and_catches_a_tampered_one(
    small_clinic: Path, solved: Path, tmp_path: Path
) -> None:
    ok = runner.invoke(
        app, ["check", str(small_clinic), "--schedule", str(solved / "schedule.csv")]
    )
    assert ok.exit_code == 0, ok.output
    assert "every hard rule holds" in ok.output
    schedule = pd.read_csv(solved / "schedule.csv", dtype=str, keep_default_na=False)
    booked = schedule.index[schedule["status"] == "booked"]
    schedule.loc[booked[1], ["provider_id", "start", "end"]] = schedule.loc[
        booked[0], ["provider_id", "start", "end"]
    ].to_numpy()
    tampered = tmp_path / "tampered.csv"
    schedule.to_csv(tampered, index=False)
    caught = runner.invoke(app, ["check", str(small_clinic), "--schedule", str(tampered), "--json"])
    assert caught.exit_code == 1
    assert json.loads(caught.output)


def test_check_rejects_a_malformed_schedule_file_with_exit_2(
    small_clinic: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "schedule.csv"
    broken.write_text("request_id,start\nq1,yesterday\n")
    result = runner.invoke(app, ["check", str(small_clinic), "--schedule", str(broken)])
    assert result.exit_code == 2
    assert str(broken) in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_every_bad_scenario_file_exits_2_with_its_specific_message(
    name: str, tmp_path: Path
) -> None:
    for command in (["audit"], ["solve", "--out", str(tmp_path / "out")]):
        result = runner.invoke(app, [command[0], str(BAD / name), *command[1:]])
        assert result.exit_code == 2, result.output
        assert MANIFEST[name]["message"] in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_audit_exit_codes_and_json(small_clinic: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(small_clinic.read_text())
    data["policies"].pop("escalation_owner", None)
    holed = tmp_path / "holed.yaml"
    holed.write_text(yaml.safe_dump(data))
    result = runner.invoke(app, ["audit", str(holed), "--json"])
    assert result.exit_code == 1
    assert "no_escalation_owner" in {f["code"] for f in json.loads(result.output)}


def test_schema_describes_every_scenario_section() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert set(schema["properties"]) >= {"clinic", "services", "providers", "requests", "bookings"}
    assert "description" in schema["$defs"]["Service"]["properties"]["processing"]


def test_generate_writes_a_loadable_deterministic_clinic(tmp_path: Path) -> None:
    paths = [tmp_path / "a.yaml", tmp_path / "b.yaml"]
    for path in paths:
        args = ["generate", "--requests", "30", "--providers", "3", "--days", "2", "--seed", "9"]
        result = runner.invoke(app, [*args, "--output", str(path)])
        assert result.exit_code == 0, result.output
    assert paths[0].read_text() == paths[1].read_text()
    assert len(load_scenario(paths[0]).requests) == 30


@pytest.mark.slow
def test_the_console_script_runs_demo_end_to_end(small_clinic: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "solver", "demo", str(small_clinic), "--out", str(tmp_path)]
    command += ["--time-limit", "1", "--workers", "1"]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert finished.returncode == 0, finished.stderr
    assert "independent checker" in finished.stdout
    booked = {row.request_id for row in Schedule.read_csv(tmp_path / "schedule.csv").booked()}
    planned = pd.read_csv(tmp_path / "messages.csv")  # from now: none once the week is past
    assert set(planned["booking_id"]) <= booked
    assert (tmp_path / "messages_skipped.csv").exists()
    scenario = load_scenario(small_clinic)
    feeds = sorted((tmp_path / "calendars").glob("*.ics"))
    assert len(feeds) == len(scenario.providers) + len(scenario.rooms)
    uids = {
        str(event["UID"]).split("@")[0]
        for feed in feeds
        if feed.name.startswith("provider_")
        for event in Calendar.from_ical(feed.read_bytes()).events
    }
    assert uids == booked


def test_a_hand_edited_schedule_names_each_bad_line_and_column(
    small_clinic: Path, tmp_path: Path
) -> None:
    edited = tmp_path / "schedule.csv"
    header = ",".join(APPOINTMENT_COLUMNS[:10])
    edited.write_text(f"{header}\nq1,p1,botox,,,,12/8/2026 10:00,,Booked,\n")
    result = runner.invoke(app, ["check", str(small_clinic), "--schedule", str(edited)])
    assert result.exit_code == 2
    assert "line 2 (id 'q1').start" in result.output
    assert "line 2 (id 'q1').status" in result.output


def test_an_empty_clinic_solves_and_out_must_be_a_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text(
        "clinic:\n  name: Empty\n  timezone: Europe/London\n"
        "  horizon: {start: 2026-12-07, days: 2}\n"
    )
    solved = runner.invoke(app, ["solve", str(empty), "--out", str(tmp_path / "out")])
    assert solved.exit_code == 0, solved.output
    assert (tmp_path / "out" / "schedule.csv").exists()
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    refused = runner.invoke(app, ["solve", str(empty), "--out", str(a_file)])
    assert refused.exit_code == 2
    assert "is a file, not a folder" in refused.output
    assert a_file.read_text() == "keep me"


@pytest.mark.parametrize("command", ["solve", "reshuffle", "demo"])
def test_bad_search_params_exit_2_naming_the_key_and_write_nothing(
    command: str, small_clinic: Path, tmp_path: Path
) -> None:
    tuning = tmp_path / "tuning.toml"
    tuning.write_text('piece_seconds = "fast"\nfirst_piece_size = 2.5\n', encoding="utf-8")
    out = tmp_path / "out"
    args = [command, str(small_clinic), "--out", str(out), "--search-params", str(tuning)]
    if command == "reshuffle":
        args += ["--schedule", str(tmp_path / "missing.csv"), "--event", "cancel:x"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"{tuning}: piece_seconds: write a number (got 'fast')" in result.output
    assert f"{tuning}: first_piece_size: write a whole number (got 2.5)" in result.output
    assert not out.exists()


def test_search_params_from_a_file_reach_the_search(
    small_clinic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import solver.solve as solve_module

    seen = []
    real_search = solve_module.search

    def recording_search(*args: object, **options: object) -> object:
        seen.append(options["params"])
        return real_search(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(solve_module, "search", recording_search)
    tuning = tmp_path / "tuning.toml"
    tuning.write_text("piece_seconds = 0.05\nfirst_piece_size = 8\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["solve", str(small_clinic), "--out", str(out), "--time-limit", "0.5"]
    result = runner.invoke(app, [*args, "--workers", "1", "--search-params", str(tuning)])
    assert result.exit_code == 0, result.output
    (params,) = seen
    assert (params.piece_seconds, params.first_piece_size, params.grow_by) == (0.05, 8, 4)
    assert (out / "schedule.csv").exists()


def test_deterministic_runs_repeat_exactly_and_say_so(small_clinic: Path, tmp_path: Path) -> None:
    help_text = " ".join(runner.invoke(app, ["solve", "--help"]).output.split())
    assert "--deterministic" in help_text and "wall-clock" in help_text
    outputs = []
    for run in ("first", "second"):
        out = tmp_path / run
        args = ["solve", str(small_clinic), "--out", str(out), "--time-limit", "0.5"]
        result = runner.invoke(app, [*args, "--workers", "2", "--deterministic", "--quiet"])
        assert result.exit_code == 0, result.output
        outputs.append((out / "schedule.csv").read_bytes())
        figures = json.loads((out / "kpis.json").read_text())["solver"]
        assert (figures["deterministic"], figures["num_workers"]) == (True, 1)
    assert outputs[0] == outputs[1]


def said(result: Result) -> str:
    """The output as one line: the error box's borders and its wrapping taken out."""
    return " ".join(result.output.replace("│", " ").split())


def must_not_run(*args: object, **options: object) -> object:
    """Stands in for the work a refused option must never reach."""
    raise AssertionError("the work started")


TIME_RANGE = "give a number of seconds from 0.1 to 86,400 (24 hours)"
SEED_RANGE = "the search takes a whole number from -2,147,483,648 to 2,147,483,647"


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--time-limit", "inf", f"'--time-limit': inf is out of range; {TIME_RANGE}"),
        ("--time-limit", "nan", f"'--time-limit': nan is out of range; {TIME_RANGE}"),
        ("--time-limit", "1e308", f"'--time-limit': 1e+308 is out of range; {TIME_RANGE}"),
        ("--time-limit", "0", f"'--time-limit': 0.0 is out of range; {TIME_RANGE}"),
        ("--workers", "100000", "'--workers': 100000 is out of range; give 1 to 64 workers"),
        ("--workers", "0", "'--workers': 0 is out of range; give 1 to 64 workers"),
        ("--seed", "99999999999", f"'--seed': 99999999999 is out of range; {SEED_RANGE}"),
        ("--seed", "-2147483649", f"'--seed': -2147483649 is out of range; {SEED_RANGE}"),
    ],
)
@pytest.mark.parametrize("command", ["solve", "reshuffle", "demo"])
def test_a_search_option_out_of_range_exits_2_naming_the_option_and_its_range(
    command: str,
    option: str,
    value: str,
    named: str,
    small_clinic: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import solver.solve as solve_module

    monkeypatch.setattr(solve_module, "solve", must_not_run)
    out = tmp_path / "out"
    args = [command, str(small_clinic), "--out", str(out), option, value]
    if command == "reshuffle":
        args += ["--schedule", str(tmp_path / "schedule.csv"), "--event", "cancel:b_01"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert named in said(result)
    assert "Traceback" not in result.output
    assert not out.exists()


def test_the_largest_search_options_are_accepted(small_clinic: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["solve", str(small_clinic), "--out", str(out), "--seed", "2147483647"]
    result = runner.invoke(app, [*args, "--time-limit", "0.2", "--workers", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "kpis.json").read_text())["solver"]["seed"] == 2**31 - 1


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--requests", "1000000"], "'--requests': 1000000 is out of range; give 1 to 20,000"),
        (["--requests", "0"], "'--requests': 0 is out of range; give 1 to 20,000 requests"),
        (["--providers", "5000"], "'--providers': 5000 is out of range; give 1 to 1,000"),
        (["--rooms", "100000"], "'--rooms': 100000 is out of range; give 1 to 1,000 rooms"),
        (["--days", "400"], "'--days': 400 is out of range; give 1 to 366 days"),
    ],
)
def test_generate_refuses_a_size_out_of_range_before_generating(
    args: list[str], named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scenarios.generator

    monkeypatch.setattr(scenarios.generator, "generate_scenario", must_not_run)
    result = runner.invoke(app, ["generate", *args, "--out", str(tmp_path / "clinic.yaml")])
    assert result.exit_code == 2, result.output
    assert named in said(result)
    assert not (tmp_path / "clinic.yaml").exists()


def test_generate_with_fewer_rooms_than_room_types_exits_2_saying_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--rooms", "2", "--out", str(tmp_path / "c.yaml")])
    assert result.exit_code == 2, result.output
    assert "rooms must be at least 4, one per room type" in said(result)
    assert "Traceback" not in result.output


ROW = (
    "b_01,p_01,botox,np_01,injection_1,,2026-12-07T09:50:00-05:00,2026-12-07T10:10:00-05:00,"
    "booked,,booking,False"
)
START, END = "2026-12-07T09:50:00-05:00", "2026-12-07T10:10:00-05:00"
LINE_2 = "line 2 (id 'b_01')"


def schedule_file(folder: Path, *rows: str, separator: str = ",") -> Path:
    """A schedule.csv of these rows under the header of the columns a schedule is read from."""
    path = folder / "schedule.csv"
    lines = [",".join(APPOINTMENT_COLUMNS), *rows]
    path.write_text("\n".join(line.replace(",", separator) for line in lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("rows", "separator", "named"),
    [
        (
            [ROW.replace(START, "0001-01-01T00:00+14:00")],
            ",",
            f"{LINE_2}.start: '0001-01-01T00:00+14:00' is out of range (year 1)",
        ),
        (
            [ROW.replace(END, "9999-12-31T23:00-12:00")],
            ",",
            f"{LINE_2}.end: '9999-12-31T23:00-12:00' is out of range (year 9999)",
        ),
        (
            [ROW.replace(START, "2026-12-07T09:50:30-05:00")],
            ",",
            f"{LINE_2}.start: '2026-12-07T09:50:30-05:00' has seconds; schedule times are whole",
        ),
        ([ROW.replace(START, "inf")], ",", f"{LINE_2}.start: 'inf' is not a time"),
        (
            [ROW.replace("injection_1,,", "injection_1,laser_platform:nan,")],
            ",",
            f"{LINE_2}.equipment: 'laser_platform:nan' is not a list of machine:units",
        ),
        (
            [ROW.replace("injection_1,,", "injection_1,laser_platform:1e400,")],
            ",",
            f"{LINE_2}.equipment: 'laser_platform:1e400' is not a list of machine:units",
        ),
        ([ROW.replace("False", "maybe")], ",", f"{LINE_2}.moved: Input should be a valid boolean"),
        (
            [ROW.replace("b_01", '"b_\n01"')],
            ",",
            "line 2 (id 'b_\\n01').request_id: String should match pattern",
        ),
        (
            [ROW.replace("botox", "x" * 5_000_000)],
            ",",
            f"{LINE_2}.service_id: '{'x' * 60}… (5,000,000 characters)' is longer than 1,000",
        ),
        ([ROW], ";", "line 1 (the header): the columns are separated by semicolons (;)"),
        ([ROW], "\t", "line 1 (the header): the columns are separated by tabs"),
    ],
    ids=[
        "year 1",
        "year 9999",
        "seconds",
        "start inf",
        "units nan",
        "units 1e400",
        "moved maybe",
        "id with a newline",
        "5 MB cell",
        "semicolons",
        "tabs",
    ],
)
def test_a_bad_schedule_file_exits_2_naming_the_line_and_column(
    rows: list[str], separator: str, named: str, small_clinic: Path, tmp_path: Path
) -> None:
    schedule = schedule_file(tmp_path, *rows, separator=separator)
    result = runner.invoke(app, ["check", str(small_clinic), "--schedule", str(schedule)])
    assert result.exit_code == 2, result.output[:2000]
    assert named in result.output
    assert "Traceback" not in result.output
    assert len(result.output) < 2_000
    assert len(result.output.splitlines()) == 2  # the problem, and the count


@pytest.mark.parametrize("command", ["check", "reshuffle", "explain"])
def test_every_command_reading_a_schedule_refuses_a_bad_one_with_exit_2(
    command: str, small_clinic: Path, tmp_path: Path
) -> None:
    schedule = schedule_file(tmp_path, ROW.replace(START, "0001-01-01T00:00+14:00"))
    replan = ["--out", str(tmp_path / "out"), "--event", "cancel:b_01", "--now", "2026-12-07T11:00"]
    args = {
        "check": ["--schedule", str(schedule)],
        "reshuffle": ["--schedule", str(schedule), *replan],
        "explain": ["b_01", "--schedule", str(schedule)],
    }[command]
    result = runner.invoke(app, [command, str(small_clinic), *args])
    assert result.exit_code == 2, result.output
    assert f"{schedule}: {LINE_2}.start: '0001-01-01T00:00+14:00' is out of range" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_text_from_the_file_is_printed_as_written_never_as_markup_or_control_codes(
    small_clinic: Path, tmp_path: Path
) -> None:
    """A clinic name holding a terminal escape or rich markup is shown escaped and literal in
    the KPI table (it cleared the screen, and '[red]' would have coloured the rest)."""
    scenario = load_scenario(small_clinic)
    scenario.clinic.name = "Spa\x1b[2J [red]Downtown"
    clinic = tmp_path / "clinic.yaml"
    save_scenario(scenario, clinic)
    args = ["solve", str(clinic), "--out", str(tmp_path / "out"), "--time-limit", "1"]
    result = runner.invoke(app, [*args, "--deterministic", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "Spa\\x1b[2J [red]Downtown" in result.output
