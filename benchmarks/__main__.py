"""`python -m benchmarks`: run the benchmark protocol and write its report.

    python -m benchmarks                       # the full protocol (about 45 minutes)
    python -m benchmarks --quick               # 50, 150, 500 requests at 1 and 10 s, seed 0
    python -m benchmarks --sizes 500 --limits 30 --seeds 0,1 --no-sample --out /tmp/bench
    python -m benchmarks --big                 # the 10,000-request month at 120 s, seed 0
    python -m benchmarks best-known --limit 1200 --solver-seeds 0,1,2 --sizes 500,1000

If the run is interrupted, the runs finished so far are still written.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TypeVar

from rich.console import Console

from benchmarks.best_known import (
    BEST_KNOWN_PATH,
    BestKnown,
    BestKnownError,
    Key,
    fold_in,
    from_results,
    from_runs,
    objectives,
    read_best_known,
    write_best_known,
)
from benchmarks.report import ReportError, machine_description, read_records, write_report
from benchmarks.runner import (
    BIG_LIMITS,
    BIG_SEEDS,
    BIG_SIZES,
    QUICK_LIMITS,
    QUICK_SEEDS,
    QUICK_SIZES,
    Protocol,
    Record,
    Run,
    run_all,
    run_protocol,
    scored,
)
from models.loader import ScenarioError
from solver.cpsat.params import SearchParams

_Number = TypeVar("_Number", int, float)
DEFAULT_OUT = Path("benchmarks/results")


def _listed(
    kind: Callable[[str], _Number], least: _Number, example: str
) -> Callable[[str], tuple[_Number, ...]]:
    """An argparse type: comma-separated numbers of `kind`, each at least `least`."""

    def parse(text: str) -> tuple[_Number, ...]:
        try:
            values = tuple(kind(part) for part in text.split(","))
        except ValueError:
            values = ()
        if not values or min(values) < least:
            raise argparse.ArgumentTypeError(
                f"'{text}' is not a list of numbers of at least {least} separated by commas "
                f"(for example {example})"
            )
        return values

    return parse


def _one(
    listed: Callable[[str], tuple[_Number, ...]],
) -> Callable[[str], _Number]:
    """An argparse type: one number, checked as `listed` checks each of its numbers."""

    def parse(text: str) -> _Number:
        values = listed(text)
        if len(values) != 1:
            raise argparse.ArgumentTypeError(f"'{text}' is not one number")
        return values[0]

    return parse


def _clinic_options(parser: argparse.ArgumentParser, seeds: str, sample_default: str) -> None:
    """The options naming the clinics and how they are solved, shared by both commands."""
    parser.add_argument(
        "--sizes",
        type=_listed(int, 1, "50,150,500"),
        help="requests of the generated clinics (default: 50,150,500,1000,2000,3000; "
        "10000 is the opt-in multi-site month)",
    )
    parser.add_argument("--seeds", type=_listed(int, 0, "0,1"), help=seeds)
    parser.add_argument(
        "--workers", type=int, default=Protocol().workers, help="CP-SAT workers (default: 2)"
    )
    sample = parser.add_mutually_exclusive_group()
    sample.add_argument(
        "--include-sample",
        dest="sample",
        action="store_true",
        default=None,
        help=f"also run scenarios/sample_clinic.yaml ({sample_default})",
    )
    sample.add_argument(
        "--no-sample", dest="sample", action="store_false", help="leave the sample clinic out"
    )
    parser.add_argument(
        "--search-params",
        type=Path,
        help="TOML file of search tuning (solver/cpsat/params.py), e.g. piece_seconds = 0.5",
    )
    parser.add_argument(
        "--best-known",
        type=Path,
        default=BEST_KNOWN_PATH,
        help="the best-known objectives (default: benchmarks/results/best_known.csv)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run the benchmark protocol (benchmarks/PROTOCOL.md) and write its report. "
        "'python -m benchmarks best-known --help' for the best-known objectives.",
    )
    _clinic_options(
        parser,
        "seeds, each used for the generated clinic and for the solver (default: 0,1)",
        "the default, except with --big",
    )
    parser.add_argument(
        "--limits",
        type=_listed(float, 0.01, "1,10,30,120"),
        help="search time limits in seconds (default: 1,10,30,120)",
    )
    preset = parser.add_mutually_exclusive_group()
    preset.add_argument(
        "--quick",
        action="store_true",
        help="a short check: sizes 50,150,500, limits 1,10, seed 0 (explicit options win)",
    )
    preset.add_argument(
        "--big",
        action="store_true",
        help="the multi-site month: 10,000 requests, 60 providers, 28 days at 120 s, seed 0, "
        "no sample clinic (explicit options win)",
    )
    parser.add_argument(
        "--peers",
        action="store_true",
        help="also solve each clinic with plain CP-SAT hinted with the greedy (doubles the time)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})"
    )
    return parser


def _best_known_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks best-known",
        description="Long solves of each protocol instance (one fresh process per solver seed), "
        "and the best objective of the runs in results.csv, folded into best_known.csv (the "
        "higher objective of each instance is kept). Only checker-passing schedules count.",
    )
    _clinic_options(parser, "generator seeds of the clinics (default: 0,1)", "the default")
    parser.add_argument(
        "--limit",
        type=_one(_listed(float, 0.01, "1200")),
        default=1200.0,
        help="search time limit of each solve in seconds (default: 1200)",
    )
    parser.add_argument(
        "--solver-seeds",
        type=_listed(int, 0, "0,1,2"),
        default=(0, 1, 2),
        help="solver seeds tried on each clinic; the best counts (default: 0,1,2)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_OUT / "results.csv",
        help=f"results.csv whose best runs are folded in too (default: {DEFAULT_OUT}/results.csv)",
    )
    parser.add_argument(
        "--no-solve",
        action="store_true",
        help="no long solves: only fold the runs of --results into the best-known file",
    )
    return parser


def protocol_from(args: argparse.Namespace) -> Protocol:
    """The protocol the command line asks for: the full one, or --quick, with overrides."""
    full = Protocol()
    sizes, limits, seeds = (full.sizes, full.limits, full.seeds)
    if args.quick:
        sizes, limits, seeds = (QUICK_SIZES, QUICK_LIMITS, QUICK_SEEDS)
    if args.big:
        sizes, limits, seeds = (BIG_SIZES, BIG_LIMITS, BIG_SEEDS)
    return Protocol(
        sizes=args.sizes or sizes,
        limits=args.limits or limits,
        seeds=args.seeds or seeds,
        workers=args.workers,
        include_sample=not args.big if args.sample is None else args.sample,
        params=_params(args),
        peers=args.peers,
        best_known=objectives(read_best_known(args.best_known)),
    )


def _params(args: argparse.Namespace) -> SearchParams:
    return SearchParams.from_toml(args.search_params) if args.search_params else SearchParams()


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run the protocol the arguments describe and write the report; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["best-known"]:
        return best_known_main(argv[1:], console)
    if argv[:1] == ["report"]:
        return report_main(argv[1:], console)
    parser = _parser()
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    try:
        protocol = protocol_from(args)
    except ScenarioError as error:
        parser.error(error.report())
    except BestKnownError as error:
        parser.error(str(error))
    console = console or Console()
    started = time.perf_counter()
    records: list[Record] = []
    try:
        for record in run_protocol(protocol, console):
            records.append(record)
    finally:
        if records:
            paths = write_report(records, args.out, machine_description())
            minutes = (time.perf_counter() - started) / 60
            console.print(f"{len(records)} runs in {minutes:.1f} min; wrote:")
            for path in paths:
                console.print(f"  {path}")
    return 0


def best_known_runs(args: argparse.Namespace) -> list[Run]:
    """One long solve per clinic, generator seed and solver seed that best-known asks for."""
    protocol = Protocol(
        sizes=args.sizes or Protocol().sizes,
        limits=(args.limit,),
        seeds=args.seeds or Protocol().seeds,
        workers=args.workers,
        include_sample=True if args.sample is None else args.sample,
        params=_params(args),
    )
    return [
        Run(r.instance, r.requests, r.seed, r.time_limit, r.workers, r.params, solver_seed=seed)
        for r in protocol.runs()
        for seed in args.solver_seeds
    ]


def results_evidence(path: Path) -> list[BestKnown]:
    """The best checker-passing run of each instance in a results.csv (none without the file);
    found on the date of the machine.txt beside it, else today."""
    if not path.exists():
        return []
    machine = path.with_name("machine.txt")
    found = date.today().isoformat()
    if machine.exists():
        found = machine.read_text(encoding="utf-8").strip().rsplit("; ", 1)[-1][:10]
    with path.open(newline="", encoding="utf-8") as stream:
        try:
            return from_results(csv.DictReader(stream), path.name, found)
        except (KeyError, ValueError) as error:
            raise BestKnownError(
                f"{path}: not a results.csv of the runner ({error}); give --results another file"
            ) from None


def _changes(before: dict[Key, BestKnown], after: dict[Key, BestKnown]) -> list[str]:
    """One line per instance: its best-known objective, and what it was when it changed."""
    lines = []
    for key, reference in after.items():
        old = before.get(key)
        was = "new" if old is None else f"was {old.objective:,}"
        change = "" if old == reference else f" ({was})"
        lines.append(f"  {key[0]} seed {key[1]}: {reference.objective:,}{change}")
    return lines


def best_known_main(argv: Sequence[str], console: Console | None = None) -> int:
    """`python -m benchmarks best-known`: long solves and results.csv folded into best_known.csv."""
    parser = _best_known_parser()
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    try:
        before = read_best_known(args.best_known)
        evidence = results_evidence(args.results)
        runs = [] if args.no_solve else best_known_runs(args)
    except (BestKnownError, ScenarioError) as error:
        parser.error(error.report() if isinstance(error, ScenarioError) else str(error))
    console = console or Console()
    records: list[Record] = []
    try:
        for record in run_all(runs, console, objectives(before)) if runs else ():
            records.append(record)
    finally:
        machine = machine_description()
        evidence += from_runs(records, machine.rsplit("; ", 1)[0], date.today().isoformat())
        after = fold_in(before, evidence)
        write_best_known(after, args.best_known)
        after = read_best_known(args.best_known)  # in the file's order
        console.print(f"{len(records)} long solves; wrote {args.best_known}:")
        for line in _changes(before, after):
            console.print(line, soft_wrap=True)
    return 0


def report_main(argv: Sequence[str], console: Console | None = None) -> int:
    """`python -m benchmarks report`: a written report's runs held to the current
    best_known.csv again (references improve after a run), and the report rewritten."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks report",
        description="Score the runs of a report folder against best_known.csv as it is now "
        "and write its results.md, results.csv and plots again (machine.txt is kept).",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"the report's folder (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--best-known",
        type=Path,
        default=BEST_KNOWN_PATH,
        help="the best-known objectives (default: benchmarks/results/best_known.csv)",
    )
    parser.add_argument(
        "--conditions",
        help="how the machine was during the runs, for results.md (e.g. 'quiet machine: "
        "nothing else was running')",
    )
    args = parser.parse_args(argv)
    try:
        references = objectives(read_best_known(args.best_known))
        records = [scored(record, references) for record in read_records(args.out)]
        machine = (args.out / "machine.txt").read_text(encoding="utf-8").strip()
    except (BestKnownError, ReportError) as error:
        parser.error(str(error))
    except OSError as error:
        parser.error(f"{args.out}/machine.txt: {error.strerror}; run the protocol there first")
    console = console or Console()
    console.print(f"{len(records)} runs scored against {args.best_known}; wrote:")
    for path in write_report(records, args.out, machine, args.conditions):
        console.print(f"  {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
