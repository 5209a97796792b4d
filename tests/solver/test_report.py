"""build_result: the status from objective, bound and who found the schedule; the report's
figures; the schedule, the exception queue and the frame of one result."""

from __future__ import annotations

import pandas as pd
import pytest

from models.results import SCHEDULE_COLUMNS, ProgressPoint
from models.scenario import Scenario
from solver.eligibility import Job, eligibility
from solver.facts import ClinicFacts
from solver.placement import Placement, Placements
from solver.report import FoundBy, SolveResult, SolveStats, build_result
from tests.conftest import TUESDAY, mini_clinic, request


def _clinic() -> Scenario:
    return mini_clinic(
        policies={"same_day_owner": "desk", "escalation_owner": "manager"},
        requests=[
            request("a", "p1", "botox", latest=TUESDAY),
            request("b", "p2", "botox", latest=TUESDAY),
            request("c", "p2", "botox", latest=TUESDAY),
        ],
    )


def _result(
    bound: int,
    found_by: FoundBy = "search",
    placements: Placements | None = None,
    same_day: frozenset[str] = frozenset(),
) -> tuple[SolveResult, list[Job]]:
    facts = ClinicFacts(_clinic())
    jobs = eligibility(facts).jobs
    if placements is None:
        placements = {
            "a": Placement("rn", 540, "injection", "inj1"),
            "b": Placement("rn", 600, "injection", "inj1"),
        }
    stats = SolveStats(time_limit=1.5, num_workers=1, seed=3, wall_time=0.7, build_time=0.1)
    stats.progress.append(ProgressPoint(seconds=0.0, objective=30, bound=90))
    stats.notes.append("a note")
    result = build_result(
        facts,
        jobs,
        [],
        placements,
        found_by=found_by,
        bound=bound,
        greedy_objective=30,
        stats=stats,
        same_day=same_day,
    )
    return result, jobs


OBJECTIVE = 30 + 30 - 2  # two booked 30-minute requests, 30 idle minutes between them


@pytest.mark.parametrize(
    ("bound", "found_by", "status"),
    [
        (OBJECTIVE, "search", "optimal"),
        (OBJECTIVE - 10, "front_desk", "optimal"),  # a bound below the objective is raised
        (OBJECTIVE + 1, "front_desk", "greedy"),
        (OBJECTIVE + 1, "search", "time_limit"),
    ],
)
def test_the_status_follows_the_bound_and_who_found_the_schedule(
    bound: int, found_by: FoundBy, status: str
) -> None:
    result, _ = _result(bound, found_by)
    assert result.report.status == status
    assert result.report.objective == OBJECTIVE
    assert result.report.best_bound == max(bound, OBJECTIVE)


def test_the_report_carries_the_terms_gap_and_the_solve_statistics() -> None:
    result, jobs = _result(OBJECTIVE * 2)
    report = result.report
    assert report.terms["booked_priority_minutes"] == 60
    assert report.terms["idle_slot"] == 2
    assert report.gap == pytest.approx(0.5)
    assert report.greedy_objective == 30
    assert (report.time_limit, report.num_workers, report.seed) == (1.5, 1, 3)
    assert (report.wall_time, report.build_time) == (0.7, 0.1)
    assert report.progress == [ProgressPoint(seconds=0.0, objective=30, bound=90)]
    assert report.notes == ["a note"]
    assert result.jobs == jobs and set(result.placements) == {"a", "b"}


def test_the_result_holds_the_schedule_exceptions_and_its_frame() -> None:
    result, _ = _result(OBJECTIVE, same_day=frozenset({"c"}))
    statuses = {row.request_id: row.status for row in result.schedule.appointments}
    assert statuses == {"a": "booked", "b": "booked", "c": "unscheduled"}
    assert [(e.request_id, e.owner) for e in result.exceptions] == [("c", "desk")]
    assert list(result.frame.columns) == SCHEDULE_COLUMNS
    assert list(result.frame["request_id"]) == ["a", "b", "c"]
    assert result.frame.loc[0, "start"] == pd.Timestamp("2026-12-07 09:00", tz="America/Chicago")
    assert str(result.frame["start"].dtype) == "datetime64[ns, America/Chicago]"
    assert list(result.frame["provider_name"]) == ["rn", "rn", ""]  # names from the scenario


def test_nothing_booked_and_a_zero_bound_is_optimal_with_no_gap() -> None:
    result, _ = _result(0, "front_desk", placements={})
    assert (result.report.status, result.report.objective, result.report.gap) == (
        "optimal",
        0,
        0.0,
    )
    assert len(result.exceptions) == 3
    assert {e.owner for e in result.exceptions} == {"desk"}  # their window opens on day one
    assert {e.day for e in result.exceptions} == {"2026-12-07"}
