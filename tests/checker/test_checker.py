"""The independent schedule checker: a hand-made valid schedule, then one broken rule at a time.

The clinic (America/New_York) spans the 2026 spring-forward change: Saturday 2026-03-07 is at
-05:00, Monday 2026-03-09 at -04:00. The valid schedule:

| row | patient | service (length) | provider | room | local time |
|---|---|---|---|---|---|
| b1 (locked booking) | p_vip | botox (20) | md_lee | inj1 | Sat 03-07 10:00-10:20 |
| r1 (visit v1) | p_new | consult (30) | md_lee | consult1 | Mon 03-09 09:00-09:30 |
| r2 (visit v1) | p_new | botox (20) | md_lee | inj1 | Mon 09:30-09:50 |
| r3 | p_vip | coolsculpt (15+35+10) | rn_kim | body1 | Mon 10:00-11:00 |
| r4 | p_ret | laser_hair (30) | rn_kim | laser1 | Mon 10:15-10:45 (in r3's processing) |
| r5 | p_mem | facial (45) | est_ana | facial1 | Mon 10:00-10:45 |
| b2 (unlocked, moved from 14:00) | p_mem | laser_hair (30) | est_ana | laser1 | Mon 14:30-15:00 |
| r6 | p_mem | botox | escalated (consult_required) | | |
| r7 | p_new | facial | unscheduled (no_free_time) | | |
"""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import checker
from checker import check_schedule, recompute_objective
from models.findings import Finding
from models.results import Appointment, Schedule
from models.scenario import Penalties, Scenario
from tests import conftest as make
from tests.conftest import WEEKDAYS, build


def _request(rid: str, patient: str, service: str, latest: str, **more: Any) -> dict[str, Any]:
    """A request of the clinic's first Monday (2026-03-09) up to `latest`."""
    return make.request(rid, patient, service, "2026-03-09", latest, **more)


