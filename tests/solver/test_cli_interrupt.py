"""Ctrl-C and SIGTERM on a real `medspa` process: one signal during the search writes the best
schedule so far (status interrupted, passing `medspa check`) and exits 128 + the signal; a
second one, or one before a first schedule, quits at once and leaves the folder as it was."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import solver.solve as solve_module
from checker import check_schedule, recompute_objective
from models.findings import excerpt
from models.loader import load_scenario, save_scenario
from models.results import Schedule
from scenarios.generator import generate_scenario
from solver.cli import app
from solver.outputs.folder import EARLIER_NAMES

MEDSPA = str(Path(sys.executable).parent / "medspa")
SAMPLE = "scenarios/sample_clinic.yaml"
OUTPUTS = {"schedule.csv", "kpis.json", "exceptions.csv", "gantt.png", "report.html"}
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}
WORDS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}
SIGNALS = list(WORDS)
runner = CliRunner()


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 requests over three days: far from proven optimal in a minute's search."""
    path = tmp_path_factory.mktemp("clinic") / "clinic.yaml"
    save_scenario(generate_scenario(requests=120, providers=4, days=3, seed=1), path)
    return path


@pytest.fixture
def old_outputs(tmp_path: Path) -> Path:
    """An output folder holding an earlier version's files, written without the list of them
    (alone in its parent folder)."""
    out = tmp_path / "out"
    out.mkdir()
    for name in OUTPUTS & EARLIER_NAMES:
        (out / name).write_bytes(f"earlier {name}".encode())
    return out


def _complete_set(out: Path) -> bool:
    """`out` holds every output file, and no staging folder is left in it or beside it (any
    other file is medspa's own hidden bookkeeping)."""
    names = {path.name for path in out.iterdir()}
    others = names - OUTPUTS
    clean = all(name.startswith(".") and (out / name).is_file() for name in others)
    return names >= OUTPUTS and clean and [p.name for p in out.parent.iterdir()] == [out.name]


def _contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


@dataclass
class _Ended:
    """How a process ended: exit code, stdout, the rest of stderr, and the seconds from the
    last signal to its end."""

    code: int
    stdout: str
    stderr: str
    seconds: float


