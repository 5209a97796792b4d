"""The files of a calendar review (solver/whatif/review.py): review.md, a self-contained
review.html (its pictures embedded, nothing loaded from elsewhere) and the pictures as PNG,
written into --out as one set.

Both pages are rendered from one list of blocks (heading, paragraph, table, picture), so
they say the same.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from solver.outputs.analysis_plots import (
    plot_gantts_side_by_side,
    plot_kpi_bars,
    plot_utilization_heatmap,
)
from solver.outputs.folder import Writer, write_set
from solver.outputs.pages import Block, as_html, as_markdown
from solver.outputs.plots import png_bytes
from solver.whatif.review import VALUE_FIGURES, Review, weeks_table

TITLE = "Review of the clinic's own calendar"


def write_review(reviews: Sequence[Review], out_dir: Path) -> list[Path]:
    """Write review.md, review.html and the pictures of these reviews into out_dir as one set."""
    blocks, pictures = report(reviews)
    markdown, page = as_markdown(blocks), as_html(blocks, pictures, TITLE)
    writers: dict[str, Writer] = {
        "review.md": lambda path: path.write_text(markdown, encoding="utf-8"),
        "review.html": lambda path: path.write_text(page, encoding="utf-8"),
    }
    for name, image in pictures.items():
        writers[name] = functools.partial(Path.write_bytes, data=image)
    return write_set(out_dir, writers, "review")


def report(reviews: Sequence[Review]) -> tuple[list[Block], dict[str, bytes]]:
    """The blocks of the report and its pictures (file name: PNG bytes)."""
    blocks = [Block("heading", TITLE, 1)]
    pictures: dict[str, bytes] = {}
    if len(reviews) > 1:
        blocks += _summary(reviews, pictures)
    for number, week in enumerate(reviews, start=1):
        blocks += _week(week, f"week{number}", pictures)
    return blocks, pictures


def _summary(reviews: Sequence[Review], pictures: dict[str, bytes]) -> list[Block]:
    table = weeks_table(reviews)
    left = pd.DataFrame(
        {week.label: week.value_table()["left on the table"] for week in reviews}
    ).rename(index=lambda figure: f"{figure} left on the table")
    pictures["summary_left_on_the_table.png"] = png_bytes(plot_kpi_bars(left, list(left.index)))
    return [
        Block("heading", f"Summary of {len(reviews)} weeks"),
        Block("table", table=table.T),
        Block("picture", "summary_left_on_the_table.png"),
    ]


def _week(week: Review, prefix: str, pictures: dict[str, bytes]) -> list[Block]:
    scenario, optimized, day = week.scenario, week.optimized, busiest_day(week)
    solved = optimized.report
    drawn = {
        f"{prefix}_value.png": plot_kpi_bars(
            week.value_table()[["calendar", "optimizer"]], list(VALUE_FIGURES)
        ),
        f"{prefix}_utilization_by_hour.png": plot_utilization_heatmap(
            scenario, week.calendar, "hour"
        ),
        f"{prefix}_utilization_by_weekday.png": plot_utilization_heatmap(
            scenario, week.calendar, "weekday"
        ),
        f"{prefix}_gantt.png": plot_gantts_side_by_side(
            [("calendar", scenario, week.calendar), ("optimizer", scenario, optimized.schedule)],
            day,
        ),
    }
    pictures.update({name: png_bytes(figure) for name, figure in drawn.items()})
    return [
        Block("heading", f"{week.label}: {scenario.clinic.name}"),
        Block(
            "text",
            f"The calendar has {len(week.calendar.appointments)} rows, "
            f"{len(week.calendar.booked())} of them booked. The optimizer booked the same week "
            f"from the same requests in {solved.wall_time:.1f} s (status {solved.status}, time "
            f"limit {solved.time_limit:g} s, seed {solved.seed}).",
        ),
        *_rules(week),
        Block("heading", "Value left on the table", 3),
        Block("text", _value_words(week)),
        Block("table", table=week.value_table()),
        Block("table", table=_penalties(week)),
        Block("heading", "KPIs", 3),
        Block("table", table=week.kpi_table()),
        *_idle(week),
        Block("heading", "Pictures", 3),
        Block(
            "text",
            "The value of calendar and optimizer; the calendar's utilization (booked hands-on "
            "share of each provider's available minutes, blank where not working) by hour and "
            f"by weekday; and its busiest day, {day:%a %d %b}, next to the optimizer's.",
        ),
        *(Block("picture", name) for name in drawn),
    ]


def _rules(week: Review) -> list[Block]:
    if not week.violations:
        return [Block("heading", "Rules broken", 3), Block("text", "Every hard rule holds.")]
    rows = week.broken_rows
    counts = ", ".join(f"{code} {len(found)}" for code, found in week.violations.items())
    blocks = [
        Block("heading", "Rules broken", 3),
        Block(
            "text",
            f"{sum(map(len, week.violations.values()))} violations of {len(week.violations)} "
            f"rules on {len([r for r in rows if r])} rows ({counts}). The figures below count "
            "the calendar as it is, rows that break rules included. The rules are explained "
            "in docs/rules.md.",
        ),
    ]
    for code, found in week.violations.items():
        table = pd.DataFrame(
            {"row": [f.where for f in found], "what": [f.message for f in found]}
        ).set_index("row")
        blocks += [Block("heading", f"{code} ({len(found)})", 4), Block("table", table=table)]
    return blocks


def _value_words(week: Review) -> str:
    words = (
        "What the optimizer books minus what the calendar books. The objective is booked "
        "priority-minutes (minutes weighted by patient tier or request priority) minus the "
        "penalties of the clinic's soft rules (below), recomputed by the independent checker "
        "for both schedules; revenue is not part of it, so the optimizer may book less revenue "
        "for a better objective."
    )
    if week.violations:
        words += (
            " The calendar breaks hard rules, so its figures may count bookings the rules do "
            "not allow."
        )
    return words


def _penalties(week: Review) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "calendar": week.objective.penalties,
            "optimizer": week.optimized_objective.penalties,
        }
    ).rename(index=lambda name: f"penalty: {name}")


def _idle(week: Review) -> list[Block]:
    slot = week.scenario.clinic.slot_minutes
    blocks = [
        Block("heading", "Idle gaps", 3),
        Block(
            "text",
            f"{week.idle_minutes} idle minutes in all: free time between two pieces of a "
            "provider's hands-on work within working hours (breaks are not idle). Gaps of at "
            f"least {slot} minutes (one slot) are listed.",
        ),
    ]
    if week.idle:
        table = pd.DataFrame(
            [
                {
                    "provider": day.provider_id,
                    "day": f"{day.day:%a %Y-%m-%d}",
                    "hands-on minutes": day.hands_on,
                    "idle minutes": day.idle,
                    "gaps": "; ".join(map(str, day.gaps)),
                }
                for day in week.idle
            ]
        ).set_index("provider")
        blocks.append(Block("table", table=table))
    return blocks


def busiest_day(week: Review) -> date:
    """The day with the most booked rows on the calendar (the first such), else the first day
    of the horizon."""
    zone = ZoneInfo(week.scenario.clinic.timezone)
    days = Counter(row.start.astimezone(zone).date() for row in week.calendar.booked() if row.start)
    if not days:
        return week.scenario.clinic.horizon.start
    most = max(days.values())
    return min(day for day, count in days.items() if count == most)
