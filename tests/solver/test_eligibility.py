"""Eligibility: every reason code from a minimal clinic, and the jobs' candidates and weights."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from models.reason_codes import SUGGESTED_ACTIONS
from models.scenario import Scenario
from solver.eligibility import (
    Eligibility,
    Job,
    asked_at,
    eligibility,
    escalate,
)
from solver.facts import ClinicFacts
from tests.conftest import (
    HOURS,
    MINI_WEEK,
    MONDAY,
    TUESDAY,
    booking,
    build,
    mini_clinic,
    provider,
    request,
    room,
    service,
    week,
)


def _run(scenario: Scenario, not_before: int = 0) -> Eligibility:
    return eligibility(ClinicFacts(scenario, not_before))


def _reasons(scenario: Scenario, not_before: int = 0) -> dict[str, str]:
    return {e.id: e.reason_code for e in _run(scenario, not_before).escalations}


def _job(scenario: Scenario, job_id: str, not_before: int = 0) -> Job:
    return next(job for job in _run(scenario, not_before).jobs if job.id == job_id)


FILLER = service("filler")
CONSULT = service("consult", category="consult")


CASES: dict[str, tuple[dict[str, Any], int]] = {
    "no_permitted_provider": (
        {
            "services": [service("botox"), FILLER],
            "requests": [request("r", "p1", "filler", latest=TUESDAY)],
        },
        0,
    ),
    "required_provider_not_permitted": (
        {
            "services": [service("botox"), FILLER],
            "providers": [
                provider("rn", ["botox"], MINI_WEEK),
                provider("md", ["filler"], MINI_WEEK),
            ],
            "requests": [request("r", "p1", "botox", latest=TUESDAY, required_provider="md")],
        },
        0,
    ),
    "licence_expired": (
        {
            "providers": [provider("rn", ["botox"], MINI_WEEK, license_expires=MONDAY)],
            "requests": [request("r", "p1", "botox", latest=TUESDAY)],
        },
        0,
    ),
    "no_room_of_type": (
        {
            "services": [service("botox", rooms=["laser"])],
            "requests": [request("r", "p1", "botox", latest=TUESDAY)],
        },
        0,
    ),
    "no_equipment": (
        {
            "services": [service("botox", equipment={"ipl": 2})],
            "equipment": [{"id": "ipl", "name": "IPL", "count": 1}],
            "requests": [request("r", "p1", "botox", latest=TUESDAY)],
        },
        0,
    ),
    "deposit_unpaid": (
        {
            "services": [service("botox", deposit=50)],
            "requests": [request("r", "p1", "botox", latest=TUESDAY)],
        },
        0,
    ),
    "deposit_due_too_soon": (  # held, it could start from Wed 00:00 only (48 h after Mon's)
        {
            "policies": {"deposit_holds": True},
            "services": [service("botox", deposit=50)],
            "requests": [request("r", "p1", "botox", latest=TUESDAY)],
        },
        0,
    ),
    "window_closed": (
        {
            "clinic": {"closed_dates": [TUESDAY]},
            "requests": [request("r", "p1", "botox", earliest=TUESDAY, latest=TUESDAY)],
        },
        0,
    ),
    "window_passed": ({"requests": [request("r", "p1", "botox", latest=MONDAY)]}, 1440 + 600),
    "series_too_soon": (
        {
            "services": [service("botox", min_days_between=14)],
            "patients": [{"id": "p1", "history": [{"service": "botox", "date": "2026-11-30"}]}],
            "requests": [request("r", "p1", "botox", latest=TUESDAY)],
        },
        0,
    ),
    "consult_required": (
        {
            "services": [service("botox", requires_consult=True), CONSULT],
            "requests": [request("r", "p1", "botox", latest=TUESDAY)],
        },
        0,
    ),
    "no_qualifying_consult": (
        {
            "services": [
                service("botox", requires_consult=True),
                service("consult", category="consult", qualifies=["follow_up"]),
            ],
            "requests": [request("r", "p1", "botox", latest=TUESDAY)],
        },
        0,
    ),
    "no_provider_hours": (
        {
            "providers": [provider("rn", ["botox"], {"mon": "09:00-09:15"})],
            "requests": [request("r", "p1", "botox", latest=TUESDAY)],
        },
        0,
    ),
    "provider_not_working": (
        {
            "providers": [provider("rn", ["botox"], {"wed": "09:00-17:00"})],
            "requests": [request("r", "p1", "botox", latest=TUESDAY)],
        },
        0,
    ),
    "provider_time_off": (
        {
            "providers": [provider("rn", ["botox"], MINI_WEEK, time_off=[MONDAY, TUESDAY])],
            "requests": [request("r", "p1", "botox", latest=TUESDAY)],
        },
        0,
    ),
}


@pytest.mark.parametrize("code", list(CASES))
def test_each_request_rule_escalates_with_its_reason_code(code: str) -> None:
    sections, not_before = CASES[code]
    result = _run(mini_clinic(**sections), not_before)
    assert result.jobs == []
    (escalation,) = result.escalations
    assert (escalation.id, escalation.kind, escalation.reason_code) == ("r", "request", code)
    assert escalation.detail
    assert code in SUGGESTED_ACTIONS


@pytest.mark.parametrize(("currency", "amount"), [("USD", "$50.00"), ("EUR", "50.00 EUR")])
def test_an_unpaid_deposit_is_told_in_the_clinic_currency(currency: str, amount: str) -> None:
    sections, _ = CASES["deposit_unpaid"]
    (escalation,) = _run(mini_clinic(clinic={"currency": currency}, **sections)).escalations
    assert escalation.detail == f"deposit of {amount} not paid and no card on file"


def test_the_same_request_is_eligible_once_the_rule_is_met() -> None:
    paid = mini_clinic(
        services=[service("botox", deposit=50)],
        requests=[request("r", "p1", "botox", latest=TUESDAY, deposit_paid=True)],
    )
    assert _reasons(paid) == {}
    card = mini_clinic(
        services=[service("botox", deposit=50)],
        patients=[{"id": "p1", "deposit_on_file": True}],
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
    )
    assert _reasons(card) == {}
    consulted = mini_clinic(
        services=[service("botox", requires_consult=True)],
        patients=[{"id": "p1", "last_consult": "2026-06-01"}],
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
    )
    assert _job(consulted, "r").needs_consult_days == set()


def test_a_licence_that_expires_inside_the_window_leaves_the_days_before_it() -> None:
    scenario = mini_clinic(
        providers=[provider("rn", ["botox"], MINI_WEEK, license_expires=TUESDAY)],
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
    )
    assert [c.day for c in _job(scenario, "r").candidates] == [0]


def test_series_spacing_drops_only_the_days_too_close_to_the_last_one() -> None:
    scenario = mini_clinic(
        services=[service("botox", min_days_between=8)],
        patients=[{"id": "p1", "history": [{"service": "botox", "date": "2026-11-30"}]}],
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
    )
    assert [c.day for c in _job(scenario, "r").candidates] == [1]  # Monday is 7 days after


def test_a_consult_in_the_requests_lets_a_treatment_wait_for_it() -> None:
    consult = service("consult", category="consult")
    scenario = mini_clinic(
        services=[service("botox", requires_consult=True), consult],
        providers=[provider("rn", ["botox", "consult"], MINI_WEEK)],
        requests=[
            request("r", "p1", "botox", latest=TUESDAY),
            request("c", "p1", "consult", latest=TUESDAY),
        ],
    )
    assert _reasons(scenario) == {}
    assert _job(scenario, "r").needs_consult_days == {0, 1}


ROUTED = [
    service("filler", requires_consult=True),
    service("body_consult", category="consult", qualifies=["sculpt"]),
    service("filler_consult", category="consult", qualifies=["filler"]),
    service("sculpt", requires_consult=True),
]
"""A body consult that qualifies only sculpting and a filler consult that qualifies filler."""
ROUTED_STAFF = [provider("rn", ["filler", "body_consult", "filler_consult"], MINI_WEEK)]


def test_a_consult_qualifies_only_the_services_it_lists() -> None:
    body_only = mini_clinic(
        services=ROUTED,
        providers=ROUTED_STAFF,
        requests=[
            request("c", "p1", "body_consult", latest=TUESDAY),
            request("r", "p1", "filler", latest=TUESDAY),
        ],
    )
    assert _reasons(body_only) == {"r": "consult_required"}
    both = mini_clinic(
        services=ROUTED,
        providers=ROUTED_STAFF,
        requests=[
            request("c", "p1", "body_consult", latest=TUESDAY),
            request("f", "p1", "filler_consult", latest=TUESDAY),
            request("r", "p1", "filler", latest=TUESDAY),
        ],
    )
    assert _reasons(both) == {}
    assert _job(both, "r").needs_consult_days == {0, 1}


def test_a_consult_qualifies_a_category_it_lists() -> None:
    scenario = mini_clinic(
        services=[
            service("filler", requires_consult=True),
            service("consult", category="consult", qualifies=["treatment"]),
        ],
        providers=[provider("rn", ["filler", "consult"], MINI_WEEK)],
        requests=[
            request("c", "p1", "consult", latest=TUESDAY),
            request("r", "p1", "filler", latest=TUESDAY),
        ],
    )
    assert _reasons(scenario) == {}


@pytest.mark.parametrize(
    ("history", "needs_a_consult"),
    [
        ([], False),  # which consult is not recorded: it qualifies everything, as before
        ([{"service": "body_consult", "date": "2026-09-01"}], True),
        ([{"service": "filler_consult", "date": "2026-09-01"}], False),
        ([{"service": "body_consult", "date": "2026-08-31"}], False),  # not that day's
    ],
)
def test_the_last_consult_qualifies_what_the_consult_of_that_day_in_the_history_does(
    history: list[dict[str, str]], needs_a_consult: bool
) -> None:
    scenario = mini_clinic(
        services=ROUTED,
        providers=ROUTED_STAFF,
        patients=[{"id": "p1", "last_consult": "2026-09-01", "history": history}],
        requests=[request("r", "p1", "filler", latest=TUESDAY)],
    )
    assert _reasons(scenario) == ({"r": "consult_required"} if needs_a_consult else {})


def test_a_consult_in_the_history_is_on_file_while_it_is_valid() -> None:
    def reasons(day: str) -> dict[str, str]:
        return _reasons(
            mini_clinic(
                services=ROUTED,
                providers=ROUTED_STAFF,
                policies={"consult_valid_days": 30},
                patients=[{"id": "p1", "history": [{"service": "filler_consult", "date": day}]}],
                requests=[request("r", "p1", "filler", latest=TUESDAY)],
            )
        )

    assert reasons("2026-11-07") == {}  # 30 days before Monday
    assert reasons("2026-11-06") == {"r": "consult_required"}


def test_a_treatment_whose_consult_is_escalated_is_escalated_as_consult_required() -> None:
    consult = service("consult", category="consult")
    scenario = mini_clinic(
        services=[service("botox", requires_consult=True), consult],  # nobody gives consults
        requests=[
            request("r", "p1", "botox", latest=TUESDAY),
            request("c", "p1", "consult", latest=TUESDAY),
        ],
    )
    assert _reasons(scenario) == {"c": "no_permitted_provider", "r": "consult_required"}


def test_a_visit_with_an_escalated_part_is_escalated_whole() -> None:
    scenario = mini_clinic(
        services=[service("botox"), FILLER],
        requests=[
            request("a", "p1", "botox", latest=TUESDAY, visit="v1"),
            request("b", "p1", "filler", latest=TUESDAY, visit="v1"),
        ],
    )
    assert _reasons(scenario) == {"b": "no_permitted_provider", "a": "visit_incomplete"}


def test_late_in_the_window_with_nothing_left_is_no_provider_hours() -> None:
    scenario = mini_clinic(requests=[request("r", "p1", "botox", earliest=TUESDAY, latest=TUESDAY)])
    assert _reasons(scenario, not_before=1440 + 16 * 60 + 45) == {"r": "no_provider_hours"}
    assert _reasons(scenario, not_before=1440 + 16 * 60 + 30) == {}
    (late,) = _run(scenario, not_before=1440 + 16 * 60 + 40).escalations
    assert late.detail.endswith(
        "(rn: on Tue 2026-12-08 after 16:45 works at most 16:45-17:00 (15 min) but botox takes "
        "30 min)"
    )
    both_days = mini_clinic(requests=[request("r", "p1", "botox", latest=TUESDAY)])
    (closing,) = _run(both_days, not_before=1440 + 17 * 60).escalations
    assert (closing.reason_code, closing.detail.split(" window ")[1]) == (
        "no_provider_hours",
        "(rn: Mon 2026-12-07 passed and on Tue 2026-12-08 after 17:00 nothing is left)",
    )


def _escalation(scenario: Scenario) -> tuple[str, str]:
    (escalation,) = _run(scenario).escalations
    return escalation.reason_code, escalation.detail


def test_a_provider_who_works_neither_day_of_a_monday_friday_window_is_named_with_their_days() -> (
    None
):
    scenario = build(
        clinic={
            "slot_minutes": 15,
            "horizon": {"start": MONDAY, "days": 5},
            "hours": week(["mon", "fri"], HOURS),
        },
        services=[service("facial", 60, "facial")],
        providers=[provider("aes", ["facial"], week(["tue", "wed", "thu"], HOURS))],
        rooms=[room("f1", "facial")],
        requests=[request("r", "p1", "facial", earliest=MONDAY, latest="2026-12-11")],
    )
    assert _escalation(scenario) == (
        "provider_not_working",
        "no permitted provider has time for it in the window (aes: works Tue-Thu only)",
    )


def test_a_licence_that_expires_inside_the_window_is_the_reason_with_its_date() -> None:
    scenario = mini_clinic(
        providers=[
            provider("ann", ["botox"], {"wed": HOURS}),
            provider("bob", ["botox"], {"tue": HOURS}, license_expires=TUESDAY),
        ],
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
    )
    assert _escalation(scenario) == (
        "licence_expired",
        "no permitted provider has time for it in the window (ann: works Wed only; bob: works "
        "Tue only and licence expires 2026-12-08)",
    )


def test_time_off_and_short_hours_are_told_day_by_day() -> None:
    away = mini_clinic(
        providers=[provider("rn", ["botox"], MINI_WEEK, time_off=[MONDAY, TUESDAY])],
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
    )
    assert _escalation(away)[1].endswith("(rn: time off Mon 2026-12-07, Tue 2026-12-08)")
    short = mini_clinic(
        providers=[provider("rn", ["botox"], {"mon": "09:00-09:15", "tue": "17:00-18:00"})],
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
    )
    assert _escalation(short) == (
        "no_provider_hours",
        "no permitted provider has time for it in the window (rn: on Mon 2026-12-07 works at "
        "most 09:00-09:15 (15 min) but botox takes 30 min, on Tue 2026-12-08 works "
        "17:00-18:00, outside clinic hours 09:00-17:00)",
    )


# --- existing bookings -------------------------------------------------------------------


def test_a_locked_booking_that_overlaps_an_earlier_locked_one_is_a_booking_conflict() -> None:
    scenario = mini_clinic(
        rooms=[{"id": "inj1", "type": "injection"}, {"id": "inj2", "type": "injection"}],
        bookings=[
            booking("b1", "p1", "botox", "rn", "inj1", f"{MONDAY}T10:00"),
            booking("b2", "p2", "botox", "rn", "inj2", f"{MONDAY}T10:15"),
        ],
    )
    result = _run(scenario)
    assert [job.id for job in result.jobs] == ["b1"]
    (conflict,) = result.escalations
    assert (conflict.id, conflict.kind, conflict.reason_code) == (
        "b2",
        "booking",
        "booking_conflict",
    )
    assert "b1" in conflict.detail


@pytest.mark.parametrize(
    "sections",
    [
        {
            "providers": [provider("rn", ["botox"], MINI_WEEK, time_off=[MONDAY])]
        },  # provider away at the booked time
        {"providers": [provider("rn", [], MINI_WEEK)]},  # provider may not perform it
        {"clinic": {"closed_dates": [MONDAY]}},  # clinic closed that day
    ],
    ids=["provider_away", "not_permitted", "clinic_closed"],
)
def test_a_booking_that_cannot_stand_is_a_booking_conflict(sections: dict[str, Any]) -> None:
    scenario = mini_clinic(
        bookings=[booking("b1", "p1", "botox", "rn", "inj1", f"{MONDAY}T10:00")], **sections
    )
    assert _reasons(scenario) == {"b1": "booking_conflict"}


def test_a_locked_booking_has_its_one_start_and_an_unlocked_one_its_whole_day() -> None:
    scenario = mini_clinic(
        rooms=[{"id": "inj1", "type": "injection"}, {"id": "inj2", "type": "injection"}],
        bookings=[
            booking("b1", "p1", "botox", "rn", "inj1", f"{MONDAY}T10:00"),
            booking("b2", "p1", "botox", "rn", "inj2", f"{TUESDAY}T11:00", locked=False),
        ],
    )
    locked, unlocked = _job(scenario, "b1"), _job(scenario, "b2")
    assert locked.locked and not unlocked.locked
    assert [(c.provider_id, c.day, c.starts) for c in locked.candidates] == [
        ("rn", 0, [(600, 600)])
    ]
    assert [(c.day, c.starts) for c in unlocked.candidates] == [(1, [(1440 + 540, 1440 + 990)])]
    assert (locked.original_start, unlocked.original_start) == (600, 1440 + 660)
    assert (locked.weight, unlocked.weight) == (0, 0)
    assert unlocked.room_types == ("injection",)


def test_cancelled_bookings_take_no_part() -> None:
    scenario = mini_clinic(
        bookings=[
            booking("b1", "p1", "botox", "rn", "inj1", f"{MONDAY}T10:00", status="cancelled"),
            booking("b2", "p2", "botox", "rn", "inj1", f"{MONDAY}T10:00"),
        ]
    )
    result = _run(scenario)
    assert [job.id for job in result.jobs] == ["b2"]
    assert result.escalations == []


# --- candidates, weights, room types ------------------------------------------------------


def test_a_request_has_one_candidate_per_permitted_provider_and_open_day() -> None:
    scenario = mini_clinic(
        services=[service("botox", rooms=["laser", "injection"]), FILLER],
        providers=[
            provider("rn", ["botox"], MINI_WEEK),
            provider("md", ["botox"], MINI_WEEK),
            provider("aes", ["filler"], MINI_WEEK),
        ],
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
    )
    job = _job(scenario, "r")
    assert [(c.provider_id, c.day) for c in job.candidates] == [
        ("rn", 0),
        ("rn", 1),
        ("md", 0),
        ("md", 1),
    ]
    assert job.room_types == ("injection",)  # the clinic has no laser room
    required = mini_clinic(
        providers=[provider("rn", ["botox"], MINI_WEEK), provider("md", ["botox"], MINI_WEEK)],
        requests=[request("r", "p1", "botox", latest=TUESDAY, required_provider="md")],
    )
    assert {c.provider_id for c in _job(required, "r").candidates} == {"md"}


def test_the_weight_is_the_priority_else_the_tier_weight_of_the_policy() -> None:
    scenario = mini_clinic(
        policies={"tier_weights": {"vip": 9}},
        patients=[{"id": "p1", "tier": "vip"}, {"id": "p2", "tier": "member"}],
        requests=[
            request("a", "p1", "botox", latest=TUESDAY),
            request("b", "p2", "botox", latest=TUESDAY),
            request("c", "p1", "botox", latest=TUESDAY, priority=7),
        ],
    )
    assert [scenario.weight_of(r) for r in scenario.requests] == [9, 3, 7]
    assert [_job(scenario, i).weight for i in "abc"] == [9, 3, 7]


def test_asked_at_is_clinic_wall_clock_time_and_never_asked_comes_last() -> None:
    scenario = mini_clinic(
        requests=[
            request("a", "p1", "botox", latest=TUESDAY, requested_at="2026-12-01T15:00:00+00:00"),
            request("b", "p1", "botox", latest=TUESDAY, requested_at="2026-12-01T08:30"),
            request("c", "p1", "botox", latest=TUESDAY),
        ]
    )
    first, second, third = scenario.requests
    assert asked_at(scenario, first) == datetime(2026, 12, 1, 9, 0)  # UTC-6 in Chicago
    assert asked_at(scenario, second) == datetime(2026, 12, 1, 8, 30)
    assert asked_at(scenario, third) == datetime.max
    assert asked_at(scenario, first).tzinfo is None
    assert first.requested_at is not None and first.requested_at.tzinfo == UTC


def test_escalate_names_the_kind_of_what_it_escalates() -> None:
    scenario = mini_clinic(
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
        bookings=[booking("b", "p1", "botox", "rn", "inj1", f"{MONDAY}T10:00")],
    )
    job = _job(scenario, "r")
    from_job = escalate(job, "no_capacity", "full")
    assert (from_job.id, from_job.patient_id, from_job.service_id, from_job.kind) == (
        "r",
        "p1",
        "botox",
        "request",
    )
    assert escalate(scenario.requests[0], "x", "y").kind == "request"
    from_booking = escalate(scenario.bookings[0], "booking_conflict", "d")
    assert (from_booking.kind, from_booking.reason_code, from_booking.detail) == (
        "booking",
        "booking_conflict",
        "d",
    )