def scenario_data() -> dict[str, Any]:
    """The clinic of the module docstring, as plain data (a fresh copy each call)."""
    return make.clinic_data(
        clinic={
            "name": "Checker Spa",
            "timezone": "America/New_York",
            "horizon": {"start": "2026-03-07", "days": 7},
            "hours": make.week(WEEKDAYS, "09:00-18:00") | {"sat": "10:00-16:00"},
            "closed_dates": ["2026-03-12"],
        },
        policies={"consult_valid_days": 180},
        services=[
            make.service("consult", 30, ["consult", "injection"], category="consult"),
            make.service("botox", 20, "injection", buffer_after=10, requires_consult=True),
            make.service(
                "coolsculpt",
                15,
                "body",
                processing=35,
                finish=10,
                buffer_after=15,
                equipment={"cooler": 1},
                deposit=100,
            ),
            make.service(
                "laser_hair",
                30,
                "laser",
                buffer_after=10,
                equipment={"laser": 1},
                min_days_between=28,
            ),
            make.service("facial", 45, "facial"),
        ],
        providers=[
            make.provider(
                "md_lee",
                ["consult", "botox", "coolsculpt"],
                make.week(WEEKDAYS, ["09:00-12:00", "13:00-18:00"]) | {"sat": ["10:00-16:00"]},
                role="medical_director",
                name="Dr Lee",
                license_expires="2027-01-01",
                time_off=[{"date": "2026-03-10", "hours": "15:00-18:00"}],
                preferences={
                    "max_bookings_per_day": 2,
                    "preferred_services": ["botox", "consult"],
                },
            ),
            make.provider(
                "rn_kim",
                ["botox", "laser_hair", "coolsculpt"],
                make.week(WEEKDAYS, "09:00-17:00"),
                role="rn_injector",
                name="Kim",
                time_off=["2026-03-11"],
                preferences={"preferred_services": ["coolsculpt"]},
            ),
            make.provider(
                "est_ana",
                ["facial", "laser_hair"],
                make.week((*WEEKDAYS, "sat"), "10:00-16:00"),
                role="aesthetician",
                name="Ana",
            ),
        ],
        rooms=[
            make.room(rid, kind)
            for rid, kind in (
                ("inj1", "injection"),
                ("consult1", "consult"),
                ("body1", "body"),
                ("laser1", "laser"),
                ("laser2", "laser"),
                ("facial1", "facial"),
            )
        ],
        equipment=[
            make.machine("cooler", name="CoolSculpting"),
            make.machine("laser", name="Hair laser"),
        ],
        patients=[
            make.patient("p_vip", "vip", last_consult="2026-01-15", deposit_on_file=True),
            make.patient("p_new", "new"),
            make.patient(
                "p_mem", "member", history=[{"service": "laser_hair", "date": "2026-01-20"}]
            ),
            make.patient(
                "p_ret", "returning", history=[{"service": "laser_hair", "date": "2026-02-01"}]
            ),
        ],
        requests=[
            _request("r1", "p_new", "consult", "2026-03-10", visit="v1"),
            _request("r2", "p_new", "botox", "2026-03-10", visit="v1"),
            _request("r3", "p_vip", "coolsculpt", "2026-03-11", preferred_provider="rn_kim"),
            _request("r4", "p_ret", "laser_hair", "2026-03-20"),
            _request("r5", "p_mem", "facial", "2026-03-13", preferred_times=["10:00-12:00"])
            | {"priority": 5},
            _request("r6", "p_mem", "botox", "2026-03-13"),
            _request("r7", "p_new", "facial", "2026-03-13"),
        ],
        bookings=[
            make.booking("b1", "p_vip", "botox", "md_lee", "inj1", "2026-03-07T10:00"),
            make.booking(
                "b2",
                "p_mem",
                "laser_hair",
                "est_ana",
                "laser1",
                "2026-03-09T14:00:00-04:00",
                locked=False,
            ),
        ],
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


BOOKED_ROWS = [
    # id, patient, service, provider, room, start and end (2026-03-DDTHH:MM+offset), machines
    ("b1", "p_vip", "botox", "md_lee", "inj1", "07T10:00-05:00", "07T10:20-05:00", ""),
    ("r1", "p_new", "consult", "md_lee", "consult1", "09T09:00-04:00", "09T09:30-04:00", ""),
    ("r2", "p_new", "botox", "md_lee", "inj1", "09T09:30-04:00", "09T09:50-04:00", ""),
    (
        "r3",
        "p_vip",
        "coolsculpt",
        "rn_kim",
        "body1",
        "09T10:00-04:00",
        "09T11:00-04:00",
        "cooler:1",
    ),
    (
        "r4",
        "p_ret",
        "laser_hair",
        "rn_kim",
        "laser1",
        "09T10:15-04:00",
        "09T10:45-04:00",
        "laser:1",
    ),
    ("r5", "p_mem", "facial", "est_ana", "facial1", "09T10:00-04:00", "09T10:45-04:00", ""),
    (
        "b2",
        "p_mem",
        "laser_hair",
        "est_ana",
        "laser1",
        "09T14:30-04:00",
        "09T15:00-04:00",
        "laser:1",
    ),
]


def valid_schedule() -> Schedule:
    """The hand-made valid schedule of the module docstring."""
    rows = [
        Appointment(
            request_id=rid,
            patient_id=patient,
            service_id=service,
            provider_id=provider,
            room_id=room,
            equipment=machines,
            start=at(f"2026-03-{start}"),
            end=at(f"2026-03-{end}"),
            status="booked",
            kind="booking" if rid.startswith("b") else "request",
            moved=rid == "b2",
        )
        for rid, patient, service, provider, room, start, end, machines in BOOKED_ROWS
    ]
    rows.append(
        Appointment(
            request_id="r6",
            patient_id="p_mem",
            service_id="botox",
            status="escalated",
            reason="consult_required",
        )
    )
    rows.append(
        Appointment(
            request_id="r7",
            patient_id="p_new",
            service_id="facial",
            status="unscheduled",
            reason="no_free_time",
        )
    )
    return Schedule(appointments=rows)


def edited(schedule: Schedule, row_id: str, **fields: Any) -> Schedule:
    """The schedule with the fields of one row replaced; start/end may be ISO text."""
    for name in ("start", "end"):
        if isinstance(fields.get(name), str):
            fields[name] = at(fields[name])
    rows = [
        row.model_copy(update=fields) if row.request_id == row_id else row
        for row in schedule.appointments
    ]
    return Schedule(appointments=rows)


def moved(schedule: Schedule, row_id: str, start: str, end: str, **fields: Any) -> Schedule:
    """The schedule with one row at another local time on 2026-03-09 (-04:00) unless dated."""
    if "T" not in start:
        start, end = f"2026-03-09T{start}:00-04:00", f"2026-03-09T{end}:00-04:00"
    return edited(schedule, row_id, start=start, end=end, **fields)


def assert_only(violations: list[Finding], rule: str, *names: str) -> None:
    """Exactly `rule` is broken, and its messages name every one of `names`."""
    assert {v.code for v in violations} == {rule}, [str(v) for v in violations]
    text = " ".join(v.message for v in violations)
    for name in names:
        assert name in text, (name, text)


@pytest.fixture
def data() -> dict[str, Any]:
    """The clinic of the module docstring; the shared `scenario` fixture validates it."""
    return scenario_data()


@pytest.fixture
def schedule() -> Schedule:
    return valid_schedule()


# --- the valid schedule ------------------------------------------------------------------


def test_valid_schedule_has_no_violations(scenario: Scenario, schedule: Schedule) -> None:
    assert check_schedule(scenario, schedule) == []


def test_valid_schedule_survives_the_csv_round_trip(
    scenario: Scenario, schedule: Schedule, tmp_path: Path
) -> None:
    path = tmp_path / "schedule.csv"
    schedule.to_frame(scenario).to_csv(path, index=False)  # times in the clinic's zone
    assert check_schedule(scenario, Schedule.read_csv(path)) == []


def test_valid_schedule_objective_by_hand(scenario: Scenario, schedule: Schedule) -> None:
    result = recompute_objective(scenario, schedule)
    # r1 new 1*30 + r2 new 1*20 + r3 vip 4*60 + r4 returning 2*30 + r5 priority 5*45
    assert result.booked_priority_minutes == 30 + 20 + 240 + 60 + 225
    assert result.penalties == {
        "preferred_provider": 0,
        "preferred_time": 0,
        "over_daily_bookings": 0,
        "non_preferred_service": 2,  # r4 laser_hair with rn_kim, who prefers coolsculpt
        "moved_booking": 30,  # b2 14:00 -> 14:30
        "idle_slot": 46,  # rn_kim 5 idle minutes (1 slot), est_ana 10:45-14:30 (45 slots)
    }
    assert result.total == 575 - 78


def test_violation_text_names_rule_and_row() -> None:
    violation = Finding("provider_overlap", "q12", "provider 'rn_kim' has 'q12' and 'q40'")
    assert str(violation) == "provider_overlap q12: provider 'rn_kim' has 'q12' and 'q40'"


# --- 1, 2: rows ------------------------------------------------------------------------


def test_missing_row(scenario: Scenario, schedule: Schedule) -> None:
    rows = [row for row in schedule.appointments if row.request_id != "r7"]
    violations = check_schedule(scenario, Schedule(appointments=rows))
    assert_only(violations, "missing_row", "r7")
    assert violations[0].where == "r7"


def test_unknown_row(scenario: Scenario, schedule: Schedule) -> None:
    extra = Appointment(request_id="r99", patient_id="p_new", service_id="facial", reason="x")
    schedule.appointments.append(extra)
    assert_only(check_schedule(scenario, schedule), "unknown_row", "r99")


def test_duplicate_row(scenario: Scenario, schedule: Schedule) -> None:
    schedule.appointments.append(schedule.appointments[-1].model_copy())
    assert_only(check_schedule(scenario, schedule), "duplicate_row", "r7")


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("kind", "booking", "wrong_kind"),
        ("patient_id", "p_vip", "wrong_patient"),
        ("service_id", "botox", "wrong_service"),
    ],
)
def test_row_must_match_its_request(
    scenario: Scenario, schedule: Schedule, field: str, value: str, rule: str
) -> None:
    violations = check_schedule(scenario, edited(schedule, "r7", **{field: value}))
    assert_only(violations, rule, "r7", value)


