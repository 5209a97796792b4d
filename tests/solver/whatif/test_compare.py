"""compare(): the key figures of variants side by side, the same in parallel and serially,
an invalid variant a column with its problem; and `medspa compare` over scenario files."""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from models.loader import save_scenario
from models.scenario import Scenario
from scenarios.generator import generate_scenario
from solver.cli import app
from solver.whatif import Variant, compare, vary
from solver.whatif.compare import markdown_table, text_table, unique_names
from tests.conftest import MINI_WEEK, TUESDAY, mini_clinic, patients, provider, request, service

runner = CliRunner()
compare_module = importlib.import_module("solver.whatif.compare")
"""The module (the package's `compare` is the function)."""


class Serial(Executor):
    """An executor that runs each task at once, in this process."""

    def __init__(self) -> None:
        self.tasks = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.tasks += 1
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@pytest.fixture(scope="module")
def clinic() -> Scenario:
    """A generated 40-request clinic of two days."""
    return generate_scenario(requests=40, providers=3, days=2, seed=4)


def variants_of(clinic: Scenario) -> list[Variant]:
    first = clinic.providers[0].id
    return [
        Variant.of(clinic),
        vary(clinic, "busier").scale_demand(1.5, seed=1).build(),
        vary(clinic, "one less").remove_provider(first).build(),
        vary(clinic, "typo").remove_provider("nobody").build(),
    ]


@pytest.mark.slow
def test_the_same_table_in_parallel_and_serially(clinic: Scenario) -> None:
    variants = variants_of(clinic)
    options: dict[str, Any] = {"time_limit": 0.3, "seed": 3, "deterministic": True}
    seen: list[tuple[str, int, int]] = []
    parallel = compare(variants, on_progress=lambda *step: seen.append(step), **options)
    serial = Serial()
    pd.testing.assert_frame_equal(parallel, compare(variants, executor=serial, **options))
    assert serial.tasks == 3  # the invalid variant is not solved
    assert list(parallel.columns) == ["base", "busier", "one less", "typo"]
    assert sorted(name for name, _, _ in seen) == ["base", "busier", "one less"]
    assert [(done, total) for _, done, total in seen] == [(1, 3), (2, 3), (3, 3)]
    busier = variants[1].scenario
    assert busier is not None and parallel.loc["requests", "busier"] == len(busier.requests) > 40
    assert parallel.loc["status", "typo"] == "invalid"


def test_an_invalid_variant_is_a_column_with_its_first_problem() -> None:
    scenario = mini_clinic()
    bad = vary(scenario, "bad").remove_provider("nobody").set_deposit("botox", -1).build()
    frame = compare([Variant.of(scenario), bad], time_limit=0.5, executor=Serial())
    column = frame["bad"]
    assert column["problem"] == str(bad.problems[0])
    assert column["problem"].startswith("unknown_id remove_provider('nobody')")
    assert column["status"] == "invalid"
    assert column.drop(["problem", "status"]).isna().all()
    assert frame.loc["problem", "base"] is None


def test_the_figures_of_one_small_week() -> None:
    """rn works both days (960 minutes); p1 (a vip) books botox, p2 (new) asks for a peel nobody
    may do; md works Monday only and does nothing."""
    scenario = mini_clinic(
        services=[service("botox", 60, value=400), service("peel", 30, value=100)],
        providers=[provider("rn", ["botox"], MINI_WEEK), provider("md", ["botox"])],
        patients=[{"id": "p1", "tier": "vip"}, *patients(["p2"])],
        requests=[
            request("r1", "p1", "botox", latest=TUESDAY, required_provider="rn"),
            request("r2", "p2", "peel", source="waitlist"),
        ],
    )
    frame = compare([Variant.of(scenario)], time_limit=1, executor=Serial())
    figures = frame["base"]
    assert (figures["requests"], figures["requests booked"], figures["escalated"]) == (2, 1, 1)
    assert figures["booked priority-minutes"] == 60 * 4
    assert (figures["revenue"], figures["revenue: vip"], figures["revenue: new"]) == (400, 400, 0)
    assert figures["booked share: vip"] == 1.0 and figures["booked share: new"] == 0.0
    assert math.isnan(figures["booked share: member"])  # no member asked
    assert (figures["waitlist served"], figures["waitlist served share"]) == (0, 0.0)
    assert figures["provider utilization: rn"] == round(60 / 960, 4)
    assert figures["provider utilization: md"] == 0.0
    assert figures["utilization: providers"] == 60 / (960 + 480)
    assert figures["room utilization: inj1"] == round(60 / 960, 4)
    assert figures["exceptions"] == 1 and figures["exceptions: no_permitted_provider"] == 1
    assert figures["objective"] == 240 and figures["status"] == "optimal"


