"""The batch benchmark runs end to end on a few tiny clinics and reports what it promises."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.batch import run, write
from tests.batch.helpers import stop_dask_threads


def test_batch_benchmark_reports_clinics_per_minute_on_each_executor(tmp_path: Path) -> None:
    try:
        runs = run(clinics=3, requests=8, providers=2, days=1, limit=0.5)
    finally:
        stop_dask_threads()
    assert [r.executor for r in runs] == [
        "local, 1 process",
        "local, 2 processes",
        "Dask LocalCluster, 2 workers",
    ]
    assert all(r.solved == 3 and r.clinics_per_minute > 0 and r.cpu_seconds > 0 for r in runs)
    write(runs, tmp_path, "3 tiny clinics", "a note on the machine")
    frame = pd.read_csv(tmp_path / "batch.csv")
    assert list(frame["clinics_per_minute"]) == [r.clinics_per_minute for r in runs]
    report = (tmp_path / "batch.md").read_text()
    assert "| Dask LocalCluster, 2 workers | 3 | 3 |" in report
    assert "a note on the machine" in report
    assert (tmp_path / "batch.png").read_bytes()[:4] == b"\x89PNG"
