"""The peer, plain CP-SAT on the full model hinted with the greedy: on a tiny clinic in a
second its schedule passes the checker and is no worse than the greedy; the runner's --peers
columns, and results.md's "no schedule" when CP-SAT returned none."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from rich.console import Console

from benchmarks.__main__ import main
from benchmarks.peers import PeerResult, peer_solve
from benchmarks.report import markdown, results_frame
from benchmarks.runner import COLUMNS, PEER_COLUMNS, SAMPLE_PATH, Run, _peer_columns, measure
from models.loader import load_scenario
from tests.benchmarks.test_runner import made_up_run


def test_plain_cpsat_on_a_tiny_clinic_passes_the_checker() -> None:
    run = Run("generated_20", 20, 0, 1.0, 2)
    peer = peer_solve(run.scenario(), 1.0, 2, 0)
    assert peer.objective is not None and peer.bound is not None
    assert peer.status in ("OPTIMAL", "FEASIBLE") and peer.checker_passes
    assert peer.violations == 0 and peer.bound >= peer.objective
    assert peer.seconds <= 1.5


def test_the_peer_column_of_a_measured_run(tmp_path: Path) -> None:
    record = measure(Run("generated_20", 20, 1, 1.0, 2, peers=True))
    assert record["peer_objective"] >= record["greedy_objective"] > 0
    assert record["peer_ratio_to_greedy"] == record["peer_objective"] / record["greedy_objective"]
    assert record["peer_checker_passes"] is True and 0 < record["peer_seconds"] <= 1.5
    without = measure(Run("generated_20", 20, 1, 0.2, 2))
    assert all(without[column] is None for column in PEER_COLUMNS)


def test_the_sample_clinic_peer_objective_is_its_schedules() -> None:
    scenario = load_scenario(SAMPLE_PATH)
    peer = peer_solve(scenario, 1.0, 2, 0)
    assert peer.objective is not None and peer.cpsat_objective is not None
    assert peer.checker_passes  # the checker recomputed the same objective
    assert peer.cpsat_objective <= peer.objective  # CP-SAT's report may lag its solution


def test_no_schedule_in_the_limit_is_said_in_the_table() -> None:
    empty = _peer_columns(PeerResult(None, None, None, 1.0, "UNKNOWN", None, None), 500)
    assert empty["peer_objective"] is None and empty["peer_ratio_to_greedy"] is None
    found = _peer_columns(PeerResult(600, 600, 700, 1.0, "FEASIBLE", True, 0), 500)
    assert found["peer_ratio_to_greedy"] == 1.2
    frame = results_frame(
        [made_up_run("generated_50", **empty), made_up_run("generated_50", seed=1, **found)]
    )
    report = markdown(frame, "test machine")
    assert "| plain CP-SAT | plain CP-SAT / greedy | plain CP-SAT checker |" in report
    assert "| no schedule | - | - |" in report and "| 600 | 1.200 | pass |" in report
    plain = markdown(results_frame([made_up_run("generated_50")]), "test machine")
    assert "plain CP-SAT" not in plain


def test_peers_option_fills_the_columns_end_to_end(tmp_path: Path) -> None:
    argv = ["--sizes", "20", "--limits", "0.5", "--seeds", "0", "--no-sample", "--peers"]
    argv += ["--best-known", str(tmp_path / "none.csv"), "--out", str(tmp_path)]
    assert main(argv, Console(file=io.StringIO(), width=300)) == 0
    results = pd.read_csv(tmp_path / "results.csv")
    assert list(results.columns) == list(COLUMNS)
    run = results.iloc[0]
    assert run["peer_objective"] >= run["greedy_objective"] and bool(run["peer_checker_passes"])
    assert pd.isna(run["best_known"]) and pd.isna(run["primal_integral"])
    assert "plain CP-SAT" in (tmp_path / "results.md").read_text()
