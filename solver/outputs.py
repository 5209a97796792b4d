"""Writing a solve's files: schedule.csv, kpis.json, exceptions.csv and gantt.png.

All files are first written into a temporary folder next to the destination and moved into
place only when every one of them is complete, so a failed run never leaves half an output.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from models.results import exceptions_frame
from solver.plots import plot_gantt, save_figure
from solver.solve import SolveResult

OUTPUT_FILES = ("schedule.csv", "kpis.json", "exceptions.csv", "gantt.png")


def write_outputs(result: SolveResult, kpis: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write the four output files into out_dir atomically; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir, prefix=".writing-"))
    try:
        result.frame.to_csv(staging / "schedule.csv", index=False)
        (staging / "kpis.json").write_text(
            json.dumps(kpis, indent=2, default=str), encoding="utf-8"
        )
        exceptions_frame(result.exceptions).to_csv(staging / "exceptions.csv", index=False)
        save_figure(plot_gantt(result.scenario, result.schedule), staging / "gantt.png")
        for name in OUTPUT_FILES:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out_dir / name for name in OUTPUT_FILES]
