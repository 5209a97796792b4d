"""solve(): every schedule passes the independent checker, the reported objective equals the
one recomputed from the schedule, the greedy is a floor, and tiny clinics match brute force."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import check_schedule, recompute_objective
from models.audit import audit
from models.loader import load_scenario, scenario_from_data
from models.results import Appointment, Schedule
from models.scenario import Scenario
from scenarios.generator import generate_scenario
from solver.schedule import build_schedule
from solver.solve import solve
from tests import conftest as make


def assert_sound(scenario: Scenario, time_limit: float = 2.0, seed: int = 0) -> Any:
    """Solve and assert the result passes the checker with an honest objective."""
    result = solve(scenario, time_limit=time_limit, num_workers=1, seed=seed, deterministic=True)
    violations = check_schedule(scenario, result.schedule)
    assert violations == [], [str(v) for v in violations]
    recomputed = recompute_objective(scenario, result.schedule)
    assert result.report.objective == recomputed.total
    assert result.report.terms["booked_priority_minutes"] == recomputed.booked_priority_minutes
    assert result.report.objective >= result.report.greedy_objective
    assert result.report.best_bound >= result.report.objective
    ids = [row.request_id for row in result.schedule.appointments]
    assert sorted(ids) == sorted(
        [r.id for r in scenario.requests] + [b.id for b in scenario.bookings]
    )
    _assert_honest_reasons(scenario, result)
    return result


def _assert_honest_reasons(scenario: Scenario, result: Any) -> None:
    """Every unbooked request that fits alone does: inserted, the checker accepts it and
    recomputes the change the reason names; a proven optimum leaves nothing that pays."""
    for reason in result.unbooked.values():
        if reason.insertion is None:
            continue
        assert not (result.report.status == "optimal" and reason.insertion.change > 0)
        placements = result.placements | reason.insertion.placements
        schedule = build_schedule(
            scenario, result.jobs, placements, result.escalations, result.unbooked
        )
        assert [str(v) for v in check_schedule(scenario, schedule)] == []
        change = recompute_objective(scenario, schedule).total - result.report.objective
        assert change == reason.insertion.change, reason.detail


def _switch_rules(scenario: Scenario, flags: dict[str, bool]) -> Scenario:
    """The scenario with some rule families switched off, to vary what the model must handle."""
    data = scenario.model_dump(mode="json")
    for service in data["services"]:
        if not flags["processing"]:
            service["processing"] = service["finish"] = 0
        if not flags["consults"]:
            service["requires_consult"] = False
        if not flags["series"]:
            service["min_days_between"] = None
        if not flags["machines"]:
            service["equipment"] = {}
    if not flags["visits"]:
        for request in data["requests"]:
            request["visit"] = None
    if not flags["preferences"]:
        for provider in data["providers"]:
            provider["preferences"] = {}
    if not flags["bookings"]:
        data["bookings"] = []
    if flags["outages"]:
        day = data["clinic"]["horizon"]["start"]
        span = {"start": f"{day}T10:00", "end": f"{day}T12:30"}
        data["rooms"][0]["out_of_service"] = [span]
        if data["equipment"]:
            data["equipment"][0]["out_of_service"] = [span]
    return scenario_from_data(data)


rule_flags = st.fixed_dictionaries(
    {
        name: st.booleans()
        for name in (
            "processing",
            "consults",
            "series",
            "machines",
            "visits",
            "preferences",
            "bookings",
            "outages",
        )
    }
)


@st.composite
def switched_clinics(draw: st.DrawFn) -> tuple[Scenario, int]:
    """A generated clinic with some rule families switched off (and consult routing on or
    off), and the seed it came from."""
    seed = draw(st.integers(0, 10_000))
    scenario = generate_scenario(
        requests=draw(st.integers(5, 45)),
        providers=draw(st.integers(1, 5)),
        days=draw(st.integers(1, 4)),
        seed=seed,
        consult_routing=draw(st.booleans()),
    )
    return _switch_rules(scenario, draw(rule_flags)), seed


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clinic=switched_clinics())
def test_generated_clinics_always_pass_the_checker(clinic: tuple[Scenario, int]) -> None:
    scenario, seed = clinic
    assert_sound(scenario, time_limit=1.0, seed=seed % 7)


@pytest.mark.slow
def test_the_same_seed_with_one_worker_gives_the_same_schedule() -> None:
    scenario = generate_scenario(requests=60, providers=4, days=3, seed=11)
    first = solve(scenario, time_limit=2, num_workers=1, seed=5, deterministic=True)
    second = solve(scenario, time_limit=2, num_workers=1, seed=5, deterministic=True)
    assert first.frame.equals(second.frame)


def test_a_tiny_time_limit_still_returns_a_checked_schedule_no_worse_than_greedy() -> None:
    scenario = generate_scenario(requests=200, providers=6, days=5, seed=3)
    result = assert_sound(scenario, time_limit=0.1)
    assert result.report.status in {"optimal", "feasible", "time_limit", "greedy"}
    assert result.schedule.booked()


GOOD = sorted((Path(__file__).parents[1] / "data" / "good").iterdir())


@pytest.mark.parametrize("path", GOOD, ids=lambda path: path.name)
def test_every_good_file_audits_and_solves_to_a_checked_schedule(path: Path) -> None:
    scenario = load_scenario(path)
    audit(scenario)  # warnings are the clinic's to read; it must not fail
    assert_sound(scenario, time_limit=1.0).schedule.booked()


@pytest.mark.slow
def test_the_sample_clinic_solves_to_a_valid_schedule_better_than_the_front_desk() -> None:
    scenario = load_scenario("scenarios/sample_clinic.yaml")
    result = assert_sound(scenario, time_limit=5.0)
    assert result.report.objective > result.report.greedy_objective
    assert {row.status for row in result.schedule.appointments} >= {"booked", "escalated"}
    assert len(result.exceptions) == sum(
        1 for r in result.schedule.appointments if r.status != "booked"
    )


# --- brute force on tiny clinics -------------------------------------------------------------


def _tiny(requests: list[dict[str, Any]], **service_extra: Any) -> Scenario:
    """One Monday morning on a 30-minute grid: a facial and an injection room, a LED lamp, ann
    (peel and botox, with a break) and bo (peel, once a day); `service_extra` goes to peel."""
    return make.build(
        clinic={"name": "Tiny", "slot_minutes": 30, "hours": {"mon": "09:00-12:00"}},
        services=[
            make.service("peel", 60, "facial") | service_extra,
            make.service("botox", 30, ["injection", "facial"]),
        ],
        providers=[
            make.provider("ann", ["peel", "botox"], {"mon": ["09:00-10:30", "11:00-12:00"]}),
            make.provider(
                "bo",
                ["peel"],
                {"mon": "10:00-12:00"},
                role="aesthetician",
                preferences={"max_bookings_per_day": 1},
            ),
        ],
        rooms=[make.room("f1", "facial"), make.room("i1", "injection")],
        equipment=[make.machine("lamp")],
        patients=[make.patient(f"p{i}", t) for i, t in enumerate(["vip", "member", "new", "new"])],
        requests=requests,
    )


def _brute_force(scenario: Scenario) -> int:
    """Best objective over every combination of (unbooked | provider, start) per request."""
    clock = scenario.clinic.clock()
    options: list[list[Appointment | None]] = []
    for request in scenario.requests:
        service = scenario.service(request.service)
        choices: list[Appointment | None] = [None]
        for provider, room in itertools.product(scenario.providers, scenario.rooms):
            if service.id not in provider.services or room.type not in service.room_types:
                continue  # only to keep the enumeration small; the checker judges the rest
            for start in range(9 * 60, 12 * 60, 30):
                choices.append(
                    Appointment(
                        request_id=request.id,
                        patient_id=request.patient,
                        service_id=service.id,
                        provider_id=provider.id,
                        room_id=room.id,
                        equipment=";".join(f"{k}:{v}" for k, v in service.equipment.items()),
                        start=clock.local(start),
                        end=clock.local(start + service.length),
                        status="booked",
                    )
                )
        options.append(choices)
    best = 0
    for combination in itertools.product(*options):
        rows = [
            row
            or Appointment(request_id=r.id, patient_id=r.patient, service_id=r.service, reason="x")
            for row, r in zip(combination, scenario.requests, strict=True)
        ]
        schedule = Schedule(appointments=rows)
        if not check_schedule(scenario, schedule):
            best = max(best, recompute_objective(scenario, schedule).total)
    return best


TINY_CASES = {
    "competing for one facial room": (
        [
            make.request("a", "p0", "peel"),
            make.request("b", "p1", "peel"),
            make.request("c", "p2", "peel"),
        ],
        {},
    ),
    "processing frees the provider": (
        [
            make.request("a", "p0", "peel"),
            make.request("b", "p1", "botox"),
            make.request("c", "p2", "botox"),
        ],
        {"duration": 30, "processing": 30, "finish": 30, "buffer_after": 0},
    ),
    "soft rules decide between equal bookings": (
        [
            make.request(
                "a", "p0", "peel", preferred_provider="bo", preferred_times=["11:00-12:00"]
            ),
            make.request("b", "p3", "botox", preferred_times=["09:00-10:00"]),
            make.request("c", "p1", "peel", priority=9),
        ],
        {"equipment": {"lamp": 1}, "buffer_after": 30, "duration": 30},
    ),
}


@pytest.mark.parametrize("case", TINY_CASES)
def test_tiny_clinics_match_the_brute_force_optimum(case: str) -> None:
    requests, service_extra = TINY_CASES[case]
    scenario = _tiny(requests, **service_extra)
    result = assert_sound(scenario, time_limit=10.0)
    assert result.report.status == "optimal"
    assert result.report.objective == _brute_force(scenario)


def test_day_parts_steer_the_optimizer_and_the_checker_counts_them_alike() -> None:
    scenario = make.mini_clinic(
        policies={"day_parts": {"lunch": "12:00-13:00"}},
        requests=[
            make.request("a", "p1", "botox", make.MONDAY, preferred_times=["Afternoon"]),
            make.request("b", "p2", "botox", make.MONDAY, preferred_times=["lunch"]),
        ],
    )
    result = assert_sound(scenario)
    hours = {row.request_id: row.start.hour for row in result.schedule.appointments if row.start}
    assert 12 <= hours["a"] < 17 and hours["b"] == 12
    assert result.report.terms["preferred_time"] == 0
