"""Running one fuzz case with bounded time and memory, and telling whether it failed.

A failure has a `signature`: the entry point and what went wrong (the exception type and the
project function it came from, a timeout, running out of memory, a long or unprintable
message, a changed output folder). One signature is one distinct failure; `known.py` lists
those found and not fixed yet.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import re
import resource
import select
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from models.loader import ScenarioError, load_scenario

LOADER_SECONDS = 10
"""The sample (65 KB) loads in 0.3 s and a megabyte of YAML text in about 3 s."""
CLI_SECONDS = 40
"""`--time-limit 1 --deterministic` on a small clinic takes about 2.5 s, imports included."""
MEMORY = 2 * 1024**3
"""Bytes of memory a case may add: a small clinic's solve needs a few hundred megabytes."""
SOLVE = ["--time-limit", "1", "--deterministic"]
"""How the fuzz cases run `solve` and `reshuffle`: a short, repeatable search."""
LONGEST_LINE = 2_000
"""Characters of one line of a message; values are quoted in 60-character excerpts."""
PROJECT = ("models", "checker", "solver", "scenarios")
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Failure:
    """A broken promise: `signature` names the kind, `detail` what happened this time."""

    signature: str
    detail: str


def _where(error: BaseException) -> str:
    """`models/times.py:to_minutes`: the last project function the error passed through."""
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        file = Path(frame.filename).resolve()
        if file.is_relative_to(ROOT) and file.relative_to(ROOT).parts[0] in PROJECT:
            return f"{file.relative_to(ROOT)}:{frame.name}"
    return f"{Path(frames[-1].filename).name}:{frames[-1].name}" if frames else "?"


def _bad_lines(entry: str, text: str) -> Failure | None:
    """A line too long or holding control characters (split at newlines only, so a NEL or
    U+2028 inside a message counts as the control character it is)."""
    for line in text.split("\n"):
        if len(line) > LONGEST_LINE:
            return Failure(
                f"{entry}: a message line of over {LONGEST_LINE:,} characters", line[:300]
            )
        if not line.isprintable():
            return Failure(f"{entry}: control characters in a message", repr(line[:300]))
    return None


def _load(path: Path) -> tuple[str, str, str]:
    """What loading a file did: ("ok" | "problems" | exception type, where, text)."""
    try:
        load_scenario(path)
    except ScenarioError as error:
        return ("problems", "", error.report())
    except BaseException as error:
        return (type(error).__name__, _where(error), str(error)[:500])
    return ("ok", "", "")


def in_fork(function: Callable[..., Any], *args: Any, seconds: float) -> Any:
    """function(*args) in a forked child with MEMORY more bytes of address space than now
    and `seconds` of wall-clock time: its result, or "timeout", or how the child died."""
    with open("/proc/self/statm") as statm:
        address_space = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # the child: never returns into pytest
        try:
            os.close(reading)
            limit = (address_space + MEMORY, resource.RLIM_INFINITY)
            resource.setrlimit(resource.RLIMIT_AS, limit)
            with os.fdopen(writing, "wb") as stream:
                pickle.dump(function(*args), stream)
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading, "rb") as stream:
        ready, _, _ = select.select([stream], [], [], seconds)
        if not ready:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            return "timeout"
        data = stream.read()
    _, status = os.waitpid(child, 0)
    if data:
        return pickle.loads(data)
    return f"crashed (signal {os.WTERMSIG(status)})" if os.WIFSIGNALED(status) else "crashed"


def loader_failure(path: Path) -> Failure | None:
    """load_scenario returns a Scenario or raises ScenarioError with short printable lines,
    within LOADER_SECONDS and MEMORY; anything else is a failure."""
    outcome = in_fork(_load, path, seconds=LOADER_SECONDS)
    if isinstance(outcome, str):
        return Failure(f"loader: {outcome}", "")
    kind, where, text = outcome
    if kind == "MemoryError":
        return Failure("loader: out of memory", "")
    if kind not in {"ok", "problems"}:
        return Failure(f"loader: raised {kind} in {where}", text)
    return _bad_lines("loader", text)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, resource.RLIM_INFINITY))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file and folder below `folder`, hidden ones too, with its bytes."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): path.read_bytes() if path.is_file() else b"<folder>"
        for path in sorted(folder.rglob("*"))
    }


