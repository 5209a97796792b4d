"""Variants side by side: each solved with the same seed, in parallel on the available cores,
and their key figures in one pandas DataFrame, a column per variant (the base first).

Utilization is the industry's: booked minutes over available minutes (a provider's hands-on
minutes over their working minutes in opening hours, after time off; a room's held minutes,
turnover included, and a machine's units in use, over opening hours). An invalid variant gets
a column of empty values with its first problem in the "problem" row, never an error.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from typing import Any

import pandas as pd

from models.findings import printable
from models.scenario import Scenario, Tier
from solver.interrupt import Stop
from solver.outputs.kpis import available_minutes, hands_on_minutes, utilization
from solver.report import SolveResult
from solver.scoring import BOOKED_TERM
from solver.whatif.variants import Variant, first_free

Progress = Callable[[str, int, int], None]
"""Called as each variant's solve ends: (its name, solves done, solves in all)."""
TIERS: tuple[Tier, ...] = ("vip", "member", "returning", "new")
PERCENT_ROWS = ("share", "utilization", "gap")
"""Rows whose figures are fractions, shown as percentages."""


def compare(
    variants: Sequence[Variant],
    time_limit: float = 10.0,
    workers: int = 1,
    seed: int = 0,
    deterministic: bool = False,
    executor: Executor | None = None,
    on_progress: Progress | None = None,
) -> pd.DataFrame:
    """The key figures of each variant, solved with the same time limit (wall-clock seconds,
    or work units when `deterministic`), workers and seed, as a DataFrame: one column per
    variant in the given order (names made unique), one row per figure.

    The solves run in a spawn-context process pool of as many processes as the cores allow
    (processes times `workers` at most os.cpu_count(); `workers` is capped at the cores), or
    on `executor` (any concurrent.futures Executor) if given; with room for one process only,
    they run one after the other in this one. Ctrl-C ends the comparison (KeyboardInterrupt).
    """
    names = unique_names([variant.name for variant in variants])
    cores = os.cpu_count() or 1
    workers = 1 if deterministic else max(1, min(workers, cores))
    valid = [(name, v.scenario) for name, v in zip(names, variants, strict=True) if v.scenario]
    options = (time_limit, workers, seed, deterministic)
    processes = min(len(valid), cores // workers)
    if executor is None and processes > 1:
        context = multiprocessing.get_context("spawn")
        pool: Any = ProcessPoolExecutor(processes, mp_context=context)
    else:
        pool = nullcontext(executor)
    columns: dict[str, dict[str, Any]] = {}
    with pool as running:
        if running is None:
            for done, (name, scenario) in enumerate(valid, 1):
                columns[name] = solved_column(scenario, *options)
                _tell(on_progress, name, done, len(valid))
        else:
            _run_all(running, valid, options, columns, on_progress)
    for name, variant in zip(names, variants, strict=True):
        if not variant.valid:
            columns[name] = {"status": "invalid", "problem": str(variant.problems[0])}
    return _frame(names, columns)


def _run_all(
    executor: Executor,
    valid: list[tuple[str, Scenario]],
    options: tuple[float, int, int, bool],
    columns: dict[str, dict[str, Any]],
    on_progress: Progress | None,
) -> None:
    futures: dict[Future[dict[str, Any]], str] = {
        executor.submit(solved_column, scenario, *options): name for name, scenario in valid
    }
    try:
        for done, future in enumerate(as_completed(futures), 1):
            columns[futures[future]] = future.result()
            _tell(on_progress, futures[future], done, len(valid))
    except BrokenProcessPool:
        raise RuntimeError(
            "a solve process ended abruptly; in a script, call compare() under "
            '`if __name__ == "__main__":` (its processes are spawned: each imports the script)'
        ) from None
    finally:
        for future in futures:
            future.cancel()


def _tell(on_progress: Progress | None, name: str, done: int, total: int) -> None:
    if on_progress is not None:
        on_progress(name, done, total)


def solved_column(
    scenario: Scenario, time_limit: float, workers: int, seed: int, deterministic: bool
) -> dict[str, Any]:
    """Solve one scenario and return its figures (a task of the process pool). Ctrl-C ends it
    at once rather than keeping the best schedule so far: a comparison of half-searched
    variants would not be fair."""
    from solver.solve import solve

    result = solve(scenario, time_limit, workers, seed, deterministic=deterministic, stop=Stop())
    return figures(result)


def figures(result: SolveResult) -> dict[str, Any]:
    """The rows of one variant's column, by name."""
    scenario, schedule, report = result.scenario, result.schedule, result.report
    requests = [row for row in schedule.appointments if row.kind == "request"]
    booked = schedule.booked()
    tier = {patient.id: patient.tier for patient in scenario.patients}
    revenue: dict[str, float] = dict.fromkeys(TIERS, 0.0)
    for row in booked:
        revenue[tier[row.patient_id]] += scenario.service(row.service_id).value
    asked = Counter(tier[row.patient_id] for row in requests)
    got = Counter(tier[row.patient_id] for row in requests if row.status == "booked")
    waitlist = {request.id for request in scenario.requests if request.source == "waitlist"}
    used = utilization(result.facts, schedule)
    hands_on = hands_on_minutes(scenario, schedule)
    available = available_minutes(result.facts)
    reasons = Counter(item.reason_code for item in result.exceptions)
    rows: dict[str, Any] = {
        "requests": len(requests),
        "requests booked": got.total(),
        "unscheduled": sum(1 for row in requests if row.status == "unscheduled"),
        "escalated": sum(1 for row in requests if row.status == "escalated"),
        "booked priority-minutes": report.terms[BOOKED_TERM],
        "revenue": sum(revenue.values()),
    }
    rows |= {f"revenue: {t}": revenue[t] for t in TIERS}
    rows |= {f"booked share: {t}": _share(got[t], asked[t]) for t in TIERS}
    rows["waitlist served"] = sum(
        1 for row in requests if row.request_id in waitlist and row.status == "booked"
    )
    rows["waitlist served share"] = _share(rows["waitlist served"], len(waitlist))
    rows["utilization: providers"] = _share(
        sum(hands_on[p] for p in available), sum(available.values())
    )
    for kind, key in (("provider", "providers"), ("room", "rooms"), ("machine", "equipment")):
        rows |= {f"{kind} utilization: {item}": share for item, share in used[key].items()}
    rows["exceptions"] = len(result.exceptions)
    rows |= {f"exceptions: {code}": count for code, count in sorted(reasons.items())}
    rows |= {
        "objective": report.objective,
        "greedy objective": report.greedy_objective,
        "gap": report.gap,
        "status": report.status,
        "problem": None,
    }
    return rows


def _share(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


def _frame(names: list[str], columns: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The columns in order; rows in the order first met, exception counts 0 where a valid
    variant has none, the status and problem last."""
    order: dict[str, None] = {}
    for name in names:
        order |= dict.fromkeys(row for row in columns[name] if row not in ("status", "problem"))
    rows = [*order, "status", "problem"]
    for column in columns.values():
        if column["status"] != "invalid":
            column |= {row: column.get(row, 0) for row in rows if row.startswith("exceptions: ")}
    frame = pd.DataFrame(
        {name: [columns[name].get(row) for row in rows] for name in names}, index=rows, dtype=object
    )
    frame.index.name = "kpi"
    return frame


def unique_names(names: Sequence[str]) -> list[str]:
    """The names, a repeated one numbered from its second time: week, week (2)."""
    taken: set[str] = set()
    return [first_free(name, taken, "{} ({})") for name in names]


# --- the table as text ----------------------------------------------------------------------


def cells(frame: pd.DataFrame) -> list[list[str]]:
    """The table as text rows, the header first: percentages, thousands separators, "-" for
    no value, and a problem as its code (`problems` gives the words)."""
    header = ["kpi", *map(printable, frame.columns)]
    rows = [header]
    for kpi, values in frame.iterrows():
        rows.append([str(kpi), *(_cell(str(kpi), value) for value in values)])
    return rows


def _cell(kpi: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kpi == "problem":
        return printable(str(value).split(" ", 1)[0])
    if isinstance(value, str):
        return printable(value)
    if any(word in kpi for word in PERCENT_ROWS):
        return f"{value:.1%}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def problems(frame: pd.DataFrame) -> list[str]:
    """One line per invalid variant: its name and first problem in full."""
    if "problem" not in frame.index:  # a selection of rows
        return []
    row = frame.loc["problem"]
    return [printable(f"{name}: {problem}") for name, problem in row.items() if problem is not None]


def text_table(frame: pd.DataFrame) -> str:
    """The table in plain text, columns aligned, to paste anywhere."""
    rows = cells(frame)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    return "\n".join([*lines, *problems(frame)])


def markdown_table(frame: pd.DataFrame) -> str:
    """The table in markdown, the problems of invalid variants listed below it."""
    rows = [[cell.replace("|", "\\|") for cell in row] for row in cells(frame)]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" + "---:|" * (len(rows[0]) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    listed = ["- " + line.replace("|", "\\|") for line in problems(frame)]
    return "\n".join([*lines, *(["", *listed] if listed else [])]) + "\n"
