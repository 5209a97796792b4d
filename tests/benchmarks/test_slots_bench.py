"""The slots benchmark runs end to end on a small clinic and reports what it promises."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.slots import run, summary, write
from scenarios.generator import generate_scenario


def test_slots_benchmark_reports_latency_options_and_the_comparison_with_reshuffle(
    tmp_path: Path,
) -> None:
    scenario = generate_scenario(requests=40, providers=3, days=2, seed=2)
    asks = run("small", scenario, night_limit=0.5, calls=4, compared=2, seed=2)
    assert len(asks) == 8  # each call with 0 and 2 moves
    assert all(ask.checker_ok for ask in asks)
    rows = {row["moves"]: row for row in summary(asks)}
    assert set(rows) == {0, 2}
    assert rows[0]["reshuffle_asked"] == 2
    assert rows[0]["first_at_least_as_good"] == rows[0]["reshuffle_free_time"]
    assert 0 <= rows[0]["p50_s"] <= rows[0]["p95_s"] <= rows[0]["max_s"]
    paths = write(asks, tmp_path, "setup words")
    frame = pd.read_csv(paths[0])
    assert {"latency", "options", "first_change", "reshuffle", "eligible"} <= set(frame.columns)
    report = paths[1].read_text()
    assert "p95_s" in report and "setup words" in report and "reshuffle" in report
    assert paths[2].read_bytes()[:4] == b"\x89PNG"