def test_existing_booking_may_not_be_unscheduled(scenario: Scenario, schedule: Schedule) -> None:
    dropped = edited(schedule, "b2", status="unscheduled", reason="no_room", start=None, end=None)
    assert_only(check_schedule(scenario, dropped), "booking_unscheduled", "b2")


def test_existing_booking_may_be_escalated(scenario: Scenario, schedule: Schedule) -> None:
    escalated = edited(schedule, "b2", status="escalated", reason="provider_out")
    assert check_schedule(scenario, escalated) == []


def test_unbooked_row_needs_a_reason(scenario: Scenario, schedule: Schedule) -> None:
    assert_only(
        check_schedule(scenario, edited(schedule, "r7", reason=" ")), "missing_reason", "r7"
    )


# --- 3: placement, length, grid, offset ---------------------------------------------------


def test_booked_row_needs_provider_room_and_times(scenario: Scenario, schedule: Schedule) -> None:
    violations = check_schedule(scenario, edited(schedule, "r5", room_id=None))
    assert_only(violations, "missing_placement", "r5", "room")


def test_booked_row_with_unknown_provider(scenario: Scenario, schedule: Schedule) -> None:
    violations = check_schedule(scenario, edited(schedule, "r5", provider_id="dr_who"))
    assert_only(violations, "unknown_provider", "r5", "dr_who")


