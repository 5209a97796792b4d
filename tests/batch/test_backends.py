"""A batch of 21 clinics (19 small, one malformed, one killed mid-solve from outside) through
the local default and through a real Dask LocalCluster: each clinic fails or is solved alone,
and the same seeds give the same schedules on both (reproducible mode). Then a re-run keeps
the complete clinics and redoes the one whose folder was damaged."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from solver.batch import BatchSettings, ClinicOutcome, ClinicPool, solve_many
from tests.batch.helpers import Announcing, kill_when_started, stop_dask_threads, write_clinics

SETTINGS = BatchSettings(time_limit=3.0, deterministic=True, seed=5)
SMALL = 19
KILLED, BROKEN = "long", "broken"


@pytest.fixture(scope="module")
def clinics(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("clinics")
    return write_clinics(folder, SMALL, long=KILLED, broken=BROKEN)


def _killing_run(executor: object, files: list[Path], root: Path) -> list[ClinicOutcome]:
    """The batch with the long clinic's process killed half a second into its solve."""
    markers = root / "started"
    markers.mkdir()
    killer = kill_when_started(markers, KILLED)
    outcomes = solve_many(
        files, Announcing(executor, markers), out=root / "out", settings=SETTINGS, at_once=2
    )
    killer.join(timeout=10)
    return outcomes


@pytest.fixture(scope="module")
def local(clinics: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("local")
    with ClinicPool(2) as pool:
        _killing_run(pool, clinics, root)
    return root / "out"


@pytest.fixture(scope="module")
def cluster_client() -> Iterator[object]:
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    # A clinic whose worker died is failed at once (by default the scheduler retries it
    # elsewhere up to 3 times), as the local default does.
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
    stop_dask_threads()


@pytest.fixture(scope="module")
def on_dask(
    clinics: list[Path], cluster_client: object, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    root = tmp_path_factory.mktemp("dask")
    _killing_run(cluster_client, clinics, root)
    return root / "out"


def _summary(out: Path) -> list[dict[str, str]]:
    import csv

    with (out / "summary.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.parametrize("backend", ["local", "on_dask"])
def test_each_clinic_fails_alone(backend: str, request: pytest.FixtureRequest) -> None:
    out: Path = request.getfixturevalue(backend)
    rows = {row["clinic"]: row for row in _summary(out)}
    assert len(rows) == SMALL + 2
    assert rows[BROKEN]["outcome"] == "failed"
    assert "invalid YAML" in rows[BROKEN]["error"]
    assert rows[KILLED]["outcome"] == "failed"
    killed = rows[KILLED]["error"]
    if backend == "local":
        assert "the solve process was killed by signal 9 (SIGKILL)" in killed
    else:
        assert "the Dask worker process solving it died" in killed
    solved = [row for name, row in rows.items() if name not in (BROKEN, KILLED)]
    assert {row["outcome"] for row in solved} == {"solved"}
    assert all((out / row["clinic"] / "schedule.csv").exists() for row in solved)
    assert not (out / KILLED).exists() and not (out / BROKEN).exists()


def test_the_same_seeds_give_the_same_schedules_locally_and_on_dask(
    local: Path, on_dask: Path
) -> None:
    figures = ("clinic", "outcome", "status", "objective", "greedy", "gap", "booked_share")
    local_rows, dask_rows = _summary(local), _summary(on_dask)
    assert [[r[f] for f in (*figures, "exceptions")] for r in local_rows] == [
        [r[f] for f in (*figures, "exceptions")] for r in dask_rows
    ]
    for row in local_rows:
        if row["outcome"] == "solved":
            name = row["clinic"]
            schedule = (local / name / "schedule.csv").read_bytes()
            assert schedule == (on_dask / name / "schedule.csv").read_bytes(), name


def test_a_re_run_keeps_complete_clinics_and_redoes_a_damaged_one(
    clinics: list[Path], local: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(local, out)
    before = (out / "c03" / "schedule.csv").read_bytes()
    (out / "c03" / "schedule.csv").write_text("request_id\n", encoding="utf-8")  # damaged
    (out / "c04" / "gantt.png").unlink()  # incomplete
    # c07's file is edited: its old outputs no longer belong to it
    (changed,) = [path for path in clinics if path.stem == "c07"]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    try:
        outcomes = {o.clinic: o for o in solve_many(clinics, out=out, settings=SETTINGS)}
    finally:
        changed.write_text(changed.read_text(encoding="utf-8").removesuffix("\n# edited\n"))
    redone = {name for name, o in outcomes.items() if o.outcome == "solved"}
    assert redone == {"c03", "c04", "c07", KILLED}
    kept = {name for name, o in outcomes.items() if o.outcome == "kept"}
    assert kept == {f"c{n:02d}" for n in range(SMALL)} - redone
    assert outcomes[BROKEN].outcome == "failed"
    assert (out / "c03" / "schedule.csv").read_bytes() == before
    assert (out / "c04" / "gantt.png").exists()
    assert {row["outcome"] for row in _summary(out)} == {"solved", "kept", "failed"}


def test_the_command_runs_on_a_cluster_given_its_scheduler_address(
    cluster_client: object, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from solver.cli import app

    files = write_clinics(tmp_path / "clinics", 3)
    address = cluster_client.scheduler.address  # type: ignore[attr-defined]
    args = ["batch", *map(str, files), "--out", str(tmp_path / "out"), "--scheduler", address]
    result = CliRunner().invoke(app, [*args, "--time-limit", "1", "--deterministic"])
    assert result.exit_code == 0, result.output
    assert [row["outcome"] for row in _summary(tmp_path / "out")] == ["solved"] * 3
