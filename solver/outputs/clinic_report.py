"""report.html, the page a clinic manager reads after a solve or a re-plan: the key figures,
the Gantt chart, utilization by provider and hour and the exceptions by owner (last: the
longest); for a re-plan also the change list and the day before and after. One
self-contained page (pages.py): pictures embedded, style inline, nothing loaded from
elsewhere, readable when printed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

import pandas as pd

from models.money import money
from models.results import (
    Change,
    ExceptionItem,
    Schedule,
    SolveReport,
    changes_frame,
    exceptions_frame,
)
from models.scenario import Scenario
from solver.outputs.analysis_plots import plot_utilization_heatmap, utilization_grid
from solver.outputs.kpis import schedule_kpis
from solver.outputs.pages import Block, as_html
from solver.outputs.plots import gantt_pages, plot_before_after, png_bytes
from solver.report import SolveResult

UTILIZATION_WORDS = (
    "Utilization is booked hands-on minutes over available minutes: the minutes a provider "
    "works on patients, over the minutes the provider works within the clinic's opening hours "
    "after time off (processing time, when the provider is free, is not counted as booked)."
)


def solve_page(
    result: SolveResult, kpis: dict[str, Any], charts: Mapping[str, bytes] | None = None
) -> str:
    """report.html of a solve: its key figures (`kpis`, the content of kpis.json), the Gantt
    chart of each week (`charts`, the PNGs by file name, when already drawn), utilization by
    provider and hour and the exceptions by owner."""
    scenario, report = result.scenario, result.report
    start = scenario.clinic.horizon.start
    end = start + timedelta(days=scenario.clinic.horizon.days - 1)
    title = f"{scenario.clinic.name}: schedule of {start:%a %d %b %Y} to {end:%a %d %b %Y}"
    if charts is None:
        charts = {name: png_bytes(fig) for name, fig in gantt_pages(scenario, result.schedule)}
    pictures = dict(charts)
    blocks = [
        Block("heading", title, 1),
        Block("text", _how_solved(report)),
        *_key_figures(kpis, kpis["solver"]["status"], kpis["objective"]["gap"]),
        Block("heading", "Schedule"),
        Block("text", _gantt_words(len(charts))),
        *(Block("picture", name) for name in pictures),
        *_utilization(scenario, result.schedule, kpis["utilization"]["providers"], pictures),
        *_exceptions(result.exceptions),
    ]
    return as_html(blocks, pictures, title, contents=True)


@dataclass(frozen=True)
class CalendarChange:
    """A change of the calendar (a re-plan, or a call's option booked) as its files show it:
    the state after it and its schedule, the change list, the calendar before, the day it
    changes, the exceptions (None for a call: booking one hands nothing to a person), the
    re-plan's search (None when none ran) and its present, `now` (a line on the day)."""

    state: Scenario
    schedule: Schedule
    changes: list[Change]
    before: tuple[Scenario, Schedule]
    day: date
    exceptions: list[ExceptionItem] | None = None
    report: SolveReport | None = None
    now: datetime | None = None

    @cached_property
    def picture(self) -> bytes:
        """gantt_day.png: the day before and after, what changed outlined (drawn once)."""
        return png_bytes(
            plot_before_after(
                self.before,
                (self.state, self.schedule),
                self.day,
                changes=self.changes,
                now=self.now,
            )
        )


def replan_page(change: CalendarChange) -> str:
    """report.html of a change of the calendar: the key figures of the new schedule, the change
    list, the day before and after, utilization by provider and hour and the exceptions by
    owner (when there is a list of them)."""
    state, schedule, day, report = change.state, change.schedule, change.day, change.report
    exceptions = change.exceptions
    title = f"{state.clinic.name}: re-plan of {day:%a %d %b %Y}"
    figures = schedule_kpis(state, schedule)
    pictures = {"gantt_day.png": change.picture}
    blocks = [
        Block("heading", title, 1),
        *([Block("text", _how_solved(report))] if report else []),
        *_key_figures(figures, *((report.status, report.gap) if report else (None, None))),
        *_changes(change.changes, state),
        Block("heading", "The day before and after"),
        Block("text", f"{day:%A %d %B %Y}: the calendar before the change above, after it below."),
        Block("picture", "gantt_day.png"),
        *_utilization(state, schedule, figures["utilization"]["providers"], pictures),
        *(
            _exceptions(exceptions)
            if exceptions is not None
            else [Block("heading", "Exceptions"), Block("text", NO_HAND_OFF)]
        ),
    ]
    return as_html(blocks, pictures, title, contents=True)


NO_HAND_OFF = "None: booking one call hands nothing to a person."


def _how_solved(report: SolveReport) -> str:
    return (
        f"Status {report.status}, found in {report.wall_time:.1f} s (time limit "
        f"{report.time_limit:g} s, {report.num_workers} worker(s), seed {report.seed})."
    )


def _key_figures(figures: dict[str, Any], status: str | None, gap: float | None) -> list[Block]:
    """The figures a manager reads first (`figures` shaped as schedule_kpis; the search's
    status and gap, None when no search ran), with how each is counted, and bookings by
    tier."""
    requests, bookings = figures["requests"], figures["bookings"]
    waitlist, tiers = figures["waitlist"], figures["booked_by_tier"]
    utilization, currency = figures["utilization"], figures["revenue"]["currency"]
    rows: list[tuple[str, Any, str]] = []
    if status is not None:
        rows.append(("status", status, _STATUS_WORDS[status]))
    rows += [
        ("requests booked", f"{requests['booked']} of {requests['total']}", ""),
        ("requests not booked", requests["unscheduled"], "each with its reason in schedule.csv"),
        ("requests escalated", requests["escalated"], "handed to a person: see Exceptions"),
        (
            "existing bookings kept / moved / escalated",
            f"{bookings['kept']} / {bookings['moved']} / {bookings['escalated']}",
            "",
        ),
        (
            "revenue booked",
            money(figures["revenue"]["booked"], currency),
            "the services' value summed over the booked appointments (requests and bookings)",
        ),
        (
            "revenue left unbooked",
            money(figures["revenue"]["unbooked"], currency),
            "the services' value of the requests and bookings not booked",
        ),
        (
            "provider utilization",
            _percent(utilization["overall"]),
            utilization["definition"]["overall"] + " (per provider: see Utilization)",
        ),
        ("waitlist served", f"{waitlist['served']} of {waitlist['requests']}", ""),
    ]
    if gap is not None:
        rows.append(
            (
                "gap",
                f"{gap:.2%}",
                "how much better a schedule might still be (0%: proven best)",
            )
        )
    table = pd.DataFrame(rows, columns=["figure", "value", "how it is counted"]).set_index("figure")
    return [
        Block("heading", "Key figures"),
        Block("table", table=table),
        Block("heading", "Booked by patient tier", 3),
        Block("table", table=_tiers(tiers, currency)),
        Block("text", f"Fairness: {figures['fairness_rule']}."),
        *(Block("text", f"Warning: {w['message']}.") for w in figures["warnings"]),
    ]


_STATUS_WORDS = {
    "optimal": "proven the best schedule under the clinic's rules",
    "time_limit": "the best schedule found within the time limit",
    "greedy": "the front desk's schedule was kept: the search found nothing better",
    "interrupted": "stopped early (Ctrl-C or a signal): the best schedule found by then",
}


def _tiers(tiers: dict[str, dict[str, float]], currency: str) -> pd.DataFrame:
    rows = [
        {
            "tier": tier,
            "requests": figures["requests"],
            "booked": figures["booked"],
            "share booked": _percent(figures["share"]),
            "booked value": money(figures["value"], currency),
        }
        for tier, figures in tiers.items()
    ]
    return pd.DataFrame(
        rows, columns=["tier", "requests", "booked", "share booked", "booked value"]
    ).set_index("tier")


def _gantt_words(weeks: int) -> str:
    words = (
        "Providers and rooms over the days, each bar a booked appointment coloured by service "
        "group; off-shift, time off and closed time shaded."
    )
    return words + (f" One chart per week, {weeks} weeks." if weeks > 1 else "")


def _exceptions(items: list[ExceptionItem]) -> list[Block]:
    """A table per owner, owners in the order of their first exception (the most urgent
    first), without the columns empty for all of an owner's."""
    blocks = [Block("heading", "Exceptions")]
    if not items:
        return [*blocks, Block("text", "None: nothing is handed to a person.")]
    frame = exceptions_frame(items)
    blocks.append(
        Block("text", f"{len(items)} request(s) or booking(s) need a person; by who owns them.")
    )
    for owner, owned in frame.groupby("owner", sort=False):
        table = owned.drop(columns="owner").set_index("request_id")
        table = table.loc[:, (table != "").any()]  # e.g. names a clinic did not write
        blocks += [Block("heading", f"{owner} ({len(owned)})", 3), Block("table", table=table)]
    return blocks


def _changes(changes: list[Change], scenario: Scenario) -> list[Block]:
    """The change list as in changes.csv, its local dates and times standing for the starts."""
    blocks = [Block("heading", "Changes")]
    if not changes:
        return [*blocks, Block("text", "No appointment changes.")]
    table = changes_frame(changes, scenario).drop(columns=["from_start", "to_start"])
    table = table.set_index("request_id")
    return [
        *blocks,
        Block("text", f"{len(changes)} change(s), as in changes.csv."),
        Block("table", table=table),
    ]


def _utilization(
    scenario: Scenario,
    schedule: Schedule,
    shares: dict[str, float],
    pictures: dict[str, bytes],
) -> list[Block]:
    """The heatmap of provider x hour of day and its table, with each provider's share over
    the whole horizon (`shares`, by provider id)."""
    pictures["utilization_by_hour.png"] = png_bytes(
        plot_utilization_heatmap(scenario, schedule, "hour")
    )
    grid = utilization_grid(scenario, schedule, "hour")
    table = grid.map(lambda share: "" if math.isnan(share) else _percent(share))
    table.insert(0, "whole horizon", [_percent(shares[provider]) for provider in grid.index])
    table.insert(0, "name", [scenario.provider(provider).name for provider in grid.index])
    table.index.name = "provider"
    return [
        Block("heading", "Utilization by provider and hour"),
        Block("text", f"{UTILIZATION_WORDS} Blank: the provider is not available then."),
        Block("picture", "utilization_by_hour.png"),
        Block("table", table=table),
    ]


def _percent(share: float) -> str:
    return f"{share:.0%}"