def test_end_must_be_start_plus_service_length(scenario: Scenario, schedule: Schedule) -> None:
    violations = check_schedule(scenario, moved(schedule, "r5", "10:00", "10:40"))
    assert_only(violations, "wrong_length", "r5", "facial", "45")


def test_start_must_be_on_the_slot_grid(scenario: Scenario, schedule: Schedule) -> None:
    violations = check_schedule(scenario, moved(schedule, "r5", "10:02", "10:47"))
    assert_only(violations, "off_grid", "r5", "5-minute")


def test_dst_day_after_spring_forward_needs_the_new_offset(
    scenario: Scenario, schedule: Schedule
) -> None:
    # The valid schedule has Monday 2026-03-09 at -04:00 and Saturday 03-07 at -05:00.
    assert check_schedule(scenario, schedule) == []
    old_offset = edited(
        schedule, "r5", start="2026-03-09T10:00:00-05:00", end="2026-03-09T10:45:00-05:00"
    )
    violations = check_schedule(scenario, old_offset)
    assert_only(violations, "wrong_utc_offset", "r5", "-05:00", "-04:00")
    assert {v.where for v in violations} == {"r5"}


def test_saturday_before_the_change_needs_the_old_offset(
    scenario: Scenario, schedule: Schedule
) -> None:
    summer = edited(
        schedule, "b1", start="2026-03-07T11:00:00-04:00", end="2026-03-07T11:20:00-04:00"
    )
    assert_only(check_schedule(scenario, summer), "wrong_utc_offset", "b1", "-04:00", "-05:00")


def test_start_without_offset_is_flagged(scenario: Scenario, schedule: Schedule) -> None:
    naive = edited(schedule, "r5", start="2026-03-09T10:00:00")
    assert_only(check_schedule(scenario, naive), "wrong_utc_offset", "r5", "no offset")


# --- 4, 5, 13: the provider ------------------------------------------------------------


def test_provider_needs_permission(scenario: Scenario, schedule: Schedule) -> None:
    violations = check_schedule(scenario, edited(schedule, "r4", provider_id="md_lee"))
    assert_only(violations, "not_permitted", "md_lee", "laser_hair", "r4")


def test_expired_licence(data: dict[str, Any], schedule: Schedule) -> None:
    data["providers"][0]["license_expires"] = "2026-03-09"
    violations = check_schedule(build(data), schedule)
    assert_only(violations, "licence_expired", "md_lee", "r1", "r2")
    assert {v.where for v in violations} == {"r1", "r2"}  # b1 on 03-07 is before expiry


def test_outside_provider_hours(scenario: Scenario, schedule: Schedule) -> None:
    violations = check_schedule(scenario, moved(schedule, "r5", "09:00", "09:45"))
    assert_only(violations, "outside_provider_hours", "est_ana", "r5", "10:00-16:00")


def test_processing_may_span_a_break_but_hands_on_may_not(
    data: dict[str, Any], schedule: Schedule
) -> None:
    data["providers"][0]["weekly"]["mon"] = ["09:00-12:00", "12:30-18:00"]
    scenario = build(data)
    # hands-on 11:45-12:00, processing 12:00-12:35 over the break, finish 12:35-12:45
    spanning = moved(schedule, "r3", "11:45", "12:45", provider_id="md_lee")
    penalties = recompute_objective(scenario, spanning).penalties
    assert check_schedule(scenario, spanning) == []
    assert penalties["preferred_provider"] == 10  # r3 prefers rn_kim
    in_break = moved(schedule, "r3", "11:50", "12:50", provider_id="md_lee")
    assert_only(check_schedule(scenario, in_break), "outside_provider_hours", "md_lee", "r3")


