"""`solve_many`: every clinic of a batch into its own folder of --out, on any
concurrent.futures-style executor (the local `ClinicPool` by default, or a Dask client).

Each clinic is loaded, checked and written here, in the calling process; only the solve
goes to the executor (solver/batch/task.py). Whatever happens to one clinic (a malformed
file, a crash, a killed process, a folder that cannot be written) marks that clinic failed
with what happened, and the others go on. A clinic whose folder already holds complete,
valid outputs of the same scenario file is kept as it is.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import queue
import signal
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError, Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from models.findings import Finding, excerpt, printable
from models.loader import ScenarioError, load_scenario
from models.results import Schedule
from models.scenario import Scenario
from solver.batch.pool import ClinicPool, ProcessDied
from solver.batch.summary import write_summary
from solver.batch.task import ClinicTask, Solved, solve_clinic
from solver.cpsat.params import SearchParams
from solver.interrupt import Interrupted, Stop
from solver.outputs.folder import RECORD, OutputFolderError, folder_problem, why_not, write_set

Outcome = Literal["solved", "kept", "failed", "not started"]
SOLVE_FILES = ("schedule.csv", "kpis.json", "exceptions.csv", "gantt.png", "report.html")
"""The files every solve writes (a horizon over a week adds gantt_week2.png ...)."""
BATCH_FILE = "batch.json"
"""Beside a clinic's solve outputs: the scenario file's digest and the settings of its solve."""
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")
MIN_SEARCH = 0.1
"""The least search seconds a clinic started within the budget gets (the least --time-limit)."""
TICK = 0.05


@dataclass(frozen=True)
class BatchSettings:
    """How each clinic is solved, and the batch's wall-clock budget."""

    time_limit: float = 10.0
    """Search seconds of each clinic (work units at the reference pace when deterministic)."""
    search_workers: int | None = None
    """CP-SAT workers of each solve; None: the cores shared among the local processes, or 1
    on another executor (a Dask worker thread)."""
    seed: int = 0
    deterministic: bool = False
    params: SearchParams | None = None
    budget: float | None = None
    """Wall-clock seconds for the whole batch, shared among the clinics left (see
    `budget_share`); None: no budget."""


@dataclass(frozen=True)
class Clinic:
    """A scenario file of the batch and the name of its folder in --out (the file's stem)."""

    name: str
    path: Path


@dataclass(frozen=True)
class ClinicOutcome:
    """One clinic's line of the summary."""

    clinic: str
    scenario: str
    outcome: Outcome
    """solved (this run), kept (complete outputs of an earlier run), failed, or not started
    (the batch was stopped, or its budget used up)."""
    status: str = ""
    """The solve's status: optimal, time_limit, greedy or interrupted."""
    objective: int | None = None
    greedy: int | None = None
    gap: float | None = None
    booked_share: float | None = None
    """Requests booked over requests."""
    exceptions: dict[str, int] = field(default_factory=dict)
    """Exceptions to handle, counted by owner."""
    time_limit: float | None = None
    wall_time: float = 0.0
    """Seconds from the clinic's start to its outputs written."""
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome in ("failed", "not started")


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def budget_share(remaining: float, left: int, slots: int, overhead: float = 0.0) -> float:
    """The search seconds of a clinic starting now: the budget left, over the rounds that the
    clinics not started yet (this one included) need on `slots` clinics at once, less the
    time a clinic takes beyond its search (measured on the clinics done so far)."""
    return remaining / math.ceil(left / slots) - overhead


def scenario_clinics(paths: Iterable[str | Path]) -> list[Clinic]:
    """The batch's clinics, each file once; two files of one name would share a folder, so
    that is refused (ScenarioError)."""
    clinics: dict[str, Clinic] = {}
    seen: set[str] = set()
    for path in map(Path, paths):
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        other = clinics.get(path.stem)
        if other is not None:
            message = (
                f"{excerpt(str(other.path))} and {excerpt(str(path))} would both be written to "
                f"the folder {excerpt(path.stem)}; rename one of them"
            )
            raise ScenarioError("scenarios", [Finding("same_clinic_name", "", message)])
        clinics[path.stem] = Clinic(path.stem, path)
    return list(clinics.values())