class _Solve:
    """A real `medspa solve` process with a long time limit, its stderr read as it comes."""

    def __init__(self, clinic: Path, out: Path) -> None:
        command = [MEDSPA, "solve", str(clinic), "--out", str(out), "--time-limit", "60"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def searching(self) -> None:
        """Wait for the line saying the search has started (a process that has not said so
        within 10 s is signalled all the same)."""
        try:
            line = self.lines.get(timeout=10)
        except queue.Empty:
            return
        assert line.startswith("searching for up to 60 s; Ctrl-C stops it"), line

    def signal(self, *signums: int) -> _Ended:
        """Send the signals 0.2 s apart and wait for the end."""
        for index, signum in enumerate(signums):
            if index:
                time.sleep(0.2)
            self.process.send_signal(signum)
        sent = time.perf_counter()
        self.process.wait(timeout=30)
        ended = time.perf_counter() - sent
        self.reader.join(5)
        assert self.process.stdout is not None
        rest = "".join(self.lines.get() for _ in range(self.lines.qsize()))
        return _Ended(self.process.returncode, self.process.stdout.read(), rest, ended)


@pytest.mark.slow
@pytest.mark.parametrize("signum", SIGNALS, ids=WORDS.get)
def test_a_signal_while_searching_writes_the_best_schedule_so_far(
    clinic: Path, old_outputs: Path, signum: int
) -> None:
    solving = _Solve(clinic, old_outputs)
    solving.searching()
    time.sleep(1.0)
    ended = solving.signal(signum)
    assert ended.seconds < 5.0, ended.stderr  # about 1.2 s on a quiet machine: stop, write, exit
    assert ended.code == EXIT[signum], ended.stderr
    *warnings, message = ended.stderr.splitlines()  # the KPIs' warnings, then the signal's line
    assert all(line.startswith("warning: tier_starved ") for line in warnings), warnings
    assert message.startswith(f"{WORDS[signum]} ") and message.endswith("(status interrupted).")
    assert "wrote the best schedule found so far" in message
    assert "interrupted" in ended.stdout  # the table's status row
    assert _complete_set(old_outputs)
    figures = json.loads((old_outputs / "kpis.json").read_text())
    assert figures["solver"]["status"] == "interrupted"
    assert 0 < figures["solver"]["interrupted_after"] < figures["solver"]["wall_time"]
    schedule_file = old_outputs / "schedule.csv"
    checked = subprocess.run(
        [MEDSPA, "check", str(clinic), "--schedule", str(schedule_file)], check=False
    )
    assert checked.returncode == 0
    scenario = load_scenario(clinic)
    recomputed = recompute_objective(scenario, Schedule.read_csv(schedule_file))
    assert figures["objective"]["total"] == recomputed.total


@pytest.mark.slow
@pytest.mark.parametrize("signum", SIGNALS, ids=WORDS.get)
def test_a_second_signal_quits_at_once_and_leaves_the_old_outputs(
    clinic: Path, old_outputs: Path, signum: int
) -> None:
    before = _contents(old_outputs)
    solving = _Solve(clinic, old_outputs)
    solving.searching()
    time.sleep(0.5)
    ended = solving.signal(signum, signum)
    assert ended.seconds < 2.5, ended.stderr  # about 0.5 s on a quiet machine
    assert ended.code == EXIT[signum], ended.stderr
    *warnings, message = ended.stderr.splitlines()  # the second may come after the KPIs' warnings
    assert all(line.startswith("warning: tier_starved ") for line in warnings), warnings
    assert message.startswith(f"{WORDS[signum]} again: stopped at once;"), message
    assert _contents(old_outputs) == before


def test_ctrl_c_while_starting_says_so_in_one_line(clinic: Path, old_outputs: Path) -> None:
    before = _contents(old_outputs)
    solving = _Solve(clinic, old_outputs)
    time.sleep(0.3)  # loading the command line takes a second or two
    ended = solving.signal(signal.SIGINT)
    assert ended.seconds < 4.0
    assert (ended.code, ended.stderr) == (130, "stopped while starting; nothing was written.\n")
    assert _contents(old_outputs) == before


@pytest.fixture
def guard() -> Iterator[None]:
    """In-process signals only recorded outside the command, so one that comes late cannot end
    the test session."""
    signums = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, frame: None) for s in signums}
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _signal_on_call(
    monkeypatch: pytest.MonkeyPatch, name: str, signum: int = signal.SIGINT
) -> None:
    """Make solver.solve's `name` send the signal to this process before it runs."""
    real = getattr(solve_module, name)

    def signalling(*args: Any, **options: Any) -> Any:
        os.kill(os.getpid(), signum)
        time.sleep(0.2)  # the handler runs in here
        return real(*args, **options)

    monkeypatch.setattr(solve_module, name, signalling)


@pytest.mark.usefixtures("guard")
@pytest.mark.parametrize("signum", SIGNALS, ids=WORDS.get)
def test_a_signal_before_a_first_schedule_leaves_the_old_outputs(
    clinic: Path, old_outputs: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    before = _contents(old_outputs)
    _signal_on_call(monkeypatch, "eligibility", signum)
    args = ["solve", str(clinic), "--out", str(old_outputs), "--time-limit", "60"]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT[signum], result.output
    said = f"{WORDS[signum]} after [0-9.]+ s, before a first schedule was found: stopped at once; "
    said += f"nothing was written, {re.escape(excerpt(str(old_outputs)))} is as it was.\n"
    assert re.fullmatch(said, result.output), result.output
    assert _contents(old_outputs) == before


@pytest.mark.usefixtures("guard")
def test_ctrl_c_during_a_demo_writes_and_skips_the_check(
    clinic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _signal_on_call(monkeypatch, "search")
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", str(clinic), "--out", str(out), "--time-limit", "60"])
    assert result.exit_code == 130, result.output
    assert "(status interrupted)." in result.output
    assert "independent checker" not in result.output
    assert _complete_set(out)


@pytest.mark.usefixtures("guard")
def test_ctrl_c_during_a_reshuffle_writes_the_re_plan_so_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    week = tmp_path / "week"
    solved = runner.invoke(app, ["solve", SAMPLE, "--out", str(week), "--time-limit", "0.3"])
    assert solved.exit_code == 0, solved.output
    _signal_on_call(monkeypatch, "search")
    out = tmp_path / "tue"
    args = ["reshuffle", SAMPLE, "--schedule", str(week / "schedule.csv"), "--out", str(out)]
    args += ["--event", "cancel:b_11", "--now", "2026-12-08T10:00", "--time-limit", "60"]
    result = runner.invoke(app, args)
    assert result.exit_code == 130, result.output
    assert "Ctrl-C" in result.output and "(status interrupted)." in result.output
    state = load_scenario(out / "scenario.yaml")
    assert check_schedule(state, Schedule.read_csv(out / "schedule.csv")) == []
    assert (out / "changes.csv").exists()
