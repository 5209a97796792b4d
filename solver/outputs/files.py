"""The files of a solve (schedule.csv, kpis.json, exceptions.csv, gantt.png), of a re-plan
(schedule.csv, changes.csv, exceptions.csv, scenario.yaml, gantt_day.png), of a call's
options (options.csv) and of an option booked (the re-plan's set without exceptions), each set
written into --out as one (solver/outputs/folder.py); every CSV safe to open in a
spreadsheet."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from models.loader import save_scenario
from models.results import Change, ExceptionItem, Schedule, changes_frame, exceptions_frame
from models.scenario import Scenario
from models.spreadsheet import write_csv
from solver.outputs.folder import Writer, write_set
from solver.outputs.plots import plot_before_after, plot_gantt, save_figure
from solver.replan import ReshuffleResult
from solver.report import SolveResult
from solver.slots.show import OPTION_COLUMNS
from solver.slots.take import Taken


def write_outputs(result: SolveResult, kpis: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write the four solve outputs into out_dir as one set; return their paths."""
    text = json.dumps(kpis, indent=2, default=str)
    writers: dict[str, Writer] = {
        "schedule.csv": lambda path: result.schedule.write_csv(path, result.scenario),
        "kpis.json": lambda path: path.write_text(text, encoding="utf-8"),
        "exceptions.csv": lambda path: write_csv(exceptions_frame(result.exceptions), path),
        "gantt.png": lambda path: save_figure(plot_gantt(result.scenario, result.schedule), path),
    }
    return write_set(out_dir, writers, "solve")


def write_reshuffle_outputs(
    result: ReshuffleResult, before: tuple[Scenario, Schedule], out_dir: Path
) -> list[Path]:
    """Write the re-plan: new schedule, changes, exceptions, the state scenario, the day's Gantt."""
    writers = _replan_writers(
        result.state, result.schedule, result.changes, before, result.first_day, result.exceptions
    )
    return write_set(out_dir, writers, "reshuffle")


def write_taken_outputs(
    taken: Taken, before: tuple[Scenario, Schedule], out_dir: Path
) -> list[Path]:
    """Write a call's option booked: new schedule, changes, the state scenario, the day's Gantt
    (no exceptions: booking one call hands nothing to a person)."""
    writers = _replan_writers(taken.state, taken.schedule, taken.changes, before, taken.day)
    return write_set(out_dir, writers, "slots --take")


def write_options(rows: list[dict[str, Any]], out_dir: Path) -> list[Path]:
    """Write a call's ranked options as options.csv."""
    frame = pd.DataFrame(rows, columns=OPTION_COLUMNS)  # the header even with no option
    writers: dict[str, Writer] = {"options.csv": lambda path: write_csv(frame, path)}
    return write_set(out_dir, writers, "slots")


def _replan_writers(
    state: Scenario,
    schedule: Schedule,
    changes: list[Change],
    before: tuple[Scenario, Schedule],
    day: date,
    exceptions: list[ExceptionItem] | None = None,
) -> dict[str, Writer]:
    """The files a change of the calendar writes, in this order: the schedule, the change
    list, the exceptions (when there is a list of them), the state scenario and the day
    before and after."""
    writers: dict[str, Writer] = {
        "schedule.csv": lambda path: schedule.write_csv(path, state),
        "changes.csv": lambda path: write_csv(changes_frame(changes, state), path),
    }
    if exceptions is not None:
        writers["exceptions.csv"] = lambda path: write_csv(exceptions_frame(exceptions), path)
    return writers | {
        "scenario.yaml": lambda path: save_scenario(state, path),
        "gantt_day.png": lambda path: save_figure(
            plot_before_after(before, (state, schedule), day), path
        ),
    }
