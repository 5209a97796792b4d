"""Pictures of a schedule and its KPIs: the Gantt chart, utilization and booked value per tier.

Each function returns a matplotlib Figure; `save_figure` writes it as a PNG. Figures are
drawn off-screen (the Agg backend), so they work in batch runs and on servers. The Gantt
chart's parts (`gantt_bars`, `gantt_window`, `draw_gantt_day`, `gantt_legend`) draw a day on
any axes, for charts made of several (solver/outputs/analysis_plots.py).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, get_args
from zoneinfo import ZoneInfo

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator, PercentFormatter

from models.findings import printable
from models.results import Schedule
from models.scenario import Category, Scenario, Service, Tier
from models.times import format_clock, weekday_of
from models.writing import atomic_file

matplotlib.use("Agg")  # off-screen drawing; must come before pyplot is imported
import matplotlib.pyplot as plt

CATEGORY_COLOURS: dict[str, str] = {
    "consult": "#4C72B0",
    "treatment": "#DD8452",
    "follow_up": "#55A868",
    "touch_up": "#8172B3",
}
"""Bar colour of each service category."""
CATEGORIES: tuple[str, ...] = get_args(Category)
TIERS: tuple[str, ...] = get_args(Tier)
RESOURCE_GROUPS = {"providers": "#4C72B0", "rooms": "#55A868", "equipment": "#C44E52"}
"""Utilization groups, in drawing order, and their colours."""

EXISTING_HATCH = "//"
LIGHT = 0.35
BAR_HEIGHT = {"hands_on": 0.7, "processing": 0.25, "room": 0.7, "turnover": 0.7}
MAX_WIDTH_INCHES = 30.0
MAX_GANTT_DAYS = 14
"""Days drawn at most in one Gantt chart (the first ones)."""
MAX_HEIGHT_INCHES = 18.0
DEFAULT_HOURS = (8 * 60, 20 * 60)
TICK_STEPS = (60, 120, 180, 240, 360)


@dataclass(frozen=True)
class GanttBar:
    """One bar of the Gantt chart, in local minutes since midnight of its day."""

    row: int
    start: int
    end: int
    part: str
    """hands_on, processing (provider row), room or turnover (room row)."""
    category: str
    existing: bool
    """An existing booking rather than a new request."""
    day: date


def plot_gantt(
    scenario: Scenario,
    schedule: Schedule,
    *,
    days: list[date] | None = None,
    title: str | None = None,
    max_days: int = MAX_GANTT_DAYS,
) -> Figure:
    """Providers and rooms over the days, one column per day, bars coloured by category.

    Parameters
    ----------
    scenario
        The clinic the schedule belongs to.
    schedule
        Its rows; only booked rows are drawn.
    days
        Days to draw; by default every open day of the horizon and every day with a booking.
    max_days
        At most this many of them (the first), so a long horizon stays readable.
    title
        Figure title; by default the clinic name and the dates.

    Returns
    -------
    Figure
        One subplot per day; provider rows on top, room rows below.
    """
    zone = ZoneInfo(scenario.clinic.timezone)
    shown = _default_days(scenario, schedule, zone) if days is None else list(days)
    shown = shown[:max_days]  # a readable chart; longer horizons: pass the days wanted
    if not shown:
        raise ValueError("no days to draw; pass at least one date, or days=None for all")
    labels = _row_labels(scenario)
    bars = gantt_bars(scenario, schedule, shown)
    fig, axes = plt.subplots(
        1,
        len(shown),
        sharey=True,
        squeeze=False,
        figsize=_gantt_size(len(shown), len(labels)),
        layout="constrained",
    )
    window = gantt_window(scenario, bars)
    for ax, day in zip(axes[0], shown, strict=True):
        draw_gantt_day(ax, scenario, day, bars, window, len(shown))
    gantt_legend(fig, bars)
    fig.suptitle(title or _gantt_title(scenario, shown))
    return fig


def gantt_bars(scenario: Scenario, schedule: Schedule, days: list[date]) -> list[GanttBar]:
    """The Gantt bars of the booked rows on these days."""
    zone = ZoneInfo(scenario.clinic.timezone)
    return [bar for bar in _bars(scenario, schedule, zone) if bar.day in days]


def draw_gantt_day(
    ax: Axes,
    scenario: Scenario,
    day: date,
    bars: list[GanttBar],
    window: tuple[int, int],
    columns: int = 1,
) -> None:
    """One day's column of a Gantt chart on `ax`: the scenario's provider and room rows, the
    bars of that day, closed time shaded, the clock from `window` (minutes of the day);
    `columns` is how many columns share the figure's width (fewer time labels)."""
    _draw_day(ax, scenario, day, [bar for bar in bars if bar.day == day])
    _format_day_axis(ax, day, window, columns)
    _format_rows(ax, _row_labels(scenario))


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
    before: tuple[Scenario, Schedule], after: tuple[Scenario, Schedule], day: date
) -> Figure:
    """The Gantt chart of one day before and after a re-plan, one above the other."""
    images = []
    for (scenario, schedule), label in ((before, "before"), (after, "after")):
        chart = plot_gantt(scenario, schedule, days=[day], title=f"{label}: {day:%a %d %b %Y}")
        chart.canvas.draw()
        images.append(np.asarray(chart.canvas.buffer_rgba()))  # type: ignore[attr-defined]
        plt.close(chart)
    width = max(image.shape[1] for image in images)
    height = sum(image.shape[0] for image in images)
    fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
    top = 1.0
    for image in images:
        share = image.shape[0] / height
        ax = fig.add_axes((0.0, top - share, image.shape[1] / width, share))
        ax.imshow(image)
        ax.set_axis_off()
        top -= share
    return fig


