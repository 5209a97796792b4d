"""`medspa explain SCENARIO SCHEDULE REQUEST_ID`: the story of one request, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.loader import save_scenario
from solver.cli import app
from tests.conftest import MINI_WEEK, mini_clinic, provider, request, service

runner = CliRunner()


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A clinic whose provider wants one booking a day, with two Monday requests and one for
    a service nobody gives; its scenario file and the schedule `medspa solve` wrote."""
    folder = tmp_path_factory.mktemp("explain")
    scenario = mini_clinic(
        services=[service("botox"), service("filler")],
        providers=[provider("rn", ["botox"], MINI_WEEK, preferences={"max_bookings_per_day": 1})],
        requests=[
            request("r1", "p1", "botox", priority=2),
            request("r2", "p2", "botox"),
            request("r3", "p2", "filler"),
        ],
    )
    path = folder / "clinic.yaml"
    save_scenario(scenario, path)
    args = ["solve", str(path), "--out", str(folder / "out"), "--time-limit", "1", "--workers", "1"]
    result = runner.invoke(app, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    return path, folder / "out" / "schedule.csv"


def _explain(solved: tuple[Path, Path], item_id: str) -> tuple[int, str]:
    scenario, schedule = map(str, solved)
    result = runner.invoke(app, ["explain", scenario, item_id, "--schedule", schedule])
    return result.exit_code, result.output


def test_an_unbooked_request_tells_eligibility_and_every_try(solved: tuple[Path, Path]) -> None:
    code, output = _explain(solved, "r2")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "r2: patient p2, botox: unscheduled, left_by_soft_rule"
    assert "over_daily_bookings 60 would cost 60 against the 30 gained" in lines[1]
    assert "  rn: candidate on Mon 2026-12-07" in lines
    assert "  Mon 2026-12-07 with rn:" in lines
    assert "    09:00-09:15: rn busy with r1; every injection room taken by r1" in lines
    assert any(
        line.startswith("    09:30-16:30: fits Mon 2026-12-07 09:30 with rn, but") for line in lines
    )


def test_a_booked_request_says_where_and_an_escalated_one_why(solved: tuple[Path, Path]) -> None:
    assert _explain(solved, "r1") == (
        0,
        "r1: patient p1, botox: booked Mon 2026-12-07 09:00 with rn in inj1\n",
    )
    code, output = _explain(solved, "r3")
    assert code == 0
    assert output.splitlines() == [
        "r3: patient p2, filler: escalated, no_permitted_provider",
        "  nobody may perform filler",
    ]


def test_an_unknown_id_exits_2_naming_it_and_the_close_ones(solved: tuple[Path, Path]) -> None:
    code, output = _explain(solved, "r22")
    assert code == 2
    assert "no request or booking 'r22' in this schedule; did you mean r2" in output
    assert str(solved[1]) in output
    assert "Traceback" not in output


def test_a_huge_unknown_id_is_quoted_as_an_excerpt(solved: tuple[Path, Path]) -> None:
    code, output = _explain(solved, "r" * 5_000_000 + "\nforged line")
    assert code == 2
    assert f"no request or booking '{'r' * 60}… (5,000,012 characters)'" in output
    assert len(output) < 1_000 and "forged line" not in output
