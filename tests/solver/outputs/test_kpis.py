"""kpis: the figures of kpis.json on a small solved clinic, each worked out by hand."""

from __future__ import annotations

import pytest

from checker import check_schedule, recompute_objective
from models.scenario import Scenario
from solver.facts import ClinicFacts
from solver.outputs.kpis import booked_by_tier, kpis, utilization
from solver.report import SolveResult
from solver.solve import solve
from tests.conftest import TUESDAY, booking, mini_clinic, provider, request, service


def _clinic() -> Scenario:
    return mini_clinic(
        services=[
            # 45 minutes hands-on, 75 in the room, 90 with turnover
            service("botox", duration=30, processing=30, finish=15, buffer_after=15, value=200),
            service("laser", rooms=["laser"], equipment={"ipl": 1}, value=500),
            service("filler"),  # nobody may perform it
        ],
        providers=[
            provider(  # 420 minutes on Monday inside opening hours, 420 on Tuesday
                "rn",
                ["botox"],
                {"mon": ["08:00-12:00", "13:00-17:00"], "tue": "09:00-17:00"},
                time_off=[{"date": TUESDAY, "hours": "09:00-10:00"}],
            ),
            provider("md", ["laser"], {"mon": "09:00-09:30"}),
        ],
        rooms=[{"id": "inj1", "type": "injection"}, {"id": "las1", "type": "laser"}],
        equipment=[{"id": "ipl", "name": "IPL", "count": 2}],
        patients=[{"id": "vip", "tier": "vip"}, {"id": "mem", "tier": "member"}, {"id": "new"}],
        requests=[
            request("b1", "vip", "botox", latest=TUESDAY),
            request("b2", "mem", "botox", latest=TUESDAY, source="waitlist"),
            request("b3", "new", "botox", latest=TUESDAY, source="waitlist"),
            request("l1", "vip", "laser", latest=TUESDAY),
            request("l2", "new", "laser", latest=TUESDAY),  # md's only half hour goes to l1
            request("f1", "new", "filler", latest=TUESDAY),
        ],
        bookings=[booking("bk", "mem", "botox", "rn", "inj1", f"{TUESDAY}T14:00")],
    )


@pytest.fixture(scope="module")
def solved() -> SolveResult:
    scenario = _clinic()
    result = solve(scenario, time_limit=1.0, num_workers=1, seed=0, deterministic=True)
    assert check_schedule(scenario, result.schedule) == []
    statuses = {row.request_id: row.status for row in result.schedule.appointments}
    assert statuses == {
        "bk": "booked",
        "b1": "booked",
        "b2": "booked",
        "b3": "booked",
        "l1": "booked",
        "l2": "unscheduled",
        "f1": "escalated",
    }
    return result


def test_utilization_is_booked_time_over_available_time(solved: SolveResult) -> None:
    figures = utilization(ClinicFacts(solved.scenario), solved.schedule)
    assert figures == {
        "providers": {"rn": round(4 * 45 / 840, 4), "md": 1.0},  # hands-on / working
        "rooms": {"inj1": round(4 * 90 / 960, 4), "las1": round(30 / 960, 4)},  # / open
        "equipment": {"ipl": round(30 / (2 * 960), 4)},  # one of two units for 30 minutes
    }


def test_booked_by_tier_counts_requests_minutes_and_value(solved: SolveResult) -> None:
    assert booked_by_tier(solved.scenario, solved.schedule) == {
        "vip": {"requests": 2, "booked": 2, "minutes": 75 + 30, "value": 700.0},
        "member": {"requests": 1, "booked": 1, "minutes": 75, "value": 200.0},
        "new": {"requests": 3, "booked": 1, "minutes": 75, "value": 200.0},
    }  # the booking is not a request


def test_kpis_count_requests_bookings_and_the_waitlist(solved: SolveResult) -> None:
    figures = kpis(solved)
    assert figures["clinic"] == "Mini"
    assert figures["horizon"] == {"start": "2026-12-07", "days": 2}
    assert figures["requests"] == {"total": 6, "booked": 4, "unscheduled": 1, "escalated": 1}
    assert figures["bookings"] == {"total": 1, "kept": 1, "moved": 0, "escalated": 0}
    assert figures["waitlist"] == {"requests": 2, "served": 2, "share": 1.0}
    assert figures["utilization"] == utilization(solved.facts, solved.schedule)


def test_kpis_carry_the_objective_the_checker_recomputes(solved: SolveResult) -> None:
    objective = kpis(solved)["objective"]
    recomputed = recompute_objective(solved.scenario, solved.schedule)
    assert objective["total"] == recomputed.total == solved.report.objective
    assert objective["terms"]["booked_priority_minutes"] == 4 * 75 + 4 * 30 + 3 * 75 + 75
    assert objective["greedy"] == solved.report.greedy_objective
    assert objective["bound"] >= objective["total"]
    solver = kpis(solved)["solver"]
    assert solver["status"] == solved.report.status
    assert not {"terms", "progress", "objective", "greedy_objective"} & set(solver)
    assert {"best_bound", "gap", "wall_time", "num_workers", "seed"} <= set(solver)
