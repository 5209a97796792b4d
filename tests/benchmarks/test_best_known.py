"""best_known.csv: read and written as one table, a malformed row named with its file and
line, new evidence folded in keeping the higher objective, results.csv's checker-passing runs
as evidence, and the `best-known` command (a tiny long solve, and --no-solve)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from rich.console import Console

from benchmarks.__main__ import main
from benchmarks.best_known import (
    BEST_KNOWN_COLUMNS,
    BEST_KNOWN_PATH,
    BestKnown,
    BestKnownError,
    fold_in,
    from_results,
    read_best_known,
    write_best_known,
)
from benchmarks.runner import SAMPLE_NAME, TIME_LIMITS, Protocol

HEADER = ",".join(BEST_KNOWN_COLUMNS)


def _reference(instance: str, seed: int, objective: int, how: str = "test") -> BestKnown:
    return BestKnown(instance, seed, objective, 30.0, 2, "0", "2026-12-04", how)


def test_references_are_written_in_protocol_order_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "best_known.csv"
    references = [
        _reference("sample_clinic", 0, 12000),
        _reference("generated_150", 1, 6500, 'with "quotes", and a comma'),
        _reference("generated_50", 0, 2200),
    ]
    write_best_known({r.key: r for r in references}, path)
    lines = path.read_text().splitlines()
    assert lines[0] == HEADER
    assert [line.split(",")[0] for line in lines[1:]] == [
        "generated_50",
        "generated_150",
        "sample_clinic",
    ]
    assert read_best_known(path) == {r.key: r for r in references}


def test_a_missing_file_has_no_references(tmp_path: Path) -> None:
    assert read_best_known(tmp_path / "none.csv") == {}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("generated_50,0,lots,30,2,0,2026-12-04,x", "line 2: objective 'lots' is not a whole"),
        ("generated_50,0,10,30,2,0,04/12/2026,x", "line 2: found '04/12/2026' is not a date"),
        ("generated_50,0,10,-1,2,0,2026-12-04,x", "line 2: time_limit '-1' is not a number"),
        (",0,10,30,2,0,2026-12-04,x", "line 2: instance '' is not a name"),
        ("generated_50,0,10,30,2", "line 2: expected the 8 columns"),
        (
            "generated_50,0,10,30,2,0,2026-12-04,x\ngenerated_50,0,11,30,2,0,2026-12-04,y",
            "line 3: a second row for generated_50 seed 0",
        ),
    ],
)
def test_a_malformed_row_is_named_with_its_file_and_line(
    tmp_path: Path, rows: str, message: str
) -> None:
    path = tmp_path / "best_known.csv"
    path.write_text(f"{HEADER}\n{rows}\n")
    with pytest.raises(BestKnownError) as error:
        read_best_known(path)
    assert str(error.value).startswith(f"{path} line ")
    assert message in str(error.value)


def test_a_wrong_header_is_named(tmp_path: Path) -> None:
    path = tmp_path / "best_known.csv"
    path.write_text("instance,seed,objective\ngenerated_50,0,10\n")
    with pytest.raises(BestKnownError, match="line 1: the header must be instance,seed,"):
        read_best_known(path)


def test_fold_in_keeps_the_higher_objective_and_its_account() -> None:
    known = {r.key: r for r in [_reference("generated_50", 0, 100, "old"), _reference("x_1", 0, 5)]}
    evidence = [
        _reference("generated_50", 0, 120, "longer run"),
        _reference("x_1", 0, 4, "worse"),
        _reference("x_1", 0, 5, "tie"),
        _reference("generated_50", 1, 7, "first"),
    ]
    folded = fold_in(known, evidence)
    assert folded[("generated_50", 0)] == evidence[0]
    assert folded[("x_1", 0)].how == "test"  # lower and equal evidence keep what was there
    assert folded[("generated_50", 1)].objective == 7
    assert known[("generated_50", 0)].objective == 100  # the input is left alone


def test_results_evidence_counts_only_checker_passing_runs() -> None:
    rows = [
        {"instance": "generated_50", "seed": "0", "objective": "90", "time_limit": "1.0"},
        {"instance": "generated_50", "seed": "0", "objective": "99", "time_limit": "30.0"},
        {"instance": "generated_50", "seed": "0", "objective": "150", "time_limit": "120.0"},
        {"instance": "generated_50", "seed": "1", "objective": "70", "time_limit": "10.0"},
    ]
    passes = ["True", "True", "False", "True"]
    for row, passed in zip(rows, passes, strict=True):
        row.update(workers="2", checker_passes=passed)
    first, second = from_results(rows, "results.csv", "2026-11-27")
    assert (first.key, first.objective, first.time_limit) == (("generated_50", 0), 99, 30.0)
    assert "results.csv" in first.how and "2 runs" in first.how and first.found == "2026-11-27"
    assert (second.key, second.objective) == (("generated_50", 1), 70)


def test_the_committed_file_has_a_row_per_protocol_instance() -> None:
    references = read_best_known(BEST_KNOWN_PATH)
    protocol = Protocol()
    wanted = {(r.instance, r.seed) for r in protocol.runs() if r.time_limit == TIME_LIMITS[0]}
    assert set(references) == wanted
    assert (SAMPLE_NAME, 0) in references
    assert all(r.objective > 0 and r.how for r in references.values())


def test_best_known_command_solves_folds_and_writes(tmp_path: Path) -> None:
    path = tmp_path / "best_known.csv"
    path.write_text(f"{HEADER}\ngenerated_20,0,1,0.5,2,0,2026-01-01,a low old reference\n")
    results = tmp_path / "results.csv"
    results.write_text(
        "instance,seed,objective,time_limit,workers,checker_passes\n"
        "generated_20,1,2,1.0,2,True\ngenerated_30,0,3,1.0,2,True\n"
    )
    terminal = io.StringIO()
    argv = ["best-known", "--sizes", "20", "--seeds", "0", "--no-sample", "--limit", "0.5"]
    argv += ["--solver-seeds", "0,1", "--best-known", str(path), "--results", str(results)]
    assert main(argv, Console(file=terminal, width=300)) == 0
    references = read_best_known(path)
    solved = references[("generated_20", 0)]
    assert solved.objective > 1 and solved.time_limit == 0.5 and solved.solver_seeds == "0,1"
    assert solved.how.startswith("best of solver seeds 0,1 at 0.5 s, 2 workers")
    assert references[("generated_20", 1)].objective == 2  # from results.csv
    assert references[("generated_30", 0)].objective == 3
    printed = terminal.getvalue()
    assert "generated_20 seed 0 solver seed 1 limit 0.5 s" in printed
    assert f"generated_20 seed 0: {solved.objective:,} (was 1)" in printed


def test_best_known_without_solving_folds_in_results_only(tmp_path: Path) -> None:
    path, results = tmp_path / "best_known.csv", tmp_path / "results.csv"
    (tmp_path / "machine.txt").write_text("a machine; 2 cores; 2026-11-27T20:46:01+00:00\n")
    with results.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            ["instance", "seed", "objective", "time_limit", "workers", "checker_passes"]
        )
        writer.writerow(["generated_50", 0, 2203, 30.0, 2, True])
    argv = ["best-known", "--no-solve", "--best-known", str(path), "--results", str(results)]
    assert main(argv, Console(file=io.StringIO())) == 0
    (reference,) = read_best_known(path).values()
    assert (reference.objective, reference.found) == (2203, "2026-11-27")


def test_a_malformed_best_known_file_stops_the_protocol_before_any_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "best_known.csv"
    path.write_text(f"{HEADER}\ngenerated_20,zero,1,0.5,2,0,2026-01-01,x\n")
    with pytest.raises(SystemExit) as stopped:
        main(["--sizes", "20", "--limits", "0.5", "--best-known", str(path)])
    assert stopped.value.code == 2
    assert f"{path} line 2: seed 'zero' is not a whole number" in capsys.readouterr().err


def test_a_file_that_is_not_a_results_table_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results.csv"
    results.write_text("instance,seed\ngenerated_50,0\n")
    argv = ["best-known", "--no-solve", "--best-known", str(tmp_path / "b.csv")]
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--results", str(results)])
    assert stopped.value.code == 2
    assert f"{results}: not a results.csv of the runner" in capsys.readouterr().err
    assert not (tmp_path / "b.csv").exists()
