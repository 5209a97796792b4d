"""The parts of a Gantt chart, drawn on any axes: a bar per part of an appointment in its
service group's colour, labels where they fit, provider and room rows by name with off-shift
time, time off and closed hours shaded, a re-plan's moves marked, and a legend drawn from the
same styles as the bars. solver/outputs/plots.py and analysis_plots.py make figures of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MultipleLocator

from models.findings import printable
from models.results import Schedule
from models.scenario import Patient, Scenario, Service
from models.times import MINUTES_PER_DAY, format_clock, weekday_of

PALETTE = (
    "#4C72B0",
    "#DD8452",
    "#55A868",
    "#C44E52",
    "#8172B3",
    "#937860",
    "#DA8BC3",
    "#CCB974",
    "#64B5CD",
    "#2F4B7C",
    "#A05195",
    "#7FB800",
)
"""Bar colours of the service groups, given out in the order of the group names."""
LIGHT = 0.4
"""Opacity of processing bars: the provider is free, the room is held."""
EXISTING_HATCH = "//"
BAR_HEIGHT = {"hands_on": 0.7, "processing": 0.4, "room": 0.7, "turnover": 0.7}
LABELLED = ("hands_on", "room")
LABEL_SIZE = 7.0
"""Points; a label is drawn only where the bar holds it whole."""
LABEL_PAD = 3.0
"""Points kept free at each end of a labelled bar."""
HOUR_LABEL_INCHES = 0.45
"""Width one time label needs; a narrower hour gets a label every two hours."""
DEFAULT_HOURS = (8 * 60, 20 * 60)
SHADES: dict[str, dict[str, Any]] = {
    "off_shift": {"facecolor": "0.96", "edgecolor": "0.72", "hatch": "\\\\", "linewidth": 0.0},
    "time_off": {"facecolor": "white", "edgecolor": "0.4", "hatch": "xx", "linewidth": 0.0},
    "closed": {"facecolor": "0.86", "edgecolor": "none"},
}
"""How off-shift time, time off and the clinic's closed hours are shaded."""
MARKS: dict[str, dict[str, Any]] = {
    "moved": {"facecolor": "none", "edgecolor": "black", "linewidth": 2.2, "linestyle": "--"},
    "added": {"facecolor": "none", "edgecolor": "black", "linewidth": 2.2},
    "cancelled": {"facecolor": "none", "edgecolor": "#B00000", "linewidth": 2.2, "hatch": "xx"},
    "escalated": {"facecolor": "none", "edgecolor": "#E08000", "linewidth": 2.2, "hatch": "xx"},
}
"""Outlines of the appointments a re-plan moved, added, cancelled and handed to a person."""
CHANGE_MARKS = {
    "moved": "moved",
    "rebooked": "moved",
    "rescheduled": "moved",
    "room_changed": "moved",
    "booked_from_waitlist": "added",
    "booked_new_request": "added",
    "cancelled": "cancelled",
    "cancelled_late": "cancelled",
    "no_show": "cancelled",
    "declined": "cancelled",
    "offer_expired": "cancelled",
    "hold_expired": "cancelled",
    "escalated": "escalated",
}
"""The mark of each kind of change (models.results.Change.change)."""
NOW_STYLE: dict[str, Any] = {"color": "#B00000", "linewidth": 1.6, "linestyle": "-"}
ENTRY_WORDS = {
    "existing": "existing booking",
    "processing": "processing (provider free)",
    "turnover": "room turnover",
    "off_shift": "off shift",
    "time_off": "time off",
    "closed": "clinic closed",
    "moved": "moved",
    "added": "added",
    "cancelled": "cancelled, declined, no-show, offer or hold expired",
    "escalated": "handed to a person",
}
"""Legend entries after the service groups, in this order, as they are written."""


@dataclass(frozen=True)
class GanttBar:
    """One bar of the Gantt chart, in local minutes since midnight of its day."""

    row: int
    start: int
    end: int
    part: str
    """hands_on, processing (provider row), room or turnover (room row)."""
    group: str
    """The service group (Service.group_name): the colour."""
    existing: bool
    """An existing booking rather than a new request."""
    day: date
    request_id: str = ""
    label: str = ""
    """Service name and patient initials, on the bars that carry the label."""


@dataclass
class GanttPanel:
    """One day's column of a chart: its scenario's rows, the bars and what to mark."""

    scenario: Scenario
    day: date
    bars: list[GanttBar]
    title: str
    marks: Mapping[str, str] = field(default_factory=dict)
    """Request id -> moved, added or cancelled."""
    now: int | None = None
    """Minute of the day of the re-plan's present, when it is this day."""


