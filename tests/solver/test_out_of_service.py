"""Rooms and machine units out of service: the optimizer keeps off them and the checker
catches a schedule that does not."""

from __future__ import annotations

from typing import Any

from checker import check_schedule
from models.loader import scenario_from_data
from models.results import Schedule
from solver.solve import solve
from tests.conftest import clinic_data, machine, patients, provider, request, room, service

MORNING = {"mon": "09:00-13:00"}


def _clinic(**room_extra: Any) -> dict[str, Any]:
    """Two facial rooms (`room_extra` goes to f1), three providers, two lamps, ten peels."""
    return clinic_data(
        clinic={
            "name": "Two Rooms",
            "timezone": "Europe/Berlin",
            "slot_minutes": 15,
            "hours": MORNING,
        },
        services=[service("peel", 60, "facial", equipment={"lamp": 1})],
        providers=[provider(f"p{i}", ["peel"], MORNING, role="aesthetician") for i in range(3)],
        rooms=[room("f1", "facial", **room_extra), room("f2", "facial")],
        equipment=[machine("lamp", 2)],
        patients=patients(f"c{i}" for i in range(10)),
        requests=[request(f"r{i}", f"c{i}", "peel") for i in range(10)],
    )


DOWN = [{"start": "2026-12-07T10:30", "end": "2026-12-07T12:00"}]


def _in_window(schedule: Schedule, room: str | None = None) -> list[str]:
    return [
        row.request_id
        for row in schedule.booked()
        if (room is None or row.room_id == room)
        and row.start is not None
        and row.end is not None
        and row.start.hour * 60 + row.start.minute < 12 * 60
        and row.end.hour * 60 + row.end.minute > 10 * 60 + 30
    ]


def test_a_room_out_of_service_is_not_used_and_its_twin_still_is() -> None:
    scenario = scenario_from_data(_clinic(out_of_service=DOWN))
    result = solve(scenario, time_limit=2, num_workers=1, seed=0, deterministic=True)
    assert check_schedule(scenario, result.schedule) == []
    assert _in_window(result.schedule, "f1") == []
    assert _in_window(result.schedule, "f2")
    full = solve(
        scenario_from_data(_clinic()), time_limit=2, num_workers=1, seed=0, deterministic=True
    )
    assert len(result.schedule.booked()) < len(full.schedule.booked())


def test_a_machine_unit_out_of_service_leaves_one_lamp() -> None:
    data = _clinic()
    data["equipment"][0]["out_of_service"] = DOWN
    scenario = scenario_from_data(data)
    result = solve(scenario, time_limit=2, num_workers=1, seed=0, deterministic=True)
    assert check_schedule(scenario, result.schedule) == []
    for minute in range(10 * 60 + 30, 12 * 60, 15):
        running = [
            row
            for row in result.schedule.booked()
            if row.start is not None
            and row.end is not None
            and row.start.hour * 60 + row.start.minute
            <= minute
            < row.end.hour * 60 + row.end.minute
        ]
        assert len(running) <= 1


def test_the_checker_flags_a_down_room_and_a_down_lamp() -> None:
    free = scenario_from_data(_clinic())
    schedule = solve(free, time_limit=2, num_workers=1, seed=0, deterministic=True).schedule
    assert _in_window(schedule, "f1") and len(_in_window(schedule)) >= 2
    room_down = scenario_from_data(_clinic(out_of_service=DOWN))
    assert "room_out_of_service" in {v.code for v in check_schedule(room_down, schedule)}
    data = _clinic()
    data["equipment"][0]["out_of_service"] = DOWN
    lamp_down = scenario_from_data(data)
    assert "equipment_over_capacity" in {v.code for v in check_schedule(lamp_down, schedule)}
