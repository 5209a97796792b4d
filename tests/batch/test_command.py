"""`medspa batch` as a user runs it: the summary files and their columns, progress lines in a
log, the exit codes and messages of bad input, Ctrl-C; the budget rule; the local pool
surviving a crash; and the local default running without Dask."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solver.batch import BatchSettings, ClinicOutcome, ClinicPool, solve_many
from solver.batch.pool import ProcessDied
from solver.batch.run import budget_share
from solver.batch.summary import COLUMNS, summary_markdown
from solver.cli import app
from tests.batch import helpers
from tests.batch.helpers import write_clinics

runner = CliRunner()
QUICK = ["--time-limit", "1", "--deterministic"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three small clinics and a malformed file."""
    folder = tmp_path_factory.mktemp("clinics")
    write_clinics(folder, 3, broken="broken")
    return folder


def _rows(out: Path) -> list[dict[str, str]]:
    with (out / "summary.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


IN_PROCESS = """
import json, sys
from solver.cli import app
try:
    app(sys.argv[1:])
except SystemExit as end:
    code = end.code
dask = any(name.split(".")[0] in ("dask", "distributed") for name in sys.modules)
print(json.dumps({"code": code, "dask": dask}))
"""


def _batch(*args: str) -> tuple[dict[str, object], subprocess.CompletedProcess[str]]:
    """`medspa batch ARGS` in a fresh Python (stderr a pipe: a log), with its exit code and
    whether Dask was imported."""
    command = [sys.executable, "-c", IN_PROCESS, "batch", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return json.loads(result.stdout.splitlines()[-1]), result


def test_a_batch_writes_every_clinic_and_the_summary_and_a_re_run_keeps_them(
    folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "night"
    ended, result = _batch(str(folder), "--out", str(out), *QUICK)
    assert ended == {"code": 1, "dask": False}, result.stderr  # 1: a clinic failed
    assert "[4/4]" in result.stderr and "broken: failed, line 2, column 1" in result.stderr
    assert "broken: line 2, column 1: invalid YAML" in result.stdout
    rows = _rows(out)
    assert list(rows[0]) == list(COLUMNS)
    assert [(r["clinic"], r["outcome"]) for r in rows] == [
        ("broken", "failed"),
        ("c00", "solved"),
        ("c01", "solved"),
        ("c02", "solved"),
    ]
    solved = rows[1]
    assert solved["status"] == "optimal" and int(solved["objective"]) >= int(solved["greedy"])
    assert 0 < float(solved["booked_share"]) <= 1
    owners = {part.split(":")[0] for part in solved["exceptions"].split("; ")}
    assert owners and owners <= {"front_desk_lead", "clinic_manager"}  # the policies' owners
    kpis = json.loads((out / "c00" / "kpis.json").read_text(encoding="utf-8"))
    assert int(solved["objective"]) == kpis["objective"]["total"]
    markdown = (out / "summary.md").read_text(encoding="utf-8")
    assert "3 solved, 1 failed." in markdown
    assert "| clinic | outcome | status | objective | greedy | gap | booked |" in markdown

    again, result = _batch(f"{folder}/c*.yaml", "--out", str(out), *QUICK)
    assert again["code"] == 0, result.stderr
    assert [r["outcome"] for r in _rows(out)] == ["kept"] * 3


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("nowhere/*.yaml", "no file matches this pattern; check the pattern"),
        ("empty", "the folder holds no scenario files"),
        ("missing_folder", "no such folder or file"),
    ],
)
def test_scenarios_that_name_no_file_exit_2(tmp_path: Path, target: str, said: str) -> None:
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["batch", str(tmp_path / target), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert said in result.output and "nothing was written" in result.output
    assert not (tmp_path / "o").exists()


def test_out_a_file_and_two_clinics_of_one_name_exit_2(folder: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "night.txt"
    a_file.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["batch", str(folder), "--out", str(a_file)])
    assert result.exit_code == 2 and "is a file, not a folder; give --out a folder" in result.output
    other = tmp_path / "other"
    other.mkdir()
    (other / "c00.json").write_text("{}", encoding="utf-8")
    result = runner.invoke(app, ["batch", str(folder), str(other), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "would both be written to the folder 'c00'" in result.output


def test_a_scheduler_address_that_is_not_one_exits_2(folder: Path, tmp_path: Path) -> None:
    args = ["batch", str(folder), "--out", str(tmp_path / "o"), "--scheduler", "nowhere"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "cannot reach the Dask scheduler at 'nowhere'" in result.output


def test_ctrl_c_stops_the_batch_keeps_what_is_done_and_exits_130(tmp_path: Path) -> None:
    clinics = tmp_path / "clinics"
    write_clinics(clinics, 1)  # c00, done at once
    for number in range(3):
        scenario = helpers.generate_scenario(**helpers.LONG, seed=number)
        helpers.save_scenario(scenario, clinics / f"l{number}.yaml")
    out = tmp_path / "night"
    command = [sys.executable, "-m", "solver", "batch", str(clinics), "--out", str(out)]
    command += ["--workers", "1", "--time-limit", "60"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    first = process.stderr.readline()
    assert first.startswith("[1/4] c00: solved"), first
    time.sleep(3)  # l0's search is under way (the process is warm)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Ctrl-C: stopped the batch; the clinics under way wrote their best" in stderr
    rows = {row["clinic"]: row for row in _rows(out)}
    assert (rows["l0"]["outcome"], rows["l0"]["status"]) == ("solved", "interrupted")
    assert (out / "l0" / "schedule.csv").exists()
    assert rows["l2"]["outcome"] == "not started"
    assert rows["l2"]["error"] == "not started: Ctrl-C stopped the batch"


def test_the_budget_is_shared_among_the_clinics_left() -> None:
    assert budget_share(600, left=20, slots=2) == 60  # ten rounds of two
    assert budget_share(600, left=3, slots=2) == 300  # two rounds, the last of one
    assert budget_share(600, left=3, slots=2, overhead=5) == 295


def test_a_batch_keeps_within_its_budget_and_starts_nothing_once_it_is_used(
    folder: Path, tmp_path: Path
) -> None:
    files = sorted(folder.glob("c*.yaml"))
    with ThreadPoolExecutor(1) as threads:  # any concurrent.futures executor
        settings = BatchSettings(time_limit=60, budget=8, deterministic=True)
        outcomes = solve_many(files, threads, out=tmp_path / "a", settings=settings)
        assert [o.outcome for o in outcomes] == ["solved"] * 3
        limits = [o.time_limit or 0 for o in outcomes]
        assert 0.1 <= limits[0] <= 8 / 3 and all(limit <= 8 for limit in limits)
        spent = BatchSettings(time_limit=60, budget=1e-6)
        outcomes = solve_many(files, threads, out=tmp_path / "b", settings=spent)
    assert {o.outcome for o in outcomes} == {"not started"}
    assert outcomes[0].error == "not started: the batch's budget of 1e-06 s was used up"


def test_the_pool_fails_only_the_task_whose_process_died() -> None:
    with ClinicPool(2) as pool:
        futures = [
            pool.submit(helpers.crash, 3),
            pool.submit(helpers.fail, "no such clinic"),
            pool.submit(sum, [1, 2]),
            pool.submit(sum, [3, 4]),
        ]
        with pytest.raises(ProcessDied, match="ended with exit code 3 before it answered"):
            futures[0].result(timeout=60)
        with pytest.raises(ValueError, match="no such clinic"):
            futures[1].result(timeout=60)
        assert [futures[2].result(timeout=60), futures[3].result(timeout=60)] == [3, 7]


def test_the_summary_markdown_escapes_what_a_file_said() -> None:
    outcome = ClinicOutcome("a", "a.yaml", "failed", error="bad | value\x1b")
    text = summary_markdown([outcome])
    assert "1 failed." in text and "bad \\| value\\x1b" in text


def test_a_clinic_folder_holding_other_files_fails_that_clinic_only(
    folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / "c01").mkdir(parents=True)
    (out / "c01" / "notes.txt").write_text("mine", encoding="utf-8")
    with ThreadPoolExecutor(2) as threads:
        outcomes = solve_many(sorted(folder.glob("c*.yaml")), threads, out=out)
    assert [o.outcome for o in outcomes] == ["solved", "failed", "solved"]
    assert "c01' holds files medspa did not write; the batch replaces" in outcomes[1].error
    assert (out / "c01" / "notes.txt").read_text(encoding="utf-8") == "mine"
