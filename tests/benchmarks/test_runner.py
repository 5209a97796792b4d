"""The benchmark runner end to end on a tiny protocol, its command line, and the targets
section, which must say by how much a target is missed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rich.console import Console

from benchmarks.__main__ import _parser, main, protocol_from
from benchmarks.report import PLOTS, markdown, results_frame, targets
from benchmarks.runner import (
    BIG_CLINIC_SIZES,
    CLINIC_SIZES,
    COLUMNS,
    PEER_COLUMNS,
    QUICK_LIMITS,
    QUICK_SEEDS,
    QUICK_SIZES,
    SAMPLE_NAME,
    TRAJECTORY_COLUMNS,
    Protocol,
    Run,
    clinic_size,
    scored,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_tiny_protocol_writes_every_output(tmp_path: Path) -> None:
    terminal = io.StringIO()
    best_known = tmp_path / "best_known.csv"
    best_known.write_text(
        "instance,seed,objective,time_limit,workers,solver_seeds,found,how\n"
        "generated_20,0,100000,600,2,0,2026-12-04,a made-up reference above any schedule\n"
    )
    argv = ["--sizes", "20", "--limits", "0.5", "--seeds", "0", "--no-sample"]
    argv += ["--best-known", str(best_known), "--out"]
    assert main([*argv, str(tmp_path)], Console(file=terminal, width=300)) == 0

    results = pd.read_csv(tmp_path / "results.csv")
    assert list(results.columns) == list(COLUMNS)
    assert len(results) == 1
    run = results.iloc[0]
    assert (run["instance"], run["requests"], run["seed"], run["time_limit"]) == (
        "generated_20",
        20,
        0,
        0.5,
    )
    assert (run["providers"], run["days"], run["workers"]) == (*clinic_size(20), 2)
    assert run["objective"] >= run["greedy_objective"] > 0
    assert run["best_bound"] >= run["objective"]
    assert bool(run["checker_passes"]) and run["violations"] == 0
    assert 0 < run["requests_booked"] <= 20
    assert run["peak_memory_mb"] > 0 and run["build_seconds"] > 0
    assert run["best_known"] == 100000
    assert run["ratio_to_best_known"] == pytest.approx(run["objective"] / 100000, abs=1e-4)
    assert 1 - run["greedy_objective"] / 100000 >= run["primal_integral"] > 0.9
    assert all(pd.isna(run[column]) for column in PEER_COLUMNS)

    points = pd.read_csv(tmp_path / "trajectories.csv")
    assert list(points.columns) == list(TRAJECTORY_COLUMNS)
    first, last = points.iloc[0], points.iloc[-1]
    assert (first["point"], first["seconds"]) == ("start", 0.0)
    assert first["objective"] >= run["greedy_objective"]  # the best start, never below
    assert (last["point"], last["objective"], last["bound"]) == (
        "final",
        run["objective"],
        run["best_bound"],
    )
    assert points["seconds"].is_monotonic_increasing

    report = (tmp_path / "results.md").read_text()
    assert "## Targets" in report and "generated_20" in report
    for target in targets(results):
        assert target.target in report
    assert "Python" in (tmp_path / "machine.txt").read_text()
    for name in PLOTS:
        assert (tmp_path / name).read_bytes().startswith(PNG_SIGNATURE)
    assert "generated_20 seed 0 limit 0.5 s" in terminal.getvalue()
    assert "of best known, primal integral" in terminal.getvalue()
    assert "| vs best known | primal integral |" in report


def test_clinic_sizes_follow_the_protocol_table() -> None:
    assert clinic_size(500) == (10, 5) and clinic_size(3000) == (30, 14)
    assert clinic_size(20) == CLINIC_SIZES[50]
    assert clinic_size(700) == CLINIC_SIZES[1000]
    assert clinic_size(10000) == (60, 28) == BIG_CLINIC_SIZES[10000]
    assert clinic_size(5000) == clinic_size(20000) == BIG_CLINIC_SIZES[10000]


def test_the_big_clinic_is_opt_in() -> None:
    full = protocol_from(_parser().parse_args([]))
    assert 10000 not in full.sizes and len(full.runs()) == 56
    big = protocol_from(_parser().parse_args(["--big"]))
    assert [(r.instance, r.requests, r.seed, r.time_limit) for r in big.runs()] == [
        ("generated_10000", 10000, 0, 120.0)
    ]
    chosen = protocol_from(_parser().parse_args(["--sizes", "10000", "--limits", "10"]))
    assert {r.instance for r in chosen.runs()} == {"generated_10000", SAMPLE_NAME}
    assert not protocol_from(_parser().parse_args(["--quick"])).peers


def test_the_solver_seed_is_the_instance_seed_unless_given() -> None:
    assert Run("generated_50", 50, 1, 1.0, 2).search_seed == 1
    other = Run("generated_50", 50, 1, 1.0, 2, solver_seed=7)
    assert other.search_seed == 7 and "seed 1 solver seed 7" in other.label()
    assert other.scenario() == Run("generated_50", 50, 1, 1.0, 2).scenario()


def test_a_run_is_scored_against_its_instance_and_seed() -> None:
    record = made_up_run("generated_50", objective=90, time_limit=10.0)
    record["trajectory"] = [{"seconds": 0.0, "objective": 90}]
    assert scored(record, {("generated_50", 1): 100})["best_known"] is None
    mine = scored(record, {("generated_50", 0): 100})
    assert (mine["best_known"], mine["ratio_to_best_known"]) == (100, 0.9)
    assert mine["primal_integral"] == pytest.approx(0.1) and not mine["beats_best_known"]
    above = scored(record, {("generated_50", 0): 80})
    assert (above["best_known"], above["primal_integral"], above["beats_best_known"]) == (
        90,
        0.0,
        True,
    )


def test_protocol_runs_every_clinic_limit_and_seed() -> None:
    runs = Protocol(sizes=(50, 150), limits=(1.0, 10.0), seeds=(0, 1)).runs()
    assert len(runs) == 3 * 2 * 2
    assert [(r.instance, r.requests) for r in runs[-4:]] == [(SAMPLE_NAME, None)] * 4
    assert {(r.time_limit, r.seed, r.workers) for r in runs[:4]} == {
        (1.0, 0, 2),
        (1.0, 1, 2),
        (10.0, 0, 2),
        (10.0, 1, 2),
    }


def test_full_protocol_is_the_default_and_quick_can_be_overridden() -> None:
    full = protocol_from(_parser().parse_args([]))
    assert full.sizes == (50, 150, 500, 1000, 2000, 3000)
    assert (full.limits, full.seeds) == ((1.0, 10.0, 30.0, 120.0), (0, 1))
    assert full.include_sample and full.workers == 2
    quick = protocol_from(_parser().parse_args(["--quick", "--limits", "2", "--no-sample"]))
    assert (quick.sizes, quick.limits, quick.seeds) == (QUICK_SIZES, (2.0,), QUICK_SEEDS)
    assert QUICK_LIMITS == (1.0, 10.0) and not quick.include_sample


@pytest.mark.parametrize(
    "argv", [["--sizes", "50,lots"], ["--limits", "0"], ["--seeds", ""], ["--workers", "0"]]
)
def test_bad_options_name_the_option_and_the_fix(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert argv[0] in error and ("for example" in error or "at least 1" in error)


def made_up_run(instance: str, **numbers: Any) -> dict[str, Any]:
    """A made-up results row: every column, the given numbers over healthy defaults."""
    requests = int(instance.rsplit("_", 1)[1])
    row: dict[str, Any] = dict.fromkeys(COLUMNS, 0)
    row.update(dict.fromkeys(("best_known", "ratio_to_best_known", "primal_integral")))
    row.update(dict.fromkeys(PEER_COLUMNS))
    row.update(instance=instance, requests=requests, seed=0, time_limit=30.0, status="time_limit")
    row.update(greedy_objective=1000, objective=1100, best_bound=1100, gap=0.0)
    row.update(ratio_to_greedy=1.1, improvement_pct=10.0, checker_passes=True)
    row.update(build_seconds=1.0, peak_memory_mb=500.0, trajectory=[])
    row.update(numbers)
    return row


def test_targets_say_by_how_much_they_are_missed() -> None:
    frame = results_frame(
        [
            made_up_run("generated_500", gap=0.12, ratio_to_best_known=0.995),
            made_up_run("generated_500", seed=1, gap=0.025, ratio_to_best_known=0.98),
            made_up_run("generated_500", time_limit=1.0, ratio_to_greedy=1.05),
            made_up_run("generated_2000", time_limit=1.0, ratio_to_greedy=1.02),
            made_up_run("generated_2000", time_limit=120.0, gap=0.10, ratio_to_best_known=0.99),
            made_up_run("generated_3000", build_seconds=3.4, peak_memory_mb=900.0),
            made_up_run("generated_3000", objective=990, seed=1),
            made_up_run(
                "generated_10000", time_limit=120.0, build_seconds=9.5, ratio_to_greedy=1.2
            ),
        ]
    )
    found = targets(frame)
    floor, gap_500, gap_2000, one_second, at_500, at_2000, build, memory = found[:8]
    month_build, month_memory, month_ratio = found[8:]
    assert floor.verdict == "missed"
    assert "1 of 8 runs below the greedy" in floor.margin
    assert "by 10 priority-minutes" in floor.margin
    assert (gap_500.verdict, gap_500.measured) == ("missed", "12.00 % (worst of 2 runs)")
    assert gap_500.margin == "2.00 % over"
    assert (gap_2000.verdict, gap_2000.margin) == ("met", "2.00 % to spare")
    assert (one_second.verdict, one_second.measured) == ("missed", "1.020 (worst of 2 runs)")
    assert one_second.margin == "0.010 short" and one_second.wanted == ">= 1.030"
    assert (at_500.verdict, at_500.margin) == ("missed", "0.010 short")
    assert (at_2000.verdict, at_2000.margin) == ("met", "0.010 to spare")
    assert (build.verdict, build.margin) == ("missed", "0.40 s over")
    assert (memory.verdict, memory.margin) == ("met", "1148 MB to spare")
    assert (month_build.verdict, month_build.margin) == ("met", "0.50 s to spare")
    assert month_memory.verdict == "met" and month_ratio.verdict == "met"
    assert "6 met, 5 missed, 0 not measured" in markdown(frame, "test machine")


def test_targets_without_the_runs_are_not_measured() -> None:
    frame = results_frame([made_up_run("generated_150", time_limit=1.0)])
    verdicts = [t.verdict for t in targets(frame)]
    assert verdicts == ["met"] + ["not measured"] * 10
