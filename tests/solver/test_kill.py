"""A real `medspa solve`, killed with SIGKILL at several moments (starting, searching, while it
writes), into a folder that holds a complete earlier set: the folder holds exactly the old
set or the complete new one every time, and the next run leaves no staging folder behind."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from models.loader import save_scenario
from scenarios.generator import generate_scenario
from solver.outputs.folder import RECORD

SOLVE_SET = [RECORD, "exceptions.csv", "gantt.png", "kpis.json", "report.html", "schedule.csv"]
REPEATABLE = ["--time-limit", "0.5", "--workers", "1", "--deterministic", "--quiet"]


def _solve(scenario: Path, out: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "solver", "solve", str(scenario), "--out", str(out)]
    return subprocess.Popen([*command, *REPEATABLE], stdout=subprocess.DEVNULL)


def _finish(scenario: Path, out: Path) -> float:
    """Solve to the end; the seconds it took."""
    started = time.monotonic()
    assert _solve(scenario, out).wait(timeout=180) == 0
    return time.monotonic() - started


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def _staging(out: Path) -> set[Path]:
    """Everything medspa's writing left or is making beside `out`."""
    return set(out.parent.glob(f".{out.name}.*"))


def _writing(out: Path, earlier: set[Path]) -> list[Path]:
    """The staging folders of the write under way (not left by an earlier run)."""
    return [p for p in out.parent.glob(f".{out.name}.writing-*") if p not in earlier]


def _while_writing(out: Path, delay: float) -> Callable[[subprocess.Popen[bytes]], None]:
    """Wait until the run starts writing its set, then `delay` seconds more."""

    def wait(run: subprocess.Popen[bytes]) -> None:
        earlier = _staging(out)
        while run.poll() is None and not _writing(out, earlier):
            time.sleep(0.001)
        time.sleep(delay)

    return wait


def _at_the_swap(out: Path) -> Callable[[subprocess.Popen[bytes]], None]:
    """Wait until the run's set is complete in its staging folder (it is swapped in next)."""

    def wait(run: subprocess.Popen[bytes]) -> None:
        earlier = _staging(out)
        while run.poll() is None and not any((p / RECORD).exists() for p in _writing(out, earlier)):
            time.sleep(0.001)

    return wait


def _after_the_swap(out: Path) -> Callable[[subprocess.Popen[bytes]], None]:
    """Wait until the new set is in `out` (the old one may still be beside it)."""

    def wait(run: subprocess.Popen[bytes]) -> None:
        old = (out / "schedule.csv").read_bytes()
        while run.poll() is None and (out / "schedule.csv").read_bytes() == old:
            time.sleep(0.001)

    return wait


def _after(seconds: float) -> Callable[[subprocess.Popen[bytes]], None]:
    return lambda run: time.sleep(seconds)


@pytest.mark.slow
def test_a_solve_killed_at_any_moment_leaves_the_old_set_or_the_new_one(tmp_path: Path) -> None:
    earlier, clinic = tmp_path / "earlier.yaml", tmp_path / "clinic.yaml"
    save_scenario(generate_scenario(requests=20, providers=2, days=1, seed=3), earlier)
    save_scenario(generate_scenario(requests=60, providers=3, days=2, seed=5), clinic)
    old_set, reference, out = tmp_path / "old_set", tmp_path / "reference", tmp_path / "out"
    _finish(earlier, old_set)
    seconds = _finish(clinic, reference)
    old, new = _files(old_set), _files(reference)
    assert old["schedule.csv"] != new["schedule.csv"]

    moments = [_after(0.2), _after(seconds * 0.6)]
    moments += [_while_writing(out, delay) for delay in (0.0, 0.05, 0.15)]
    moments += [_at_the_swap(out), _after_the_swap(out)]
    left_behind, outcomes = [], set()
    for moment in moments:
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(old_set, out)
        run = _solve(clinic, out)
        moment(run)
        run.kill()
        run.wait(timeout=30)
        found = _files(out)
        outcomes.add("old" if found == old else "new")
        if found != old:
            assert sorted(found) == SOLVE_SET
            for name in ("schedule.csv", "exceptions.csv", RECORD):
                assert found[name] == new[name], name
            assert (
                json.loads(found["kpis.json"])["requests"]
                == json.loads(new["kpis.json"])["requests"]
            )
            assert found["gantt.png"].startswith(b"\x89PNG")
        left_behind.append(bool(_staging(out)))
    assert any(left_behind), "no kill landed while the solve was writing"
    assert outcomes == {"old", "new"}

    _finish(clinic, out)
    assert _staging(out) == set()
    assert _files(out)["schedule.csv"] == new["schedule.csv"]
