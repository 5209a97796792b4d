"""`medspa batch`: the nightly run of many clinics (registered on the app of solver/cli.py).

Exit codes: 0 every clinic solved (or kept from an earlier run), 1 one or more failed or not
started, 2 bad input (no scenario files, an unusable --out, two files of one name, a
scheduler that cannot be reached), 130 / 143 after Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from models.findings import Finding, excerpt
from models.loader import ScenarioError
from solver.batch.pool import ClinicPool
from solver.batch.run import (
    SCENARIO_SUFFIXES,
    BatchSettings,
    ClinicOutcome,
    cores,
    scenario_clinics,
    solve_many,
)
from solver.batch.summary import counts
from solver.cli import (
    MAX_TIME_LIMIT,
    MAX_WORKERS,
    STOP_SIGNALS,
    Deterministic,
    JsonFlag,
    OutOption,
    ParamsOption,
    Quiet,
    Seed,
    TimeLimit,
    _input_errors,
    _refuse_out,
    _said,
    _search_params,
    _signal_exit,
    _signal_words,
    _within,
    app,
    err,
    out,
)
from solver.interrupt import Interrupted, Stop
from solver.outputs.folder import file_problem

CONNECT_SECONDS = 10
"""How long to wait for a Dask scheduler before giving up."""


def scenario_files(arguments: list[str]) -> list[Path]:
    """The scenario files a batch's arguments name: each a folder (its .yaml, .yml and .json
    files), a glob pattern or a file. Raises ScenarioError for one that names none."""
    files: list[Path] = []
    for text in arguments:
        path = Path(text)
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.suffix.lower() in SCENARIO_SUFFIXES and p.is_file() and p.name[0] != "."
            )
            fix = "put the clinics' scenario files (.yaml, .yml or .json) there"
            problem = Finding("no_scenarios", "", f"the folder holds no scenario files; {fix}")
        elif glob.has_magic(text):
            found = sorted(p for p in map(Path, glob.glob(text)) if p.is_file())
            fix = "check the pattern (and quote it, so that the shell leaves it to medspa)"
            problem = Finding("no_match", "", f"no file matches this pattern; {fix}")
        elif path.is_file():
            found = [path]
        else:
            fix = "give a folder of scenario files, a pattern such as 'clinics/*.yaml' or a file"
            found, problem = [], Finding("file_not_found", "", f"no such folder or file; {fix}")
        if not found:
            raise ScenarioError(excerpt(text), [problem])
        files += found
    return files


def _out_problem(out_dir: Path) -> Finding | None:
    """Why --out cannot hold the clinics' folders and the summary, or None."""
    if out_dir.exists() and not out_dir.is_dir():
        message = (
            f"{excerpt(str(out_dir))} is a file, not a folder; give --out a folder for the "
            "clinics' folders and the summary"
        )
        return Finding("not_a_folder", "", message)
    return file_problem(out_dir / "summary.csv", "summary.csv")