def group_colours(scenarios: Iterable[Scenario]) -> dict[str, str]:
    """A colour per service group of the scenarios, in the order of the group names, so the
    same clinic always gets the same colours."""
    groups = sorted({service.group_name for s in scenarios for service in s.services})
    return {group: PALETTE[index % len(PALETTE)] for index, group in enumerate(groups)}


def gantt_bars(scenario: Scenario, schedule: Schedule, days: list[date]) -> list[GanttBar]:
    """The Gantt bars of the booked rows on these days: hands-on and processing parts on the
    provider's row, the time in the room and its turnover on the room's row."""
    provider_rows = {provider.id: row for row, provider in enumerate(scenario.providers)}
    first_room = len(provider_rows)
    room_rows = {room.id: first_room + row for row, room in enumerate(scenario.rooms)}
    patients = {patient.id: patient for patient in scenario.patients}
    bars: list[GanttBar] = []
    for appointment in schedule.booked():
        if appointment.start is None:
            continue
        service = scenario.service(appointment.service_id)
        day, start, end = _local_span(appointment.start, appointment.end, service, scenario)
        if day not in days:
            continue
        label = f"{service.name} · {_initials(patients, appointment.patient_id)}"
        parts = []
        if appointment.provider_id in provider_rows:
            row = provider_rows[appointment.provider_id]
            parts += [(row, a, b, part) for a, b, part in _provider_parts(service, start)]
        if appointment.room_id in room_rows:
            row = room_rows[appointment.room_id]
            parts += [(row, a, b, part) for a, b, part in _room_parts(service, start, end)]
        bars += [
            GanttBar(
                *part,
                group=service.group_name,
                existing=appointment.kind == "booking",
                day=day,
                request_id=appointment.request_id,
                label=label if part[3] in LABELLED and part[1] == start else "",
            )
            for part in parts
        ]
    return bars


def change_marks(changes: Iterable[Any]) -> dict[str, str]:
    """Request id -> moved, added or cancelled, from a re-plan's change list."""
    return {
        change.request_id: CHANGE_MARKS[change.change]
        for change in changes
        if change.change in CHANGE_MARKS
    }


def minute_of(moment: datetime, scenario: Scenario) -> tuple[date, int]:
    """The local day and minute of the day of a moment, in the clinic's timezone."""
    local = moment.astimezone(ZoneInfo(scenario.clinic.timezone))
    return local.date(), local.hour * 60 + local.minute


