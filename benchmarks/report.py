"""The benchmark report: results.csv, trajectories.csv, results.md with the targets, machine.txt
and three plots. Every file is written atomically (no half-written file is ever left).

Quality is judged as ratios within one run of the protocol: the optimizer against the greedy
front desk and against its own proven bound. Seconds and megabytes are only compared with the
targets of the project's issue, on the machine named in machine.txt.
"""

from __future__ import annotations

import os
import platform
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from benchmarks.runner import COLUMNS, SAMPLE_NAME, TRAJECTORY_COLUMNS, Record
from models.spreadsheet import write_csv
from models.writing import write_atomically
from solver.outputs.plots import save_figure

GAP_TARGETS: tuple[tuple[int, float, float], ...] = ((500, 30.0, 10.0), (2000, 120.0, 12.0))
"""(requests, time limit in s, largest gap to the proven bound in %)."""
RATIO_TARGETS: tuple[tuple[str, str, tuple[int, ...], float, float], ...] = (
    ("ratio_to_greedy", "greedy", (500, 1000, 2000, 3000), 1.0, 1.03),
    ("ratio_to_best_known", "best known", (500,), 30.0, 0.99),
    ("ratio_to_best_known", "best known", (2000, 3000), 120.0, 0.98),
)
"""(column, what it is a ratio to, requests, time limit in s, smallest ratio)."""
MONTH = 10000
"""Requests of the multi-site month (60 providers, 28 days, `--big`)."""
MONTH_BUILD_SECONDS = 10.0
MONTH_MEMORY_MB = 4096.0
LARGE_CLINIC = 3000
"""Requests of the clinic (30 providers, 14 days) the build-time and memory targets are for."""
BUILD_TARGET_SECONDS = 3.0
MEMORY_TARGET_MB = 2048.0
PLOTS = (
    "objective_and_bound_over_time.png",
    "gap_vs_size.png",
    "build_time_vs_size.png",
)
GREEDY_STYLE: dict[str, Any] = {"color": "grey", "linestyle": ":", "linewidth": 1.5}
BEST_KNOWN_STYLE: dict[str, Any] = {"color": "green", "linestyle": "-.", "linewidth": 1.2}
TARGET_STYLE: dict[str, Any] = {"color": "red", "linestyle": "--", "linewidth": 1.0}


WHOLE_OPTIONAL = ("best_known", "peer_objective", "peer_cpsat_objective", "peer_bound")
"""Columns of whole numbers that may be missing (no reference, no peer)."""


# --- tables ----------------------------------------------------------------------------


def results_frame(records: Sequence[Record]) -> pd.DataFrame:
    """One row per run with the results.csv columns (whole numbers stay whole when missing)."""
    frame = pd.DataFrame([{c: r[c] for c in COLUMNS} for r in records], columns=list(COLUMNS))
    return frame.astype(dict.fromkeys(WHOLE_OPTIONAL, "Int64"))


def trajectories_frame(records: Sequence[Record]) -> pd.DataFrame:
    """One row per point of each run's trajectory, with the trajectories.csv columns."""
    rows = [
        {"instance": r["instance"], "seed": r["seed"], "time_limit": r["time_limit"], **point}
        for r in records
        for point in r["trajectory"]
    ]
    return pd.DataFrame(rows, columns=list(TRAJECTORY_COLUMNS))


def machine_description() -> str:
    """One line: CPU model, cores, memory, Python and OR-Tools versions, and the date."""
    return (
        f"{_cpu_model()}; {os.cpu_count()} cores; {_memory_gb():.1f} GB memory; "
        f"Python {platform.python_version()}; ortools {version('ortools')}; "
        f"{datetime.now().astimezone().isoformat(timespec='seconds')}"
    )


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown CPU"
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return models[0] if models else platform.processor() or "unknown CPU"


def _memory_gb() -> float:
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return float("nan")
    total_kb = next((line.split()[1] for line in lines if line.startswith("MemTotal:")), "nan")
    return float(total_kb) / (1024 * 1024)


# --- targets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetResult:
    """One target of the project's issue against what this run measured."""

    target: str
    wanted: str
    measured: str
    verdict: str
    """met, missed, or not measured (the run did not include that clinic or limit)."""
    margin: str
    """By how much it is met or missed."""


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def _not_measured(target: str, wanted: str, needs: str) -> TargetResult:
    return TargetResult(target, wanted, "-", "not measured", f"needs {needs}: run the protocol")


