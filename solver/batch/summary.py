"""The batch's summary, one line per clinic, as summary.csv and summary.md in --out (each file
written whole)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from models.findings import printable
from models.spreadsheet import write_csv
from models.writing import write_atomically

if TYPE_CHECKING:
    from solver.batch.run import ClinicOutcome

COLUMNS = (
    "clinic",
    "outcome",
    "status",
    "objective",
    "greedy",
    "gap",
    "booked_share",
    "exceptions",
    "time_limit",
    "wall_time",
    "error",
    "scenario",
)
"""The columns of summary.csv: see the README's "Nightly batch"."""


def owners_text(exceptions: dict[str, int]) -> str:
    """Exceptions by owner in one cell: `front_desk_lead: 3; clinic_manager: 1`."""
    return "; ".join(f"{owner}: {count}" for owner, count in exceptions.items())


def summary_frame(outcomes: Sequence[ClinicOutcome]) -> pd.DataFrame:
    """The summary as a table with the summary.csv columns."""
    rows = [
        {
            **{name: getattr(outcome, name) for name in COLUMNS if name != "exceptions"},
            "exceptions": owners_text(outcome.exceptions),
        }
        for outcome in outcomes
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype({"objective": "Int64", "greedy": "Int64"})  # whole numbers, or empty


def counts(outcomes: Sequence[ClinicOutcome]) -> str:
    """`18 solved, 1 kept, 1 failed` (outcomes that occur, in that order)."""
    tally: Counter[str] = Counter(outcome.outcome for outcome in outcomes)
    order = ("solved", "kept", "failed", "not started")
    return ", ".join(f"{tally[name]} {name}" for name in order if tally[name])


def _cell(value: Any, style: str = "") -> str:
    if value is None or value == "":
        return ""
    if style == "share":
        return f"{value:.1%}"
    if style == "seconds":
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return printable(str(value)).replace("|", "\\|")


def summary_markdown(outcomes: Sequence[ClinicOutcome]) -> str:
    """The summary as a markdown table, with the counts above it."""
    header = (
        "| clinic | outcome | status | objective | greedy | gap | booked | exceptions by owner "
        "| limit (s) | wall (s) | error |"
    )
    lines = [
        f"# Nightly batch: {len(outcomes)} clinics",
        "",
        f"{counts(outcomes) or 'no clinics'}.",
        "",
        header,
        "|" + "---|" * 11,
    ]
    for outcome in outcomes:
        cells = (
            _cell(outcome.clinic),
            outcome.outcome,
            _cell(outcome.status),
            _cell(outcome.objective),
            _cell(outcome.greedy),
            _cell(outcome.gap, "share"),
            _cell(outcome.booked_share, "share"),
            _cell(owners_text(outcome.exceptions)),
            _cell(outcome.time_limit, "seconds"),
            _cell(outcome.wall_time, "seconds"),
            _cell(outcome.error),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_summary(outcomes: Sequence[ClinicOutcome], out: Path) -> list[Path]:
    """Write summary.csv and summary.md into `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "summary.csv", out / "summary.md"]
    write_csv(summary_frame(outcomes), paths[0])
    write_atomically(paths[1], summary_markdown(outcomes))
    return paths