def solve_many(
    scenarios: Iterable[str | Path],
    executor: Executor | Any | None = None,
    *,
    out: str | Path,
    settings: BatchSettings | None = None,
    at_once: int | None = None,
    on_update: Callable[[ClinicOutcome], None] | None = None,
    stop: Stop | None = None,
) -> list[ClinicOutcome]:
    """Solve every scenario file into `out/<file stem>/` and write `out/summary.csv` and
    `out/summary.md`; return the outcomes in the order of the files.

    `executor` is anything with `submit(fn, *args)` returning a future with `result()` and
    `add_done_callback()`: a concurrent.futures executor or a `dask.distributed.Client`.
    None: local spawn processes, one per core (at most one per clinic). `at_once` clinics are
    solved at the same time (default: the executor's processes or threads). `on_update` is
    called with each outcome as it is known. Once `stop` is requested no clinic is started;
    the local processes stop their searches and write the best schedule so far. A second
    signal while `stop` handles signals raises `Interrupted` after writing the summary.
    """
    clinics = scenario_clinics(scenarios)
    settings = settings or BatchSettings()
    own = executor is None
    pool = ClinicPool(max(1, min(len(clinics), cores()))) if executor is None else executor
    try:
        batch = _Batch(clinics, pool, Path(out), settings, at_once, on_update, stop or Stop())
        return batch.run()
    finally:
        if own:
            pool.shutdown()


def _slots(executor: Any) -> int:
    """Clinics the executor runs at once: its processes, or a Dask cluster's threads."""
    if isinstance(executor, ClinicPool):
        return executor.processes
    nthreads = getattr(executor, "nthreads", None)  # a dask.distributed.Client
    if callable(nthreads):
        return max(1, sum(nthreads().values()))
    workers = getattr(executor, "_max_workers", None)  # concurrent.futures' executors
    return workers if isinstance(workers, int) else cores()


@dataclass
class _Ready:
    """A clinic loaded and checked, to be solved."""

    clinic: Clinic
    scenario: Scenario
    digest: str
    started: float


@dataclass
class _Running:
    ready: _Ready
    task: ClinicTask
    future: Any