def _at_most(
    target: str, values: pd.Series, limit: float, unit: str, digits: int, needs: str
) -> TargetResult:
    """A target that the worst (largest) of `values` must not exceed."""
    return _bound(target, values, limit, unit, digits, needs, most=True)


def _at_least(target: str, values: pd.Series, limit: float, needs: str) -> TargetResult:
    """A ratio target that the worst (smallest) of `values` must reach."""
    return _bound(target, values, limit, "", 3, needs, most=False)


def _bound(
    target: str,
    values: pd.Series,
    limit: float,
    unit: str,
    digits: int,
    needs: str,
    most: bool,
) -> TargetResult:
    suffix = f" {unit}" if unit else ""
    wanted = f"{'<=' if most else '>='} {limit:.{digits}f}{suffix}"
    values = values.dropna()
    if values.empty:
        return _not_measured(target, wanted, needs)
    worst = float(values.max() if most else values.min())
    met = worst <= limit if most else worst >= limit
    measured = f"{worst:.{digits}f}{suffix} (worst of {_runs(len(values))})"
    side = ("to spare" if met else "over") if most else ("to spare" if met else "short")
    margin = f"{abs(worst - limit):.{digits}f}{suffix} {side}"
    return TargetResult(target, wanted, measured, "met" if met else "missed", margin)


def _never_below_greedy(frame: pd.DataFrame) -> TargetResult:
    target, wanted = "Never worse than the front desk", "objective >= greedy in every run"
    if frame.empty:
        return _not_measured(target, wanted, "at least one run")
    shortfall = frame["greedy_objective"] - frame["objective"]
    below = frame[shortfall > 0]
    lowest = (
        frame["objective"] / frame["greedy_objective"].where(frame["greedy_objective"] > 0)
    ).min()
    measured = f"lowest objective/greedy ratio {lowest:.4f} over {_runs(len(frame))}"
    if below.empty:
        return TargetResult(target, wanted, measured, "met", "no run below the greedy")
    worst = below.iloc[int(shortfall[shortfall > 0].argmax())]
    margin = (
        f"{len(below)} of {len(frame)} runs below the greedy, worst {worst['instance']} "
        f"seed {worst['seed']} at {worst['time_limit']:g} s by "
        f"{worst['greedy_objective'] - worst['objective']:,} priority-minutes"
    )
    return TargetResult(target, wanted, measured, "missed", margin)


def targets(frame: pd.DataFrame) -> list[TargetResult]:
    """Every target of the project's issue, judged on the runs of `frame`."""
    results = [_never_below_greedy(frame)]
    for requests, limit, largest_gap in GAP_TARGETS:
        rows = frame[
            (frame["instance"] == f"generated_{requests}") & (frame["time_limit"] == limit)
        ]
        results.append(
            _at_most(
                f"Gap to the proven bound, {requests:,} requests within {limit:g} s",
                100 * rows["gap"],
                largest_gap,
                "%",
                2,
                f"{requests:,} requests at {limit:g} s",
            )
        )
    for column, versus, sizes, limit, least in RATIO_TARGETS:
        names = [f"generated_{requests}" for requests in sizes]
        rows = frame[frame["instance"].isin(names) & (frame["time_limit"] == limit)]
        named = [f"{requests:,}" for requests in sizes]
        where = " and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
        results.append(
            _at_least(
                f"Objective / {versus} at {limit:g} s, {where} requests",
                rows[column],
                least,
                f"{where} requests at {limit:g} s",
            )
        )
    large = frame[frame["instance"] == f"generated_{LARGE_CLINIC}"]
    needs = f"{LARGE_CLINIC:,} requests"
    where = f"{LARGE_CLINIC:,} requests, 30 providers, 14 days"
    results.append(
        _at_most(
            f"Model build time, {where}",
            large["build_seconds"],
            BUILD_TARGET_SECONDS,
            "s",
            2,
            needs,
        )
    )
    results.append(
        _at_most(f"Peak memory, {where}", large["peak_memory_mb"], MEMORY_TARGET_MB, "MB", 0, needs)
    )
    month = frame[frame["instance"] == f"generated_{MONTH}"]
    needs = f"{MONTH:,} requests (--big)"
    where = f"{MONTH:,} requests, 60 providers, 28 days"
    results += [
        _at_most(
            f"Model build time, {where}", month["build_seconds"], MONTH_BUILD_SECONDS, "s", 2, needs
        ),
        _at_most(f"Peak memory, {where}", month["peak_memory_mb"], MONTH_MEMORY_MB, "MB", 0, needs),
        _at_least(
            f"Objective / greedy at 120 s, {where}",
            month[month["time_limit"] == 120.0]["ratio_to_greedy"],
            1.0,
            f"{needs} at 120 s",
        ),
    ]
    return results


