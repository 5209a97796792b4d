"""Pictures for what-if studies and reviews: KPI bars across variants, utilization heatmaps
(provider x hour of day, provider x weekday) and Gantt charts of one day side by side.

Like solver/outputs/plots.py, each function returns a matplotlib Figure drawn off-screen;
`plots.save_figure` writes it as a PNG.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from models.results import Schedule
from models.scenario import Scenario
from models.times import MINUTES_PER_DAY, format_clock
from solver.facts import ClinicFacts
from solver.outputs.gantt import GanttPanel, as_written, gantt_bars
from solver.outputs.kpis import available, hands_on_by_provider_day
from solver.outputs.plots import MAX_HEIGHT_INCHES, MAX_WIDTH_INCHES, gantt_figure, plt

Cells = Literal["hour", "weekday"]
PANELS_PER_ROW = 4
HEATMAP_COLOURS = "YlOrRd"


def plot_kpi_bars(table: pd.DataFrame, kpis: list[str]) -> Figure:
    """One panel per KPI (a row of `table`), a bar per variant (a column of `table`).

    Raises ValueError for a KPI that is not a row of the table, or not a number in every
    column.
    """
    missing = [kpi for kpi in kpis if kpi not in table.index]
    if missing or not kpis:
        known = ", ".join(map(str, table.index))
        raise ValueError(
            f"no KPI row {', '.join(missing) or '(none given)'}; the table has {known}"
        )
    values = table.loc[kpis].apply(pd.to_numeric, errors="coerce")
    if values.isna().to_numpy().any():
        raise ValueError("every KPI to draw needs a number in every variant's column")
    columns = min(PANELS_PER_ROW, len(kpis))
    rows = math.ceil(len(kpis) / columns)
    width = min(MAX_WIDTH_INCHES, max(4.0, 0.7 * len(table.columns) + 2.0) * columns)
    fig, axes = plt.subplots(
        rows,
        columns,
        squeeze=False,
        figsize=(width, min(MAX_HEIGHT_INCHES, 3.5 * rows)),
        layout="constrained",
    )
    variants = [as_written(str(column)) for column in table.columns]
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        heights = values.loc[kpi].to_numpy(dtype=float)
        bars = ax.bar(variants, heights, color="#4C72B0")
        ax.bar_label(bars, fmt="%g", padding=2, fontsize="small")
        ax.set_title(as_written(str(kpi)))
        ax.tick_params(axis="x", labelrotation=30 if len(variants) > 3 else 0)
        low, high = min(0.0, heights.min()), max(0.0, heights.max())
        ax.set_ylim(low * 1.15, (high or 1.0) * 1.15)
    for ax in list(axes.flat)[len(kpis) :]:
        ax.set_axis_off()
    return fig


def utilization_grid(scenario: Scenario, schedule: Schedule, by: Cells = "hour") -> pd.DataFrame:
    """Booked hands-on share of each provider's available minutes (working hours within the
    clinic's opening hours), per hour of the day or per weekday over the horizon: providers
    are rows; a cell where the provider is never available is NaN."""
    facts = ClinicFacts(scenario)
    hands_on = hands_on_by_provider_day(scenario, schedule)
    columns = _columns(facts, by)
    position = {label: index for index, label in enumerate(columns)}
    booked = np.zeros((len(scenario.providers), len(columns)))
    free = np.zeros_like(booked)
    for index in range(facts.num_days):
        day = facts.clock.day(index)
        for row, provider in enumerate(scenario.providers):
            parts = hands_on.get((provider.id, day), [])
            working = available(facts, provider, index)
            for label, (low, high) in _cells(day, columns):
                free[row, position[label]] += _overlap(working, low, high)
                booked[row, position[label]] += _overlap(parts, low, high)
    shares = np.divide(booked, free, out=np.full_like(booked, np.nan), where=free > 0)
    providers = [provider.id for provider in scenario.providers]
    return pd.DataFrame(shares.round(4), index=providers, columns=list(columns))


def plot_utilization_heatmap(scenario: Scenario, schedule: Schedule, by: Cells = "hour") -> Figure:
    """Providers x hour of day (`by="hour"`) or x weekday (`by="weekday"`), each cell the booked
    hands-on share of the provider's available minutes there (`utilization_grid`), blank where
    the provider is not available."""
    grid = utilization_grid(scenario, schedule, by)
    size = (min(MAX_WIDTH_INCHES, 3.0 + 0.8 * grid.shape[1]), 1.8 + 0.45 * grid.shape[0])
    fig, ax = plt.subplots(figsize=(size[0], min(MAX_HEIGHT_INCHES, size[1])), layout="constrained")
    shares = np.ma.masked_invalid(grid.to_numpy(dtype=float))
    top = max(1.0, float(shares.max())) if shares.count() else 1.0
    image = ax.imshow(shares, cmap=HEATMAP_COLOURS, vmin=0.0, vmax=top, aspect="auto")
    for (row, column), share in np.ndenumerate(grid.to_numpy(dtype=float)):
        if not math.isnan(share):
            colour = "white" if share > 0.6 * top else "black"
            ax.text(
                column,
                row,
                f"{share:.0%}",
                ha="center",
                va="center",
                color=colour,
                fontsize="small",
            )
    ax.set_xticks(range(grid.shape[1]), list(grid.columns))
    ax.set_yticks(range(grid.shape[0]), [as_written(p) for p in grid.index])
    ax.set_xlabel("hour of day" if by == "hour" else "weekday")
    ax.set_ylabel("provider")
    where = "hour of day" if by == "hour" else "weekday"
    ax.set_title(f"{as_written(scenario.clinic.name)}: utilization by {where}")
    fig.colorbar(image, ax=ax, label="booked hands-on share of available minutes")
    return fig


def plot_gantts_side_by_side(panels: list[tuple[str, Scenario, Schedule]], day: date) -> Figure:
    """The Gantt chart of one day for each (label, scenario, schedule), side by side on the same
    clock, each with its scenario's provider and room rows (solver/outputs/gantt.py's drawing)."""
    if not panels:
        raise ValueError("no schedules to draw; pass at least one (label, scenario, schedule)")
    columns = [
        GanttPanel(scenario, day, gantt_bars(scenario, schedule, [day]), as_written(label))
        for label, scenario, schedule in panels
    ]
    return gantt_figure(columns, f"{day:%a %d %b %Y}")


def _columns(facts: ClinicFacts, by: Cells) -> dict[str, tuple[int, int] | None]:
    """The heatmap's columns: each hour of the clinic's opening (whole hours) with its minutes
    of the day, or each weekday of the horizon in order (None: the whole day)."""
    if by == "weekday":
        days = [facts.clock.day(index) for index in range(facts.num_days)]
        return {f"{day:%a}": None for day in days}
    if by != "hour":
        raise ValueError(f"by is 'hour' or 'weekday', not {by!r}")
    hours = facts.scenario.clinic.hours.values()
    if not hours:
        return {}
    first = min(h.start for h in hours) // 60
    last = math.ceil(max(h.end for h in hours) / 60)
    return {format_clock(60 * hour): (60 * hour, 60 * hour + 60) for hour in range(first, last)}


def _cells(
    day: date, columns: dict[str, tuple[int, int] | None]
) -> list[tuple[str, tuple[int, int]]]:
    """The columns a day counts in, with the minutes of the day each covers."""
    whole_day = f"{day:%a}"
    if whole_day in columns and columns[whole_day] is None:
        return [(whole_day, (0, MINUTES_PER_DAY))]
    return [(label, span) for label, span in columns.items() if span is not None]


def _overlap(ranges: list[tuple[int, int]], low: int, high: int) -> int:
    """Minutes of `ranges` within [low, high)."""
    return sum(max(0, min(end, high) - max(start, low)) for start, end in ranges)