def test_partial_time_off(scenario: Scenario, schedule: Schedule) -> None:
    tuesday = moved(schedule, "r1", "2026-03-10T15:00:00-04:00", "2026-03-10T15:30:00-04:00")
    tuesday = moved(tuesday, "r2", "2026-03-10T15:30:00-04:00", "2026-03-10T15:50:00-04:00")
    violations = check_schedule(scenario, tuesday)
    assert_only(violations, "provider_time_off", "md_lee", "15:00-18:00", "r1", "r2")


def test_whole_day_off(scenario: Scenario, schedule: Schedule) -> None:
    wednesday = moved(schedule, "r3", "2026-03-11T10:00:00-04:00", "2026-03-11T11:00:00-04:00")
    assert_only(check_schedule(scenario, wednesday), "provider_time_off", "rn_kim", "r3", "all day")


def test_required_provider(data: dict[str, Any], schedule: Schedule) -> None:
    data["requests"][3]["required_provider"] = "est_ana"
    violations = check_schedule(build(data), schedule)
    assert_only(violations, "wrong_provider", "r4", "est_ana", "rn_kim")


# --- 6: clinic calendar ----------------------------------------------------------------


def test_outside_horizon(scenario: Scenario, schedule: Schedule) -> None:
    later = moved(
        schedule,
        "r4",
        "2026-03-14T10:00:00-04:00",
        "2026-03-14T10:30:00-04:00",
        provider_id="est_ana",
    )
    assert_only(check_schedule(scenario, later), "outside_horizon", "r4", "2026-03-14")


def test_clinic_closed_date(scenario: Scenario, schedule: Schedule) -> None:
    holiday = moved(schedule, "r4", "2026-03-12T10:15:00-04:00", "2026-03-12T10:45:00-04:00")
    assert_only(check_schedule(scenario, holiday), "clinic_closed", "r4", "2026-03-12")


def test_clinic_closed_weekday(data: dict[str, Any], schedule: Schedule) -> None:
    del data["clinic"]["hours"]["sat"]
    assert_only(check_schedule(build(data), schedule), "clinic_closed", "b1", "2026-03-07")


def test_outside_clinic_hours(data: dict[str, Any], schedule: Schedule) -> None:
    data["clinic"]["hours"]["mon"] = "09:30-18:00"
    violations = check_schedule(build(data), schedule)
    assert_only(violations, "outside_clinic_hours", "r1", "09:30-18:00")
    assert [v.where for v in violations] == ["r1"]


# --- 7, 8: rooms and machines ----------------------------------------------------------


def test_unknown_room(scenario: Scenario, schedule: Schedule) -> None:
    assert_only(
        check_schedule(scenario, edited(schedule, "r5", room_id="attic")), "unknown_room", "attic"
    )


def test_room_type(scenario: Scenario, schedule: Schedule) -> None:
    violations = check_schedule(scenario, edited(schedule, "r5", room_id="laser2"))
    assert_only(violations, "wrong_room_type", "r5", "laser2", "facial")


@pytest.mark.parametrize(("row_id", "text"), [("r4", ""), ("r4", "laser:2"), ("r5", "laser:1")])
def test_equipment_text_must_match_the_service(
    scenario: Scenario, schedule: Schedule, row_id: str, text: str
) -> None:
    violations = check_schedule(scenario, edited(schedule, row_id, equipment=text))
    assert_only(violations, "equipment_mismatch", row_id)


def test_equipment_over_capacity(scenario: Scenario, schedule: Schedule) -> None:
    same_time = moved(schedule, "r4", "14:30", "15:00", room_id="laser2")
    violations = check_schedule(scenario, same_time)
    assert_only(violations, "equipment_over_capacity", "laser", "r4", "b2", "14:30")


def test_equipment_units_come_from_the_scenario(scenario: Scenario, schedule: Schedule) -> None:
    hidden = moved(schedule, "r4", "14:30", "15:00", room_id="laser2", equipment="")
    rules = {v.code for v in check_schedule(scenario, hidden)}
    assert rules == {"equipment_mismatch", "equipment_over_capacity"}


# --- 9, 10, 11: one place at a time ----------------------------------------------------


def test_provider_overlap(scenario: Scenario, schedule: Schedule) -> None:
    violations = check_schedule(scenario, moved(schedule, "r4", "10:10", "10:40"))
    assert_only(violations, "provider_overlap", "rn_kim", "r3", "r4", "10:10")


