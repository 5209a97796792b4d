"""The command line's conventions: -h and --version, help without type placeholders, --json
on every command that prints a result, plain full-width output in a pipe."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from models.audit import audit
from models.loader import load_scenario, save_scenario
from models.scenario import Scenario
from scenarios.generator import generate_scenario
from solver.cli import app, elapsed_of

runner = CliRunner()
SAMPLE = Path("scenarios/sample_clinic.yaml")
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_version_prints_the_installed_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"medspa {version('medspa-scheduler')}\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_answers_dash_h_as_help_does(command: str) -> None:
    short, long = (
        runner.invoke(app, [command, flag], prog_name="medspa") for flag in ("-h", "--help")
    )
    assert short.exit_code == 0, short.output
    assert short.output.startswith(f"Usage: medspa {command} ")
    assert short.output == long.output


def test_piped_audit_table_prints_every_cell_whole_at_80_columns() -> None:
    """A pipe is not a terminal: no colour, and no code or message folded onto a second line."""
    command = [sys.executable, "-m", "solver", "audit", str(SAMPLE)]
    env = os.environ | {"COLUMNS": "80", "TERM": "xterm-256color"}
    finished = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert finished.returncode == 1, finished.stderr
    findings = audit(load_scenario(SAMPLE))
    assert findings
    rows = [line for line in finished.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == len(findings)
    for row, finding in zip(rows, findings, strict=True):
        cells = [cell.strip() for cell in row.strip("│").split("│")]
        assert cells == [finding.code, finding.where, finding.message]
    assert "\x1b[" not in finished.stdout


def _options_help(command: str) -> str:
    """The Options section of a command's help."""
    text = runner.invoke(app, [command, "-h"], prog_name="medspa").output
    return text.split("\nOptions:\n", 1)[1]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_flags_without_a_value_and_lists_one_value_at_a_time(command: str) -> None:
    options = _options_help(command)
    assert "<bool>" not in options
    assert "<list[" not in options
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    for parameter in click_command.params:
        if getattr(parameter, "is_flag", False):
            for name in parameter.opts:
                assert re.search(rf"^  (-\w, )?{name}  +[A-Z]", options, re.MULTILINE), name


def test_repeatable_options_and_folders_are_named_as_such() -> None:
    assert re.search(r"--event EVENT +kind:target", _options_help("reshuffle"))
    assert re.search(r"--prefer-time TIME +A preferred time", _options_help("slots"))
    for command in ("solve", "reshuffle", "review", "demo", "batch", "compare", "slots"):
        assert re.search(r"^  --out DIR ", _options_help(command), re.MULTILINE), command


def test_schema_and_generate_write_the_file_named_by_output(tmp_path: Path) -> None:
    schema = runner.invoke(app, ["schema", "--output", str(tmp_path / "schema.json")])
    assert schema.exit_code == 0, schema.output
    assert schema.output == ""
    assert json.loads((tmp_path / "schema.json").read_text()) == Scenario.model_json_schema()
    args = ["generate", "--requests", "12", "--days", "2", "--output", str(tmp_path / "c.yaml")]
    generated = runner.invoke(app, args)
    assert generated.exit_code == 0, generated.output
    assert generated.stderr == ""
    assert len(load_scenario(tmp_path / "c.yaml").requests) == 12


@pytest.mark.parametrize("command", ["schema", "generate"])
def test_out_still_names_the_file_for_one_version_with_a_note(command: str, tmp_path: Path) -> None:
    old = runner.invoke(app, [command, "--out", str(tmp_path / "file")])
    assert old.exit_code == 0, old.output
    assert "note: --out FILE is now --output FILE" in old.stderr
    assert (tmp_path / "file").stat().st_size > 0
    both = runner.invoke(app, [command, "--out", "a", "--output", "b"])
    assert both.exit_code == 2
    assert "give the file once, as --output FILE" in both.output


