"""The rulebook audit: each finding code fires on its hole and stays quiet on a clean clinic."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from models.audit import CHECKS, audit
from models.findings import Finding
from models.loader import scenario_from_data
from tests.conftest import (
    DELETE,
    WEEKDAYS,
    clinic_data,
    edited,
    machine,
    patient,
    provider,
    request,
    room,
    service,
    week,
)

Data = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def base_data() -> Data:
    """A small clean clinic: one week in March 2026 (the Sunday is the DST change, closed)."""
    return clinic_data(
        clinic={
            "name": "Glow Med Spa",
            "timezone": "America/New_York",
            "slot_minutes": 5,
            "horizon": {"start": "2026-03-02", "days": 7},
            "hours": week(WEEKDAYS, "09:00-18:00") | {"sat": "10:00-16:00"},
        },
        policies={
            "escalation_owner": "front_desk_lead",
            "same_day_owner": "clinic_manager",
            "waitlist_order": ["displaced", "priority", "requested_at"],
            "reminders": [{"name": "confirmation", "on_booking": True, "template": "See you!"}],
        },
        services=[
            service("consult", 30, "consult", category="consult", name="Consultation"),
            service("botox", 30, "injection", name="Neuromodulator", requires_consult=True),
            service(
                "laser_hair", 45, "laser", name="Laser hair removal", equipment={"gentlemax": 1}
            ),
        ],
        providers=[
            provider(
                "np_lee",
                ["consult", "botox"],
                week(WEEKDAYS, ["09:00-13:00", "14:00-18:00"]),
                role="nurse_practitioner",
                name="Dana Lee",
                license_expires="2027-01-31",
                preferences={"preferred_services": ["botox"]},
            ),
            provider(
                "tech_ana",
                ["laser_hair"],
                {"tue": "09:00-17:00", "sat": "10:00-16:00"},
                role="laser_technician",
                name="Ana Ruiz",
            ),
        ],
        rooms=[room("room_1", "consult"), room("room_2", "injection"), room("room_3", "laser")],
        equipment=[machine("gentlemax", name="GentleMax Pro")],
        patients=[patient("pat_1", "member")],
        requests=[request("req_1", "pat_1", "botox", "2026-03-02", "2026-03-06")],
    )


def findings_of(data: Data) -> list[Finding]:
    return audit(scenario_from_data(copy.deepcopy(data)))


Change = dict[str, Any]
"""Dotted paths into the base clinic and their new values (DELETE removes the field)."""


def test_clean_clinic_has_no_findings(base_data: Data) -> None:
    assert findings_of(base_data) == []


def test_every_check_is_covered_by_a_trigger() -> None:
    assert len({code for code, *_ in TRIGGERS}) == len(CHECKS)


MON_TO_FRI = {"mon": "dana", "tue": "lee", "wed": "dana", "thu": "lee", "fri": "sam"}
"""A duty rota of the escalation owner that leaves the weekend out (Saturday is open)."""


def reminder(hours_before: int) -> dict[str, Any]:
    """A reminder named 'late', sent `hours_before` hours before the appointment."""
    return {"name": "late", "hours_before": hours_before, "template": "See you soon"}


# (code, change to the base clinic, expected path, item the message must name)
TRIGGERS: list[tuple[str, Change, str, str]] = [
    (
        "service_without_provider",
        {"providers.1.services": []},
        "services[2]",
        "'laser_hair'",
    ),
    (
        "service_without_provider",
        {"providers.1.license_expires": "2026-03-01"},
        "services[2]",
        "'tech_ana'",
    ),
    ("room_type_missing", {"rooms.2.type": "facial"}, "services[2].room_types", "'laser_hair'"),
    (
        "equipment_unavailable",
        {"equipment.0.count": 0},
        "services[2].equipment.gentlemax",
        "'laser_hair'",
    ),
    (
        "equipment_unavailable",
        {"services.2.equipment": {"gentlemax": 2}},
        "services[2].equipment.gentlemax",
        "'gentlemax'",
    ),
    (
        "provider_without_hours",
        {"providers.1.weekly": {"sun": "10:00-16:00"}},
        "providers[1]",
        "'tech_ana'",
    ),
    (
        "provider_without_hours",
        {"providers.1.time_off": [{"date": "2026-03-02", "until": "2026-03-08"}]},
        "providers[1]",
        "'tech_ana'",
    ),
    (
        "provider_without_hours",
        {
            "providers.1.weekly": {"sat": "10:00-16:00"},
            "providers.1.time_off": [{"date": "2026-03-07", "hours": "10:00-16:00"}],
        },
        "providers[1]",
        "'tech_ana'",
    ),
    (
        "provider_without_hours",
        {"providers.1.license_expires": "2026-03-02"},
        "providers[1]",
        "2026-03-02",
    ),
    (
        "provider_without_hours",
        {"providers.1.weekly": {"sat": "17:00-19:00"}},
        "providers[1]",
        "'tech_ana'",
    ),
    (
        "consult_unavailable",
        {"services.0.category": "follow_up"},
        "services[1].requires_consult",
        "'botox'",
    ),
    (
        "consult_unavailable",
        {"providers.0.services": ["botox"]},
        "services[1].requires_consult",
        "'consult'",
    ),
    (
        "consult_unavailable",
        {"services.0.qualifies": ["laser_hair"]},
        "services[1].requires_consult",
        "'consult' qualifies laser_hair",
    ),
    (
        "consult_unavailable",
        {
            "services.0.qualifies": ["laser_hair"],
            "services.3": service("tox_consult", 30, "consult", category="consult")
            | {"qualifies": ["botox"]},
        },
        "services[1].requires_consult",
        "'tox_consult'",  # qualifies botox, but nobody may perform it
    ),
    (
        "window_on_closed_days",
        {"requests.0.earliest": "2026-03-08", "requests.0.latest": "2026-03-08"},
        "requests[0]",
        "'req_1'",
    ),
    (
        "window_on_closed_days",
        {"clinic.closed_dates": [f"2026-03-0{day}" for day in range(2, 7)]},
        "requests[0]",
        "'req_1'",
    ),
    (
        "no_escalation_owner",
        {"policies.escalation_owner": DELETE},
        "policies.escalation_owner",
        "escalation_owner",
    ),
    (
        "no_escalation_owner",
        {"policies.escalation_owner": "  "},
        "policies.escalation_owner",
        "escalation_owner",
    ),
    (
        "no_escalation_owner",
        {"policies.escalation_owner": {}},
        "policies.escalation_owner",
        "escalation_owner",
    ),
    (
        "nobody_on_duty",
        {"policies.escalation_owner": MON_TO_FRI},
        "policies.escalation_owner",
        "no escalation owner on Sat 2026-03-07, so",
    ),
    (
        "unknown_reason_code",
        {"policies.exception_owners": {"deposit_unpaied": "billing"}},
        "policies.exception_owners.deposit_unpaied",
        "use one of booking_conflict, consult_required, deposit_due_too_soon, deposit_unpaid, ",
    ),
    (
        "no_same_day_owner",
        {"policies.same_day_owner": DELETE},
        "policies.same_day_owner",
        "same_day_owner",
    ),
    (
        "no_same_day_owner",
        {"policies.same_day_owner": ""},
        "policies.same_day_owner",
        "same_day_owner",
    ),
    (
        "no_waitlist_order",
        {"policies.waitlist_order": []},
        "policies.waitlist_order",
        "waitlist_order",
    ),
    (
        "reminder_without_template",
        {"policies.reminders.0.template": DELETE},
        "policies.reminders[0].template",
        "'confirmation'",
    ),
    (
        "reminder_without_template",
        {"policies.reminders.0.template": " "},
        "policies.reminders[0].template",
        "'confirmation'",
    ),
    (
        "reminder_in_quiet_hours",
        {"policies.quiet_hours": "21:00-08:00", "policies.reminders": [reminder(10)]},
        "policies.reminders[0].hours_before",
        "'late'",
    ),
    (
        "reminder_in_quiet_hours",
        {"policies.quiet_hours": "08:00-21:00", "policies.reminders": [reminder(2)]},
        "policies.reminders[0].hours_before",
        "'late'",
    ),
    (
        "bad_template",
        {"policies.reminders.0.template": "Hi {{ patient }}"},
        "policies.reminders[0].template",
        "{{ patient }}",
    ),
    (
        "bad_template",
        {"policies.notices": {"moved": "Now {{ start }}, was {{ reply_by }}"}},
        "policies.notices.moved",
        "{{ reply_by }}, which a moved message does not have",
    ),
    (
        "notice_missing",
        {"policies.deposit_holds": True},
        "policies.notices.deposit_request",
        "deposit_holds",
    ),
    (
        "notice_missing",
        {"requests.0.source": "waitlist"},
        "policies.notices.waitlist_offer",
        "waitlist",
    ),
    (
        "licence_expires_in_horizon",
        {"providers.0.license_expires": "2026-03-05"},
        "providers[0].license_expires",
        "'np_lee'",
    ),
    (
        "preference_not_permitted",
        {"providers.0.preferences.preferred_services": ["botox", "laser_hair"]},
        "providers[0].preferences.preferred_services[1]",
        "'laser_hair'",
    ),
    (
        "provider_hours_outside_clinic",
        {"providers.1.weekly.sun": "10:00-12:00"},
        "providers[1].weekly.sun[0]",
        "'tech_ana'",
    ),
    (
        "provider_hours_outside_clinic",
        {"providers.0.weekly.mon": ["08:00-13:00", "14:00-18:00"]},
        "providers[0].weekly.mon[0]",
        "08:00-13:00",
    ),
    (
        "service_longer_than_day",
        {"services.2.duration": 300, "services.2.processing": 200, "services.2.finish": 45},
        "services[2]",
        "'laser_hair'",
    ),
    (
        "hours_cross_dst_change",
        {"clinic.hours.sun": "01:00-05:00"},
        "clinic.hours.sun",
        "2026-03-08",
    ),
    (
        "penalty_outweighs_booking",
        {
            "providers.0.preferences.max_bookings_per_day": 8,
            "policies.penalties": {"over_daily_bookings": 90},
        },
        "policies.penalties.over_daily_bookings",
        "'req_1'",
    ),
    (
        "penalty_outweighs_booking",
        {
            "requests.0.preferred_times": ["09:00-10:00"],
            "policies.penalties": {"preferred_time": 200},
        },
        "policies.penalties.preferred_time",
        "below 90",
    ),
    (
        "formula_like_text",
        {"policies.escalation_owner": '=HYPERLINK("http://example.com")'},
        "policies.escalation_owner",
        "'=HYPERLINK(",
    ),
    ("formula_like_text", {"providers.0.name": "@SUM(A1)"}, "providers[0].name", "'np_lee'"),
    ("formula_like_text", {"rooms.0.id": "-room"}, "rooms[0].id", "'-room'"),
]


@pytest.mark.parametrize(("code", "change", "path", "named"), TRIGGERS)
def test_hole_is_found(base_data: Data, code: str, change: Change, path: str, named: str) -> None:
    found = [f for f in findings_of(edited(base_data, change)) if f.code == code]
    assert [f.where for f in found] == [path]
    assert named in found[0].message


# Changes just short of a hole: the clinic stays clean.
NEAR_MISSES: list[Change] = [
    {"clinic.phone": "+1 212 555 0134", "patients.0.phone": "+1 917 555 0102"},  # not formulas
    {"policies.notices": {"moved": "{{ first_name }}: now {{ start }}, was {{ old_start }}"}},
    {"providers.0.license_expires": "2026-03-09"},
    {"services.2.equipment": {"gentlemax": 2}, "equipment.0.count": 2},
    {"providers.1.time_off": [{"date": "2026-03-02", "until": "2026-03-06"}]},
    {"providers.1.time_off": [{"date": "2026-03-07", "hours": "10:00-15:00"}]},
    {"requests.0.earliest": "2026-03-07", "requests.0.latest": "2026-03-08"},
    {"requests.0.earliest": "2026-02-20", "requests.0.latest": "2026-03-02"},
    {"clinic.closed_dates": ["2026-03-02", "2026-03-03"]},
    {"providers.0.weekly.mon": ["09:00-18:00"]},
    {"services.2.duration": 300, "services.2.processing": 200, "services.2.finish": 40},
    {"providers.0.services": ["botox"], "providers.1.services": ["laser_hair", "consult"]},
    {"clinic.hours.sun": "09:00-17:00"},
    {"clinic.hours.sun": "03:00-17:00"},
    {"rooms.2.type": "injection", "services.2.room_types": ["laser", "injection"]},
    {"policies.quiet_hours": "21:00-08:00", "policies.reminders": [reminder(24)]},
    {"policies.quiet_hours": "21:00-08:00", "policies.reminders": [reminder(1)]},
    {"policies.quiet_hours": "08:00-21:00", "policies.reminders": [reminder(12)]},
    {"services.0.qualifies": ["botox"]},
    {"services.0.qualifies": ["treatment"]},
    {
        "providers.0.preferences.max_bookings_per_day": 8,
        "policies.penalties": {"over_daily_bookings": 89},
    },
    {"policies.penalties": {"over_daily_bookings": 1000, "preferred_provider": 1000}},
    {"providers.0.name": "Dana Lee-Smith = +1 @home", "policies.escalation_owner": "'lead"},
    {"policies.escalation_owner": MON_TO_FRI | {"2026-03-07": "sam"}},
    {"policies.escalation_owner": MON_TO_FRI | {"Saturday": "lee"}},  # closed Sunday: nobody
    {"policies.exception_owners": {"deposit_unpaid": "billing", "booking_conflict": "desk"}},
]


@pytest.mark.parametrize("change", NEAR_MISSES)
def test_near_miss_is_clean(base_data: Data, change: Change) -> None:
    assert findings_of(edited(base_data, change)) == []


@pytest.mark.parametrize(
    ("quiet", "hours_before", "starts", "example"),
    [
        (
            "21:00-08:00",
            10,
            "09:00 to 17:55",
            "one at 09:00 is due at 23:00, so it goes out at 20:59 before them, or at 08:00 after",
        ),
        (
            "21:00-08:00",
            2,
            "09:00 to 09:55",
            "one at 09:00 is due at 07:00, so it goes out at 20:59",
        ),
        (
            "08:00-21:00",
            2,
            "10:00 to 17:55",
            "one at 10:00 is due at 08:00, so it goes out at 07:59",
        ),
        (
            "21:00-24:00",
            14,
            "11:00 to 13:55",
            "one at 11:00 is due at 21:00, so it goes out at 20:59 before them, or at 00:00 after",
        ),
    ],
)
def test_reminder_in_quiet_hours_names_the_appointments_it_reaches_then(
    base_data: Data, quiet: str, hours_before: int, starts: str, example: str
) -> None:
    data = edited(
        base_data, {"policies.quiet_hours": quiet, "policies.reminders": [reminder(hours_before)]}
    )
    [finding] = findings_of(data)
    assert f"for appointments starting {starts} it falls in quiet hours {quiet}" in finding.message
    assert example in finding.message


def test_a_penalty_no_booking_outweighs_names_the_request_its_worth_and_both_fixes(
    base_data: Data,
) -> None:
    data = edited(
        base_data,
        {
            "providers.0.preferences.max_bookings_per_day": 8,
            "policies.penalties": {"over_daily_bookings": 90},
        },
    )
    [finding] = findings_of(data)
    assert finding.message == (
        "policies.penalties.over_daily_bookings is 90, as much as or more than booking any of 1 "
        "request(s) it applies to is worth (the least: 'req_1', botox 30 min x weight 3 = 90), "
        "so such a request is never booked beyond a provider's max_bookings_per_day (a hard "
        "cap); give it a weight of at least 4 (its priority, or policies.tier_weights) or lower "
        "policies.penalties.over_daily_bookings below 90"
    )


def test_a_rota_with_gaps_names_the_open_days_and_requested_days_without_an_owner(
    base_data: Data,
) -> None:
    rota = {"Monday": "dana", "tue": "lee", "wed": "dana", "thu": "lee", "fri": "sam"}
    data = edited(
        base_data,
        {
            "clinic.horizon.days": 14,
            "policies.escalation_owner": rota | {"2026-03-07": "sam", "2026-03-13": "lee"},
            "requests.1": request("req_2", "pat_1", "botox", "2026-03-15", "2026-03-15"),
        },
    )
    [found] = [f for f in findings_of(data) if f.code == "nobody_on_duty"]
    # Sat 03-14 is open; the clinic is closed on Sundays, but a request starts on the 15th
    assert "no escalation owner on Sat 2026-03-14, Sun 2026-03-15, so" in found.message
    assert "add sat, sun (every week) or those dates" in found.message


def test_licence_expiry_message_says_until_when(base_data: Data) -> None:
    data = edited(base_data, {"providers.0.license_expires": "2026-03-05"})
    [finding] = findings_of(data)
    assert "until 2026-03-04" in finding.message
    assert "from 2026-03-05" in finding.message


def test_licence_expired_before_horizon_is_not_reported_as_expiring(base_data: Data) -> None:
    data = edited(base_data, {"providers.1.license_expires": "2026-03-02"})
    codes = {f.code for f in findings_of(data)}
    assert codes == {"provider_without_hours", "service_without_provider"}


def test_clocks_going_back_are_reported_as_repeated_times(base_data: Data) -> None:
    data = edited(
        base_data,
        {
            "clinic.horizon.start": "2026-10-26",
            "clinic.hours.sun": "00:30-03:00",
            "requests.0.earliest": "2026-10-26",
            "requests.0.latest": "2026-10-30",
        },
    )
    [finding] = findings_of(data)
    assert finding.where == "clinic.hours.sun"
    assert "2026-11-01" in finding.message
    assert "01:00-02:00 happen twice" in finding.message


def test_clocks_going_forward_are_reported_as_missing_times(base_data: Data) -> None:
    [finding] = findings_of(edited(base_data, {"clinic.hours.sun": "01:00-05:00"}))
    assert "02:00-03:00 do not exist" in finding.message


def test_closed_date_on_the_change_day_is_clean(base_data: Data) -> None:
    change = {"clinic.hours.sun": "01:00-05:00", "clinic.closed_dates": ["2026-03-08"]}
    assert findings_of(edited(base_data, change)) == []


def test_findings_follow_check_order_then_file_order(base_data: Data) -> None:
    change = {
        "policies.waitlist_order": [],
        "equipment.0.count": 0,
        "rooms": [{"id": "room_1", "type": "consult"}],
    }
    found = findings_of(edited(base_data, change))
    assert [(f.code, f.where) for f in found] == [
        ("room_type_missing", "services[1].room_types"),
        ("room_type_missing", "services[2].room_types"),
        ("equipment_unavailable", "services[2].equipment.gentlemax"),
        ("no_waitlist_order", "policies.waitlist_order"),
    ]
    assert findings_of(edited(base_data, change)) == found


def test_finding_as_text_and_dict() -> None:
    finding = Finding("no_waitlist_order", "policies.waitlist_order", "write it down")
    assert str(finding) == "no_waitlist_order policies.waitlist_order: write it down"
    assert finding.to_dict() == {
        "code": "no_waitlist_order",
        "where": "policies.waitlist_order",
        "message": "write it down",
    }


def test_audit_module_does_not_import_ortools() -> None:
    script = "import sys, models.audit; print('ortools' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_a_rota_gap_on_the_first_day_is_no_hole_when_a_same_day_owner_has_it(
    base_data: Data,
) -> None:
    """A solve's first day is same-day business: its exceptions go to the same-day owner."""
    rota = {"2026-03-03": "dana", "2026-03-04": "dana", "2026-03-05": "dana"}
    rota |= {"2026-03-06": "dana", "2026-03-07": "dana"}
    covered = edited(base_data, {"policies.escalation_owner": rota})  # same_day_owner is set
    assert [f for f in findings_of(covered) if f.code == "nobody_on_duty"] == []
    gap = copy.deepcopy(covered)
    del gap["policies"]["same_day_owner"]
    [found] = [f for f in findings_of(gap) if f.code == "nobody_on_duty"]
    assert "no escalation owner on Mon 2026-03-02, so" in found.message


@pytest.mark.parametrize(("at", "found"), [("07:00", True), ("9pm", True), ("08:00", False)])
def test_a_reminder_at_a_time_of_day_in_quiet_hours_says_when_it_goes_instead(
    base_data: Data, at: str, found: bool
) -> None:
    day_before = {"name": "eve", "days_before": 1, "at": at, "template": "See you tomorrow"}
    data = edited(
        base_data, {"policies.quiet_hours": "21:00-08:00", "policies.reminders": [day_before]}
    )
    findings = [f for f in findings_of(data) if f.code == "reminder_in_quiet_hours"]
    if not found:
        assert findings == []
        return
    [finding] = findings
    assert finding.where == "policies.reminders[0].at"
    assert finding.message == (
        f"reminder 'eve' goes out at {'21:00' if at == '9pm' else at}, in quiet hours "
        "21:00-08:00, so it goes out at 20:59 before them, or at 08:00 after them when booked "
        "later; change its at or policies.quiet_hours"
    )