def test_room_overlap_includes_turnover(scenario: Scenario, schedule: Schedule) -> None:
    # r4 holds laser1 10:15-10:45 plus 10 minutes of turnover
    violations = check_schedule(scenario, moved(schedule, "b2", "10:50", "11:20"))
    assert_only(violations, "room_overlap", "laser1", "r4", "b2")
    assert check_schedule(scenario, moved(schedule, "b2", "10:55", "11:25")) == []


def test_patient_overlap(data: dict[str, Any], schedule: Schedule) -> None:
    data["requests"][3]["patient"] = "p_vip"
    violations = check_schedule(build(data), edited(schedule, "r4", patient_id="p_vip"))
    assert_only(violations, "patient_overlap", "p_vip", "r3", "r4")


# --- 12, 15-18: request rules ----------------------------------------------------------


def test_request_window(data: dict[str, Any], schedule: Schedule) -> None:
    data["requests"][4]["earliest"] = "2026-03-10"
    violations = check_schedule(build(data), schedule)
    assert_only(violations, "outside_request_window", "r5", "2026-03-10..2026-03-13")


def test_visit_all_or_nothing(scenario: Scenario, schedule: Schedule) -> None:
    half = edited(schedule, "r2", status="escalated", reason="consult_required", start=None)
    assert_only(check_schedule(scenario, half), "visit_partly_booked", "v1", "r1", "r2")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-09T09:35:00-04:00", "2026-03-09T09:55:00-04:00"),
        ("2026-03-10T09:30:00-04:00", "2026-03-10T09:50:00-04:00"),
    ],
)
def test_visit_back_to_back_on_one_day(
    scenario: Scenario, schedule: Schedule, start: str, end: str
) -> None:
    violations = check_schedule(scenario, moved(schedule, "r2", start, end))
    assert_only(violations, "visit_not_back_to_back", "v1", "r1", "r2")


def test_a_visit_may_wait_for_the_room_turnover_of_the_part_before(
    data: dict[str, Any], schedule: Schedule
) -> None:
    data["services"][0]["buffer_after"] = 10  # r1, the consult, ends 09:30
    scenario = build(data)
    assert check_schedule(scenario, moved(schedule, "r2", "09:40", "10:00")) == []
    violations = check_schedule(scenario, moved(schedule, "r2", "09:45", "10:05"))
    assert_only(violations, "visit_not_back_to_back", "v1", "r1", "r2", "10 minutes")


def test_series_spacing_from_history(data: dict[str, Any], schedule: Schedule) -> None:
    data["patients"][2]["history"][0]["date"] = "2026-02-20"
    violations = check_schedule(build(data), schedule)
    assert_only(violations, "series_spacing", "p_mem", "b2", "2026-02-20", "28")


def test_series_spacing_between_rows(data: dict[str, Any], schedule: Schedule) -> None:
    data["requests"][3]["patient"] = "p_mem"
    tuesday = moved(
        schedule, "r4", "2026-03-10T10:15:00-04:00", "2026-03-10T10:45:00-04:00", patient_id="p_mem"
    )
    violations = check_schedule(build(data), tuesday)
    assert_only(violations, "series_spacing", "p_mem", "b2", "r4")


@pytest.mark.parametrize(("valid_days", "broken"), [(53, False), (52, True)])
def test_consult_valid_days(
    data: dict[str, Any], schedule: Schedule, valid_days: int, broken: bool
) -> None:
    data["services"][2]["requires_consult"] = True  # p_vip's consult was 53 days before r3
    data["policies"]["consult_valid_days"] = valid_days
    violations = check_schedule(build(data), schedule)
    if broken:
        assert_only(violations, "consult_missing", "r3", "p_vip", "2026-01-15")
    else:
        assert violations == []


def test_consult_dated_after_the_treatment_does_not_count(
    data: dict[str, Any], schedule: Schedule
) -> None:
    data["services"][2]["requires_consult"] = True
    data["patients"][0]["last_consult"] = "2026-03-10"
    assert_only(check_schedule(build(data), schedule), "consult_missing", "r3")


def test_consult_row_must_end_before_the_treatment(
    data: dict[str, Any], schedule: Schedule
) -> None:
    for request in data["requests"][:2]:
        del request["visit"]
    swapped = moved(schedule, "r2", "09:00", "09:20")
    swapped = moved(swapped, "r1", "09:20", "09:50")
    assert_only(check_schedule(build(data), swapped), "consult_missing", "r2", "p_new")


