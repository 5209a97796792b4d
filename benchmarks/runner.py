"""The benchmark runs: which clinics, limits and seeds, and one measured solve per fresh process.

Each solve runs in its own process started with the "spawn" method, so the peak memory of a
run (`ru_maxrss`) belongs to that run alone and nothing is shared between runs. The process
returns one plain dict per run: the columns of results.csv plus the run's trajectory.
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import scenarios
from benchmarks.anytime import against_best_known
from benchmarks.best_known import Key
from benchmarks.peers import PeerResult, peer_solve
from checker import check_schedule
from models.loader import load_scenario
from models.results import ProgressPoint, SolveReport
from models.scenario import Scenario
from scenarios.generator import generate_scenario
from solver.cpsat.params import SearchParams
from solver.eligibility import Eligibility, eligibility
from solver.facts import ClinicFacts
from solver.greedy import greedy_schedule
from solver.solve import solve

Record = dict[str, Any]
_Result = TypeVar("_Result")

CLINIC_SIZES: dict[int, tuple[int, int]] = {
    50: (2, 2),
    150: (6, 5),
    500: (10, 5),
    1000: (15, 7),
    2000: (25, 10),
    3000: (30, 14),
}
"""Providers and days of the generated clinic at each protocol size (requests); rooms and
machines follow the providers (the generator's default, about 0.8 rooms per provider)."""
BIG_CLINIC_SIZES: dict[int, tuple[int, int]] = {10000: (60, 28)}
"""Opt-in sizes, never in the default protocol: a multi-site month (`--sizes 10000`, `--big`)."""
BIG_SIZES: tuple[int, ...] = tuple(BIG_CLINIC_SIZES)
BIG_LIMITS: tuple[float, ...] = (120.0,)
BIG_SEEDS: tuple[int, ...] = (0,)
TIME_LIMITS: tuple[float, ...] = (1.0, 10.0, 30.0, 120.0)
SEEDS: tuple[int, ...] = (0, 1)
WORKERS = 2
QUICK_SIZES: tuple[int, ...] = (50, 150, 500)
QUICK_LIMITS: tuple[float, ...] = (1.0, 10.0)
QUICK_SEEDS: tuple[int, ...] = (0,)
SAMPLE_PATH = Path(scenarios.__file__).parent / "sample_clinic.yaml"
SAMPLE_NAME = "sample_clinic"

COLUMNS: tuple[str, ...] = (
    "instance",
    "requests",
    "providers",
    "days",
    "rooms",
    "seed",
    "time_limit",
    "workers",
    "eligibility_seconds",
    "greedy_seconds",
    "build_seconds",
    "seconds_to_beat_greedy",
    "greedy_objective",
    "objective",
    "best_bound",
    "gap",
    "ratio_to_greedy",
    "improvement_pct",
    "status",
    "wall_seconds",
    "peak_memory_mb",
    "variables",
    "constraints",
    "requests_booked",
    "checker_passes",
    "violations",
    "best_known",
    "ratio_to_best_known",
    "primal_integral",
    "peer_objective",
    "peer_cpsat_objective",
    "peer_bound",
    "peer_ratio_to_greedy",
    "peer_seconds",
    "peer_checker_passes",
)
"""The columns of results.csv, one row per run."""
PEER_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS if c.startswith("peer_"))
"""The columns of the peer (plain CP-SAT), empty unless the run asked for it."""
TRAJECTORY_COLUMNS: tuple[str, ...] = (
    "instance",
    "seed",
    "time_limit",
    "point",
    "seconds",
    "objective",
    "bound",
)
"""The columns of trajectories.csv: the greedy start, each improvement and the final result."""


def clinic_size(requests: int) -> tuple[int, int]:
    """Providers and days of a generated clinic with this many requests.

    The protocol sizes (and the opt-in `BIG_CLINIC_SIZES`) have their own row; any other size
    takes the row of the next size up (the largest one beyond 10,000 requests).
    """
    sizes = CLINIC_SIZES | BIG_CLINIC_SIZES
    for size in sorted(sizes):
        if requests <= size:
            return sizes[size]
    return sizes[max(sizes)]