def cli_failure(args: list[str], out_dir: Path | None = None) -> Failure | None:
    """`medspa ARGS` as a user runs it exits 0, 1 or 2 within CLI_SECONDS and MEMORY, with no
    traceback, no internal error and short printable lines; on exit 2 it leaves `out_dir`
    exactly as it was, and on exit 0 or 1 writes strict JSON and no formula into a CSV."""
    command = args[0]
    before = snapshot(out_dir) if out_dir else {}
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "solver", *args],
            capture_output=True,
            timeout=CLI_SECONDS,
            preexec_fn=_limit_memory,
            cwd=ROOT,
            env={**os.environ, "COLUMNS": "100"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Failure(f"{command}: timeout", f"over {CLI_SECONDS} s")
    output = (finished.stdout + finished.stderr).decode("utf-8", errors="replace")
    code = finished.returncode
    if "MemoryError" in output:
        return Failure(f"{command}: out of memory", output[-500:])
    if code < 0:
        return Failure(f"{command}: killed by signal {-code}", output[-500:])
    if "Traceback" in output or "internal error" in output or code not in {0, 1, 2}:
        return Failure(f"{command}: exit {code}, {_error_kind(output)}", output[-1000:])
    if code == 2 and out_dir and snapshot(out_dir) != before:
        return Failure(f"{command}: exit 2 changed the output folder", output[-500:])
    if out_dir and code in {0, 1}:
        unsafe = _unsafe_output(command, out_dir)
        if unsafe:
            return unsafe
    return _bad_lines(command, output)


def _error_kind(output: str) -> str:
    """`OverflowError: date value out of`: the error a crash printed and the first four words
    of its message, which name the cause (the rest varies with where it struck)."""
    found = re.findall(
        r"internal error \((\w+): ([^\n]*)|^(\w+(?:Error|Exception)): (.*)$", output, re.M
    )
    if not found:
        return "no error named"
    kind, message, other_kind, other_message = found[-1]
    message = (message or other_message).partition("); nothing was written")[0]
    words = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", message).split()[:4]
    return f"{kind or other_kind}: {' '.join(words)}"


def _reject(constant: str) -> Any:
    raise ValueError(constant)


def _unsafe_output(command: str, folder: Path) -> Failure | None:
    """A written JSON file that is not strict JSON (NaN, Infinity), or a CSV cell that a
    spreadsheet would run as a formula."""
    for path in folder.glob("*.json"):
        try:
            json.loads(path.read_text(encoding="utf-8"), parse_constant=_reject)
        except ValueError as error:
            return Failure(f"{command}: {path.name} is not strict JSON", str(error)[:300])
    for path in folder.glob("*.csv"):
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
            for cell in row:
                if re.match(r"[=+@\t\r]|-(?![\d.])", cell):
                    return Failure(f"{command}: a formula cell in {path.name}", repr(cell[:300]))
    return None


SUMMARY: dict[str, tuple[int, list[str]]] = {}
"""Per fuzz test of this run: cases tried and the known failures met (printed at the end)."""
_FAILURE_TYPES: dict[str, type[AssertionError]] = {}


class Cases:
    """The cases of one fuzz test: counts them, lets a known failure pass (the test then
    ends as xfail, naming it) and raises on any other."""

    def __init__(self, test: str, known: set[str]) -> None:
        self.test, self.known = test, known
        self.count, self.met = 0, set[str]()

    def check(self, failure: Failure | None) -> None:
        self.count += 1
        if failure is None:
            return
        if failure.signature in self.known:
            self.met.add(failure.signature)
            return
        # One exception type per signature, so hypothesis shrinks and reports each distinct
        # failure on its own instead of sliding from one to another.
        kind = _FAILURE_TYPES.setdefault(
            failure.signature, type("FuzzFailure", (AssertionError,), {})
        )
        raise kind(f"{failure.signature}\n{failure.detail}")

    def close(self) -> None:
        SUMMARY[self.test] = (self.count, sorted(self.met))
        if self.met:
            pytest.xfail("known failures (tests/fuzz/known.py): " + "; ".join(sorted(self.met)))
