"""The files of a solve (schedule.csv, kpis.json, exceptions.csv, gantt.png) and of a re-plan
(schedule.csv, changes.csv, exceptions.csv, scenario.yaml, gantt_day.png), each set written
into --out as one (solver/outputs/folder.py); every CSV safe to open in a spreadsheet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.loader import save_scenario
from models.results import Schedule, changes_frame, exceptions_frame
from models.scenario import Scenario
from models.spreadsheet import write_csv
from solver.outputs.folder import Writer, write_set
from solver.outputs.plots import plot_before_after, plot_gantt, save_figure
from solver.replan import ReshuffleResult
from solver.report import SolveResult


def write_outputs(result: SolveResult, kpis: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write the four solve outputs into out_dir as one set; return their paths."""
    text = json.dumps(kpis, indent=2, default=str)
    writers: dict[str, Writer] = {
        "schedule.csv": result.schedule.write_csv,
        "kpis.json": lambda path: path.write_text(text, encoding="utf-8"),
        "exceptions.csv": lambda path: write_csv(exceptions_frame(result.exceptions), path),
        "gantt.png": lambda path: save_figure(plot_gantt(result.scenario, result.schedule), path),
    }
    return write_set(out_dir, writers, "solve")


def write_reshuffle_outputs(
    result: ReshuffleResult, before: tuple[Scenario, Schedule], out_dir: Path
) -> list[Path]:
    """Write the re-plan: new schedule, changes, exceptions, the state scenario, the day's Gantt."""
    day = result.first_day
    writers: dict[str, Writer] = {
        "schedule.csv": result.schedule.write_csv,
        "changes.csv": lambda path: write_csv(changes_frame(result.changes), path),
        "exceptions.csv": lambda path: write_csv(exceptions_frame(result.exceptions), path),
        "scenario.yaml": lambda path: save_scenario(result.state, path),
        "gantt_day.png": lambda path: save_figure(
            plot_before_after(before, (result.state, result.schedule), day), path
        ),
    }
    return write_set(out_dir, writers, "reshuffle")
