"""Pictures of a schedule and its KPIs: the Gantt charts (a week, a day, a re-plan's day
before and after, a long horizon page by page), utilization and booked value per tier.

Each function returns a matplotlib Figure; `save_figure` writes it as a PNG. Figures are
drawn off-screen (the Agg backend), so they work in batch runs and on servers. The Gantt
chart's parts (solver/outputs/gantt.py) draw a day on any axes; `gantt_figure` puts day
columns together.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, get_args
from zoneinfo import ZoneInfo

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from models.results import Change, Schedule
from models.scenario import Scenario, Tier
from models.times import format_clock, weekday_of
from models.writing import atomic_file
from solver.outputs.gantt import (
    GanttPanel,
    as_written,
    change_marks,
    draw_gantt_day,
    gantt_bars,
    gantt_legend,
    gantt_window,
    group_colours,
    label_bars,
    minute_of,
)

matplotlib.use("Agg")  # off-screen drawing; must come before pyplot is imported
import matplotlib.pyplot as plt

TIERS: tuple[str, ...] = get_args(Tier)
RESOURCE_GROUPS = {"providers": "#4C72B0", "rooms": "#55A868", "equipment": "#C44E52"}
"""Utilization groups, in drawing order, and their colours."""

MAX_WIDTH_INCHES = 30.0
MAX_HEIGHT_INCHES = 18.0
MAX_GANTT_DAYS = 14
"""Days drawn at most in one plot_gantt chart (the first ones, said in its title);
gantt_pages draws every week of the horizon."""
DAY_INCHES = 4.0
"""Width of a day's column in a chart of several days."""
DAY_CHART_INCHES = 12.0
"""Width of the day columns of a chart of one to three days, together."""
WEEK_DAYS = 7


@dataclass(frozen=True)
class GanttPage:
    """One page of the Gantt pictures: its file name, its days and its title."""

    name: str
    days: list[date]
    title: str


def plot_gantt(
    scenario: Scenario,
    schedule: Schedule,
    *,
    days: list[date] | None = None,
    title: str | None = None,
    max_days: int = MAX_GANTT_DAYS,
) -> Figure:
    """Providers and rooms over the days, one column per day, bars coloured by service group.

    Parameters
    ----------
    scenario
        The clinic the schedule belongs to.
    schedule
        Its rows; only booked rows are drawn.
    days
        Days to draw; by default every open day of the horizon and every day with a booking.
    max_days
        At most this many of them (the first, the title says so), so a chart stays readable;
        `gantt_pages` draws a long horizon week by week.
    title
        Figure title; by default the clinic name and the dates.

    Returns
    -------
    Figure
        One subplot per day; provider rows on top, room rows below.
    """
    shown = _default_days(scenario, schedule) if days is None else list(days)
    if not shown:
        raise ValueError("no days to draw; pass at least one date, or days=None for all")
    if title is None:
        title = _gantt_title(scenario, shown[:max_days])
        if len(shown) > max_days:
            title += f" (the first {max_days} of {len(shown)} days; gantt_pages draws them all)"
    shown = shown[:max_days]
    bars = gantt_bars(scenario, schedule, shown)
    return gantt_figure(
        [GanttPanel(scenario, day, bars, f"{day:%a %d %b}") for day in shown], title
    )


def gantt_page_plan(scenario: Scenario, schedule: Schedule) -> list[GanttPage]:
    """The Gantt pages of a solve, one per week of the horizon (7 days from its first):
    gantt.png, then gantt_week2.png, gantt_week3.png ...; each titled "week n of N" when
    there are several. A week draws its open days and days with a booking (its first day
    when it has neither)."""
    shown = _default_days(scenario, schedule)
    horizon = scenario.clinic.clock().days()
    weeks = [horizon[first : first + WEEK_DAYS] for first in range(0, len(horizon), WEEK_DAYS)]
    pages = []
    for number, week in enumerate(weeks, start=1):
        days = [day for day in shown if day in week] or week[:1]
        title = _gantt_title(scenario, days)
        if len(weeks) > 1:
            title += f", week {number} of {len(weeks)}"
        name = "gantt.png" if number == 1 else f"gantt_week{number}.png"
        pages.append(GanttPage(name, days, title))
    return pages


def gantt_pages(scenario: Scenario, schedule: Schedule) -> list[tuple[str, Figure]]:
    """Every week's Gantt chart as (file name, figure), in order (gantt_page_plan's pages)."""
    return [
        (page.name, plot_gantt_page(scenario, schedule, page))
        for page in gantt_page_plan(scenario, schedule)
    ]