class _Batch:
    def __init__(
        self,
        clinics: list[Clinic],
        executor: Any,
        out: Path,
        settings: BatchSettings,
        at_once: int | None,
        on_update: Callable[[ClinicOutcome], None] | None,
        stop: Stop,
    ) -> None:
        self.clinics, self.executor, self.out, self.settings = clinics, executor, out, settings
        self.slots = at_once or _slots(executor)
        local = isinstance(executor, ClinicPool)
        self.search_workers = settings.search_workers or (
            max(1, cores() // executor.processes) if local else 1
        )
        self.on_update, self.stop = on_update, stop
        self.stop.has_schedule = True  # a first signal stops the batch, not the process
        self.outcomes: dict[str, ClinicOutcome] = {}
        self.started = time.perf_counter()
        self.overheads: list[float] = []
        self.running: dict[str, _Running] = {}
        self.interrupted = False
        self.done: queue.Queue[tuple[str, Any]] = queue.Queue()

    def run(self) -> list[ClinicOutcome]:
        try:
            waiting = deque(self._prepared())
            while waiting or self.running:
                while waiting and len(self.running) < self.slots and not self.stop.requested:
                    self._start(waiting.popleft(), len(waiting) + 1)
                if self.stop.requested:
                    self._stop_running()
                    waiting.clear()
                if self.running:
                    self._collect()
            self._left_out(self._stopped_words())
        except Interrupted:
            self._abandon()
            raise
        finally:
            write_summary(self.results(), self.out)
        return self.results()

    def results(self) -> list[ClinicOutcome]:
        return [self.outcomes[c.name] for c in self.clinics if c.name in self.outcomes]

    def _report(self, outcome: ClinicOutcome) -> None:
        self.outcomes[outcome.clinic] = outcome
        if self.on_update is not None:
            self.on_update(outcome)

    def _fail(self, clinic: Clinic, error: str, outcome: Outcome = "failed", **more: Any) -> None:
        self._report(ClinicOutcome(clinic.name, str(clinic.path), outcome, error=error, **more))

    def _stopped_words(self) -> str:
        signum = self.stop.signum
        if signum is None:
            return "not started: the batch was stopped"
        words = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        return f"not started: {words} stopped the batch"

    def _left_out(self, why: str) -> None:
        """Report every clinic not reported yet as not started, for `why`."""
        for clinic in self.clinics:
            if clinic.name not in self.outcomes:
                self._fail(clinic, why, "not started")

    # --- before the solves --------------------------------------------------------------

    def _prepared(self) -> list[_Ready]:
        """Load and check every clinic: those failed or kept are reported, the rest returned."""
        ready = []
        for clinic in self.clinics:
            if self.stop.requested:
                break
            item = self._prepare(clinic)
            if isinstance(item, _Ready):
                ready.append(item)
        return ready

    def _prepare(self, clinic: Clinic) -> _Ready | None:
        started = time.perf_counter()
        try:
            scenario = load_scenario(clinic.path)
            digest = hashlib.sha256(clinic.path.read_bytes()).hexdigest()
        except ScenarioError as error:
            self._fail(clinic, _problems(error))
            return None
        except OSError as error:
            self._fail(clinic, f"cannot be read ({why_not(error)})")
            return None
        except Exception as error:  # a loader bug is this clinic's failure, not the batch's
            self._fail(clinic, _failure(error))
            return None
        folder = self.out / clinic.name
        kept = earlier_outcome(clinic, folder, scenario, digest)
        if kept is not None:
            self._report(kept)
            return None
        problem = folder_problem(folder, {"scenario": clinic.path})
        if problem is not None:
            self._fail(clinic, _folder_words(problem, folder))
            return None
        return _Ready(clinic, scenario, digest, started)

    # --- the solves -----------------------------------------------------------------------

    def _limit(self, left: int) -> float | None:
        """The clinic's search time: the time limit, or its share of the budget when that is
        less (at least MIN_SEARCH); None once the budget is used up."""
        wanted, budget = self.settings.time_limit, self.settings.budget
        if budget is None:
            return wanted
        remaining = budget - (time.perf_counter() - self.started)
        if remaining <= 0:
            return None
        overhead = statistics.fmean(self.overheads) if self.overheads else 0.0
        share = budget_share(remaining, left, self.slots, overhead)
        return round(min(wanted, max(MIN_SEARCH, share)), 3)

    def _start(self, ready: _Ready, left: int) -> None:
        clinic, settings = ready.clinic, self.settings
        limit = self._limit(left)
        if limit is None:
            why = f"not started: the batch's budget of {settings.budget:g} s was used up"
            self._fail(clinic, why, "not started")
            return
        task = ClinicTask(
            clinic.name,
            ready.scenario,
            limit,
            self.search_workers,
            settings.seed,
            settings.deterministic,
            settings.params,
        )
        ready.started = time.perf_counter()
        try:
            future = self.executor.submit(solve_clinic, task)
        except Exception as error:  # a closed executor or a lost cluster: no future at all
            self._fail(clinic, _failure(error), time_limit=limit)
            return
        self.running[clinic.name] = _Running(ready, task, future)
        future.add_done_callback(lambda done, name=clinic.name: self.done.put((name, done)))

    def _collect(self) -> None:
        """Take the next finished solve, if one finishes within a moment."""
        try:
            name, future = self.done.get(timeout=TICK)
        except queue.Empty:
            return
        running = self.running.pop(name)
        clinic, limit = running.ready.clinic, running.task.time_limit
        try:
            solved = future.result()
        except BaseException as error:  # this clinic's crash, kill or cancel: only its own
            seconds = round(time.perf_counter() - running.ready.started, 2)
            self._fail(clinic, _failure(error), time_limit=limit, wall_time=seconds)
            return
        self._write(running, solved)

    def _write(self, running: _Running, solved: Solved) -> None:
        ready, task = running.ready, running.task
        clinic, folder = ready.clinic, self.out / ready.clinic.name
        seconds = round(time.perf_counter() - ready.started, 2)
        record = {
            "scenario": str(clinic.path),
            "sha256": ready.digest,
            "time_limit": task.time_limit,
            "num_workers": task.num_workers,
            "seed": task.seed,
            "deterministic": task.deterministic,
            "exceptions": solved.exceptions,
            "wall_time": seconds,
        }
        files = solved.files | {BATCH_FILE: json.dumps(record, indent=2).encode()}
        writers = {name: _bytes_writer(content) for name, content in files.items()}
        try:
            write_set(folder, writers, "batch")
        except OutputFolderError as error:
            self._fail(clinic, error.problem.message, time_limit=task.time_limit)
            return
        except OSError as error:
            message = f"could not write '{printable(str(folder))}' ({why_not(error)})"
            self._fail(clinic, message, time_limit=task.time_limit)
            return
        figures = json.loads(solved.files["kpis.json"])
        self.overheads.append(max(0.0, seconds - task.time_limit))
        self._report(outcome_of(clinic, "solved", figures, record))

    def _stop_running(self) -> None:
        """After a stop: the local searches are stopped (once); they write their best so far."""
        if isinstance(self.executor, ClinicPool) and not self.interrupted:
            self.interrupted = True
            self.executor.interrupt()

    def _abandon(self) -> None:
        """A second signal: the running solves are given up (the local processes killed,
        another executor's futures cancelled)."""
        if isinstance(self.executor, ClinicPool):
            self.executor.kill()
        for running in self.running.values():
            running.future.cancel()
        self.running.clear()
        self._left_out("not finished: stopped at once")


def _bytes_writer(content: bytes) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(content)


def outcome_of(
    clinic: Clinic, outcome: Outcome, figures: dict[str, Any], record: dict[str, Any]
) -> ClinicOutcome:
    """The summary line of a clinic from its kpis.json and batch.json."""
    requests, objective = figures["requests"], figures["objective"]
    booked = round(requests["booked"] / requests["total"], 4) if requests["total"] else None
    return ClinicOutcome(
        clinic.name,
        str(clinic.path),
        outcome,
        status=figures["solver"]["status"],
        objective=objective["total"],
        greedy=objective["greedy"],
        gap=objective["gap"],
        booked_share=booked,
        exceptions=dict(record["exceptions"]),
        time_limit=record["time_limit"],
        wall_time=record["wall_time"],
    )


def earlier_outcome(
    clinic: Clinic, folder: Path, scenario: Scenario, digest: str
) -> ClinicOutcome | None:
    """The outcome kept from an earlier run, when `folder` holds its complete outputs for this
    very scenario file (same digest), a search that was not interrupted, and a schedule that
    the independent checker passes; None: solve it (again)."""
    from checker import check_schedule

    try:
        listed = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        record = json.loads((folder / BATCH_FILE).read_text(encoding="utf-8"))
        figures = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
        names = set(listed["files"])
        if listed.get("written_by") != "medspa batch" or not names >= {*SOLVE_FILES, BATCH_FILE}:
            return None
        if record["sha256"] != digest or figures["solver"]["status"] == "interrupted":
            return None
        if any((folder / name).stat().st_size == 0 for name in names):
            return None
        schedule = Schedule.read_csv(folder / "schedule.csv")
        if check_schedule(scenario, schedule):
            return None
        return outcome_of(clinic, "kept", figures, record)
    except Exception:  # anything missing, unreadable or of another shape: solve it again
        return None


def _problems(error: ScenarioError, most: int = 3) -> str:
    """A malformed file's first problems (the file is named in the summary's own column)."""
    prefix = f"{error.source}: "
    lines = [line.removeprefix(prefix) for line in error.report().splitlines()]
    text = "; ".join(printable(line) for line in lines[:most])
    if len(lines) > most:
        text += f"; and {len(lines) - most} more (medspa audit lists them all)"
    return text


def _folder_words(problem: Finding, folder: Path) -> str:
    """Why the clinic's folder cannot take its outputs (folder.py speaks of --out)."""
    if problem.code != "holds_other_files":
        return problem.message
    return (
        f"'{printable(str(folder))}' holds files medspa did not write; the batch replaces each "
        "clinic's folder as a whole, so move them away or give --out another folder"
    )


def _failure(error: BaseException) -> str:
    """What happened to a clinic's solve, in words."""
    name = type(error).__name__
    first = printable(str(error).split(". ")[0].strip() or name)
    if isinstance(error, ProcessDied):
        return str(error)
    if name == "KilledWorker":  # dask.distributed: its worker died each time it ran there
        return f"the Dask worker process solving it died ({first})"
    if isinstance(error, CancelledError):
        return "the solve was cancelled"
    if isinstance(error, Interrupted):
        return "a signal stopped the solve before a first schedule was found"
    return f"internal error ({name}: {excerpt(first, 200)}); please report it with the scenario"
