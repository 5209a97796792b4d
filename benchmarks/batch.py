"""`python -m benchmarks.batch`: clinics per minute of the nightly batch.

The same generated clinics (20 by default) are solved in the reproducible mode, so each one
is the same work everywhere, on 1 and on 2 local processes and on a Dask LocalCluster of 2
single-thread worker processes started here. Reported: wall seconds and clinics per minute
of each, with the load average before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

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
    load_before: float
    load_after: float


def _timed(name: str, executor: object, files: list[Path], settings: BatchSettings) -> Run:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="medspa-batch-bench-") as out:
        started = time.perf_counter()
        outcomes = solve_many(files, executor, out=out, settings=settings)
        seconds = time.perf_counter() - started
    solved = sum(o.outcome == "solved" for o in outcomes)
    per_minute = round(len(files) / seconds * 60, 1)
    load = round(os.getloadavg()[0], 2)
    print(f"{name}: {solved}/{len(files)} solved in {seconds:.1f} s, {per_minute} per minute")
    return Run(name, len(files), solved, round(seconds, 2), per_minute, round(load_before, 2), load)


def run(clinics: int, requests: int, providers: int, days: int, limit: float) -> list[Run]:
    """The batch on 1 and 2 local processes and on a Dask LocalCluster (2 processes)."""
    from distributed import Client, LocalCluster

    settings = BatchSettings(time_limit=limit, deterministic=True)
    with tempfile.TemporaryDirectory(prefix="medspa-batch-clinics-") as folder:
        files = []
        for seed in range(clinics):
            path = Path(folder) / f"clinic_{seed:02d}.yaml"
            scenario = generate_scenario(requests, providers, days, seed)
            save_scenario(scenario, path)
            files.append(path)
        runs = []
        for processes in (1, 2):
            with ClinicPool(processes) as pool:
                runs.append(_timed(f"local, {processes} process(es)", pool, files, settings))
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        with cluster, Client(cluster) as client:
            runs.append(_timed("Dask LocalCluster, 2 workers", client, files, settings))
    return runs


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
        "| executor | clinics | solved | wall (s) | clinics per minute | load before / after |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r.executor} | {r.clinics} | {r.solved} | {r.wall_seconds:.1f} | "
            f"{r.clinics_per_minute:.1f} | {r.load_before:.2f} / {r.load_after:.2f} |"
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