def test_output_names_itself_when_it_cannot_be_written(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--output", str(tmp_path)])
    assert result.exit_code == 2
    assert f"--output: '{tmp_path}' is a folder; give --output a file name" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of a short solve of a generated 30-request clinic."""
    folder = tmp_path_factory.mktemp("solved")
    clinic = folder / "clinic.yaml"
    save_scenario(generate_scenario(requests=30, providers=3, days=2, seed=2), clinic)
    args = ["solve", str(clinic), "--out", str(folder / "out"), "--time-limit", "1"]
    result = runner.invoke(app, [*args, "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    return folder


def test_check_takes_the_schedule_as_schedule_and_after_the_scenario_with_a_note(
    solved: Path,
) -> None:
    clinic, schedule = str(solved / "clinic.yaml"), str(solved / "out" / "schedule.csv")
    new = runner.invoke(app, ["check", clinic, "--schedule", schedule])
    assert new.exit_code == 0, new.output
    assert new.stderr == ""
    assert new.stdout == f"{schedule}: every hard rule holds\n"
    old = runner.invoke(app, ["check", clinic, schedule])
    assert old.exit_code == 0, old.output
    assert old.stdout == new.stdout
    assert "note: the schedule is now given as --schedule FILE" in old.stderr
    for args, told in (
        ([], "give the schedule as --schedule FILE, e.g. out/schedule.csv"),
        ([schedule, "--schedule", schedule], "give the schedule once, as --schedule FILE"),
    ):
        refused = runner.invoke(app, ["check", clinic, *args])
        assert refused.exit_code == 2
        assert f"--schedule: {told}" in refused.stderr


@pytest.mark.parametrize(
    ("elapsed", "limit", "deterministic", "shown"),
    [
        (12.4, 30, False, "12 s of 30 s"),
        (0.0, 10, False, "0.0 s of 10 s"),
        (1.34, 2.5, False, "1.3 s of 2.5 s"),
        (754.6, 3600, False, "755 s of 3,600 s"),
        (41.0, 30, True, "41 s, limit 30 s of work"),
    ],
)
def test_progress_shows_the_elapsed_time_of_the_limit(
    elapsed: float, limit: float, deterministic: bool, shown: str
) -> None:
    assert elapsed_of(elapsed, limit, deterministic) == shown


def _json(*args: str, codes: tuple[int, ...] = (0,)) -> Any:
    """The parsed standard output of a --json run (the notes on stderr left out)."""
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code in codes, result.output
    return json.loads(result.stdout)


NOW = "2026-12-07T08:00"


@pytest.mark.slow
def test_json_of_every_command_that_prints_a_result_parses_and_tells_it(
    solved: Path, tmp_path: Path
) -> None:
    clinic, schedule = str(solved / "clinic.yaml"), str(solved / "out" / "schedule.csv")
    fast = ["--time-limit", "0.2", "--workers", "1"]
    assert isinstance(_json("audit", clinic, codes=(0, 1)), list)
    assert _json("check", clinic, "--schedule", schedule) == []
    solve = _json("solve", clinic, "--out", str(tmp_path / "solve"), *fast)
    wrote = solve.pop("wrote")
    assert str(tmp_path / "solve" / "kpis.json") in wrote and all(map(os.path.exists, wrote))
    assert solve == json.loads((tmp_path / "solve" / "kpis.json").read_text())
    replan = ["--schedule", schedule, "--event", "cancel:b_01", "--now", NOW]
    reshuffle = _json("reshuffle", clinic, *replan, "--out", str(tmp_path / "day"), *fast)
    assert {"change": "cancelled", "request_id": "b_01"}.items() <= reshuffle["changes"][0].items()
    assert reshuffle["now"].startswith(NOW) and reshuffle["days"][0] == "2026-12-07"
    explain = _json("explain", clinic, "b_01", "--schedule", schedule)
    assert explain["story"][0].startswith("b_01: patient ")
    call = ["--schedule", schedule, "--patient", "p_01", "--service", "consult_injectables"]
    slots = _json("slots", clinic, *call, "--now", NOW, codes=(0, 1))
    assert "options" in slots
    compare = _json("compare", clinic, clinic, *fast)
    assert [column["variant"] for column in compare] == ["clinic", "clinic (2)"]
    review = _json("review", clinic, schedule, "--out", str(tmp_path / "review"), *fast)
    assert review["weeks"][0]["broken_rules"] == {}
    assert review["weeks"][0]["value"]["requests booked"]["calendar"] > 0
    batch = _json("batch", clinic, "--out", str(tmp_path / "night"), *fast)
    assert [c["outcome"] for c in batch["clinics"]] == ["solved"]


def test_explain_takes_the_schedule_as_schedule_and_the_old_order_with_a_note(
    solved: Path,
) -> None:
    clinic, schedule = str(solved / "clinic.yaml"), str(solved / "out" / "schedule.csv")
    new = runner.invoke(app, ["explain", clinic, "b_01", "--schedule", schedule])
    assert new.exit_code == 0, new.output
    assert new.stdout.startswith("b_01: patient ") and new.stderr == ""
    old = runner.invoke(app, ["explain", clinic, schedule, "b_01"])
    assert old.exit_code == 0, old.output
    assert old.stdout == new.stdout
    assert "note: the schedule is now given as --schedule FILE" in old.stderr
    three = runner.invoke(app, ["explain", clinic, schedule, "b_01", "b_02"])
    assert three.exit_code == 2
    assert "3 ids given; give one request or booking id" in three.stderr