def plot_gantt_page(scenario: Scenario, schedule: Schedule, page: GanttPage) -> Figure:
    """One page of gantt_page_plan."""
    return plot_gantt(scenario, schedule, days=page.days, title=page.title, max_days=WEEK_DAYS)


def plot_gantt_day(
    scenario: Scenario,
    schedule: Schedule,
    day: date,
    *,
    title: str | None = None,
    marks: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Figure:
    """One day's Gantt chart: `marks` outlines appointments (request id -> moved, added or
    cancelled), `now` draws a line at that moment when it falls on the day."""
    panel = GanttPanel(
        scenario,
        day,
        gantt_bars(scenario, schedule, [day]),
        "",  # the figure's title says the day
        marks or {},
        _now_on(scenario, day, now),
    )
    return gantt_figure([panel], title or f"{as_written(scenario.clinic.name)}: {day:%a %d %b %Y}")


def gantt_figure(panels: list[GanttPanel], title: str, *, stacked: bool = False) -> Figure:
    """A figure of day columns side by side (or `stacked` one above the other), on one
    clock, one colour per service group of their scenarios, labels where they fit and the
    legend of what is drawn."""
    if not panels:
        raise ValueError("no days to draw; pass at least one panel")
    rows = max(len(p.scenario.providers) + len(p.scenario.rooms) for p in panels)
    count = len(panels)
    fig, axes = plt.subplots(
        count if stacked else 1,
        1 if stacked else count,
        sharey=not stacked and all(p.scenario is panels[0].scenario for p in panels),
        squeeze=False,
        figsize=_gantt_size(1 if stacked else count, rows, count if stacked else 1),
        layout="constrained",
    )
    colours = group_colours(panel.scenario for panel in panels)
    windows = [gantt_window(panel.scenario, panel.bars) for panel in panels]
    window = (min(w[0] for w in windows), max(w[1] for w in windows))
    drawn: set[str] = set()
    for ax, panel in zip(axes.flat, panels, strict=True):
        drawn |= draw_gantt_day(ax, panel, window, colours, 1 if stacked else count)
    gantt_legend(fig, drawn, colours)
    fig.suptitle(title)
    label_bars(fig, list(zip(axes.flat, panels, strict=True)))
    return fig


def plot_utilization(kpis: dict[str, Any], ax: Axes | None = None) -> Figure:
    """Horizontal bars of the share of open time in use, per provider, room and machine.

    Parameters
    ----------
    kpis
        KPI dict with ``{"utilization": {"providers": {id: fraction}, "rooms": ..., ...}}``.
    ax
        Axes to draw on; a new figure when omitted.
    """
    utilization = kpis.get("utilization", {})
    entries = [
        (group, resource, fraction)
        for group in RESOURCE_GROUPS
        for resource, fraction in utilization.get(group, {}).items()
    ]
    fig, ax = _figure_and_axes(ax, (7.0, min(MAX_HEIGHT_INCHES, 2.5 + 0.3 * len(entries))))
    ax.set_title("Utilization")
    if not entries:
        _note(ax, "no utilization figures")
        return fig
    positions = range(len(entries))
    values = [100 * fraction for _, _, fraction in entries]
    colours = [RESOURCE_GROUPS[group] for group, _, _ in entries]
    bars = ax.barh(positions, values, color=colours)
    ax.bar_label(bars, fmt="%.0f%%", padding=2, fontsize="small")
    ax.set_yticks(list(positions), [resource for _, resource, _ in entries])
    ax.invert_yaxis()
    ax.set_xlim(0, max(100.0, *values) * 1.1)
    ax.xaxis.set_major_formatter(PercentFormatter())
    groups = dict.fromkeys(group for group, _, _ in entries)
    ax.legend(handles=[Patch(color=RESOURCE_GROUPS[g], label=g) for g in groups], loc="best")
    return fig


def plot_booked_by_tier(kpis: dict[str, Any], ax: Axes | None = None) -> Figure:
    """Bars of booked value per patient tier, each labelled with booked / requested counts.

    Parameters
    ----------
    kpis
        KPI dict with ``{"booked_by_tier": {tier: {"requests": n, "booked": n, "value": x}}}``.
    ax
        Axes to draw on; a new figure when omitted.
    """
    by_tier = kpis.get("booked_by_tier", {})
    tiers = [t for t in TIERS if t in by_tier] + [t for t in by_tier if t not in TIERS]
    fig, ax = _figure_and_axes(ax, (6.0, 4.0))
    ax.set_title("Booked value by patient tier")
    if not tiers:
        _note(ax, "no requests")
        return fig
    values = [by_tier[t].get("value", 0.0) for t in tiers]
    bars = ax.bar(tiers, values, color="#4C72B0")
    counts = [f"{by_tier[t].get('booked', 0)} of {by_tier[t].get('requests', 0)}" for t in tiers]
    ax.bar_label(bars, labels=counts, padding=2, fontsize="small")
    ax.set_ylabel("Booked value")
    ax.set_ylim(0, max(1.0, *values) * 1.15)
    ax.set_xlabel("Patient tier (above each bar: booked of requested)")
    return fig


def plot_before_after(
    before: tuple[Scenario, Schedule],
    after: tuple[Scenario, Schedule],
    day: date,
    *,
    changes: Iterable[Change] = (),
    now: datetime | None = None,
) -> Figure:
    """The Gantt chart of one day before and after a re-plan, one above the other. From the
    change list, what left the calendar (cancelled, no-show, handed to a person) and what moved
    are outlined where they were, what moved and what was added where they are now; a line at
    `now` (the re-plan's present) when it falls on the day."""
    marks = change_marks(changes)
    minute = _now_on(after[0], day, now)
    gone = {"cancelled", "escalated"}
    panels = []
    for (scenario, schedule), label, shown in (
        (before, "before", {"moved", *gone}),
        (after, "after", {"moved", "added"}),
    ):
        outlined = {request_id: mark for request_id, mark in marks.items() if mark in shown}
        bars = gantt_bars(scenario, schedule, [day])
        panels.append(GanttPanel(scenario, day, bars, label, outlined, minute))
    title = f"{as_written(after[0].clinic.name)}: re-plan of {day:%a %d %b %Y}"
    if minute is not None:
        title += f" at {format_clock(minute)}"
    return gantt_figure(panels, title, stacked=True)


def save_figure(fig: Figure, path: Path) -> None:
    """Write the figure as a PNG at `path` in one step (no half-written file), then close it.

    The temporary file is opened like any new file, so the PNG gets the usual permissions.
    """
    image = png_bytes(fig)
    with atomic_file(Path(path), binary=True) as stream:
        stream.write(image)


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes (to write, or embed in a page), its title in the PNG's Title;
    the figure is closed."""
    buffer = io.BytesIO()
    title = fig.get_suptitle().replace(r"\$", "$")
    try:
        fig.savefig(buffer, format="png", metadata={"Title": title} if title else None)
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _figure_and_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is None:
        fig, new_ax = plt.subplots(figsize=size, layout="constrained")
        return fig, new_ax
    owner = ax.get_figure(root=True)
    if owner is None:
        raise ValueError("the axes given belong to no figure; create them with plt.subplots()")
    return owner, ax


def _note(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="grey")


def _is_open(scenario: Scenario, day: date) -> bool:
    clinic = scenario.clinic
    return weekday_of(day) in clinic.hours and day not in clinic.closed_dates


def _default_days(scenario: Scenario, schedule: Schedule) -> list[date]:
    zone = ZoneInfo(scenario.clinic.timezone)
    booked = {a.start.astimezone(zone).date() for a in schedule.booked() if a.start}
    horizon = scenario.clinic.clock().days()
    return [d for d in horizon if d in booked or _is_open(scenario, d)] or horizon[:1]


def _now_on(scenario: Scenario, day: date, now: datetime | None) -> int | None:
    """The minute of `day` that `now` is, when it falls on that day."""
    if now is None:
        return None
    when, minute = minute_of(now, scenario)
    return minute if when == day else None


def _gantt_size(columns: int, rows: int, stacked: int = 1) -> tuple[float, float]:
    """Inches of a chart of `columns` day columns side by side, `stacked` charts high."""
    width = min(MAX_WIDTH_INCHES, 1.5 + max(DAY_CHART_INCHES, DAY_INCHES * columns))
    height = min(MAX_HEIGHT_INCHES, stacked * max(3.0, 1.0 + 0.35 * rows) + 1.0)
    return width, height


def _gantt_title(scenario: Scenario, days: list[date]) -> str:
    span = f"{days[0]:%a %d %b %Y}"
    if len(days) > 1:
        span += f" to {days[-1]:%a %d %b %Y}"
    return f"{as_written(scenario.clinic.name)}: {span}"