@dataclass(frozen=True)
class Run:
    """One solve of the protocol: the clinic, the seed, the time limit and the workers.

    ``requests`` is the size of a generated clinic, or None for the sample clinic. The seed
    is the generator's (instance) seed, and the solver's unless ``solver_seed`` is given.
    With ``peers`` plain CP-SAT (benchmarks.peers) solves the same clinic after the solve.
    """

    instance: str
    requests: int | None
    seed: int
    time_limit: float
    workers: int
    params: SearchParams = field(default_factory=SearchParams)
    solver_seed: int | None = None
    peers: bool = False

    @property
    def search_seed(self) -> int:
        """The solver's seed: `solver_seed`, or the instance seed by default."""
        return self.seed if self.solver_seed is None else self.solver_seed

    def scenario(self) -> Scenario:
        """The clinic of this run: generated from the seed, or the sample clinic."""
        if self.requests is None:
            return load_scenario(SAMPLE_PATH)
        providers, days = clinic_size(self.requests)
        return generate_scenario(self.requests, providers, days, seed=self.seed)

    def label(self) -> str:
        """Short text naming the run on the terminal."""
        solver = "" if self.solver_seed is None else f" solver seed {self.solver_seed}"
        return f"{self.instance} seed {self.seed}{solver} limit {self.time_limit:g} s"


@dataclass(frozen=True)
class Protocol:
    """Which clinics, time limits and seeds to run, with how many workers."""

    sizes: tuple[int, ...] = tuple(CLINIC_SIZES)
    limits: tuple[float, ...] = TIME_LIMITS
    seeds: tuple[int, ...] = SEEDS
    workers: int = WORKERS
    include_sample: bool = True
    params: SearchParams = field(default_factory=SearchParams)
    """The search's tuning (the defaults unless --search-params names a TOML file)."""
    peers: bool = False
    """Also solve each clinic with plain CP-SAT (the peer columns)."""
    best_known: Mapping[Key, int] = field(default_factory=dict)
    """The best-known objective of each (instance, seed), from best_known.csv."""

    def runs(self) -> list[Run]:
        """Every run, clinic by clinic, then time limit, then seed."""
        instances: list[tuple[str, int | None]] = [(f"generated_{n}", n) for n in self.sizes]
        if self.include_sample:
            instances.append((SAMPLE_NAME, None))
        return [
            Run(name, requests, seed, limit, self.workers, self.params, peers=self.peers)
            for name, requests in instances
            for limit in self.limits
            for seed in self.seeds
        ]


def _timed(step: Callable[..., _Result], *args: Any) -> tuple[float, _Result]:
    started = time.perf_counter()
    result = step(*args)
    return time.perf_counter() - started, result


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS


def _trajectory(report: SolveReport, search_seconds: float) -> list[dict[str, Any]]:
    """The greedy start, each improvement, and the final result at the end of the search."""
    points = [
        {"point": "start" if i == 0 else "improvement", **point.model_dump()}
        for i, point in enumerate(report.progress)
    ]
    last = points[-1]["seconds"] if points else 0.0
    final = {"objective": report.objective, "bound": report.best_bound}
    return [*points, {"point": "final", "seconds": round(max(search_seconds, last), 3), **final}]


def _eligible(scenario: Scenario) -> tuple[ClinicFacts, Eligibility]:
    """The scenario's derived facts and its eligibility, as solve() computes them."""
    facts = ClinicFacts(scenario)
    return facts, eligibility(facts)


def measure(run: Run) -> Record:
    """Solve one run and measure it; meant for a fresh process (see `run_protocol`).

    Eligibility and the greedy are timed on their own first (solve() repeats them), then
    the solve, then the independent checker. The trajectory holds the greedy start, each
    improvement found during the search and the final result at the end of the search.
    """
    scenario = run.scenario()
    eligibility_seconds, (facts, eligible) = _timed(_eligible, scenario)
    greedy_seconds, _ = _timed(greedy_schedule, facts, eligible.jobs)
    del facts, eligible
    search_started: list[float] = []

    def note_start(point: ProgressPoint) -> None:
        if not search_started:
            search_started.append(time.perf_counter())

    seed = run.search_seed
    result = solve(
        scenario, run.time_limit, run.workers, seed, on_progress=note_start, params=run.params
    )
    search_seconds = time.perf_counter() - search_started[0]
    violations = check_schedule(scenario, result.schedule)
    peak = peak_memory_mb()
    report = result.report
    trajectory = _trajectory(report, search_seconds)
    greedy = report.greedy_objective
    peer = peer_solve(scenario, run.time_limit, run.workers, seed) if run.peers else None
    return {
        "instance": run.instance,
        "requests": len(scenario.requests),
        "providers": len(scenario.providers),
        "days": scenario.clinic.horizon.days,
        "rooms": len(scenario.rooms),
        "seed": run.seed,
        "time_limit": run.time_limit,
        "workers": run.workers,
        "eligibility_seconds": eligibility_seconds,
        "greedy_seconds": greedy_seconds,
        "build_seconds": report.build_time,
        "seconds_to_beat_greedy": next(
            (p["seconds"] for p in trajectory if p["objective"] > greedy), None
        ),
        "greedy_objective": greedy,
        "objective": report.objective,
        "best_bound": report.best_bound,
        "gap": report.gap,
        "ratio_to_greedy": report.objective / greedy if greedy > 0 else None,
        "improvement_pct": 100 * (report.objective - greedy) / greedy if greedy > 0 else None,
        "status": report.status,
        "wall_seconds": report.wall_time,
        "peak_memory_mb": peak,
        "variables": report.num_variables,
        "constraints": report.num_constraints,
        "requests_booked": sum(
            row.kind == "request" and row.status == "booked" for row in result.schedule.appointments
        ),
        "checker_passes": not violations,
        "violations": len(violations),
        **dict.fromkeys(("best_known", "ratio_to_best_known", "primal_integral")),
        **_peer_columns(peer, greedy),
        "solver_seed": seed,
        "trajectory": trajectory,
    }


