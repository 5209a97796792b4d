"""`python -m benchmarks.batch`: clinics per minute of the nightly batch.

The same generated clinics (20 by default) are solved in the reproducible mode, so each one
is the same work everywhere, on 1 and on 2 local processes and on a Dask LocalCluster of 2
single-thread worker processes started here. Reported: wall seconds and clinics per minute
of each, the CPU time it took and the cores that makes, with the load average before and
after (the machine is shared: see benchmarks/results/batch.md on what that does).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from benchmarks.report import machine_description
from models.loader import save_scenario
from models.spreadsheet import write_csv
from models.writing import write_atomically
from scenarios.generator import generate_scenario
from solver.batch import BatchSettings, ClinicPool, solve_many
from solver.outputs.plots import save_figure


@dataclass
class Run:
    """One batch of the same clinics on one executor."""

    executor: str
    clinics: int
    solved: int
    wall_seconds: float
    clinics_per_minute: float
    cpu_seconds: float
    """CPU time of this process and every process it started, from the executor's start to
    its end (start-up included)."""
    cores_used: float
    """cpu_seconds over the executor's wall time: the share of the machine the run got."""
    load_before: float
    load_after: float


def _cpu() -> float:
    """CPU seconds of this process and of its ended (and waited-for) descendants."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _timed(
    name: str, executor: Callable[[], Any], files: list[Path], settings: BatchSettings
) -> Run:
    """The batch on the executor `executor()` makes (a context manager), timed."""
    load_before, cpu_before, opened = os.getloadavg()[0], _cpu(), time.perf_counter()
    with executor() as running, tempfile.TemporaryDirectory(prefix="medspa-batch-") as out:
        started = time.perf_counter()
        outcomes = solve_many(files, running, out=out, settings=settings)
        seconds = time.perf_counter() - started
    cpu = _cpu() - cpu_before
    cores = cpu / (time.perf_counter() - opened)
    solved = sum(o.outcome == "solved" for o in outcomes)
    per_minute = round(len(files) / seconds * 60, 1)
    print(f"{name}: {solved}/{len(files)} solved in {seconds:.1f} s, {per_minute} per minute")
    return Run(
        name,
        len(files),
        solved,
        round(seconds, 2),
        per_minute,
        round(cpu, 1),
        round(cores, 2),
        round(load_before, 2),
        round(os.getloadavg()[0], 2),
    )


@contextmanager
def _dask_cluster() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
    with cluster, Client(cluster) as client:
        yield client


def run(clinics: int, requests: int, providers: int, days: int, limit: float) -> list[Run]:
    """The batch on 1 and 2 local processes and on a Dask LocalCluster (2 processes)."""
    settings = BatchSettings(time_limit=limit, deterministic=True)
    with tempfile.TemporaryDirectory(prefix="medspa-batch-clinics-") as folder:
        files = []
        for seed in range(clinics):
            path = Path(folder) / f"clinic_{seed:02d}.yaml"
            scenario = generate_scenario(requests, providers, days, seed)
            save_scenario(scenario, path)
            files.append(path)
        return [
            _timed("local, 1 process", lambda: ClinicPool(1), files, settings),
            _timed("local, 2 processes", lambda: ClinicPool(2), files, settings),
            _timed("Dask LocalCluster, 2 workers", _dask_cluster, files, settings),
        ]


def write(runs: list[Run], out: Path, what: str, note: str) -> list[Path]:
    """batch.csv, batch.md and batch.png in `out`."""
    frame = pd.DataFrame([asdict(r) for r in runs])
    paths = [out / "batch.csv", out / "batch.md", out / "batch.png"]
    write_csv(frame, paths[0])
    lines = [
        "# Nightly batch: clinics per minute",
        "",
        f"Machine: {machine_description()}",
        "",
        what,
        "",
        "| executor | clinics | solved | wall (s) | clinics per minute | CPU (s) | cores used "
        "| load before / after |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {r.executor} | {r.clinics} | {r.solved} | {r.wall_seconds:.1f} | "
            f"{r.clinics_per_minute:.1f} | {r.cpu_seconds:.1f} | {r.cores_used:.2f} | "
            f"{r.load_before:.2f} / {r.load_after:.2f} |"
            for r in runs
        ),
        "",
        note,
        "",
    ]
    write_atomically(paths[1], "\n".join(lines))
    figure = Figure(figsize=(6, 3))
    axes = figure.subplots()
    axes.barh([r.executor for r in runs], [r.clinics_per_minute for r in runs], color="tab:blue")
    axes.set_xlabel("clinics per minute")
    axes.invert_yaxis()
    figure.tight_layout()
    save_figure(figure, paths[2])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch", description=__doc__)
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--providers", type=int, default=3)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--note", default="", help="how quiet the machine was, in words")
    args = parser.parse_args()
    runs = run(args.clinics, args.requests, args.providers, args.days, args.time_limit)
    what = (
        f"{args.clinics} generated clinics of {args.requests} requests, {args.providers} "
        f"providers, {args.days} day(s) (seeds 0 to {args.clinics - 1}); reproducible mode, "
        f"time limit {args.time_limit:g} work-second(s), one CP-SAT worker per solve; wall "
        "time from the first file loaded to the summary written, process start-up included."
    )
    for path in write(runs, args.out, what, args.note):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