def test_an_exception_a_variant_lacks_counts_zero_there() -> None:
    scenario = mini_clinic(requests=[request("r1", "p1", "botox")])
    unpaid = vary(scenario, "deposit").set_deposit("botox", 50).build()
    frame = compare([Variant.of(scenario), unpaid], time_limit=0.5, executor=Serial())
    assert list(frame.loc["exceptions: deposit_unpaid"]) == [0, 1]
    assert list(frame.loc["requests booked"]) == [1, 0]


def test_processes_times_workers_stay_within_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    pools: list[int] = []

    class Pool(Serial):
        def __init__(self, processes: int, mp_context: Any) -> None:
            super().__init__()
            assert mp_context.get_start_method() == "spawn"
            pools.append(processes)

    monkeypatch.setattr(compare_module, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(compare_module.os, "cpu_count", lambda: 4)
    scenario = mini_clinic()
    variants = [vary(scenario, f"v{i}").build() for i in range(3)]
    compare(variants, time_limit=0.2, workers=2)
    compare(variants, time_limit=0.2, workers=1)
    compare(variants[:1], time_limit=0.2, workers=1)  # one variant: solved here, no pool
    compare(variants, time_limit=0.2, workers=8)  # as many workers as cores: no pool
    assert pools == [2, 3]


def test_unique_names() -> None:
    assert unique_names(["week", "week", "b", "week"]) == ["week", "week (2)", "b", "week (3)"]


def test_the_table_as_text_and_markdown() -> None:
    scenario = mini_clinic(requests=[request("r1", "p1", "botox")])
    bad = vary(scenario, "a|b").permit("rn", "botox").build()
    frame = compare([Variant.of(scenario), bad], time_limit=0.5, executor=Serial())
    text = text_table(frame).splitlines()
    assert text[0].split() == ["kpi", "base", "a|b"]
    assert [line.split()[-2:] for line in text if line.startswith("booked share: new")] == [
        ["100.0%", "-"]
    ]
    assert text[-1].startswith("a|b: already_permitted permit('rn', 'botox'): rn may perform")
    markdown = markdown_table(frame)
    assert markdown.startswith("| kpi | base | a\\|b |\n|---|---:|---:|\n")
    assert "| problem | - | already_permitted |" in markdown
    assert "- a\\|b: already_permitted" in markdown


# --- medspa compare ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The base clinic, a variant with one more laser-free day off, and the base again from
    another folder (the same stem)."""
    folder = tmp_path_factory.mktemp("files")
    scenario = generate_scenario(requests=20, providers=2, days=1, seed=2)
    (folder / "again").mkdir()
    base, again = folder / "week.yaml", folder / "again" / "week.yaml"
    save_scenario(scenario, base)
    save_scenario(scenario, again)
    fewer = vary(scenario, "fewer").scale_demand(0.5).build()
    assert fewer.scenario is not None
    save_scenario(fewer.scenario, folder / "fewer.yaml")
    return [base, folder / "fewer.yaml", again]


def _run(*args: str) -> Any:
    return runner.invoke(app, ["compare", *args, "--time-limit", "0.3", "--workers", "2"])


def test_medspa_compare_prints_the_table_by_file_stem(files: list[Path]) -> None:
    result = _run(*map(str, files))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["kpi", "week", "fewer", "week", "(2)"]
    requests = next(line for line in lines if line.startswith("requests "))
    assert requests.split()[1:] == ["20", "10", "20"]


def test_medspa_compare_out_writes_the_csv_and_markdown(files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    result = _run(*map(str, files[:2]), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        ".medspa-outputs.json",
        "compare.csv",
        "compare.md",
    ]
    table = pd.read_csv(out / "compare.csv", index_col="kpi")
    assert list(table.columns) == ["week", "fewer"]
    assert table.loc["requests", "fewer"] == "10"
    assert (out / "compare.md").read_text().startswith("| kpi | week | fewer |")
    assert f"wrote {out / 'compare.csv'}" in result.stdout


def test_medspa_compare_json(files: list[Path]) -> None:
    result = _run(*map(str, files[:2]), "--json", "--quiet")
    assert result.exit_code == 0, result.output
    columns = json.loads(result.stdout)
    assert [c["variant"] for c in columns] == ["week", "fewer"]
    assert columns[1]["requests"] == 10 and columns[1]["problem"] is None


def test_medspa_compare_exits_2_naming_a_bad_file(files: list[Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("clinic: {name: x}\n", encoding="utf-8")
    out = tmp_path / "cmp"
    result = _run(str(files[0]), str(broken), "--out", str(out))
    assert result.exit_code == 2
    assert f"{broken}: clinic.timezone" in result.stderr
    assert "nothing was written" in result.stderr and not out.exists()
    alone = _run(str(files[0]))
    assert alone.exit_code == 2 and "at least one variant" in alone.stderr
