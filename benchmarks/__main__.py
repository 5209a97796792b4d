"""`python -m benchmarks`: run the benchmark protocol and write its report.

    python -m benchmarks                       # the full protocol (about 45 minutes)
    python -m benchmarks --quick               # 50, 150, 500 requests at 1 and 10 s, seed 0
    python -m benchmarks --sizes 500 --limits 30 --seeds 0,1 --no-sample --out /tmp/bench

If the run is interrupted, the runs finished so far are still written.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from rich.console import Console

from benchmarks.report import machine_description, write_report
from benchmarks.runner import (
    QUICK_LIMITS,
    QUICK_SEEDS,
    QUICK_SIZES,
    Protocol,
    Record,
    run_protocol,
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


def _parser() -> argparse.ArgumentParser:
    protocol = Protocol()
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run the benchmark protocol (benchmarks/PROTOCOL.md) and write its report.",
    )
    parser.add_argument(
        "--sizes",
        type=_listed(int, 1, "50,150,500"),
        help="requests of the generated clinics (default: 50,150,500,1000,2000,3000)",
    )
    parser.add_argument(
        "--limits",
        type=_listed(float, 0.01, "1,10,30,120"),
        help="search time limits in seconds (default: 1,10,30,120)",
    )
    parser.add_argument(
        "--seeds",
        type=_listed(int, 0, "0,1"),
        help="seeds, each used for the generated clinic and for the solver (default: 0,1)",
    )
    parser.add_argument(
        "--workers", type=int, default=protocol.workers, help="CP-SAT workers (default: 2)"
    )
    sample = parser.add_mutually_exclusive_group()
    sample.add_argument(
        "--include-sample",
        dest="sample",
        action="store_true",
        default=True,
        help="also run scenarios/sample_clinic.yaml (the default)",
    )
    sample.add_argument(
        "--no-sample", dest="sample", action="store_false", help="leave the sample clinic out"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short check: sizes 50,150,500, limits 1,10, seed 0 (explicit options win)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--search-params",
        type=Path,
        help="TOML file of search tuning (solver/cpsat/params.py), e.g. piece_seconds = 0.5",
    )
    return parser


def protocol_from(args: argparse.Namespace) -> Protocol:
    """The protocol the command line asks for: the full one, or --quick, with overrides."""
    full = Protocol()
    sizes, limits, seeds = (
        (QUICK_SIZES, QUICK_LIMITS, QUICK_SEEDS)
        if args.quick
        else (full.sizes, full.limits, full.seeds)
    )
    return Protocol(
        sizes=args.sizes or sizes,
        limits=args.limits or limits,
        seeds=args.seeds or seeds,
        workers=args.workers,
        include_sample=args.sample,
        params=SearchParams.from_toml(args.search_params) if args.search_params else SearchParams(),
    )


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run the protocol the arguments describe and write the report; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    try:
        protocol = protocol_from(args)
    except ScenarioError as error:
        parser.error(error.report())
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


if __name__ == "__main__":
    raise SystemExit(main())
