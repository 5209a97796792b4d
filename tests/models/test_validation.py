"""Every scenario rule, field-level and cross-reference, with a failing and a passing case."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from models.findings import Finding
from models.loader import ScenarioError, scenario_from_data
from models.scenario import Clinic, Horizon, Patient, Request, Scenario, Service
from models.validation import cross_reference_problems
from tests import conftest as make

BASE: dict[str, Any] = make.clinic_data(
    clinic={
        "timezone": "America/New_York",
        "slot_minutes": 5,
        "horizon": {"start": "2026-03-09", "days": 5},
        "hours": {"mon": "09:00-18:00", "tue": "09:00-18:00"},
    },
    policies={"reminders": [{"name": "day_before", "hours_before": 24}]},
    services=[
        make.service("botox", 30, "injection", name="Neuromodulator"),
        make.service(
            "coolsculpt",
            15,
            "body",
            name="CoolSculpting",
            processing=35,
            finish=15,
            buffer_after=10,
            equipment={"coolsculpt_unit": 1},
        ),
    ],
    providers=[
        make.provider(
            "dr_ng",
            ["botox", "coolsculpt"],
            {"mon": ["09:00-13:00", "14:00-18:00"]},
            role="medical_director",
            name="Dr. Ng",
            time_off=[{"date": "2026-03-10", "hours": "12:00-15:00"}],
        ),
        make.provider(
            "rn_kim",
            ["botox"],
            {"mon": "09:00-18:00", "tue": "09:00-18:00"},
            role="rn_injector",
            name="Kim Lee",
            preferences={"preferred_services": ["botox"]},
        ),
    ],
    rooms=[make.room("inj1", "injection"), make.room("body1", "body")],
    equipment=[make.machine("coolsculpt_unit", name="CoolSculpt Elite")],
    patients=[
        make.patient("p1", "vip", history=[{"service": "botox", "date": "2026-01-05"}]),
        make.patient("p2"),
    ],
    requests=[make.request("r1", "p1", "botox", "2026-03-09", "2026-03-13", visit="v1")],
    bookings=[make.booking("b1", "p2", "botox", "rn_kim", "inj1", "2026-03-09T10:00:00")],
)

BOTOX = "services[0] (id 'botox')"
COOLSCULPT = "services[1] (id 'coolsculpt')"
DR_NG = "providers[0] (id 'dr_ng')"
RN_KIM = "providers[1] (id 'rn_kim')"
R1 = "requests[0] (id 'r1')"
B1 = "bookings[0] (id 'b1')"
P1 = "patients[0] (id 'p1')"
AT_LEAST_0 = "greater than or equal to 0"
AT_LEAST_1 = "greater than or equal to 1"


def changed(where: str, value: Any) -> dict[str, Any]:
    """A copy of BASE with one value set (or appended, for the next list index)."""
    return make.edited(BASE, {where: value})


def problems_of(data: dict[str, Any]) -> list[Finding]:
    """The problems the loader reports for data (none if it loads)."""
    try:
        scenario_from_data(data)
    except ScenarioError as error:
        return error.problems
    return []


def request(**fields: str) -> dict[str, str]:
    """A request of patient p1 for botox, with some fields changed."""
    return {**BASE["requests"][0], **fields}


def one_rule(where: str, bad: Any, good: Any, path: str, message: str) -> Any:
    """A test case: setting `where` to `bad` breaks one rule, to `good` keeps it."""
    label = f"{where}={bad!r}"
    return pytest.param(where, bad, good, path, message, id=label[:80])


FIELD_RULES = [
    one_rule("clinic.name", "", "Spa", "clinic.name", "at least 1 character"),
    one_rule("clinic.timezone", "Mars/Olympus", "Europe/Berlin", "clinic.timezone", "IANA"),
    one_rule("clinic.slot_minutes", 0, 1, "clinic.slot_minutes", "greater than or equal to 1"),
    one_rule("clinic.slot_minutes", 90, 5, "clinic.slot_minutes", "less than or equal to 60"),
    one_rule("clinic.slot_minutes", 7, 5, "clinic.slot_minutes", "does not divide an hour"),
    one_rule("clinic.horizon.days", 0, 1, "clinic.horizon.days", "greater than or equal to 1"),
    one_rule("clinic.horizon.days", 367, 366, "clinic.horizon.days", "less than or equal to 366"),
    one_rule(
        "clinic.horizon.start", "2026-02-29", "2026-03-09", "clinic.horizon.start", "day value"
    ),
    one_rule("clinic.hours.mon", "18:00-09:00", "09:00-18:00", "clinic.hours.mon", "ends before"),
    one_rule("clinic.hours.mon", "09:00-24:30", "09:00-24:00", "clinic.hours.mon", "time of day"),
    one_rule("clinic.hours.mon", "9-18", "9:00-18:00", "clinic.hours.mon", "'9' is not a time"),
    one_rule("clinic.closed_dates", ["someday"], ["2026-03-10"], "clinic.closed_dates[0]", "date"),
    one_rule("clinic.extra", 1, None, "clinic.extra", "unknown field 'extra'"),
    one_rule("policies.consult_valid_days", 0, 1, "policies.consult_valid_days", AT_LEAST_1),
    one_rule(
        "policies.tier_weights", {"new": 0}, {"new": 1}, "policies.tier_weights.new", "(got 0)"
    ),
    one_rule(
        "policies.tier_weights", {"gold": 2}, {"vip": 2}, "policies.tier_weights.gold", "gold"
    ),
    one_rule("policies.waitlist_order", ["vip"], ["tier"], "policies.waitlist_order[0]", "'vip'"),
    one_rule("policies.quiet_hours", "21:00", "21:00-24:00", "policies.quiet_hours", "time range"),
    one_rule(
        "policies.penalties",
        {"idle_slot": -1},
        {"idle_slot": 0},
        "policies.penalties.idle_slot",
        AT_LEAST_0,
    ),
    one_rule(
        "policies.reminders.0",
        {"name": "confirm"},
        {"name": "confirm", "on_booking": True},
        "policies.reminders[0]",
        "needs on_booking: true, hours_before: N, or days_before: N with at: HH:MM",
    ),
    one_rule(
        "services.2",
        {**BASE["services"][0], "id": "bo tox"},
        {**BASE["services"][0], "id": "bo_tox"},
        "services[2] (id 'bo tox').id",
        "letters, digits",
    ),
    one_rule("services.0.category", "filler", "touch_up", f"{BOTOX}.category", "(got 'filler')"),
    one_rule("services.0.duration", 0, 5, f"{BOTOX}.duration", "greater than 0"),
    one_rule("services.0.duration", "30 min", "30", f"{BOTOX}.duration", "whole number"),
    one_rule("services.0.buffer_after", -5, 0, f"{BOTOX}.buffer_after", AT_LEAST_0),
    one_rule("services.0.room_types", [], ["injection"], f"{BOTOX}.room_types", "at least 1"),
    one_rule("services.0.deposit", -1, 0, f"{BOTOX}.deposit", "greater than or equal to 0"),
    one_rule("services.0.min_days_between", 0, 1, f"{BOTOX}.min_days_between", AT_LEAST_1),
    one_rule("services.1.processing", 0, 5, COOLSCULPT, "finish minutes only make sense"),
    one_rule(
        "services.1.equipment",
        {"coolsculpt_unit": 0},
        {"coolsculpt_unit": 1},
        f"{COOLSCULPT}.equipment.coolsculpt_unit",
        "greater than or equal to 1",
    ),
    one_rule("services.0.durration", 30, None, f"{BOTOX}.durration", "unknown field 'durration'"),
    one_rule("providers.1.name", "", "Kim", f"{RN_KIM}.name", "at least 1 character"),
    one_rule(
        "providers.1.weekly.tue",
        9,
        ["09:00-12:00"],
        f"{RN_KIM}.weekly.tue",
        "9 is not a time range; write it as 'HH:MM-HH:MM' in quotes",
    ),
    one_rule("providers.1.weekly.tusday", "09:00-12:00", None, f"{RN_KIM}.weekly.tusday", "'mon'"),
    one_rule(
        "providers.1.weekly.Tuesday",
        "09:00-12:00",
        None,
        f"{RN_KIM}.weekly",
        "'tue' and 'Tuesday' are one weekday; keep one",
    ),
    one_rule(
        "providers.1.weekly.tue", "12:00-09:00", "09:00-12:00", f"{RN_KIM}.weekly.tue[0]", "before"
    ),
    one_rule(
        "providers.1.license_expires", "soon", "2027-01-31", f"{RN_KIM}.license_expires", "date"
    ),
    one_rule(
        "providers.0.time_off.0",
        {"date": "2026-03-12", "until": "2026-03-11"},
        {"date": "2026-03-12", "until": "2026-03-12"},
        f"{DR_NG}.time_off[0]",
        "until 2026-03-11 is before date 2026-03-12; until is the last day away",
    ),
    one_rule(
        "providers.0.time_off.0", "2026-03-32", "2026-03-31", f"{DR_NG}.time_off[0].date", "date"
    ),
    one_rule(
        "providers.0.preferences",
        {"max_bookings_per_day": 0},
        {"max_bookings_per_day": 1},
        f"{DR_NG}.preferences.max_bookings_per_day",
        AT_LEAST_1,
    ),
    one_rule("rooms.0.type", "", "laser", "rooms[0] (id 'inj1').type", "at least 1 character"),
    one_rule("equipment.0.count", -1, 0, "equipment[0] (id 'coolsculpt_unit').count", AT_LEAST_0),
    one_rule("patients.0.tier", "gold", "member", f"{P1}.tier", "(got 'gold')"),
    one_rule(
        "patients.0.deposit_on_file", "maybe", "yes", f"{P1}.deposit_on_file", "true or false"
    ),
    one_rule(
        "patients.0.history.0.date", "last May", "2025-05-01", f"{P1}.history[0].date", "date"
    ),
    one_rule(
        "requests.0.latest", "2026-03-08", "2026-03-09", R1, "earliest 2026-03-09 is after latest"
    ),
    one_rule("requests.0.priority", 0, 1, f"{R1}.priority", "greater than or equal to 1"),
    one_rule("requests.0.source", "walk_in", "waitlist", f"{R1}.source", "(got 'walk_in')"),
    one_rule(
        "requests.0.requested_at", "yesterday", "2026-03-01T09:00", f"{R1}.requested_at", "time"
    ),
    one_rule(
        "requests.0.preferred_times", ["noon"], ["12:00-13:00"], f"{R1}.preferred_times[0]", "noon"
    ),
    one_rule("bookings.0.start", "10am", "2026-03-09 10:00", f"{B1}.start", "YYYY-MM-DDTHH:MM"),
    one_rule("bookings.0.locked", "sometimes", False, f"{B1}.locked", "true or false"),
]

AT_MOST = "less than or equal to"
ROOM_OUT = "rooms[0] (id 'inj1').out_of_service[0]"
LIMIT_RULES = [
    one_rule("services.0.duration", 1445, 1440, f"{BOTOX}.duration", f"{AT_MOST} 1440"),
    one_rule("services.1.processing", 1445, 1440, f"{COOLSCULPT}.processing", f"{AT_MOST} 1440"),
    one_rule("services.1.finish", 1445, 1440, f"{COOLSCULPT}.finish", f"{AT_MOST} 1440"),
    one_rule("services.0.buffer_after", 1445, 1440, f"{BOTOX}.buffer_after", f"{AT_MOST} 1440"),
    one_rule(
        "policies.penalties",
        {"idle_slot": 1_000_001},
        {"idle_slot": 1_000_000},
        "policies.penalties.idle_slot",
        f"{AT_MOST} 1000000",
    ),
    one_rule(
        "policies.tier_weights",
        {"vip": 1001},
        {"vip": 1000},
        "policies.tier_weights.vip",
        f"{AT_MOST} 1000",
    ),
    one_rule("requests.0.priority", 10_001, 10_000, f"{R1}.priority", f"{AT_MOST} 10000"),
    one_rule("requests.0.priority", 1e20, 10_000, f"{R1}.priority", "far too large; use a smaller"),
    one_rule("services.0.value", float("inf"), 450, f"{BOTOX}.value", "not .inf or .nan"),
    one_rule("services.0.deposit", float("nan"), 100, f"{BOTOX}.deposit", "not .inf or .nan"),
    one_rule("services.0.value", 1e7, 1e6, f"{BOTOX}.value", f"{AT_MOST} 1000000"),
    one_rule("services.0.duration", float("inf"), 30, f"{BOTOX}.duration", "not .inf or .nan"),
    one_rule("equipment.0.count", 1001, 1000, "equipment[0] (id 'coolsculpt_unit').count", AT_MOST),
    one_rule(
        "services.1.equipment",
        {"coolsculpt_unit": 1001},
        {"coolsculpt_unit": 2},
        f"{COOLSCULPT}.equipment.coolsculpt_unit",
        f"{AT_MOST} 1000",
    ),
    one_rule(
        "policies.reminders.0.hours_before",
        8785,
        8784,
        "policies.reminders[0].hours_before",
        f"{AT_MOST} 8784",
    ),
    one_rule(
        "policies.cancellation_notice_hours",
        10**12,
        8784,
        "policies.cancellation_notice_hours",
        AT_MOST,
    ),
    one_rule(
        "policies.deposit_deadline_hours", 10**12, 0, "policies.deposit_deadline_hours", AT_MOST
    ),
    one_rule("policies.consult_valid_days", 36_601, 36_600, "policies.consult_valid_days", AT_MOST),
    one_rule("services.0.min_days_between", 36_601, 36_600, f"{BOTOX}.min_days_between", AT_MOST),
    one_rule(
        "providers.0.preferences",
        {"max_bookings_per_day": 1441},
        {"max_bookings_per_day": 1440},
        f"{DR_NG}.preferences.max_bookings_per_day",
        f"{AT_MOST} 1440",
    ),
    one_rule("policies.max_moves_same_day", 20_001, 20_000, "policies.max_moves_same_day", AT_MOST),
    one_rule(
        "patients.2",
        {"id": "p" * 101},
        {"id": "p" * 100},
        f"patients[2] (id '{'p' * 60}… (101 characters)').id",
        "at most 100 characters",
    ),
    one_rule(
        "policies.waitlist_order",
        ["tier"] * 6,
        ["tier"] * 5,
        "policies.waitlist_order",
        "holds 6 items, more than the 5 it may hold",
    ),
    one_rule(
        "clinic.closed_dates",
        ["2026-03-11"] * 1001,
        ["2026-03-11"] * 1000,
        "clinic.closed_dates",
        "holds 1,001 items, more than the 1,000 it may hold; remove some",
    ),
    one_rule(
        "providers.1.weekly.tue",
        ["09:00-09:05"] * 101,
        ["09:00-09:05"],
        f"{RN_KIM}.weekly.tue",
        "more than the 100 it may hold",
    ),
    one_rule(
        "clinic.horizon.start",
        "9999-12-29",
        "2026-03-09",
        "clinic.horizon.start",
        "9999-12-29 is after 2999-12-31, the last date a scenario may hold; check the year",
    ),
    one_rule(
        "providers.1.license_expires",
        "9999-12-31",
        "2999-12-31",
        f"{RN_KIM}.license_expires",
        "after 2999-12-31",
    ),
    one_rule(
        "patients.0.history.0.date",
        "1899-12-31",
        "1900-01-01",
        f"{P1}.history[0].date",
        "1899-12-31 is before 1900-01-01, the first date a scenario may hold",
    ),
    one_rule(
        "requests.0.requested_at",
        "9999-12-31T23:00-12:00",
        "2999-12-31T23:00-12:00",
        f"{R1}.requested_at",
        "after 2999-12-31",
    ),
    one_rule(
        "bookings.0.start",
        "0001-01-01T00:00+14:00",
        "2026-03-09T10:00+00:00",
        f"{B1}.start",
        "0001-01-01 is before 1900-01-01",
    ),
    one_rule(
        "rooms.0.out_of_service",
        [{"start": "2026-03-09T10:00", "end": "2026-03-09T12:00-05:00"}],
        [{"start": "2026-03-09T10:00-05:00", "end": "2026-03-09T12:00-05:00"}],
        ROOM_OUT,
        "one with a UTC offset and one without; write both as clinic time",
    ),
    one_rule(
        "clinic.hours.mon",
        600,
        "10:00-18:00",
        "clinic.hours.mon",
        "as YAML reads an unquoted 10:00",
    ),
    one_rule(
        "providers.1.weekly.tue",
        [9],
        ["09:00-12:00"],
        f"{RN_KIM}.weekly.tue[0]",
        "9 is not a time range; write it as 'HH:MM-HH:MM'",
    ),
    one_rule("policies.quiet_hours", 1260, "21:00-08:00", "policies.quiet_hours", "unquoted 21:00"),
    one_rule("patients.2", {"id": 750}, {"id": "12:30"}, "patients[2].id", "put it in quotes"),
    one_rule("patients.2", {"id": True}, {"id": "yes"}, "patients[2].id", "true or false"),
    one_rule("services.0.name", 7, "7", f"{BOTOX}.name", "read as the number 7"),
]

CROSS_RULES = [
    one_rule(
        "services.2",
        {**BASE["services"][0], "name": "Botox again"},
        {**BASE["services"][0], "id": "dysport"},
        "services[2] (id 'botox').id",
        "id 'botox' is already used by services[0] (id 'botox')",
    ),
    one_rule(
        "providers.2",
        {**BASE["providers"][0], "name": "Dr. Ng again"},
        {**BASE["providers"][0], "id": "np_ali"},
        "providers[2] (id 'dr_ng').id",
        "already used by providers[0] (id 'dr_ng')",
    ),
    one_rule("rooms.1.id", "inj1", "inj2", "rooms[1] (id 'inj1').id", "already used by rooms[0]"),
    one_rule(
        "equipment.1",
        {"id": "coolsculpt_unit", "name": "Spare", "count": 1},
        {"id": "spare_unit", "name": "Spare", "count": 1},
        "equipment[1] (id 'coolsculpt_unit').id",
        "already used by equipment[0]",
    ),
    one_rule("patients.2", {"id": "p1"}, {"id": "p3"}, "patients[2] (id 'p1').id", "already used"),
    one_rule(
        "bookings.0.id", "r1", "b2", "bookings[0] (id 'r1').id", "already used by requests[0]"
    ),
    one_rule(
        "services.1.equipment",
        {"laser": 1},
        {"coolsculpt_unit": 1},
        f"{COOLSCULPT}.equipment",
        "unknown equipment 'laser'; use one of the equipment ids (coolsculpt_unit)",
    ),
    one_rule(
        "providers.1.services.0",
        "peel",
        "coolsculpt",
        f"{RN_KIM}.services[0]",
        "unknown service 'peel'; use one of the service ids (botox, coolsculpt)",
    ),
    one_rule(
        "providers.1.preferences.preferred_services.0",
        "peel",
        "coolsculpt",
        f"{RN_KIM}.preferences.preferred_services[0]",
        "unknown service 'peel'",
    ),
    one_rule(
        "patients.0.history.0.service",
        "peel",
        "coolsculpt",
        f"{P1}.history[0].service",
        "unknown service 'peel'",
    ),
    one_rule("requests.0.patient", "p9", "p2", f"{R1}.patient", "unknown patient 'p9'"),
    one_rule(
        "requests.0.patient",
        "p" * 5_000_000,
        "p2",
        f"{R1}.patient",
        f"unknown patient '{'p' * 60}… (5,000,000 characters)'; use one of the patient ids",
    ),
    one_rule("requests.0.service", "peel", "coolsculpt", f"{R1}.service", "unknown service 'peel'"),
    one_rule(
        "requests.0.required_provider",
        "dr_who",
        "rn_kim",
        f"{R1}.required_provider",
        "unknown provider 'dr_who'; use one of the provider ids (dr_ng, rn_kim)",
    ),
    one_rule(
        "requests.0.preferred_provider",
        "dr_who",
        "dr_ng",
        f"{R1}.preferred_provider",
        "unknown provider 'dr_who'",
    ),
    one_rule("bookings.0.patient", "p9", "p1", f"{B1}.patient", "unknown patient 'p9'"),
    one_rule("bookings.0.service", "peel", "coolsculpt", f"{B1}.service", "unknown service 'peel'"),
    one_rule(
        "bookings.0.provider", "dr_who", "dr_ng", f"{B1}.provider", "unknown provider 'dr_who'"
    ),
    one_rule("bookings.0.room", "inj9", "body1", f"{B1}.room", "unknown room 'inj9'"),
    one_rule(
        "providers.0.weekly.mon.1",
        "12:55-18:00",
        "13:00-18:00",
        f"{DR_NG}.weekly.mon[1]",
        "'12:55-18:00' overlaps '09:00-13:00'",
    ),
    one_rule(
        "clinic.hours.tue",
        "09:00-17:58",
        "09:00-17:55",
        "clinic.hours.tue",
        "'09:00-17:58' is off the 5-minute booking grid; use a multiple of 5 minutes",
    ),
    one_rule("services.0.duration", 32, 35, f"{BOTOX}.duration", "32 minutes is off the 5-minute"),
    one_rule("services.1.processing", 33, 30, f"{COOLSCULPT}.processing", "33 minutes is off"),
    one_rule("services.1.finish", 12, 10, f"{COOLSCULPT}.finish", "12 minutes is off"),
    one_rule("services.1.buffer_after", 8, 5, f"{COOLSCULPT}.buffer_after", "8 minutes is off"),
    one_rule(
        "providers.1.weekly.tue",
        "09:01-18:00",
        "09:05-18:00",
        f"{RN_KIM}.weekly.tue[0]",
        "'09:01-18:00' is off the 5-minute booking grid",
    ),
    one_rule(
        "providers.0.time_off.0.hours",
        "12:00-14:59",
        "12:00-14:55",
        f"{DR_NG}.time_off[0].hours",
        "'12:00-14:59' is off",
    ),
    one_rule(
        "bookings.0.start",
        "2026-03-09T10:02:00",
        "2026-03-09T10:05:00",
        f"{B1}.start",
        "start 10:02 is off the 5-minute booking grid",
    ),
    one_rule(
        "bookings.0.start",
        "2026-03-09T10:00:30",
        "2026-03-09T10:00:00",
        f"{B1}.start",
        "start 10:00:30 has seconds, so it is off the 5-minute booking grid",
    ),
    one_rule(
        "bookings.0.start",
        "2026-03-09T15:00:00.5+00:00",
        "2026-03-09T15:00:00+00:00",
        f"{B1}.start",
        "start 11:00:00 has seconds",
    ),
    one_rule(
        "rooms.0.out_of_service",
        [{"start": "2026-03-08T02:30", "end": "2026-03-08T04:00"}],
        [{"start": "2026-03-08T01:30", "end": "2026-03-08T04:00"}],
        f"{ROOM_OUT}.start",
        "2026-03-08T02:30 never happens in America/New_York: that night the clocks go forward "
        "from 02:00 to 03:00",
    ),
    one_rule(
        "equipment.0.out_of_service",
        [{"start": "2026-03-08T01:00", "end": "2026-03-08T02:00"}],
        [{"start": "2026-03-08T01:00", "end": "2026-03-08T03:00"}],
        "equipment[0] (id 'coolsculpt_unit').out_of_service[0].end",
        "2026-03-08T02:00 never happens",
    ),
    one_rule(
        "bookings.0.start",
        "2026-03-09T16:03:00+01:00",
        "2026-03-09T16:05:00+01:00",
        f"{B1}.start",
        "start 11:03 is off",
    ),
    one_rule(
        "requests.0",
        request(earliest="2026-03-14", latest="2026-03-20"),
        request(earliest="2026-03-13", latest="2026-03-20"),
        R1,
        "window 2026-03-14..2026-03-20 lies outside the horizon 2026-03-09..2026-03-13",
    ),
    one_rule(
        "requests.0",
        request(earliest="2026-03-01", latest="2026-03-08"),
        request(earliest="2026-03-01", latest="2026-03-09"),
        R1,
        "lies outside the horizon 2026-03-09..2026-03-13; move the window or extend",
    ),
    one_rule(
        "bookings.0.start",
        "2026-03-14T09:00:00",
        "2026-03-13T09:00:00",
        f"{B1}.start",
        "lies outside the horizon 2026-03-09..2026-03-13; remove the booking or extend",
    ),
    one_rule(
        "bookings.0.start",
        "2026-03-14T05:00:00+00:00",
        "2026-03-14T03:55:00+00:00",
        f"{B1}.start",
        "lies outside the horizon",
    ),
    one_rule(
        "requests.1",
        request(id="r2", patient="p2"),
        request(id="r2"),
        "requests[1] (id 'r2').visit",
        "visit 'v1' already belongs to patient 'p1'",
    ),
]


def test_base_scenario_is_valid() -> None:
    assert problems_of(BASE) == []


ALL_RULES = FIELD_RULES + LIMIT_RULES + CROSS_RULES


@pytest.mark.parametrize(("where", "bad", "good", "path", "message"), ALL_RULES)
def test_rule_fails_on_bad_value_with_one_clear_problem(
    where: str, bad: Any, good: Any, path: str, message: str
) -> None:
    problems = problems_of(changed(where, bad))
    assert [problem.where for problem in problems] == [path]
    assert message in problems[0].message


@pytest.mark.parametrize(("where", "bad", "good", "path", "message"), ALL_RULES)
def test_rule_passes_on_good_value(
    where: str, bad: Any, good: Any, path: str, message: str
) -> None:
    data = changed(where, good) if good is not None else BASE
    assert problems_of(data) == []


def test_every_overlapping_range_is_reported_not_only_neighbours() -> None:
    data = changed("providers.1.weekly.mon", ["09:00-17:00", "10:00-11:00", "12:00-13:00"])
    problems = problems_of(data)
    assert [problem.where for problem in problems] == [
        f"{RN_KIM}.weekly.mon[1]",
        f"{RN_KIM}.weekly.mon[2]",
    ]
    assert "'12:00-13:00' overlaps '09:00-17:00'" in problems[1].message


def test_touching_ranges_do_not_overlap() -> None:
    assert problems_of(changed("providers.1.weekly.mon", ["13:00-18:00", "09:00-13:00"])) == []


def test_all_cross_reference_problems_are_reported_together() -> None:
    data = changed("requests.0.service", "peel")
    data["bookings"][0]["room"] = "inj9"
    data["services"][0]["duration"] = 31
    problems = problems_of(data)
    assert {problem.where for problem in problems} == {
        f"{R1}.service",
        f"{B1}.room",
        f"{BOTOX}.duration",
    }


def test_error_paths_name_the_item_id() -> None:
    data = changed("providers.1.weekly.mon", "9-5pm")
    assert [problem.where for problem in problems_of(data)] == [
        "providers[1] (id 'rn_kim').weekly.mon[0]"
    ]
    duplicate = problems_of(changed("providers.0.id", "rn_kim"))
    assert duplicate[0].where == "providers[1] (id 'rn_kim').id"
    assert "already used by providers[0] (id 'rn_kim')" in duplicate[0].message


def test_building_a_scenario_in_python_checks_cross_references() -> None:
    clinic = Clinic(
        name="Python Spa",
        timezone="Europe/Berlin",
        horizon=Horizon.model_validate({"start": "2026-10-23", "days": 3}),
    )
    botox = Service(
        id="botox", name="Botox", category="treatment", duration=30, room_types=["injection"]
    )
    request = Request.model_validate(
        {
            "id": "r1",
            "patient": "p1",
            "service": "filler",
            "earliest": "2026-10-23",
            "latest": "2026-10-24",
        }
    )
    with pytest.raises(ValidationError) as caught:
        Scenario(clinic=clinic, services=[botox], requests=[request])
    text = str(caught.value)
    assert "requests[0] (id 'r1').patient: unknown patient 'p1'" in text
    assert "requests[0] (id 'r1').service: unknown service 'filler'" in text
    assert Scenario(clinic=clinic, services=[botox]).service("botox") == botox


def test_validating_plain_data_without_the_loader_checks_cross_references() -> None:
    with pytest.raises(ValidationError, match="unknown room 'inj9'"):
        Scenario.model_validate(changed("bookings.0.room", "inj9"))
    assert Scenario.model_validate(BASE).provider("rn_kim").name == "Kim Lee"


def test_cross_reference_problems_of_a_valid_scenario_is_empty() -> None:
    assert cross_reference_problems(Scenario.model_validate(BASE)) == []


def test_finding_text_joins_code_where_and_message() -> None:
    finding = Finding("unknown_reference", "clinic.timezone", "unknown")
    assert str(finding) == "unknown_reference clinic.timezone: unknown"
    assert str(Finding("", "clinic.timezone", "unknown")) == "clinic.timezone: unknown"
    assert str(Finding("", "", "file not found")) == "file not found"


def test_two_reminders_of_one_name_are_refused() -> None:
    data = make.clinic_data()
    data["policies"] = {
        "reminders": [
            {"name": "nudge", "hours_before": 24, "template": "a"},
            {"name": "nudge", "hours_before": 2, "template": "b"},
        ]
    }
    with pytest.raises(ScenarioError) as refused:
        make.build(data)
    assert "two reminders are named 'nudge'" in str(refused.value)


@pytest.mark.parametrize(
    ("name", "first"),
    [("  Maya   Lind ", "Maya"), ("Mary\nSmith", "Mary"), ("Cher", "Cher"), ("", ""), (None, "")],
)
def test_a_first_name_is_the_first_word_whatever_the_spacing(name: str | None, first: str) -> None:
    assert Patient(id="p1", name=name).first_name == first
