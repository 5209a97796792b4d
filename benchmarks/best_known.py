"""The best-known objective of each protocol instance: benchmarks/results/best_known.csv.

One row per instance and generator seed, with the objective, how long and with what it was
found (time limit, workers, solver seeds, date) and, in words, how. Evidence from new runs is
folded in by `fold_in`, which keeps the higher objective of each instance and its account.
Only schedules the independent checker passed count as evidence.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from models.writing import write_atomically

BEST_KNOWN_PATH = Path(__file__).parent / "results" / "best_known.csv"
BEST_KNOWN_COLUMNS: tuple[str, ...] = (
    "instance",
    "seed",
    "objective",
    "time_limit",
    "workers",
    "solver_seeds",
    "found",
    "how",
)
"""The columns of best_known.csv, in order."""

Key = tuple[str, int]
"""A protocol instance: its name and its generator seed."""


class BestKnownError(ValueError):
    """best_known.csv cannot be read: the message names the file, the row and the fix."""


@dataclass(frozen=True)
class BestKnown:
    """The best objective known for one instance, and how it was found."""

    instance: str
    seed: int
    objective: int
    time_limit: float
    """Seconds of search of the run that found it."""
    workers: int
    solver_seeds: str
    """The solver seeds tried, comma-separated (the best of them is the objective)."""
    found: str
    """The date it was found, YYYY-MM-DD."""
    how: str

    @property
    def key(self) -> Key:
        """The instance this reference is for."""
        return self.instance, self.seed


def _seconds(text: str) -> float:
    seconds = float(text)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(text)
    return seconds


def _name(text: str) -> str:
    if not text.strip():
        raise ValueError(text)
    return text.strip()


_FIELDS: dict[str, tuple[Callable[[str], Any], str]] = {
    "instance": (_name, "a name"),
    "seed": (int, "a whole number"),
    "objective": (int, "a whole number"),
    "time_limit": (_seconds, "a number of seconds"),
    "workers": (int, "a whole number"),
    "solver_seeds": (str, "text"),
    "found": (lambda text: date.fromisoformat(text).isoformat(), "a date (YYYY-MM-DD)"),
    "how": (str, "text"),
}
"""How each column is read, and what it must hold."""


def _parsed(row: dict[str, str], path: Path, line: int) -> BestKnown:
    """One CSV row as a reference, or an error naming the file, the line and the field."""
    if None in row or any(row.get(c) is None for c in BEST_KNOWN_COLUMNS):
        raise BestKnownError(
            f"{path} line {line}: expected the {len(BEST_KNOWN_COLUMNS)} columns {_names()}"
        )
    values: dict[str, Any] = {}
    for name, (read, wanted) in _FIELDS.items():
        try:
            values[name] = read(row[name])
        except ValueError:
            raise BestKnownError(
                f"{path} line {line}: {name} '{row[name]}' is not {wanted}; fix or delete the row"
            ) from None
    return BestKnown(**values)


def _names() -> str:
    return ",".join(BEST_KNOWN_COLUMNS)


def read_best_known(path: Path = BEST_KNOWN_PATH) -> dict[Key, BestKnown]:
    """The references of the file by instance; none when the file does not exist."""
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        if tuple(reader.fieldnames or ()) != BEST_KNOWN_COLUMNS:
            raise BestKnownError(f"{path} line 1: the header must be {_names()}")
        references: dict[Key, BestKnown] = {}
        for row in reader:
            reference = _parsed(row, path, reader.line_num)
            if reference.key in references:
                raise BestKnownError(
                    f"{path} line {reader.line_num}: a second row for {reference.instance} "
                    f"seed {reference.seed}; keep one"
                )
            references[reference.key] = reference
    return references


def write_best_known(references: Mapping[Key, BestKnown], path: Path = BEST_KNOWN_PATH) -> None:
    """Write the references, one row per instance in name and seed order, in one step."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=BEST_KNOWN_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for key in sorted(references, key=_order):
        writer.writerow(asdict(references[key]))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text.getvalue())


def _order(key: Key) -> tuple[str, int, int]:
    """Instances by name, generated ones by size (generated_50 before generated_150)."""
    name, seed = key
    prefix, _, size = name.rpartition("_")
    return (prefix, int(size), seed) if size.isdigit() else (name, -1, seed)


def fold_in(
    references: Mapping[Key, BestKnown], evidence: Iterable[BestKnown]
) -> dict[Key, BestKnown]:
    """The references with the evidence folded in: per instance the higher objective wins,
    with its account (a tie keeps the reference already there)."""
    folded = dict(references)
    for candidate in evidence:
        known = folded.get(candidate.key)
        if known is None or candidate.objective > known.objective:
            folded[candidate.key] = candidate
    return folded


def objectives(references: Mapping[Key, BestKnown]) -> dict[Key, int]:
    """The objective of each reference, by instance."""
    return {key: reference.objective for key, reference in references.items()}


def _passed(row: Mapping[str, Any]) -> bool:
    return str(row["checker_passes"]).lower() == "true"


def from_results(rows: Iterable[Mapping[str, Any]], source: str, found: str) -> list[BestKnown]:
    """The best objective of each instance over its checker-passing rows of results.csv."""
    runs: dict[Key, list[Mapping[str, Any]]] = {}
    for row in rows:
        if _passed(row):
            runs.setdefault((str(row["instance"]), int(row["seed"])), []).append(row)
    evidence = []
    for (instance, seed), mine in sorted(runs.items()):
        best = max(mine, key=lambda row: int(row["objective"]))
        limit, workers = float(best["time_limit"]), int(best["workers"])
        how = (
            f"best objective of any run in {source} ({len(mine)} runs; this one "
            f"{limit:g} s, solver seed {seed}, {workers} workers)"
        )
        evidence.append(
            BestKnown(instance, seed, int(best["objective"]), limit, workers, str(seed), found, how)
        )
    return evidence


def from_runs(records: Iterable[Mapping[str, Any]], machine: str, found: str) -> list[BestKnown]:
    """The best checker-passing objective of each instance over its long runs (one per solver
    seed), with how it was found in words; runs the checker failed do not count."""
    runs: dict[Key, list[Mapping[str, Any]]] = {}
    for record in records:
        if record["checker_passes"]:
            runs.setdefault((record["instance"], record["seed"]), []).append(record)
    evidence = []
    for (instance, seed), mine in sorted(runs.items()):
        best = max(mine, key=lambda record: int(record["objective"]))
        limit, workers = float(best["time_limit"]), int(best["workers"])
        solver_seeds = ",".join(str(record["solver_seed"]) for record in mine)
        how = (
            f"best of solver seeds {solver_seeds} at {limit:g} s, {workers} workers "
            f"(solver seed {best['solver_seed']}), on {machine}"
        )
        objective = int(best["objective"])
        evidence.append(
            BestKnown(instance, seed, objective, limit, workers, solver_seeds, found, how)
        )
    return evidence