def _peer_columns(peer: PeerResult | None, greedy: int) -> Record:
    """The peer columns of a run: empty without a peer, no objective without a schedule."""
    if peer is None:
        return dict.fromkeys(PEER_COLUMNS)
    ratio = peer.objective / greedy if peer.objective is not None and greedy > 0 else None
    return {
        "peer_objective": peer.objective,
        "peer_cpsat_objective": peer.cpsat_objective,
        "peer_bound": peer.bound,
        "peer_ratio_to_greedy": ratio,
        "peer_seconds": peer.seconds,
        "peer_checker_passes": peer.checker_passes,
    }


def scored(record: Record, best_known: Mapping[Key, int]) -> Record:
    """The run's record with its best_known, ratio_to_best_known and primal_integral, and
    whether it beat the best-known objective (`beats_best_known`, not a column)."""
    reference = best_known.get((record["instance"], record["seed"]))
    beats = reference is not None and record["objective"] > reference
    return record | against_best_known(record, reference) | {"beats_best_known": beats}


def measure_in_fresh_process(run: Run) -> Record:
    """`measure` in a new process of its own ("spawn"), which ends with the run."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(measure, run).result()


def summary_line(record: Record) -> str:
    """The key numbers of one run, on one terminal line."""
    improvement = record["improvement_pct"]
    versus = f" ({improvement:+.1f}% vs greedy)" if improvement is not None else ""
    checker = "checker ok" if record["checker_passes"] else f"{record['violations']} VIOLATIONS"
    solver_seed = record.get("solver_seed", record["seed"])
    solver = "" if solver_seed == record["seed"] else f" solver seed {solver_seed}"
    return (
        f"{record['instance']} seed {record['seed']}{solver} limit {record['time_limit']:g} s: "
        f"{record['status']}, objective {record['objective']:,} vs greedy "
        f"{record['greedy_objective']:,}{versus}, gap {100 * record['gap']:.2f}%, "
        f"{_versus_best_known(record)}{_versus_peer(record)}"
        f"build {record['build_seconds']:.2f} s, {record['peak_memory_mb']:.0f} MB, "
        f"{checker}, {record['wall_seconds']:.1f} s"
    )


def _versus_best_known(record: Record) -> str:
    if record["ratio_to_best_known"] is None:
        return ""
    if record.get("beats_best_known"):
        return "NEW BEST KNOWN (fold it in: python -m benchmarks best-known --no-solve), "
    return (
        f"{record['ratio_to_best_known']:.3f} of best known, "
        f"primal integral {record['primal_integral']:.3f}, "
    )


def _versus_peer(record: Record) -> str:
    if record["peer_seconds"] is None:
        return ""
    if record["peer_objective"] is None:
        return "plain CP-SAT: no schedule, "
    checker = "" if record["peer_checker_passes"] else " (FAILS the checker)"
    return f"plain CP-SAT {record['peer_objective']:,}{checker}, "


def run_protocol(protocol: Protocol, console: Console) -> Iterator[Record]:
    """Measure every run of the protocol, one fresh process at a time, showing progress;
    each run is scored against its best-known objective (`scored`)."""
    return run_all(protocol.runs(), console, protocol.best_known)


def run_all(
    runs: list[Run], console: Console, best_known: Mapping[Key, int] | None = None
) -> Iterator[Record]:
    """Measure these runs, one fresh process at a time, showing progress, each scored
    against its best-known objective (`scored`)."""
    search_minutes = sum(run.time_limit * (1 + run.peers) for run in runs) / 60
    console.print(f"{len(runs)} runs; the time limits alone add up to {search_minutes:.1f} min")
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("starting", total=len(runs))
        for run in runs:
            progress.update(task, description=run.label())
            record = scored(measure_in_fresh_process(run), best_known or {})
            progress.console.print(summary_line(record), soft_wrap=True)
            progress.advance(task)
            yield record