def gantt_window(scenario: Scenario, bars: list[GanttBar]) -> tuple[int, int]:
    """The hours shown on every column: clinic hours, widened to every bar, whole hours."""
    hours = scenario.clinic.hours.values()
    starts = [h.start for h in hours] + [bar.start for bar in bars]
    ends = [h.end for h in hours] + [bar.end for bar in bars]
    if not starts:
        return DEFAULT_HOURS
    return 60 * (min(starts) // 60), 60 * math.ceil(max(ends) / 60)


def draw_gantt_day(
    ax: Axes,
    panel: GanttPanel,
    window: tuple[int, int],
    colours: Mapping[str, str],
    columns: int = 1,
) -> set[str]:
    """One day's column of a Gantt chart on `ax`: the scenario's provider and room rows with
    off-shift time, time off and closed hours shaded, the bars of that day, the marks and the
    line at now; the clock from `window` (minutes of the day); `columns` is how many columns
    share the figure's width (fewer time labels). Returns the legend entries drawn."""
    scenario, day = panel.scenario, panel.day
    bars = [bar for bar in panel.bars if bar.day == day]
    drawn = _shade(ax, scenario, day, window)
    for bar in bars:
        drawn |= _draw_bar(ax, bar, colours)
        mark = panel.marks.get(bar.request_id)
        if mark and bar.part in LABELLED:
            width = bar.end - bar.start
            _box(ax, bar.row, bar.start, width, 0.9, gid=f"mark:{mark}", zorder=3, **MARKS[mark])
            drawn.add(mark)
    if panel.now is not None:
        ax.axvline(panel.now, **NOW_STYLE, zorder=4, gid="now")
        drawn.add(f"now:{panel.now}")
    if scenario.providers and scenario.rooms:
        ax.axhline(len(scenario.providers) - 0.5, color="0.4", linewidth=1.0)
    if not bars:
        ax.text(0.5, 0.5, "nothing booked", transform=ax.transAxes, ha="center", color="grey")
    _format_day_axis(ax, window, columns)
    ax.set_title(panel.title, fontsize="medium")
    _format_rows(ax, row_names(scenario))
    return drawn


def row_names(scenario: Scenario) -> list[str]:
    """The chart's rows: provider names, then room names (the id and type of a room without
    a name)."""
    providers = [provider.name for provider in scenario.providers]
    rooms = [room.name or f"{room.id} ({room.type})" for room in scenario.rooms]
    return [as_written(name) for name in providers + rooms]


def label_bars(fig: Figure, panels: list[tuple[Axes, GanttPanel]]) -> None:
    """Write each labelled bar's label inside it, shortened until it fits whole; a bar too
    short for the patient's initials alone stays blank. Measured with the figure's renderer
    after its layout, so call it once the figure is complete."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    points = fig.dpi / 72
    for ax, panel in panels:
        low, high = ax.get_xlim()
        per_minute = ax.bbox.width / (high - low)
        for bar in panel.bars:
            if not bar.label or bar.day != panel.day:
                continue
            room = (min(bar.end, high) - max(bar.start, low)) * per_minute - 2 * LABEL_PAD * points
            text = ax.text(
                (max(bar.start, low) + min(bar.end, high)) / 2,
                bar.row,
                "",
                ha="center",
                va="center",
                fontsize=LABEL_SIZE,
                clip_on=True,
                zorder=5,
                gid="label",
            )
            shown = _fitting(text, bar.label, room, renderer)
            if shown is None:
                text.remove()


def gantt_legend(fig: Figure, drawn: set[str], colours: Mapping[str, str]) -> None:
    """The legend of what was drawn (draw_gantt_day's entries), each swatch in the style of
    what it names: the service groups in colour order, then the parts, shading and marks."""
    handles: list[Artist] = [
        Patch(**_bar_style("hands_on", colour, existing=False), label=as_written(group))
        for group, colour in colours.items()
        if f"group:{group}" in drawn
    ]
    neutral = "0.55"
    styles = {
        "existing": _bar_style("hands_on", "white", existing=True),
        "processing": _bar_style("processing", neutral, existing=False),
        "turnover": _bar_style("turnover", neutral, existing=False),
        **SHADES,
        **MARKS,
    }
    handles += [
        Patch(**styles[entry], label=words)
        for entry, words in ENTRY_WORDS.items()
        if entry in drawn
    ]
    handles += [
        Line2D([], [], **NOW_STYLE, label=f"now {format_clock(int(entry[4:]))}")
        for entry in sorted(drawn)
        if entry.startswith("now:")
    ]
    if handles:
        columns = max(1, min(len(handles), int(fig.get_figwidth() / 1.7)))
        fig.legend(handles=handles, loc="outside lower center", ncols=columns, fontsize="small")


def as_written(text: str) -> str:
    """Text from the file shown as written: `$` is not the start of a formula (matplotlib's
    mathtext would draw `$x^2$` as maths and fail on `$\\frac$`), control codes escaped."""
    return printable(text).replace("$", r"\$")


def _initials(patients: Mapping[str, Patient], patient_id: str) -> str:
    """A patient's initials from their name, else the patient id."""
    patient = patients.get(patient_id)
    if patient is None or not patient.name:
        return patient_id
    return "".join(word[0] for word in patient.name.split() if word[0].isalnum()).upper()


def _local_span(
    start: datetime, end: datetime | None, service: Service, scenario: Scenario
) -> tuple[date, int, int]:
    """Day, start and end (minutes since local midnight) of a booked row."""
    day, minute = minute_of(start, scenario)
    length = service.length if end is None else round((end - start).total_seconds() / 60)
    return day, minute, minute + length


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


def _bar_style(part: str, colour: str, *, existing: bool) -> dict[str, Any]:
    """Colour, opacity, edge and hatch of a bar, and of its legend swatch."""
    if part == "turnover":
        return {"facecolor": "0.7", "edgecolor": "white", "linewidth": 0.5, "hatch": "...."}
    if part == "processing":
        return {"facecolor": colour, "alpha": LIGHT, "edgecolor": "white", "linewidth": 0.5}
    return {
        "facecolor": colour,
        "edgecolor": "black" if existing else "white",
        "linewidth": 0.8 if existing else 0.5,
        "hatch": EXISTING_HATCH if existing else None,
    }


def _box(ax: Axes, row: int, start: float, width: float, height: float, **style: Any) -> None:
    """A box on `row` from `start` (minutes), `height` of a row high: a bar's or a shade's
    patch (a Rectangle, as barh would draw, without its per-call bookkeeping)."""
    ax.add_patch(Rectangle((start, row - height / 2), width, height, **style))


def _draw_bar(ax: Axes, bar: GanttBar, colours: Mapping[str, str]) -> set[str]:
    """A bar in its style; the legend entries it needs."""
    style = _bar_style(bar.part, colours[bar.group], existing=bar.existing)
    height = BAR_HEIGHT[bar.part]
    _box(ax, bar.row, bar.start, bar.end - bar.start, height, gid=bar.part, **style)
    entries = {f"group:{bar.group}"} if bar.part != "turnover" else set()
    if bar.part in ("processing", "turnover"):
        entries.add(bar.part)
    if bar.existing and bar.part in LABELLED:
        entries.add("existing")
    return entries


def _shade(ax: Axes, scenario: Scenario, day: date, window: tuple[int, int]) -> set[str]:
    """The clinic's closed hours in the window over every row, then each provider's off-shift
    time and time off within the opening hours; the legend entries drawn."""
    clinic = scenario.clinic
    hours = clinic.hours.get(weekday_of(day))
    opening = [] if hours is None or day in clinic.closed_dates else [(hours.start, hours.end)]
    drawn: set[str] = set()
    for low, high in _outside([window], opening):
        ax.axvspan(low, high, **SHADES["closed"], zorder=0, gid="closed")
        drawn.add("closed")
    for row, provider in enumerate(scenario.providers):
        shift = [(h.start, h.end) for h in provider.weekly.get(weekday_of(day), [])]
        if provider.license_expires is not None and day >= provider.license_expires:
            shift = []
        shift = _within(shift, opening)
        away = [
            (absence.hours.start, absence.hours.end) if absence.hours else (0, MINUTES_PER_DAY)
            for absence in provider.time_off
            if absence.covers(day)
        ]
        shades = {"off_shift": _outside(opening, shift), "time_off": _within(shift, away)}
        for kind, spans in shades.items():
            for low, high in spans:
                _box(ax, row, low, high - low, 1.0, gid=kind, zorder=0.5, **SHADES[kind])
                drawn.add(kind)
    return drawn


def _within(ranges: list[tuple[int, int]], cuts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of half-open `ranges` inside any of `cuts`."""
    parts = [(max(a, c), min(b, d)) for a, b in ranges for c, d in cuts]
    return sorted({(low, high) for low, high in parts if low < high})


def _outside(ranges: list[tuple[int, int]], cuts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of half-open `ranges` outside every one of `cuts`."""
    parts = []
    for low, high in ranges:
        for cut_low, cut_high in sorted(cuts):
            if cut_low > low:
                parts.append((low, min(high, cut_low)))
            low = max(low, cut_high)
        parts.append((low, high))
    return [(low, high) for low, high in parts if low < high]


def _format_day_axis(ax: Axes, window: tuple[int, int], columns: int) -> None:
    """The clock: a label every hour, every two hours when a column is narrow; a line each
    hour."""
    first, last = window
    ax.set_xlim(first, last)
    owner = ax.get_figure(root=True)
    column_inches = (owner.get_figwidth() if owner else 0.0) / max(1, columns) - 0.6
    hourly = (last - first) / 60 * HOUR_LABEL_INCHES <= column_inches
    ax.xaxis.set_major_locator(MultipleLocator(60 if hourly else 120))
    ax.xaxis.set_minor_locator(MultipleLocator(60))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: format_clock(int(x))))
    ax.tick_params(axis="x", labelsize="small")
    ax.grid(axis="x", which="both", color="0.85", linewidth=0.6)
    ax.set_axisbelow(True)


def _format_rows(ax: Axes, labels: list[str]) -> None:
    ax.set_yticks(range(len(labels)), labels, fontsize="small" if len(labels) > 20 else "medium")
    ax.set_ylim(max(len(labels), 1) - 0.5, -0.5)


def _fitting(text: Text, label: str, room: float, renderer: Any) -> str | None:
    """The longest form of the label that fits `room` pixels, set on `text`: the label, the
    service name cut shorter with an ellipsis, or the initials alone; None when none fits.
    Widths grow with length, so the cut is found by halving (a few measurements a bar)."""
    name, _, who = label.rpartition(" · ")
    if _width(text, who, renderer) > room:
        return None
    if _width(text, label, renderer) <= room:
        return label
    shorter = who
    low, high = 3, len(name) - 1  # the cut lengths worth trying
    while low <= high:
        length = (low + high) // 2
        cut = f"{name[:length].rstrip()}… · {who}"
        if _width(text, cut, renderer) <= room:
            shorter, low = cut, length + 1
        else:
            high = length - 1
    text.set_text(as_written(shorter))
    return shorter


def _width(text: Text, candidate: str, renderer: Any) -> float:
    """Width in pixels of `candidate` drawn as `text` (left set to it)."""
    text.set_text(as_written(candidate))
    return float(text.get_window_extent(renderer).width)