def save_figure(fig: Figure, path: Path) -> None:
    """Write the figure as a PNG at `path` in one step (no half-written file), then close it.

    The temporary file is opened like any new file, so the PNG gets the usual permissions.
    """
    image = png_bytes(fig)
    with atomic_file(Path(path), binary=True) as stream:
        stream.write(image)


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes (to write, or embed in a page); the figure is closed."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png")
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


def _default_days(scenario: Scenario, schedule: Schedule, zone: ZoneInfo) -> list[date]:
    booked = {a.start.astimezone(zone).date() for a in schedule.booked() if a.start}
    horizon = scenario.clinic.clock().days()
    return [d for d in horizon if d in booked or _is_open(scenario, d)] or horizon[:1]


def _row_labels(scenario: Scenario) -> list[str]:
    providers = [provider.id for provider in scenario.providers]
    return providers + [f"{room.id} ({room.type})" for room in scenario.rooms]


def _bars(scenario: Scenario, schedule: Schedule, zone: ZoneInfo) -> list[GanttBar]:
    """Bars of every booked row: hands-on and processing parts on the provider's row,
    the time in the room and its turnover on the room's row."""
    provider_rows = {provider.id: row for row, provider in enumerate(scenario.providers)}
    first_room = len(provider_rows)
    room_rows = {room.id: first_room + row for row, room in enumerate(scenario.rooms)}
    bars: list[GanttBar] = []
    for appointment in schedule.booked():
        if appointment.start is None:
            continue
        service = scenario.service(appointment.service_id)
        day, start, end = _local_span(appointment.start, appointment.end, service, zone)
        existing = appointment.kind == "booking"
        parts = []
        if appointment.provider_id in provider_rows:
            row = provider_rows[appointment.provider_id]
            parts += [(row, a, b, part) for a, b, part in _provider_parts(service, start)]
        if appointment.room_id in room_rows:
            row = room_rows[appointment.room_id]
            parts += [(row, a, b, part) for a, b, part in _room_parts(service, start, end)]
        bars += [GanttBar(*part, service.category, existing, day) for part in parts]
    return bars


def _local_span(
    start: datetime, end: datetime | None, service: Service, zone: ZoneInfo
) -> tuple[date, int, int]:
    """Day, start and end (minutes since local midnight) of a booked row."""
    local = start.astimezone(zone)
    minute = local.hour * 60 + local.minute
    length = service.length if end is None else round((end - start).total_seconds() / 60)
    return local.date(), minute, minute + length


def _provider_parts(service: Service, start: int) -> list[tuple[int, int, str]]:
    """Hands-on parts and the processing gap between them, as (start, end, part)."""
    first_end = start + service.duration
    parts = [(start, first_end, "hands_on")]
    if service.processing:
        parts.append((first_end, first_end + service.processing, "processing"))
    if service.finish:
        parts.append((first_end + service.processing, start + service.length, "hands_on"))
    return parts


def _room_parts(service: Service, start: int, end: int) -> list[tuple[int, int, str]]:
    """The time in the room and the turnover after it, as (start, end, part)."""
    parts = [(start, end, "room")]
    if service.buffer_after:
        parts.append((end, end + service.buffer_after, "turnover"))
    return parts


def _gantt_size(num_days: int, num_rows: int) -> tuple[float, float]:
    width = min(MAX_WIDTH_INCHES, max(9.0, 3.0 + 3.0 * num_days))
    height = min(MAX_HEIGHT_INCHES, max(4.0, 2.0 + 0.3 * num_rows))
    return width, height


