"""`python -m benchmarks report`: a written report read back and held to the best-known
objectives as they are now."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from benchmarks.__main__ import main
from benchmarks.best_known import BestKnown, write_best_known
from benchmarks.report import read_records, write_report
from tests.benchmarks.test_runner import made_up_run


def _written(folder: Path) -> None:
    trajectory = [
        {"point": "start", "seconds": 0.0, "objective": 1000, "bound": 1200},
        {"point": "improvement", "seconds": 10.0, "objective": 1100, "bound": 1200},
        {"point": "final", "seconds": 30.0, "objective": 1100, "bound": 1200},
    ]
    runs = [
        made_up_run("generated_500", seed=seed, trajectory=trajectory, best_known=1100)
        for seed in (0, 1)
    ]
    write_report(runs, folder, "the benchmark machine; 2026-12-04T00:00:00+00:00")


def test_a_report_reads_back_as_the_records_that_wrote_it(tmp_path: Path) -> None:
    _written(tmp_path)
    first, second = read_records(tmp_path)
    assert (first["instance"], first["seed"], second["seed"]) == ("generated_500", 0, 1)
    assert first["objective"] == 1100 and first["peer_objective"] is None
    assert [p["objective"] for p in first["trajectory"]] == [1000, 1100, 1100]


def test_the_runs_are_held_to_the_best_known_of_now(tmp_path: Path) -> None:
    _written(tmp_path)
    references = tmp_path / "best_known.csv"
    better = BestKnown("generated_500", 0, 1250, 1200.0, 2, "0,1", "2026-12-04", "a long run")
    write_best_known({("generated_500", 0): better}, references)
    terminal = io.StringIO()
    code = main(
        [
            "report",
            *("--out", str(tmp_path), "--best-known", str(references)),
            *("--conditions", "quiet machine: nothing else was running"),
        ],
        Console(file=terminal, width=200),
    )
    assert code == 0 and "2 runs scored against" in terminal.getvalue()
    rows = pd.read_csv(tmp_path / "results.csv").set_index("seed")
    assert rows.loc[0, "best_known"] == 1250
    assert rows.loc[0, "ratio_to_best_known"] == pytest.approx(1100 / 1250, abs=1e-4)
    # (1/30) * (250 * 10 + 150 * 20) / 1250
    assert rows.loc[0, "primal_integral"] == pytest.approx(5500 / 37500, abs=1e-4)
    assert pd.isna(rows.loc[1, "best_known"])  # no reference for seed 1 any more
    assert "2026-12-04T00:00:00" in (tmp_path / "machine.txt").read_text()
    report = (tmp_path / "results.md").read_text()
    assert "Conditions: quiet machine: nothing else was running" in report


def test_a_folder_without_a_report_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["report", "--out", str(tmp_path / "nowhere")])
    assert stopped.value.code == 2
    assert "nowhere: no readable results.csv" in capsys.readouterr().err
