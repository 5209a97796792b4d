"""`python -m benchmarks.reshuffle`: the same-day re-solver on a full day.

A generated clinic (one day by default: about 150 appointments booked overnight, a waitlist
of 50 or more; `--days` for a longer horizon) is solved once; then each trial cancels one
random future appointment of the first day at a random "now" and re-plans twice from the same
state: the fast re-plan a coordinator waits for, and a full re-solve with ten times the time.
Reported: latency percentiles of the fast re-plan, the value it fills from the waitlist
against the full re-solve's (a ratio within one run), the bookings it moves and the patients
the front desk must call per cancellation, and the changes on days no event touched (none is
the rule).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from benchmarks.report import machine_description
from checker import check_schedule
from models.events import Cancel
from models.results import Change
from models.spreadsheet import write_csv
from models.times import weekday_of
from models.writing import write_atomically
from scenarios.generator import generate_scenario
from solver.outputs.plots import save_figure
from solver.replan import reshuffle
from solver.solve import solve

LATENCY_TARGET = 1.0
VALUE_TARGET = 0.95


@dataclass
class Trial:
    """One cancellation re-planned fast and fully."""

    trial: int
    now: str
    cancelled: str
    latency: float
    value_fast: int
    value_full: int
    moves: int
    calls: int
    other_days: int
    checker_ok: bool


def run(
    trials: int,
    requests: int,
    providers: int,
    night_limit: float,
    fast: float,
    seed: int,
    days: int = 1,
) -> list[Trial]:
    """Solve the night, then cancel and re-plan `trials` times from that same state."""
    scenario = generate_scenario(requests=requests, providers=providers, days=days, seed=seed)
    night = solve(scenario, time_limit=night_limit, num_workers=2, seed=seed)
    booked = night.schedule.booked()
    waitlist = sum(1 for row in night.schedule.appointments if row.status == "unscheduled")
    print(f"day: {len(booked)} booked, waitlist of {waitlist}")
    clock = scenario.clinic.clock()
    opening = scenario.clinic.hours[weekday_of(clock.day(0))].start
    tomorrow = clock.local(24 * 60)
    rng = random.Random(seed)
    results = []
    for index in range(trials):
        now = clock.local(opening + 30 + rng.randrange(0, 300, 5))
        victim = rng.choice(
            [row for row in booked if row.start is not None and now < row.start < tomorrow]
        )
        events = [Cancel(booking=victim.request_id)]
        started = time.perf_counter()
        quick = reshuffle(scenario, night.schedule, events, now, fast, 2, index)
        latency = time.perf_counter() - started
        full = reshuffle(scenario, night.schedule, events, now, fast * 10, 2, index)
        trial = Trial(
            trial=index,
            now=now.isoformat(),
            cancelled=victim.request_id,
            latency=round(latency, 3),
            value_fast=quick.value_filled,
            value_full=full.value_filled,
            moves=sum(1 for change in quick.changes if change.change == "moved"),
            calls=sum(1 for change in quick.changes if change.call_patient),
            other_days=sum(1 for change in quick.changes if _day(change) != now.date().isoformat()),
            checker_ok=not check_schedule(quick.state, quick.schedule),
        )
        values = f"fast {trial.value_fast:5d}  full {trial.value_full:5d}"
        print(f"{index:3d} {trial.cancelled:>8} {latency:5.2f} s  {values}")
        results.append(trial)
    return results


def _day(change: Change) -> str:
    return (change.to_start or change.from_start)[:10]


def summary(trials: list[Trial]) -> dict[str, float]:
    """Latency percentiles and the value filled against the full re-solve."""
    latencies = sorted(t.latency for t in trials)
    full = sum(t.value_full for t in trials)
    return {
        "trials": len(trials),
        "p50_latency_s": round(statistics.median(latencies), 3),
        "p95_latency_s": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 3),
        "value_ratio": round(sum(t.value_fast for t in trials) / full, 4) if full else 1.0,
        "checker_ok": all(t.checker_ok for t in trials),
        "max_moves": max((t.moves for t in trials), default=0),
        "mean_calls": round(statistics.mean(t.calls for t in trials), 2) if trials else 0.0,
        "max_calls": max((t.calls for t in trials), default=0),
        "changes_on_other_days": sum(t.other_days for t in trials),
    }


def _met(ok: bool) -> str:
    return "yes" if ok else "no"


def write(trials: list[Trial], out: Path, name: str = "reshuffle", setup: str = "") -> None:
    """NAME.csv, NAME.md and NAME_latency.png under `out`."""
    import matplotlib.pyplot as plt

    frame = pd.DataFrame([asdict(t) for t in trials])
    write_csv(frame, out / f"{name}.csv")
    figures = summary(trials)
    lines = [
        "# Same-day re-solver: cancellations on a full day",
        "",
        f"Machine: {machine_description()}",
        "",
        setup,
        "",
        "| figure | value | target | met |",
        "|---|---|---|---|",
        f"| trials | {figures['trials']} | >= 100 | {_met(figures['trials'] >= 100)} |",
        f"| p50 latency | {figures['p50_latency_s']} s | | |",
        f"| p95 latency | {figures['p95_latency_s']} s | <= {LATENCY_TARGET} s | "
        f"{_met(figures['p95_latency_s'] <= LATENCY_TARGET)} |",
        f"| value filled vs full re-solve | {figures['value_ratio']:.1%} | >= {VALUE_TARGET:.0%} | "
        f"{_met(figures['value_ratio'] >= VALUE_TARGET)} |",
        f"| every schedule passes the checker | {figures['checker_ok']} | True | "
        f"{_met(bool(figures['checker_ok']))} |",
        f"| most patients moved in one re-plan | {figures['max_moves']} | <= policy cap | |",
        f"| patients to call per cancellation (mean / most) | {figures['mean_calls']} / "
        f"{figures['max_calls']} | | |",
        f"| changes on a day no event touched | {figures['changes_on_other_days']} | 0 | "
        f"{_met(figures['changes_on_other_days'] == 0)} |",
    ]
    write_atomically(out / f"{name}.md", "\n".join(lines) + "\n")
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    ax.hist(frame["latency"], bins=20, color="#4c72b0")
    ax.axvline(LATENCY_TARGET, color="black", linestyle="--", label="target p95")
    ax.set_xlabel("re-plan latency (s)")
    ax.set_ylabel("cancellations")
    ax.legend()
    save_figure(fig, out / f"{name}_latency.png")


def main() -> None:
    """Command line of the re-solver benchmark."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reshuffle", description=__doc__)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--requests", type=int, default=220)
    parser.add_argument("--providers", type=int, default=18)
    parser.add_argument("--night-limit", type=float, default=30.0)
    parser.add_argument("--fast", type=float, default=0.5, help="re-plan time limit (s)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--days", type=int, default=1, help="days of the generated horizon")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    trials = run(
        args.trials,
        args.requests,
        args.providers,
        args.night_limit,
        args.fast,
        args.seed,
        args.days,
    )
    name = "reshuffle" if args.days == 1 else f"reshuffle_{args.days}_days"
    setup = (
        f"{args.trials} cancellations; clinic of {args.requests} requests, {args.providers} "
        f"providers, {args.days} day(s), seed {args.seed}; night solved in {args.night_limit:g} "
        f"s; fast re-plan {args.fast:g} s, full re-solve {args.fast * 10:g} s, 2 workers."
    )
    write(trials, args.out, name, setup)
    print(summary(trials))


if __name__ == "__main__":
    main()
