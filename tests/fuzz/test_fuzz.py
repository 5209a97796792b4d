"""Fuzzing: mutated valid inputs never get a traceback, an internal error, an unbounded run
or a changed output folder, only a Scenario or exit 0/1 and a clear exit-2 problem.

One test per entry point: the loader in-process (many cases, each in a forked child with a
time and memory limit) and `medspa audit`, `solve`, `check` and `reshuffle` as a user runs
them (fewer cases, each a subprocess with a wall-clock timeout and a memory limit).

The example budget comes from a hypothesis profile chosen by MEDSPA_FUZZ: `ci` (the default,
what `make test` runs: fixed examples, a few seconds per test) or `nightly` (random examples,
many more of them; see README, "Testing").
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import SOLVE, Cases, cli_failure, loader_failure
from tests.fuzz.known import KNOWN, SIGNATURES, Known
from tests.fuzz.strategies import (
    HOSTILE,
    MOMENTS,
    PROFILE,
    EventContext,
    FuzzFile,
    event_files,
    event_texts,
    scenario_files,
    schedule_files,
)

COMMON = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)
settings.register_profile("ci", COMMON, max_examples=60, derandomize=True)
settings.register_profile("nightly", COMMON, max_examples=2000, print_blob=True)
LOADER = settings.get_profile(PROFILE)
CLI = settings(
    LOADER,
    max_examples=max(3, LOADER.max_examples // 25),
    # A CLI case takes seconds: in `make test` a failure is reported as found, not shrunk.
    phases=[Phase.explicit, Phase.generate] if PROFILE == "ci" else LOADER.phases,
)


def _fuzz(test: str, case: Callable[[Cases], Callable[[], None]]) -> None:
    """Run a hypothesis test over Cases, then end as xfail if it met known failures."""
    cases = Cases(test, SIGNATURES)
    case(cases)()
    cases.close()


def _write(folder: Path, name: str, file: FuzzFile) -> Path:
    path = folder / f"{name}{file.suffix}"
    path.write_bytes(file.content)
    return path


def _fresh_copy(solved: Path, folder: Path) -> Path:
    """A pre-existing output folder holding an earlier solve's files."""
    out = folder / "out"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(solved, out)
    return out


def test_loader(sample: tuple[str, Any], tmp_path: Path) -> None:
    def case(cases: Cases) -> Callable[[], None]:
        @LOADER
        @given(file=scenario_files(*sample))
        def run(file: FuzzFile) -> None:
            cases.check(loader_failure(_write(tmp_path, "scenario", file)))

        return run

    _fuzz("loader", case)


def test_audit(sample: tuple[str, Any], tmp_path: Path) -> None:
    def case(cases: Cases) -> Callable[[], None]:
        @CLI
        @given(file=scenario_files(*sample))
        def run(file: FuzzFile) -> None:
            cases.check(cli_failure(["audit", str(_write(tmp_path, "scenario", file))]))

        return run

    _fuzz("audit", case)


def test_solve(sample: tuple[str, Any], solved: Path, tmp_path: Path) -> None:
    def case(cases: Cases) -> Callable[[], None]:
        @CLI
        @given(file=scenario_files(*sample))
        def run(file: FuzzFile) -> None:
            path, out = _write(tmp_path, "scenario", file), _fresh_copy(solved, tmp_path)
            cases.check(cli_failure(["solve", str(path), "--out", str(out), *SOLVE], out))

        return run

    _fuzz("solve", case)


def test_check(clinic: Path, solved: Path, tmp_path: Path) -> None:
    text = (solved / "schedule.csv").read_text(encoding="utf-8")

    def case(cases: Cases) -> Callable[[], None]:
        @CLI
        @given(file=schedule_files(text))
        def run(file: FuzzFile) -> None:
            schedule = _write(tmp_path, "schedule", file)
            cases.check(cli_failure(["check", str(clinic), "--schedule", str(schedule)]))

        return run

    _fuzz("check", case)


def reshuffle_args(
    draw: Any, context: EventContext, clinic: Path, solved: Path, folder: Path
) -> list[str]:
    """`reshuffle` arguments with one input broken: the events (as `--event` texts or an
    `--events` file), the schedule or `--now`."""
    broken = draw(st.sampled_from(["events", "events", "events_file", "schedule", "now"]))
    schedule = solved / "schedule.csv"
    if broken == "schedule":
        schedule = _write(folder, "schedule", draw(schedule_files(schedule.read_text())))
    args = [str(clinic), "--schedule", str(schedule), f"--now={context.days[0]}T08:00"]
    if broken == "now":
        args[-1] = f"--now={draw(st.one_of(st.sampled_from(MOMENTS), HOSTILE))}"
    if broken == "events_file":
        args += ["--events", str(_write(folder, "events", draw(event_files(context))))]
    else:
        events = [f"cancel:{context.booked[0]}"]
        events = draw(event_texts(context)) if broken == "events" else events
        args += [f"--event={event}" for event in events]
    return ["reshuffle", *(arg.replace("\x00", "") for arg in args), *SOLVE]  # argv holds no NUL


def test_reshuffle(context: EventContext, clinic: Path, solved: Path, tmp_path: Path) -> None:
    def case(cases: Cases) -> Callable[[], None]:
        @CLI
        @given(data=st.data())
        def run(data: st.DataObject) -> None:
            args = reshuffle_args(data.draw, context, clinic, solved, tmp_path)
            out = _fresh_copy(solved, tmp_path)
            cases.check(cli_failure([*args, "--out", str(out)], out))

        return run

    _fuzz("reshuffle", case)


@pytest.mark.skipif(PROFILE == "ci", reason="run with MEDSPA_FUZZ=nightly (docs/fuzzing.md)")
@pytest.mark.parametrize(
    "known",
    [pytest.param(k, id=k.signature, marks=pytest.mark.xfail(strict=False)) for k in KNOWN],
)
def test_known_failure_is_fixed(known: Known, clinic: Path, solved: Path, tmp_path: Path) -> None:
    """Each known failure's minimal reproducer, run as the fuzz tests run it (not in `make
    test`, which meets them in its fuzz cases: a timeout alone would take its whole limit)."""
    out = _fresh_copy(solved, tmp_path)
    names = {"clinic": clinic, "schedule": solved / "schedule.csv", "out": out}
    for name, content in known.files.items():
        names[Path(name).stem] = tmp_path / name
        names[Path(name).stem].write_bytes(content)
    command = [part.format(**{k: str(v) for k, v in names.items()}) for part in known.command]
    if command[0] == "loader":
        assert loader_failure(Path(command[1])) is None
    else:
        assert cli_failure(command, out if "{out}" in known.command else None) is None
