"""The re-solver benchmark runs end to end on a tiny day and reports what it promises."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.reshuffle import Trial, run, summary, write


def test_reshuffle_benchmark_writes_latency_and_value_against_a_full_re_solve(
    tmp_path: Path,
) -> None:
    trials = run(trials=3, requests=60, providers=3, night_limit=1.0, fast=0.2, seed=1, days=2)
    figures = summary(trials)
    assert figures["trials"] == 3
    assert figures["checker_ok"]
    assert 0 < figures["p50_latency_s"] <= figures["p95_latency_s"]
    write(trials, tmp_path)
    frame = pd.read_csv(tmp_path / "reshuffle.csv")
    assert len(frame) == 3
    assert {"latency", "value_fast", "value_full", "moves", "calls"} <= set(frame.columns)
    assert figures["changes_on_other_days"] == 0  # the cancellations are all on the first day
    report = (tmp_path / "reshuffle.md").read_text()
    assert "p95 latency" in report and "value filled vs full re-solve" in report
    assert "patients to call per cancellation" in report
    assert (tmp_path / "reshuffle_latency.png").read_bytes()[:4] == b"\x89PNG"


def test_the_benchmark_csv_is_safe_in_a_spreadsheet_and_keeps_its_numbers(tmp_path: Path) -> None:
    trial = Trial(0, "2026-12-08T10:00", "=cmd|' /C calc'!A0", 0.5, -30, 10, 0, 1, 0, True)
    write([trial], tmp_path)
    row = (tmp_path / "reshuffle.csv").read_text().splitlines()[1]
    assert row.split(",")[2:5] == ["'=cmd|' /C calc'!A0", "0.5", "-30"]