@pytest.mark.parametrize(
    ("qualifies", "broken"), [(["coolsculpt"], True), (["botox"], False), (["treatment"], False)]
)
def test_a_consult_qualifies_only_what_it_lists(
    data: dict[str, Any], schedule: Schedule, qualifies: list[str], broken: bool
) -> None:
    data["services"][0]["qualifies"] = qualifies  # r1, the consult before r2 (botox)
    violations = check_schedule(build(data), schedule)
    if broken:
        assert_only(violations, "consult_does_not_qualify", "r2", "'r1' (consult)", "p_new")
    else:
        assert violations == []


@pytest.mark.parametrize(
    ("history", "broken"),
    [
        ([{"service": "consult", "date": "2026-01-15"}], True),  # the last consult was that one
        ([{"service": "consult", "date": "2026-01-14"}], False),  # the last one is not recorded
        ([], False),
    ],
)
def test_the_consult_on_file_qualifies_by_the_history(
    data: dict[str, Any], schedule: Schedule, history: list[dict[str, str]], broken: bool
) -> None:
    data["services"][0]["qualifies"] = ["botox"]
    data["services"][2]["requires_consult"] = True  # r3 (coolsculpt), p_vip's last consult 01-15
    data["patients"][0]["history"] = history
    violations = check_schedule(build(data), schedule)
    if broken:
        assert_only(violations, "consult_does_not_qualify", "r3", "consult on 2026-01-15")
    else:
        assert violations == []


def test_a_consult_in_the_history_is_on_file(data: dict[str, Any], schedule: Schedule) -> None:
    data["services"][2]["requires_consult"] = True
    data["patients"][0]["last_consult"] = None
    assert_only(check_schedule(build(data), schedule), "consult_missing", "r3", "never")
    data["patients"][0]["history"] = [{"service": "consult", "date": "2026-02-01"}]
    assert check_schedule(build(data), schedule) == []


@pytest.mark.parametrize(
    ("on_file", "paid", "broken"), [(False, False, True), (False, True, False)]
)
def test_deposit(
    data: dict[str, Any], schedule: Schedule, on_file: bool, paid: bool, broken: bool
) -> None:
    data["patients"][0]["deposit_on_file"] = on_file
    data["requests"][2]["deposit_paid"] = paid
    violations = check_schedule(build(data), schedule)
    if broken:
        assert_only(violations, "deposit_missing", "r3", "p_vip", "$100.00")
    else:
        assert violations == []


# --- 14: existing bookings -------------------------------------------------------------


def test_locked_booking_stays(scenario: Scenario, schedule: Schedule) -> None:
    later = moved(schedule, "b1", "2026-03-07T10:30:00-05:00", "2026-03-07T10:50:00-05:00")
    violations = check_schedule(scenario, later)
    assert_only(violations, "locked_booking_moved", "b1", "2026-03-07 10:00", "10:30")


@pytest.mark.parametrize("start", ["2026-03-07T15:00:00+00:00", "2026-03-07T10:00:00-05:00"])
def test_booking_start_with_offset_in_the_scenario(
    data: dict[str, Any], schedule: Schedule, start: str
) -> None:
    data["bookings"][0]["start"] = start
    assert check_schedule(build(data), schedule) == []


def test_booking_keeps_its_provider(scenario: Scenario, schedule: Schedule) -> None:
    violations = check_schedule(scenario, edited(schedule, "b2", provider_id="rn_kim"))
    assert_only(violations, "booking_provider_changed", "b2", "est_ana", "rn_kim")


def test_unlocked_booking_stays_on_its_day(scenario: Scenario, schedule: Schedule) -> None:
    tuesday = moved(schedule, "b2", "2026-03-10T14:30:00-04:00", "2026-03-10T15:00:00-04:00")
    assert_only(check_schedule(scenario, tuesday), "booking_moved_to_other_day", "b2")


# --- objective terms -------------------------------------------------------------------


def test_penalty_keys_are_the_penalty_fields(scenario: Scenario, schedule: Schedule) -> None:
    result = recompute_objective(scenario, schedule)
    assert set(result.penalties) == set(Penalties.model_fields)
    assert result.total == result.booked_priority_minutes - sum(result.penalties.values())


