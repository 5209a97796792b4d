"""kpis: the figures of kpis.json on a small solved clinic, each worked out by hand."""

from __future__ import annotations

from collections import Counter

import pytest

from checker import check_schedule, recompute_objective
from models.scenario import Scenario
from solver.facts import ClinicFacts
from solver.outputs.kpis import (
    STARVED_RULE,
    UTILIZATION_DEFINITION,
    booked_by_tier,
    kpis,
    starved_tiers,
    utilization,
)
from solver.report import SolveResult
from solver.solve import solve
from tests.conftest import (
    TUESDAY,
    booking,
    build,
    mini_clinic,
    patients,
    provider,
    request,
    service,
)


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
        "definition": UTILIZATION_DEFINITION,
        "overall": round((4 * 45 + 30) / (840 + 30), 4),  # all hands-on / all working
        "providers": {"rn": round(4 * 45 / 840, 4), "md": 1.0},  # hands-on / working
        "rooms": {"inj1": round(4 * 90 / 960, 4), "las1": round(30 / 960, 4)},  # / open
        "equipment": {"ipl": round(30 / (2 * 960), 4)},  # one of two units for 30 minutes
    }


def test_booked_by_tier_counts_requests_minutes_and_value(solved: SolveResult) -> None:
    assert booked_by_tier(solved.scenario, solved.schedule) == {
        "vip": {"requests": 2, "booked": 2, "share": 1.0, "minutes": 75 + 30, "value": 700.0},
        "member": {"requests": 1, "booked": 1, "share": 1.0, "minutes": 75, "value": 200.0},
        "new": {"requests": 3, "booked": 1, "share": 0.3333, "minutes": 75, "value": 200.0},
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
    assert objective["gap"] == round(solved.report.gap, 4)
    solver = kpis(solved)["solver"]
    assert solver["status"] == solved.report.status
    assert not {"terms", "progress", "objective", "greedy_objective", "best_bound"} & set(solver)
    assert {"wall_time", "num_workers", "seed"} <= set(solver)


def _keys(figures: object) -> list[str]:
    """Every key of a nested dict, at any depth."""
    if not isinstance(figures, dict):
        return []
    return [key for key, value in figures.items() for key in [key, *_keys(value)]]


def test_kpis_hold_one_gap(solved: SolveResult) -> None:
    assert _keys(kpis(solved)).count("gap") == 1


def test_revenue_is_the_value_of_the_booked_services(solved: SolveResult) -> None:
    scenario, rows = solved.scenario, solved.schedule.appointments
    price = {service.id: service.value for service in scenario.services}
    booked = [row for row in rows if row.status == "booked"]
    figures = kpis(solved)["revenue"]
    assert figures["booked"] == sum(price[row.service_id] for row in booked) == 3 * 200 + 500 + 200
    assert figures["by_provider"] == {"rn": 4 * 200.0, "md": 500.0}
    by_day: Counter[str] = Counter()
    for row in booked:
        assert row.start is not None
        by_day[row.start.date().isoformat()] += price[row.service_id]  # start is local time
    assert figures["by_day"] == dict(sorted(by_day.items()))
    assert sum(figures["by_day"].values()) == figures["booked"]
    assert figures["unbooked"] == 500 + 0  # l2 (laser) and f1 (filler, no value)
    assert figures["currency"] == scenario.clinic.currency == "USD"  # the default


def _tiered(booked: dict[str, tuple[int, int]]) -> dict[str, dict[str, float]]:
    """booked_by_tier figures from (booked, requests) per tier."""
    return {
        tier: {"requests": asked, "booked": got, "share": round(got / asked, 4)}
        for tier, (got, asked) in booked.items()
    }


def test_a_tier_booked_under_half_the_best_share_is_starved() -> None:
    # the sample clinic under the default weights: 12 of 73 new patients, 21 of 22 VIPs
    tiers = _tiered({"vip": (21, 22), "member": (45, 58), "new": (12, 73)})
    (warning,) = starved_tiers(tiers)
    assert warning.code == "tier_starved"
    assert warning.where == "policies.tier_weights.new"
    assert "12 of 73 requests booked (16%) against 21 of 22 (95%) for vip" in warning.message


def test_fair_shares_and_small_tiers_give_no_warning() -> None:
    assert starved_tiers(_tiered({"vip": (20, 22), "new": (40, 73)})) == []  # 55% > 91% / 2
    assert starved_tiers(_tiered({"vip": (4, 4), "new": (1, 73)})) == []  # 4 VIP requests: too few
    assert starved_tiers(_tiered({"vip": (4, 4), "new": (0, 4)})) == []


def _five_and_five(minutes: int) -> Scenario:
    """Five VIP and five new patients each asking for one `minutes` treatment on the default
    clinic's one day, 480 working minutes of one provider."""
    return build(
        services=[service("botox", minutes)],
        patients=[*patients(VIPS, tier="vip"), *patients(NEWCOMERS)],
        requests=[request(f"r{p}", p, "botox") for p in (*VIPS, *NEWCOMERS)],
    )


VIPS, NEWCOMERS = [f"v{n}" for n in range(5)], [f"n{n}" for n in range(5)]


@pytest.mark.parametrize(("minutes", "starved"), [(90, ["new"]), (45, [])])
def test_kpis_warn_of_a_tier_the_weights_starve(minutes: int, starved: list[str]) -> None:
    scenario = _five_and_five(minutes)  # 90 minutes: room for 5 of 10; 45: for all 10
    result = solve(scenario, time_limit=1.0, num_workers=1, seed=0, deterministic=True)
    figures = kpis(result)
    shares = {tier: figures["booked_by_tier"][tier]["share"] for tier in ("vip", "new")}
    assert shares == ({"vip": 1.0, "new": 0.0} if starved else {"vip": 1.0, "new": 1.0})
    assert figures["fairness_rule"] == STARVED_RULE
    assert [w["where"].rsplit(".", 1)[1] for w in figures["warnings"]] == starved
    assert all(w["code"] == "tier_starved" for w in figures["warnings"])
