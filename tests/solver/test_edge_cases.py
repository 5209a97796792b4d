"""Edge cases a clinic can hit, each once a crash or a silently broken rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from checker import check_schedule
from models.events import Cancel, ProviderOut
from models.loader import ScenarioError, load_scenario, scenario_from_data
from solver.replan import reshuffle
from solver.solve import solve
from tests.conftest import booking, clinic_data, machine, provider, request, room, service
from tests.solver.test_solve import assert_sound

ZONE = ZoneInfo("America/Chicago")
OPEN = {"mon": "09:00-18:50", "tue": "09:00-18:50"}


def _clinic(**extra: Any) -> dict[str, Any]:
    """Two days, one laser room with one GentleMax, one rn (ann); `extra` adds requests."""
    return clinic_data(
        clinic={
            "name": "Edge",
            "timezone": ZONE.key,
            "horizon": {"start": "2026-12-07", "days": 2},
            "hours": OPEN,
        },
        policies={"escalation_owner": "manager", "same_day_owner": "front desk"},
        services=[
            service("laser", 60, "laser", buffer_after=15, equipment={"gentle": 1}),
            service("consult", 30, "laser", category="consult"),
            service("filler", 30, "laser", requires_consult=True),
        ],
        providers=[provider("ann", ["laser", "consult", "filler"], OPEN)],
        rooms=[room("l1", "laser")],
        equipment=[machine("gentle")],
        **extra,
    )


LASER_BOOKING = booking("b1", "p1", "laser", "ann", "l1", "2026-12-07T10:00")
CONSULT_AND_FILLER_VISIT = [
    request("c", "p1", "consult", visit="v"),
    request("t", "p1", "filler", visit="v"),
]


def _laser_requests(count: int) -> list[dict[str, Any]]:
    return [request(f"r{i}", f"p{i}", "laser") for i in range(count)]


def _sound(data: dict[str, Any]) -> Any:
    scenario = scenario_from_data(data)
    result = solve(scenario, time_limit=1, num_workers=1, seed=0, deterministic=True)
    assert check_schedule(scenario, result.schedule) == []
    return result


def test_the_last_turnover_may_run_past_closing_so_eight_lasers_fit() -> None:
    result = _sound(_clinic(requests=_laser_requests(8)))
    assert len(result.schedule.booked()) == 8


def test_overlapping_out_of_service_spans_do_not_break_the_solve() -> None:
    spans = [
        {"start": "2026-12-07T10:00", "end": "2026-12-07T12:00"},
        {"start": "2026-12-07T11:30", "end": "2026-12-07T14:07"},
    ]
    data = _clinic(requests=_laser_requests(6))
    data["rooms"][0]["out_of_service"] = spans
    data["equipment"][0]["out_of_service"] = spans
    result = _sound(data)
    for row in result.schedule.booked():
        assert row.start is not None and row.start.minute % 5 == 0
        assert row.end is not None
        start = row.start.hour * 60 + row.start.minute
        end = row.end.hour * 60 + row.end.minute + 15  # the room's turnover
        assert not (start < 14 * 60 + 10 and end > 10 * 60)  # 14:07 widens to the 14:10 slot


def test_a_booking_on_a_machine_with_no_working_unit_is_escalated_not_a_crash() -> None:
    data = _clinic()
    data["equipment"][0]["count"] = 0
    data["bookings"] = [LASER_BOOKING]
    result = _sound(data)
    assert result.schedule.appointments[0].status == "escalated"


def test_a_locked_booking_too_soon_in_its_series_is_escalated() -> None:
    data = _clinic()
    data["services"][0]["min_days_between"] = 28
    data["patients"][1]["history"] = [{"service": "laser", "date": "2026-12-01"}]
    data["bookings"] = [LASER_BOOKING]
    result = _sound(data)
    assert result.schedule.appointments[0].reason == "booking_conflict"


def test_the_front_desk_books_a_new_patients_consult_and_treatment_visit() -> None:
    data = _clinic(requests=CONSULT_AND_FILLER_VISIT)
    result = _sound(data)
    assert result.report.greedy_objective > 0
    assert {row.request_id for row in result.schedule.booked()} == {"c", "t"}


def test_a_visit_in_the_one_room_is_booked_after_the_rooms_turnover() -> None:
    data = _clinic(requests=CONSULT_AND_FILLER_VISIT)
    data["services"][1]["buffer_after"] = 15  # the consult's turnover
    result = assert_sound(scenario_from_data(data))
    booked = {row.request_id: row for row in result.schedule.booked()}
    assert set(booked) == {"c", "t"}
    assert booked["c"].room_id == booked["t"].room_id == "l1"
    assert booked["c"].end is not None and booked["t"].start is not None
    assert booked["t"].start - booked["c"].end == timedelta(minutes=15)


def test_a_treatment_whose_consult_cannot_be_booked_says_consult_required() -> None:
    data = _clinic(
        requests=[
            request("c", "p1", "consult", required_provider="bo"),
            request("t", "p1", "filler"),
        ]
    )
    data["providers"].append(provider("bo", [], {}, role="aesthetician"))
    result = _sound(data)
    reasons = {row.request_id: row.reason for row in result.schedule.appointments}
    assert reasons["t"] == "consult_required"


def _routed(requests: list[dict[str, Any]]) -> dict[str, Any]:
    """The edge clinic with a body consult that qualifies only the laser, and the consult
    that qualifies only the filler."""
    data = _clinic(requests=requests)
    data["services"][1]["qualifies"] = ["filler"]
    data["services"].append(
        service("body_consult", 20, "laser", category="consult", qualifies=["laser"])
    )
    data["providers"][0]["services"].append("body_consult")
    return data


def test_a_body_consult_does_not_qualify_the_filler_of_its_visit() -> None:
    visit = [request("c", "p1", "body_consult", visit="v"), request("t", "p1", "filler", visit="v")]
    result = assert_sound(scenario_from_data(_routed(visit)))
    reasons = {row.request_id: row.reason for row in result.schedule.appointments}
    assert reasons == {"c": "visit_incomplete", "t": "consult_required"}


def test_the_filler_is_booked_after_the_consult_that_qualifies_it() -> None:
    requests = [
        request("body", "p1", "body_consult"),
        request("t", "p1", "filler", latest="2026-12-08"),
        request("c", "p1", "consult", "2026-12-08"),
    ]
    result = assert_sound(scenario_from_data(_routed(requests)))
    booked = {row.request_id: row for row in result.schedule.booked()}
    assert set(booked) == {"body", "t", "c"}
    assert booked["c"].end is not None and booked["t"].start is not None
    assert booked["t"].start >= booked["c"].end  # on Tuesday, not after Monday's body consult


def _night(data: dict[str, Any]) -> tuple[Any, Any]:
    scenario = scenario_from_data(data)
    return scenario, solve(
        scenario, time_limit=1, num_workers=1, seed=0, deterministic=True
    ).schedule


def test_a_provider_out_over_two_days_is_away_the_next_morning_too() -> None:
    data = _clinic(requests=[request("r", "p1", "laser", "2026-12-08")])
    scenario, schedule = _night(data)
    event = ProviderOut.model_validate(
        {"provider": "ann", "from": "2026-12-07T12:00", "to": "2026-12-08T12:00"}
    )
    result = reshuffle(scenario, schedule, [event], datetime(2026, 12, 7, 11, tzinfo=ZONE))
    ann = result.state.provider("ann")
    assert {str(t.date) for t in ann.time_off} == {"2026-12-07", "2026-12-08"}
    row = next(r for r in result.schedule.appointments if r.request_id == "r")
    assert row.status != "booked" or (row.start and row.start.hour >= 12)
    assert check_schedule(result.state, result.schedule) == []


def test_a_cancellation_after_a_displacement_is_still_a_cancellation() -> None:
    data = _clinic(requests=[request("r", "p1", "laser")])
    scenario, schedule = _night(data)
    events = [ProviderOut.model_validate({"provider": "ann"}), Cancel(booking="r")]
    now = datetime(2026, 12, 7, 8, tzinfo=ZONE)
    result = reshuffle(scenario, schedule, events, now)
    row = next(r for r in result.schedule.appointments if r.request_id == "r")
    assert row.reason in {"cancelled", "cancelled_late"}


def test_a_yaml_key_that_is_not_plain_text_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text("clinic:\n  ? [a, b]\n  : 1\n")
    with pytest.raises(ScenarioError, match="a key must be plain text"):
        load_scenario(path)


def test_re_planning_a_schedule_of_another_clinic_exits_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from models.loader import save_scenario
    from solver.cli import app

    _, schedule = _night(_clinic(requests=_laser_requests(3)))
    other, _ = _night(_clinic(requests=_laser_requests(2)))
    save_scenario(other, tmp_path / "other.yaml")
    schedule.to_frame().to_csv(tmp_path / "schedule.csv", index=False)
    args = ["reshuffle", str(tmp_path / "other.yaml"), "--schedule", str(tmp_path / "schedule.csv")]
    result = CliRunner().invoke(app, [*args, "--event", "cancel:r0", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "unknown_row" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_cancelling_a_consult_takes_the_treatment_that_needs_it_off_the_calendar() -> None:
    data = _clinic(requests=CONSULT_AND_FILLER_VISIT)
    scenario, schedule = _night(data)
    assert {row.request_id for row in schedule.booked()} == {"c", "t"}
    now = datetime(2026, 12, 7, 8, tzinfo=ZONE)
    result = reshuffle(scenario, schedule, [Cancel(booking="c")], now)
    assert check_schedule(result.state, result.schedule) == []
    treatment = next(r for r in result.schedule.appointments if r.request_id == "t")
    assert (treatment.status, treatment.reason) == ("escalated", "consult_required")
    assert any(c.request_id == "t" and c.call_patient for c in result.changes)


def test_a_waitlist_request_whose_window_has_passed_says_so() -> None:
    data = _clinic(requests=_laser_requests(10))
    data["requests"] += [request(f"x{i}", "p9", "consult") for i in range(9)]
    scenario, schedule = _night(data)
    unbooked = [r.request_id for r in schedule.appointments if r.status == "unscheduled"]
    assert unbooked
    now = datetime(2026, 12, 8, 9, tzinfo=ZONE)
    result = reshuffle(scenario, schedule, [], now)
    reasons = {r.request_id: r.reason for r in result.schedule.appointments}
    assert {reasons[request_id] for request_id in unbooked} == {"window_passed"}