def _dask_client(address: str) -> Any:
    """A client of the Dask scheduler at `address`, or exit 2 saying why not."""
    with _input_errors():
        try:
            from distributed import Client
        except ImportError:
            message = (
                "running on a Dask cluster needs Dask, an optional extra: "
                "pip install 'medspa-scheduler[dask]'"
            )
            raise ScenarioError("--scheduler", [Finding("dask_missing", "", message)]) from None
        try:
            return Client(address, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as error:
            message = (
                f"cannot reach the Dask scheduler at {excerpt(address)} ({excerpt(str(error))}); "
                "start it with `dask scheduler`, or give its address, e.g. tcp://host:8786"
            )
            raise ScenarioError("--scheduler", [Finding("no_scheduler", "", message)]) from None


class _Display:
    """Progress on stderr: a bar with done, failed and an ETA on a terminal; in a log, one
    line per clinic."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.quiet = total, quiet
        self.done = self.failed = 0
        self.started = time.perf_counter()
        self.bar: Progress | None = None
        if not quiet and err.is_terminal:
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
            )
            self.bar = Progress(*columns, console=err, transient=True)
            self.task = self.bar.add_task(self._words(), total=total)

    def _words(self) -> str:
        return f"clinics: {self.done} done, {self.failed} failed (Ctrl-C: stop, keep those done)"

    def __enter__(self) -> _Display:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def __call__(self, outcome: ClinicOutcome) -> None:
        self.done += 1
        self.failed += outcome.failed
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done, description=self._words())
        elif not self.quiet:
            left = self.total - self.done
            elapsed = time.perf_counter() - self.started
            eta = f"; about {_minutes(elapsed / self.done * left)} left" if left else ""
            what = outcome.error or f"{outcome.status}, objective {outcome.objective:,}"
            line = f"[{self.done}/{self.total}] {outcome.clinic}: {outcome.outcome}, {what}{eta}"
            err.print(_said(line), soft_wrap=True)


def _table(outcomes: list[ClinicOutcome]) -> Table:
    table = Table(title=f"Nightly batch: {counts(outcomes)}")
    for column in ("clinic", "outcome", "status", "objective", "greedy", "booked", "exceptions"):
        table.add_column(column, overflow="fold")
    for o in outcomes:
        figures = (o.objective, o.greedy)
        numbers = ["" if n is None else f"{n:,}" for n in figures]
        booked = "" if o.booked_share is None else f"{o.booked_share:.0%}"
        exceptions = str(sum(o.exceptions.values())) if o.status else ""
        cells = (o.clinic, o.outcome, o.status, *numbers, booked, exceptions)
        table.add_row(*(_said(text) for text in cells))
    return table


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


Budget = Annotated[
    float | None,
    typer.Option(
        "--budget",
        callback=_within(1, MAX_TIME_LIMIT, "give a number of seconds from 1 to 86,400"),
        help="Wall-clock seconds for the whole batch, shared among the clinics left (README).",
    ),
]


@app.command(name="batch")
def batch_command(
    scenarios: Annotated[
        list[str],
        typer.Argument(help="Folders of scenario files, patterns ('clinics/*.yaml') or files."),
    ],
    out_dir: OutOption,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            callback=_within(1, 1024, "give 1 to 1,024 clinics at once"),
            help="Clinics solved at once (default: one per core, or the cluster's threads).",
        ),
    ] = None,
    search_workers: Annotated[
        int | None,
        typer.Option(
            "--search-workers",
            callback=_within(1, MAX_WORKERS, f"give 1 to {MAX_WORKERS} workers"),
            help="CP-SAT workers of each solve (default: the cores shared among the clinics "
            "at once; 1 on a cluster).",
        ),
    ] = None,
    time_limit: TimeLimit = 10.0,
    budget: Budget = None,
    seed: Seed = 0,
    deterministic: Deterministic = False,
    search_params: ParamsOption = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Address of a Dask scheduler (tcp://host:8786) to solve on; needs the dask extra.",
        ),
    ] = None,
    quiet: Quiet = False,
    as_json: JsonFlag = False,
) -> None:
    """Solve every clinic into its own folder of --out and write summary.csv and summary.md.
    Exit 0 all solved, 1 some failed, 2 bad input. Clinics with complete outputs are kept."""
    with _input_errors():
        clinics = scenario_clinics(scenario_files(scenarios))
    _refuse_out(_out_problem(out_dir))
    settings = BatchSettings(
        time_limit, search_workers, seed, deterministic, _search_params(search_params), budget
    )
    executor: AbstractContextManager[Any]
    if scheduler is None:
        executor = ClinicPool(max(1, min(len(clinics), workers or cores())))
    else:
        executor = _dask_client(scheduler)
    stop = Stop()
    signum, outcomes = None, None
    with executor as running, _Display(len(clinics), quiet) as display:
        try:
            with stop.on_signals(*STOP_SIGNALS):
                outcomes = solve_many(
                    [c.path for c in clinics],
                    running,
                    out=out_dir,
                    settings=settings,
                    at_once=workers,
                    on_update=display,
                    stop=stop,
                )
        except Interrupted as error:  # a second signal; solve_many wrote the summary
            signum = error.signum
    _finish(out_dir, stop, signum, outcomes, as_json)


def _finish(
    out_dir: Path,
    stop: Stop,
    signum: int | None,
    outcomes: list[ClinicOutcome] | None,
    as_json: bool = False,
) -> None:
    """The table, what was written, and the exit code."""
    written = [out_dir / "summary.csv", out_dir / "summary.md"]
    summary = " and ".join(map(str, written))
    if outcomes is None:
        err.print(
            f"{_signal_words(signum)} again: stopped at once; the clinics finished are in "
            f"{excerpt(str(out_dir))}, listed in {summary}.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise _signal_exit(signum)
    if as_json:
        clinics = [dataclasses.asdict(outcome) for outcome in outcomes]
        print(json.dumps({"clinics": clinics, "wrote": list(map(str, written))}, indent=2))
    else:
        out.print(_table(outcomes))
        for outcome in outcomes:
            if outcome.error:
                out.print(_said(f"{outcome.clinic}: {outcome.error}"), soft_wrap=True)
        out.print(_said(f"wrote {summary}"))
    if stop.requested:
        err.print(
            f"{_signal_words(stop.signum)}: stopped the batch; the clinics under way wrote their "
            "best schedule so far, the others were not started.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise _signal_exit(stop.signum)
    raise typer.Exit(1 if any(o.failed for o in outcomes) else 0)