# --- markdown --------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _number(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "-" if value is None or pd.isna(value) else f"{value:,.{digits}f}{suffix}"


RUN_HEADERS = (
    "limit (s)",
    "seed",
    "status",
    "objective",
    "greedy",
    "ratio",
    "improvement",
    "bound",
    "gap",
    "first better (s)",
    "build (s)",
    "memory (MB)",
    "booked",
    "checker",
    "vs best known",
    "primal integral",
)
PEER_HEADERS = ("plain CP-SAT", "plain CP-SAT / greedy", "plain CP-SAT checker")
"""The peer's columns of a run's row, shown when the runs include a peer."""


def _peer_cells(run: pd.Series) -> list[str]:
    if pd.isna(run["peer_seconds"]):
        return ["-", "-", "-"]
    if pd.isna(run["peer_objective"]):
        return ["no schedule", "-", "-"]
    checker = "pass" if run["peer_checker_passes"] else "FAILS"
    return [f"{run['peer_objective']:,.0f}", _number(run["peer_ratio_to_greedy"], 3), checker]


def _run_row(run: pd.Series) -> list[str]:
    return [
        f"{run['time_limit']:g}",
        str(run["seed"]),
        str(run["status"]),
        f"{run['objective']:,}",
        f"{run['greedy_objective']:,}",
        _number(run["ratio_to_greedy"], 3),
        _number(run["improvement_pct"], 1, "%"),
        f"{run['best_bound']:,}",
        _number(100 * run["gap"], 2, "%"),
        _number(run["seconds_to_beat_greedy"]),
        _number(run["build_seconds"]),
        _number(run["peak_memory_mb"], 0),
        f"{run['requests_booked']} of {run['requests']}",
        "pass" if run["checker_passes"] else f"{run['violations']} violations",
        _number(run["ratio_to_best_known"], 3),
        _number(run["primal_integral"], 3),
    ]


def markdown(frame: pd.DataFrame, machine: str, conditions: str | None = None) -> str:
    """results.md: the targets first, then one table per clinic (a row per limit and seed);
    `conditions` says how the machine was (e.g. nothing else running)."""
    found = targets(frame)
    verdicts = Counter(t.verdict for t in found)
    parts = [
        "# Benchmark results",
        f"Machine: {machine}" + (f"\n\nConditions: {conditions}" if conditions else ""),
        "Protocol: benchmarks/PROTOCOL.md. Quality is compared as ratios within this run "
        "(optimizer vs greedy front desk, optimizer vs its own proven bound).",
        "## Targets",
        f"{verdicts['met']} met, {verdicts['missed']} missed, "
        f"{verdicts['not measured']} not measured in this run.",
        _table(
            ("target", "wanted", "measured", "verdict", "margin"),
            [(t.target, t.wanted, t.measured, t.verdict, t.margin) for t in found],
        ),
        "## Runs",
    ]
    for instance, runs in frame.groupby("instance", sort=False):
        first = runs.iloc[0]
        parts.append(
            f"### {instance}: {first['requests']:,} requests, {first['providers']} providers, "
            f"{first['rooms']} rooms, {first['days']} days"
        )
        ordered = runs.sort_values(["time_limit", "seed"])
        parts.append(_runs_table(ordered, peers=bool(frame["peer_seconds"].notna().any())))
    return "\n\n".join(parts) + "\n"


def _runs_table(runs: pd.DataFrame, peers: bool) -> str:
    """A clinic's runs, one row each; with the peer's columns when the runs have a peer."""
    headers = (*RUN_HEADERS, *PEER_HEADERS) if peers else RUN_HEADERS
    rows = [_run_row(run) + (_peer_cells(run) if peers else []) for _, run in runs.iterrows()]
    return _table(headers, rows)


