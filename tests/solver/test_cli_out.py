"""--out on the command line: an unusable one is a clear exit-2 problem before any work, the
folder of an input is refused, and a set that cannot be written leaves the old one intact."""

from __future__ import annotations

import errno
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solver import cli
from solver.cli import app
from solver.outputs.folder import RECORD

runner = CliRunner()
EMPTY = (
    "clinic:\n  name: Empty\n  timezone: Europe/London\n  horizon: {start: 2026-12-07, days: 2}\n"
)
NOW = "2026-12-07T08:00"
SOLVE_SET = [RECORD, "exceptions.csv", "gantt.png", "kpis.json", "report.html", "schedule.csv"]
REPLAN_SET = [RECORD, "changes.csv", "exceptions.csv", "gantt_day.png", "scenario.yaml"]
REPLAN_SET = sorted([*REPLAN_SET, "report.html", "schedule.csv"])


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    """A clinic with nothing to book: a solve takes a moment."""
    path = tmp_path / "empty.yaml"
    path.write_text(EMPTY)
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


def _below_a_file(tmp_path: Path) -> Path:
    (tmp_path / "notes.txt").write_text("")
    return tmp_path / "notes.txt" / "out"


def _dangling_link(tmp_path: Path) -> Path:
    (tmp_path / "week").symlink_to(tmp_path / "gone")
    return tmp_path / "week"


def _link_loop(tmp_path: Path) -> Path:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    return tmp_path / "a"


def _a_file(tmp_path: Path) -> Path:
    (tmp_path / "week.csv").write_text("keep me")
    return tmp_path / "week.csv"


UNUSABLE = [
    (_below_a_file, "is a file, so nothing can be made inside it"),
    (_dangling_link, "is a link to"),
    (_link_loop, "is a link that leads back to itself"),
    (lambda tmp_path: tmp_path / ("w" * 300), "is too long for this system"),
    (_a_file, "is a file, not a folder"),
]


@pytest.mark.parametrize("command", ["solve", "reshuffle", "demo"])
@pytest.mark.parametrize(("make", "says"), UNUSABLE)
def test_an_unusable_out_exits_2_before_the_scenario_is_even_read(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    make: Callable[[Path], Path],
    says: str,
) -> None:
    def no_work(path: Path) -> None:
        raise AssertionError("the scenario was read before --out was checked")

    monkeypatch.setattr(cli, "_load", no_work)
    out = make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    more = ["--schedule", str(tmp_path / "schedule.csv")] if command == "reshuffle" else []
    code, output = _invoke(command, tmp_path / "clinic.yaml", *more, "--out", out)
    assert code == 2, output
    assert output.startswith("--out: ") and says in output
    assert "nothing was written" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_an_immutable_folder_exits_2_before_the_solve(tmp_path: Path, empty: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    try:
        if subprocess.run(["chattr", "+i", str(locked)], check=False).returncode:
            pytest.skip("chattr +i is not possible here")
    except FileNotFoundError:
        pytest.skip("no chattr here")
    try:
        code, output = _invoke("solve", empty, "--out", locked / "week")
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=False)
    assert code == 2, output
    assert "--out: cannot write in" in output and "it is locked against changes" in output


@pytest.mark.parametrize(
    ("command", "name"), [("schema", "scenario.schema.json"), ("generate", "clinic.yaml")]
)
def test_schema_and_generate_out_a_folder_say_to_give_a_file_name(
    tmp_path: Path, command: str, name: str
) -> None:
    code, output = _invoke(command, "--out", tmp_path)
    assert code == 2, output
    assert f"is a folder; give --out a file name, e.g. {tmp_path / name}" in output
    assert list(tmp_path.iterdir()) == []


def test_a_solve_replaces_a_re_plans_files_and_a_re_plan_a_solves(
    tmp_path: Path, empty: Path
) -> None:
    night, out = tmp_path / "night", tmp_path / "out"
    assert _invoke("solve", empty, "--out", night)[0] == 0
    replan = ["reshuffle", empty, "--schedule", night / "schedule.csv", "--now", NOW]
    assert _invoke(*replan, "--out", out)[0] == 0
    assert sorted(_snapshot(out)) == REPLAN_SET
    assert _invoke("solve", empty, "--out", out)[0] == 0
    assert sorted(_snapshot(out)) == SOLVE_SET
    assert _invoke(*replan, "--out", out)[0] == 0
    assert sorted(_snapshot(out)) == REPLAN_SET
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.yaml", "night", "out"]


def test_a_re_plan_into_the_folder_of_its_input_scenario_is_refused(
    tmp_path: Path, empty: Path
) -> None:
    night, day = tmp_path / "night", tmp_path / "day"
    assert _invoke("solve", empty, "--out", night)[0] == 0
    replan = ["--schedule", night / "schedule.csv", "--now", NOW]
    assert _invoke("reshuffle", empty, *replan, "--out", day)[0] == 0
    before = _snapshot(day)
    # the next re-plan of the day, from the state scenario, back into its own folder
    code, output = _invoke("reshuffle", day / "scenario.yaml", *replan, "--out", day)
    assert code == 2, output
    assert f"holds the input scenario '{day / 'scenario.yaml'}'" in output
    assert _snapshot(day) == before
    shutil.copy(empty, day.parent / "scenario.yaml")
    code, output = _invoke("reshuffle", day.parent / "scenario.yaml", *replan, "--out", day.parent)
    assert code == 2 and "holds the input scenario" in output, output


def test_a_folder_where_exceptions_csv_should_be_exits_2_before_the_solve(
    tmp_path: Path, empty: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert _invoke("solve", empty, "--out", out)[0] == 0
    (out / "exceptions.csv").unlink()
    (out / "exceptions.csv").mkdir()
    before = _snapshot(out)
    monkeypatch.setattr(cli, "_load", lambda path: pytest.fail("solved before checking --out"))
    code, output = _invoke("solve", empty, "--out", out)
    assert code == 2, output
    assert "holds 'exceptions.csv/', which medspa did not write" in output
    assert _snapshot(out) == before and (out / "exceptions.csv").is_dir()


def test_a_full_disk_while_writing_leaves_the_earlier_set_and_says_nothing_was_written(
    tmp_path: Path, empty: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from solver.outputs import files

    out = tmp_path / "out"
    assert _invoke("solve", empty, "--out", out)[0] == 0
    before = _snapshot(out)

    def disk_full(path: Path) -> None:  # writing a picture fills the disk half-way
        path.write_bytes(b"\x89PNG half")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(files, "bytes_writer", lambda content: disk_full)
    code, output = _invoke("solve", empty, "--out", out, "--seed", "1")
    assert code == 2, output
    assert "--out: could not write" in output and "(the disk is full)" in output
    assert "what was there is unchanged" in output and "nothing was written" in output
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.yaml", "out"]
