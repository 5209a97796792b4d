"""The files of a solve (schedule.csv, kpis.json, exceptions.csv, gantt.png and
gantt_week2.png ... for a horizon of more than a week, report.html), of a re-plan
(schedule.csv, changes.csv, exceptions.csv, scenario.yaml, gantt_day.png, report.html), of a
call's options (options.csv) and of an option booked (the re-plan's set without exceptions),
each set written into --out as one (solver/outputs/folder.py); every CSV safe to open in a
spreadsheet."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import Any

import pandas as pd

from models.loader import save_scenario
from models.results import (
    Schedule,
    changes_frame,
    exceptions_frame,
)
from models.scenario import Scenario
from models.spreadsheet import write_csv
from solver.outputs.clinic_report import CalendarChange, replan_page, solve_page
from solver.outputs.folder import Writer, bytes_writer, text_writer, write_set
from solver.outputs.plots import (
    GanttPage,
    gantt_page_plan,
    plot_gantt_page,
    png_bytes,
)
from solver.replan import ReshuffleResult
from solver.report import SolveResult
from solver.slots.show import OPTION_COLUMNS
from solver.slots.take import Taken


def write_outputs(result: SolveResult, kpis: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write the solve outputs into out_dir as one set (the schedule, KPIs, exceptions, a
    Gantt chart per week and report.html, which embeds the same charts); return their paths."""
    text = json.dumps(kpis, indent=2, default=str)
    scenario, schedule = result.scenario, result.schedule
    charts = {
        page.name: cache(partial(_page_png, scenario, schedule, page))
        for page in gantt_page_plan(scenario, schedule)
    }
    writers: dict[str, Writer] = {
        "schedule.csv": lambda path: schedule.write_csv(path, scenario),
        "kpis.json": lambda path: path.write_text(text, encoding="utf-8"),
        "exceptions.csv": lambda path: write_csv(exceptions_frame(result.exceptions), path),
    }
    writers |= {name: bytes_writer(chart) for name, chart in charts.items()}
    writers["report.html"] = text_writer(
        lambda: solve_page(result, kpis, {name: chart() for name, chart in charts.items()})
    )
    return write_set(out_dir, writers, "solve")


def _page_png(scenario: Scenario, schedule: Schedule, page: GanttPage) -> bytes:
    return png_bytes(plot_gantt_page(scenario, schedule, page))


def write_reshuffle_outputs(
    result: ReshuffleResult,
    before: tuple[Scenario, Schedule],
    out_dir: Path,
    now: datetime | None = None,
) -> list[Path]:
    """Write the re-plan: new schedule, changes, exceptions, the state scenario, the day's Gantt
    (with a line at `now`, the re-plan's present, when given) and report.html."""
    change = CalendarChange(
        result.state,
        result.schedule,
        result.changes,
        before,
        result.first_day,
        result.exceptions,
        result.report,
        now,
    )
    return write_set(out_dir, _replan_writers(change), "reshuffle")


def write_taken_outputs(
    taken: Taken, before: tuple[Scenario, Schedule], out_dir: Path, now: datetime | None = None
) -> list[Path]:
    """Write a call's option booked: new schedule, changes, the state scenario, the day's Gantt
    (with a line at `now` when given) and report.html (no exceptions: booking one call hands
    nothing to a person)."""
    change = CalendarChange(taken.state, taken.schedule, taken.changes, before, taken.day, now=now)
    return write_set(out_dir, _replan_writers(change), "slots --take")


def write_options(rows: list[dict[str, Any]], out_dir: Path) -> list[Path]:
    """Write a call's ranked options as options.csv."""
    frame = pd.DataFrame(rows, columns=OPTION_COLUMNS)  # the header even with no option
    writers: dict[str, Writer] = {"options.csv": lambda path: write_csv(frame, path)}
    return write_set(out_dir, writers, "slots")


def _replan_writers(change: CalendarChange) -> dict[str, Writer]:
    """The files a change of the calendar writes, in this order: the schedule, the change
    list, the exceptions (when there is a list of them), the state scenario, the day before
    and after and report.html."""
    state, exceptions = change.state, change.exceptions
    writers: dict[str, Writer] = {
        "schedule.csv": lambda path: change.schedule.write_csv(path, state),
        "changes.csv": lambda path: write_csv(changes_frame(change.changes, state), path),
    }
    if exceptions is not None:
        writers["exceptions.csv"] = lambda path: write_csv(exceptions_frame(exceptions), path)
    return writers | {
        "scenario.yaml": lambda path: save_scenario(state, path),
        "gantt_day.png": bytes_writer(lambda: change.picture),
        "report.html": text_writer(lambda: replan_page(change)),
    }