# --- plots -----------------------------------------------------------------------------


def _limit_colours(limits: Sequence[float]) -> dict[float, str]:
    palette = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3")
    return {limit: palette[i % len(palette)] for i, limit in enumerate(sorted(set(limits)))}


def plot_trajectories(frame: pd.DataFrame, points: pd.DataFrame) -> Figure:
    """Objective over time per clinic (rows) and seed (columns): one step line per time limit,
    the greedy as a dotted line, each run's final bound dashed and the best known dash-dotted."""
    instances = list(dict.fromkeys(frame["instance"]))
    seeds = sorted(set(frame["seed"]))
    colours = _limit_colours(frame["time_limit"].tolist())
    fig = Figure(figsize=(max(9, 6 * len(seeds)), 2.8 * len(instances) + 0.8), layout="constrained")
    axes = fig.subplots(len(instances), len(seeds), squeeze=False)
    for row, instance in enumerate(instances):
        for column, seed in enumerate(seeds):
            runs = frame[(frame["instance"] == instance) & (frame["seed"] == seed)]
            mine = points[(points["instance"] == instance) & (points["seed"] == seed)]
            _draw_trajectories(axes[row][column], runs, mine, colours)
            axes[row][column].set_title(f"{instance}, seed {seed}", fontsize="medium")
    handles = [Line2D([], [], color=c, label=f"limit {limit:g} s") for limit, c in colours.items()]
    handles += [
        Line2D([], [], label="greedy (front desk)", **GREEDY_STYLE),
        Line2D([], [], color="black", linestyle="--", label="final proven bound"),
    ]
    if frame["best_known"].notna().any():
        handles.append(Line2D([], [], label="best known", **BEST_KNOWN_STYLE))
    fig.legend(handles=handles, loc="outside upper center", ncols=min(len(handles), 4))
    return fig


def _draw_trajectories(
    ax: Axes, runs: pd.DataFrame, points: pd.DataFrame, colours: dict[float, str]
) -> None:
    for _, run in runs.iterrows():
        limit = run["time_limit"]
        steps = points[points["time_limit"] == limit].sort_values("seconds")
        ax.step(steps["seconds"], steps["objective"], where="post", color=colours[limit])
        ax.hlines(
            run["best_bound"], 0, steps["seconds"].max(), colors=colours[limit], linestyles="--"
        )
    if not runs.empty:
        ax.axhline(runs["greedy_objective"].iloc[0], **GREEDY_STYLE)
    if runs["best_known"].notna().any():
        ax.axhline(runs["best_known"].max(), **BEST_KNOWN_STYLE)
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(0, max(1.0, points["seconds"].max() if not points.empty else 0.0) * 1.05)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.set_xlabel("seconds of search")
    ax.set_ylabel("objective")