def gantt_window(scenario: Scenario, bars: list[GanttBar]) -> tuple[int, int]:
    """The hours shown on every column: clinic hours, widened to every bar, whole hours."""
    hours = scenario.clinic.hours.values()
    starts = [h.start for h in hours] + [bar.start for bar in bars]
    ends = [h.end for h in hours] + [bar.end for bar in bars]
    if not starts:
        return DEFAULT_HOURS
    return 60 * (min(starts) // 60), 60 * math.ceil(max(ends) / 60)


def _draw_day(ax: Axes, scenario: Scenario, day: date, bars: list[GanttBar]) -> None:
    _shade_closed_time(ax, scenario, day)
    groups: dict[tuple[str, str, bool], list[GanttBar]] = {}
    for bar in bars:
        groups.setdefault((bar.part, bar.category, bar.existing), []).append(bar)
    for (part, category, existing), group in groups.items():
        _draw_bars(ax, group, part, category, existing)
    if scenario.providers and scenario.rooms:
        ax.axhline(len(scenario.providers) - 0.5, color="0.4", linewidth=1.0)
    if not bars:
        _note(ax, "nothing booked")


def _draw_bars(ax: Axes, bars: list[GanttBar], part: str, category: str, existing: bool) -> None:
    solid = part in ("hands_on", "room")
    ax.barh(
        [bar.row for bar in bars],
        [bar.end - bar.start for bar in bars],
        left=[bar.start for bar in bars],
        height=BAR_HEIGHT[part],
        color=CATEGORY_COLOURS[category],
        alpha=1.0 if solid else LIGHT,
        edgecolor="black" if existing else "white",
        linewidth=0.8 if existing else 0.5,
        hatch=EXISTING_HATCH if existing and solid else None,
        gid=part,
    )


def _shade_closed_time(ax: Axes, scenario: Scenario, day: date) -> None:
    hours = scenario.clinic.hours.get(weekday_of(day))
    if hours is None or day in scenario.clinic.closed_dates:
        ax.axvspan(0, 24 * 60, color="0.92", zorder=0)
        return
    ax.axvspan(0, hours.start, color="0.92", zorder=0)
    ax.axvspan(hours.end, 24 * 60, color="0.92", zorder=0)


def _format_day_axis(ax: Axes, day: date, window: tuple[int, int], num_days: int) -> None:
    first, last = window
    ax.set_xlim(first, last)
    ax.xaxis.set_major_locator(MultipleLocator(_tick_step(last - first, num_days)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: format_clock(int(x))))
    ax.tick_params(axis="x", labelsize="small")
    ax.grid(axis="x", color="0.85", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_title(f"{day:%a %d %b}", fontsize="medium")


def _tick_step(span: int, num_days: int) -> int:
    """Minutes between time labels: hourly for one day, wider as columns get narrow."""
    most = max(2, 12 // num_days)
    return next((step for step in TICK_STEPS if span / step <= most), TICK_STEPS[-1])


def _format_rows(ax: Axes, labels: list[str]) -> None:
    ax.set_yticks(range(len(labels)), labels, fontsize="small" if len(labels) > 20 else "medium")
    ax.set_ylim(max(len(labels), 1) - 0.5, -0.5)


def gantt_legend(fig: Figure, bars: list[GanttBar]) -> None:
    """The legend of the categories, existing bookings and light parts among the bars."""
    present = {bar.category for bar in bars}
    handles = [
        Patch(color=CATEGORY_COLOURS[c], label=c.replace("_", " "))
        for c in CATEGORIES
        if c in present
    ]
    parts = {bar.part for bar in bars}
    if any(bar.existing for bar in bars):
        handles.append(
            Patch(facecolor="white", edgecolor="black", hatch=EXISTING_HATCH, label="existing")
        )
    if "processing" in parts:
        handles.append(Patch(color="0.6", alpha=LIGHT, label="processing (provider free)"))
    if "turnover" in parts:
        handles.append(Patch(color="0.6", alpha=LIGHT, label="room turnover"))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))


def _gantt_title(scenario: Scenario, days: list[date]) -> str:
    span = f"{days[0]:%a %d %b %Y}"
    if len(days) > 1:
        span += f" to {days[-1]:%a %d %b %Y}"
    return f"{as_written(scenario.clinic.name)}: {span}"


def as_written(text: str) -> str:
    """Text from the file shown as written: `$` is not the start of a formula (matplotlib's
    mathtext would draw `$x^2$` as maths and fail on `$\\frac$`), control codes escaped."""
    return printable(text).replace("$", r"\$")
