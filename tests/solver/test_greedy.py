"""The front desk: earliest fitting time, priority order, visits back to back, waitlist order,
and never a schedule the checker rejects."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from checker import check_schedule
from models.scenario import Scenario
from solver.eligibility import Job, eligibility
from solver.facts import ClinicFacts
from solver.greedy import greedy_schedule, in_waitlist_order
from solver.placement import Placement, Placements
from solver.reasons import unbooked_reasons
from solver.schedule import build_schedule
from solver.solve import _floor
from tests.conftest import (
    MINI_WEEK,
    MONDAY,
    TUESDAY,
    booking,
    mini_clinic,
    provider,
    request,
    service,
)
from tests.solver.test_solve import switched_clinics

ROOMS = [{"id": "inj1", "type": "injection"}, {"id": "inj2", "type": "injection"}]


def _greedy(scenario: Scenario) -> tuple[ClinicFacts, list[Job], Placements]:
    facts = ClinicFacts(scenario)
    jobs = eligibility(facts).jobs
    return facts, jobs, greedy_schedule(facts, jobs)


def _starts(placements: Placements) -> dict[str, tuple[str, int, str | None]]:
    return {i: (p.provider_id, p.start, p.room_id) for i, p in sorted(placements.items())}


def test_a_request_takes_the_earliest_fitting_time() -> None:
    _, _, placements = _greedy(mini_clinic(requests=[request("r", "p1", "botox", latest=TUESDAY)]))
    assert _starts(placements) == {"r": ("rn", 540, "inj1")}


def test_a_request_goes_after_what_holds_the_provider_patient_or_room() -> None:
    held_provider = mini_clinic(
        rooms=ROOMS,
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
        bookings=[booking("b", "p2", "botox", "rn", "inj2", f"{MONDAY}T09:00")],
    )
    assert _greedy(held_provider)[2]["r"].start == 570
    held_room = mini_clinic(
        services=[service("botox", buffer_after=15)],
        providers=[provider("rn", ["botox"], MINI_WEEK), provider("md", ["botox"], MINI_WEEK)],
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
        bookings=[booking("b", "p2", "botox", "md", "inj1", f"{MONDAY}T09:00")],
    )
    assert _greedy(held_room)[2]["r"].start == 585  # after the booking's turnover
    held_patient = mini_clinic(
        rooms=ROOMS,
        providers=[provider("rn", ["botox"], MINI_WEEK), provider("md", ["botox"], MINI_WEEK)],
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
        bookings=[booking("b", "p1", "botox", "md", "inj2", f"{MONDAY}T09:00")],
    )
    assert _greedy(held_patient)[2]["r"].start == 570


def test_processing_lets_the_provider_start_someone_else() -> None:
    scenario = mini_clinic(
        rooms=ROOMS,
        services=[service("botox", duration=30, processing=30, finish=15), service("quick")],
        providers=[provider("rn", ["botox", "quick"], MINI_WEEK)],
        requests=[
            request("long", "p1", "botox", latest=TUESDAY),
            request("short", "p2", "quick", latest=TUESDAY),
        ],
    )
    placements = _greedy(scenario)[2]
    assert placements["long"].start == 540
    assert placements["short"].start == 570  # while the first patient's numbing works


def test_the_heavier_request_gets_the_only_slot_whatever_the_file_order() -> None:
    scenario = mini_clinic(
        providers=[provider("rn", ["botox"], {"mon": "09:00-09:30"})],
        patients=[{"id": "p1", "tier": "new"}, {"id": "p2", "tier": "vip"}],
        requests=[
            request("a_light", "p1", "botox", latest=TUESDAY),
            request("b_heavy", "p2", "botox", latest=TUESDAY),
        ],
    )
    assert set(_greedy(scenario)[2]) == {"b_heavy"}  # ids and file order favour a_light


def test_equal_weights_go_first_come_first_served() -> None:
    scenario = mini_clinic(
        providers=[provider("rn", ["botox"], {"mon": "09:00-09:30"})],
        requests=[
            request("a_late", "p1", "botox", latest=TUESDAY, requested_at="2026-12-02T10:00"),
            request("b_early", "p2", "botox", latest=TUESDAY, requested_at="2026-12-01T10:00"),
        ],
    )
    assert set(_greedy(scenario)[2]) == {"b_early"}


def test_a_visit_is_booked_back_to_back_in_file_order() -> None:
    scenario = mini_clinic(
        rooms=ROOMS,
        services=[service("botox", duration=45), service("peel", duration=30)],
        providers=[provider("rn", ["botox", "peel"], MINI_WEEK)],
        requests=[
            request("blocker", "p2", "peel", latest=MONDAY, priority=9),
            request("first", "p1", "botox", latest=TUESDAY, visit="v"),
            request("second", "p1", "peel", latest=TUESDAY, visit="v"),
        ],
    )
    placements = _greedy(scenario)[2]
    assert placements["blocker"].start == 540
    first, second = placements["first"], placements["second"]
    assert first.start == 570
    assert second.start == first.start + 45
    assert first.start // 1440 == second.start // 1440


def test_a_visit_that_does_not_fit_whole_is_not_booked_in_part() -> None:
    scenario = mini_clinic(
        services=[service("botox", duration=240), service("peel", duration=300)],
        providers=[provider("rn", ["botox", "peel"], MINI_WEEK)],
        requests=[
            request("first", "p1", "botox", latest=TUESDAY, visit="v"),
            request("second", "p1", "peel", latest=TUESDAY, visit="v"),
        ],
    )
    assert _greedy(scenario)[2] == {}  # 9 hours in an 8-hour day


def test_a_visit_in_a_one_room_clinic_waits_only_for_the_rooms_turnover() -> None:
    visit = {
        "services": [service("consult", category="consult", buffer_after=15), service("botox")],
        "providers": [provider("rn", ["consult", "botox"], MINI_WEEK)],
        "requests": [
            request("consult", "p1", "consult", visit="v"),
            request("treat", "p1", "botox", visit="v"),
        ],
    }
    one_room = _starts(_greedy(mini_clinic(**visit))[2])
    assert one_room == {"consult": ("rn", 540, "inj1"), "treat": ("rn", 585, "inj1")}
    two_rooms = _starts(_greedy(mini_clinic(rooms=ROOMS, **visit))[2])
    assert two_rooms == {"consult": ("rn", 540, "inj1"), "treat": ("rn", 570, "inj2")}


def test_a_locked_booking_keeps_its_place_and_room() -> None:
    scenario = mini_clinic(
        rooms=ROOMS,
        bookings=[booking("b", "p1", "botox", "rn", "inj2", f"{TUESDAY}T14:00")],
    )
    assert _starts(_greedy(scenario)[2]) == {"b": ("rn", 1440 + 840, "inj2")}


def test_a_treatment_waits_for_the_consult_it_needs() -> None:
    scenario = mini_clinic(
        rooms=ROOMS,
        services=[service("botox", requires_consult=True), service("consult", category="consult")],
        providers=[provider("rn", ["botox", "consult"], MINI_WEEK)],
        requests=[
            request("treat", "p1", "botox", latest=TUESDAY),
            request("consult", "p1", "consult", latest=TUESDAY),
        ],
    )
    placements = _greedy(scenario)[2]
    assert placements["consult"].start == 540  # within a weight consults go first
    assert placements["treat"].start == 570  # the treatment right after its consult


ROUTED = [
    service("botox"),
    service("filler", requires_consult=True),
    service("body_consult", category="consult", qualifies=["sculpt"]),
    service("filler_consult", category="consult", qualifies=["filler"]),
    service("sculpt"),
]
"""A body consult that qualifies only sculpting and a filler consult that qualifies filler."""
ROUTED_STAFF = [provider("rn", ["botox", "filler", "body_consult", "filler_consult"], MINI_WEEK)]


def test_a_treatment_waits_for_a_consult_that_qualifies_it() -> None:
    scenario = mini_clinic(
        rooms=ROOMS,
        services=ROUTED,
        providers=ROUTED_STAFF,
        requests=[
            request("body", "p1", "body_consult"),
            request("treat", "p1", "filler", latest=TUESDAY),
            request("filler", "p1", "filler_consult", earliest=TUESDAY),
        ],
    )
    placements = _greedy(scenario)[2]
    assert placements["body"].start == 540
    assert placements["filler"].start == 1440 + 540
    assert placements["treat"].start == 1440 + 570  # not on Monday after the body consult


def test_in_waitlist_order_may_free_a_consult_no_booked_treatment_relies_on() -> None:
    scenario = mini_clinic(
        services=ROUTED,
        providers=[provider("rn", ROUTED_STAFF[0]["services"], {"mon": "09:00-10:30"})],
        requests=[
            request("body", "p1", "body_consult"),
            request("consult", "p1", "filler_consult"),
            request("treat", "p1", "filler"),
            request("walk_in", "p2", "botox"),
        ],
    )
    facts = ClinicFacts(scenario)
    jobs = eligibility(facts).jobs
    by_id = {job.id: job for job in jobs}
    full = {
        "body": Placement("rn", 540, "injection", "inj1"),
        "consult": Placement("rn", 570, "injection", "inj1"),
        "treat": Placement("rn", 600, "injection", "inj1"),
    }
    order = [by_id[i] for i in ("walk_in", "treat", "consult", "body")]
    result = in_waitlist_order(facts, jobs, full, order)
    assert set(result) == {"walk_in", "consult", "treat"}  # the body consult made way


def _low_and_high(monday: str, **sections: Any) -> tuple[ClinicFacts, list[Job], dict[str, Job]]:
    """Requests "low" (p1) and "high" (p2) for botox with rn, who works `monday` only."""
    scenario = mini_clinic(
        providers=[provider("rn", ["botox"], {"mon": monday})],
        requests=[
            request("low", "p1", "botox", latest=TUESDAY),
            request("high", "p2", "botox", latest=TUESDAY),
        ],
        **sections,
    )
    facts = ClinicFacts(scenario)
    jobs = eligibility(facts).jobs
    return facts, jobs, {job.id: job for job in jobs}


def test_in_waitlist_order_gives_a_higher_ranked_job_a_lower_ranked_ones_slot() -> None:
    facts, jobs, by_id = _low_and_high("09:00-09:30")
    placements = {"low": Placement("rn", 540, "injection", "inj1")}
    result = in_waitlist_order(facts, jobs, placements, [by_id["high"], by_id["low"]])
    assert _starts(result) == {"high": ("rn", 540, "inj1")}
    kept = in_waitlist_order(facts, jobs, placements, [by_id["low"], by_id["high"]])
    assert _starts(kept) == {"low": ("rn", 540, "inj1")}


def test_in_waitlist_order_leaves_placements_that_keep_the_order_where_they_are() -> None:
    facts, jobs, by_id = _low_and_high("09:00-10:00", rooms=ROOMS)
    placements = {"low": Placement("rn", 570, "injection", "inj1")}
    result = in_waitlist_order(facts, jobs, placements, [by_id["low"], by_id["high"]])
    assert _starts(result) == {"high": ("rn", 540, "inj1"), "low": ("rn", 570, "inj1")}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clinic=switched_clinics())
def test_the_front_desk_never_breaks_the_checker(clinic: tuple[Scenario, int]) -> None:
    scenario, _ = clinic
    facts = ClinicFacts(scenario)
    eligible = eligibility(facts)
    jobs, placements, lost = _floor(facts, eligible.jobs)
    unbooked = unbooked_reasons(facts, jobs, placements)
    schedule = build_schedule(scenario, jobs, placements, eligible.escalations + lost, unbooked)
    assert [str(v) for v in check_schedule(scenario, schedule)] == []
    assert all(p.room_id is not None for p in placements.values())