def test_weight_falls_back_to_tier_and_unlisted_tiers_keep_their_default(
    data: dict[str, Any], schedule: Schedule
) -> None:
    del data["requests"][4]["priority"]  # r5: member 3 * 45 instead of 5 * 45
    data["policies"]["tier_weights"] = {"vip": 4, "member": 3}
    # r1, r2 (new) keep the default weight 1, r4 (returning) the default weight 2
    result = recompute_objective(build(data), schedule)
    assert result.booked_priority_minutes == 30 + 20 + 240 + 2 * 30 + 135


def test_bookings_do_not_count_as_booked_minutes(scenario: Scenario, schedule: Schedule) -> None:
    without_b2 = edited(schedule, "b2", status="escalated", reason="x")
    before = recompute_objective(scenario, schedule).booked_priority_minutes
    assert recompute_objective(scenario, without_b2).booked_priority_minutes == before


def test_preferred_provider_penalty(data: dict[str, Any], schedule: Schedule) -> None:
    data["requests"][2]["preferred_provider"] = "md_lee"
    assert recompute_objective(build(data), schedule).penalties["preferred_provider"] == 10


@pytest.mark.parametrize(
    ("ranges", "penalty"),
    [(["13:00-15:00", "08:00-10:00"], 5), (["09:55-10:05"], 0), (["10:00-12:00"], 0)],
)
def test_preferred_time_penalty(
    data: dict[str, Any], schedule: Schedule, ranges: list[str], penalty: int
) -> None:
    data["requests"][4]["preferred_times"] = ranges  # r5 starts 10:00
    assert recompute_objective(build(data), schedule).penalties["preferred_time"] == penalty


@pytest.mark.parametrize(
    ("times", "day_parts", "penalty"),
    [
        (["afternoon"], {}, 5),
        (["Morning"], {}, 0),
        (["morning"], {"morning": "11:00-12:00"}, 5),
        (["brunch"], {"brunch": ["08:00-09:00", "10:00-11:00"]}, 0),
        (["pm", "evening"], {}, 5),
    ],
)
def test_preferred_time_penalty_of_day_parts(
    data: dict[str, Any],
    schedule: Schedule,
    times: list[str],
    day_parts: dict[str, Any],
    penalty: int,
) -> None:
    data["requests"][4]["preferred_times"] = times  # r5 starts 10:00
    data["policies"]["day_parts"] = day_parts
    assert recompute_objective(build(data), schedule).penalties["preferred_time"] == penalty


def test_over_daily_bookings_penalty_counts_requests_and_bookings(
    data: dict[str, Any], schedule: Schedule
) -> None:
    data["providers"][0]["preferences"]["max_bookings_per_day"] = 1  # md_lee: r1, r2 on 03-09
    data["providers"][2]["preferences"] = {"max_bookings_per_day": 1}  # est_ana: r5 and b2
    assert recompute_objective(build(data), schedule).penalties["over_daily_bookings"] == 120


def test_non_preferred_service_penalty(data: dict[str, Any], schedule: Schedule) -> None:
    data["providers"][2]["preferences"] = {"preferred_services": ["laser_hair"]}
    # r4 (rn_kim) and now r5 (est_ana facial); b2 is a booking and does not count
    assert recompute_objective(build(data), schedule).penalties["non_preferred_service"] == 4


def test_moved_booking_penalty(scenario: Scenario, schedule: Schedule) -> None:
    back = moved(schedule, "b2", "14:00", "14:30")
    result = recompute_objective(scenario, back)
    assert result.penalties["moved_booking"] == 0
    assert result.penalties["idle_slot"] == 1 + 39  # est_ana now idle 10:45-14:00


def test_idle_slot_penalty_uses_its_weight(data: dict[str, Any], schedule: Schedule) -> None:
    data["policies"]["penalties"] = {"idle_slot": 2}
    assert recompute_objective(build(data), schedule).penalties["idle_slot"] == 92


# --- independence ----------------------------------------------------------------------


def test_checker_imports_nothing_from_the_solver() -> None:
    """Every module of the checker package imports only itself, models and the standard
    library, and importing it loads nothing of the solver (nor ortools)."""
    folder = Path(checker.__file__).parent
    modules: set[str] = set()
    for source in folder.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        modules |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    roots = {module.split(".")[0] for module in modules}
    assert roots <= {"checker", "models", "pandas", *sys.stdlib_module_names}, roots
    assert {m for m in modules if m.startswith("models")} <= {
        "models.findings",
        "models.scenario",
        "models.times",
        "models.results",
    }
    script = (
        "import sys, checker; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'solver', 'ortools'}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script],
        cwd=folder.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