def _size_axis(ax: Axes, sizes: Iterable[int]) -> None:
    """A log axis of requests, with a plain tick at each clinic size."""
    ax.set_xscale("log")
    ax.set_xticks(sorted(set(sizes)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("requests")


def plot_gap_vs_size(frame: pd.DataFrame) -> Figure:
    """Gap to the proven bound against clinic size, one line per time limit (mean of the
    seeds, each seed a dot), the sample clinic as squares and the targets as stars."""
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    colours = _limit_colours(frame["time_limit"].tolist())
    generated = frame[frame["instance"] != SAMPLE_NAME]
    sample = frame[frame["instance"] == SAMPLE_NAME]
    for limit, colour in colours.items():
        runs = generated[generated["time_limit"] == limit]
        mean = runs.groupby("requests")["gap"].mean() * 100
        ax.plot(mean.index, mean.to_numpy(), marker="o", color=colour, label=f"limit {limit:g} s")
        ax.scatter(runs["requests"], 100 * runs["gap"], color=colour, alpha=0.4, s=12)
        mine = sample[sample["time_limit"] == limit]
        ax.scatter(mine["requests"], 100 * mine["gap"], color=colour, marker="s", s=40)
    if not sample.empty:
        ax.scatter([], [], color="black", marker="s", label="sample clinic")
    for requests, limit, largest_gap in GAP_TARGETS:
        ax.plot(requests, largest_gap, marker="*", markersize=14, color="red", linestyle="none")
        ax.annotate(
            f"target at {limit:g} s",
            (requests, largest_gap),
            xytext=(6, 6),
            textcoords="offset points",
            color="red",
            fontsize="small",
        )
    _size_axis(ax, [*frame["requests"], *(requests for requests, _, _ in GAP_TARGETS)])
    ax.set_ylabel("gap to the proven bound (%)")
    ax.set_ylim(bottom=0)
    ax.legend()
    return fig


def plot_build_and_memory(frame: pd.DataFrame) -> Figure:
    """Model build time and peak memory against clinic size, with the targets as lines."""
    fig = Figure(figsize=(12, 4.5), layout="constrained")
    build_ax, memory_ax = fig.subplots(1, 2)
    panels = (
        (build_ax, "build_seconds", "model build (s)", BUILD_TARGET_SECONDS),
        (memory_ax, "peak_memory_mb", "peak memory of the run (MB)", MEMORY_TARGET_MB),
    )
    generated = frame[frame["instance"] != SAMPLE_NAME]
    sample = frame[frame["instance"] == SAMPLE_NAME]
    for ax, column, label, target in panels:
        worst = generated.groupby("requests")[column].max()
        ax.plot(worst.index, worst.to_numpy(), marker="o", color="#4C72B0", label="worst run")
        ax.scatter(generated["requests"], generated[column], color="#4C72B0", alpha=0.4, s=12)
        if not sample.empty:
            ax.scatter(
                sample["requests"],
                sample[column],
                color="#DD8452",
                marker="s",
                label="sample clinic",
            )
        ax.axhline(target, label=f"target at {LARGE_CLINIC:,} requests", **TARGET_STYLE)
        _size_axis(ax, frame["requests"])
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
        ax.legend()
    return fig


# --- writing ---------------------------------------------------------------------------


class ReportError(ValueError):
    """A report folder that cannot be read back, with what to do."""


def read_records(folder: Path) -> list[Record]:
    """The runs of a written report (its results.csv and trajectories.csv) as records, each
    with its trajectory, as the runner made them."""
    try:
        frame = pd.read_csv(folder / "results.csv")
        points = pd.read_csv(folder / "trajectories.csv")
        missing = [c for c in COLUMNS if c not in frame.columns]
        missing += [c for c in TRAJECTORY_COLUMNS if c not in points.columns]
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        message = f"{folder}: no readable results.csv and trajectories.csv ({error})"
        raise ReportError(message) from None
    if missing:
        raise ReportError(f"{folder}: not a report of the runner (no {', '.join(missing)})")
    run = ["instance", "seed", "time_limit"]
    if frame.duplicated(run).any():
        raise ReportError(f"{folder}/results.csv: two runs of one clinic, seed and limit")
    steps = {key: group for key, group in points.groupby(run)}
    records = []
    for row in frame.to_dict("records"):
        record: Record = {c: None if pd.isna(row[c]) else row[c] for c in COLUMNS}
        mine = steps.get((row["instance"], row["seed"], row["time_limit"]))
        if mine is None:
            raise ReportError(f"{folder}/trajectories.csv: no points of {row['instance']}")
        record["trajectory"] = mine[list(TRAJECTORY_COLUMNS[3:])].to_dict("records")
        records.append(record)
    return records


def write_report(
    records: Sequence[Record], out: Path, machine: str, conditions: str | None = None
) -> list[Path]:
    """Write every output of a benchmark run into `out` and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    frame = results_frame(records)
    points = trajectories_frame(records)
    tables = {"results.csv": frame.round(4), "trajectories.csv": points}
    texts = {
        "results.md": markdown(frame, machine, conditions),
        "machine.txt": machine + "\n",
    }
    for name, table in tables.items():
        write_csv(table, out / name)
    for name, text in texts.items():
        write_atomically(out / name, text)
    figures = (
        plot_trajectories(frame, points),
        plot_gap_vs_size(frame),
        plot_build_and_memory(frame),
    )
    for name, fig in zip(PLOTS, figures, strict=True):
        save_figure(fig, out / name)
    return [out / name for name in (*tables, *texts, *PLOTS)]
