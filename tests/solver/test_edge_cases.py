"""Edge cases a clinic can hit, each once a crash or a silently broken rule."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from checker import check_schedule
from models.events import Cancel, ProviderOut
from models.loader import ScenarioError, load_scenario, scenario_from_data
from solver.replan import reshuffle
from solver.solve import solve

ZONE = ZoneInfo("America/Chicago")


def _clinic(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "clinic": {
            "name": "Edge",
            "timezone": "America/Chicago",
            "horizon": {"start": "2026-12-07", "days": 2},
            "hours": {"mon": "09:00-18:50", "tue": "09:00-18:50"},
        },
        "policies": {"escalation_owner": "manager", "same_day_owner": "front desk"},
        "services": [
            {
                "id": "laser",
                "name": "Laser",
                "category": "treatment",
                "duration": 60,
                "buffer_after": 15,
                "room_types": ["laser"],
                "equipment": {"gentle": 1},
            },
            {
                "id": "consult",
                "name": "Consult",
                "category": "consult",
                "duration": 30,
                "room_types": ["laser"],
            },
            {
                "id": "filler",
                "name": "Filler",
                "category": "treatment",
                "duration": 30,
                "room_types": ["laser"],
                "requires_consult": True,
            },
        ],
        "providers": [
            {
                "id": "ann",
                "name": "Ann",
                "role": "rn",
                "services": ["laser", "consult", "filler"],
                "weekly": {"mon": "09:00-18:50", "tue": "09:00-18:50"},
            },
        ],
        "rooms": [{"id": "l1", "type": "laser"}],
        "equipment": [{"id": "gentle", "name": "GentleMax", "count": 1}],
        "patients": [{"id": f"p{i}"} for i in range(10)],
        "requests": [],
        "bookings": [],
    }
    data.update(extra)
    return data


MONDAY = {"earliest": "2026-12-07", "latest": "2026-12-07"}
LASER_BOOKING = {
    "id": "b1",
    "patient": "p1",
    "service": "laser",
    "provider": "ann",
    "room": "l1",
    "start": "2026-12-07T10:00",
}
CONSULT_AND_FILLER_VISIT = [
    {"id": "c", "patient": "p1", "service": "consult", "visit": "v", **MONDAY},
    {"id": "t", "patient": "p1", "service": "filler", "visit": "v", **MONDAY},
]


def _laser_requests(count: int) -> list[dict[str, Any]]:
    window = {"earliest": "2026-12-07", "latest": "2026-12-07"}
    return [{"id": f"r{i}", "patient": f"p{i}", "service": "laser", **window} for i in range(count)]


def _sound(data: dict[str, Any]) -> Any:
    scenario = scenario_from_data(data)
    result = solve(scenario, time_limit=1, num_workers=1, seed=0)
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


def test_a_treatment_whose_consult_cannot_be_booked_says_consult_required() -> None:
    window = {"earliest": "2026-12-07", "latest": "2026-12-07"}
    data = _clinic(
        requests=[
            {"id": "c", "patient": "p1", "service": "consult", "required_provider": "bo", **window},
            {"id": "t", "patient": "p1", "service": "filler", **window},
        ]
    )
    data["providers"].append(
        {"id": "bo", "name": "Bo", "role": "aesthetician", "services": [], "weekly": {}}
    )
    result = _sound(data)
    reasons = {row.request_id: row.reason for row in result.schedule.appointments}
    assert reasons["t"] == "consult_required"


def _night(data: dict[str, Any]) -> tuple[Any, Any]:
    scenario = scenario_from_data(data)
    return scenario, solve(scenario, time_limit=1, num_workers=1, seed=0).schedule


def test_a_provider_out_over_two_days_is_away_the_next_morning_too() -> None:
    window = {"earliest": "2026-12-08", "latest": "2026-12-08"}
    data = _clinic(requests=[{"id": "r", "patient": "p1", "service": "laser", **window}])
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
    window = {"earliest": "2026-12-07", "latest": "2026-12-07"}
    data = _clinic(requests=[{"id": "r", "patient": "p1", "service": "laser", **window}])
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
    window = {"earliest": "2026-12-07", "latest": "2026-12-07"}
    data = _clinic(requests=_laser_requests(10))
    data["requests"] += [
        {"id": f"x{i}", "patient": "p9", "service": "consult", **window} for i in range(9)
    ]
    scenario, schedule = _night(data)
    unbooked = [r.request_id for r in schedule.appointments if r.status == "unscheduled"]
    assert unbooked
    now = datetime(2026, 12, 8, 9, tzinfo=ZONE)
    result = reshuffle(scenario, schedule, [], now)
    reasons = {r.request_id: r.reason for r in result.schedule.appointments}
    assert {reasons[request_id] for request_id in unbooked} == {"window_passed"}
