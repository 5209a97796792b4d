"""Schedule rows and the exception queue: one row per booking and request, statuses and
reasons, and who owns each exception."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from models.results import Schedule
from models.scenario import Policies, Scenario
from solver.eligibility import SUGGESTED_ACTIONS, Escalation, eligibility, escalate
from solver.facts import ClinicFacts
from solver.placement import Placement
from solver.reasons import Reason, unbooked_reasons
from solver.schedule import build_exceptions, build_schedule, equipment_text, owner_of
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

CHICAGO = ZoneInfo("America/Chicago")


def _clinic(**policies: str) -> Scenario:
    return mini_clinic(
        policies=policies,
        services=[service("botox", equipment={"ipl": 1, "cool": 2}), service("filler")],
        equipment=[
            {"id": "ipl", "name": "IPL", "count": 1},
            {"id": "cool", "name": "C", "count": 2},
        ],
        rooms=[{"id": "inj1", "type": "injection"}, {"id": "inj2", "type": "injection"}],
        providers=[provider("rn", ["botox"], MINI_WEEK)],
        requests=[
            request("booked", "p1", "botox", latest=TUESDAY),
            request("escalated", "p2", "filler", latest=TUESDAY),  # nobody may do filler
            request("waiting", "p2", "botox", latest=TUESDAY),
            request("displaced", "p2", "botox", latest=TUESDAY),
        ],
        bookings=[
            booking("moved", "p1", "botox", "rn", "inj2", f"{MONDAY}T11:00", locked=False),
            booking(
                "gone", "p1", "botox", "rn", "inj1", f"{MONDAY}T12:00", status="cancelled_late"
            ),
            booking("clash", "p2", "botox", "rn", "inj1", f"{MONDAY}T11:00"),
        ],
    )


def _schedule(
    scenario: Scenario, moved_to: int = 1440 + 600
) -> tuple[Schedule, list[Escalation], dict[str, Reason]]:
    facts = ClinicFacts(scenario)
    eligible = eligibility(facts)
    by_id = {job.id: job for job in eligible.jobs}
    lost = escalate(by_id["clash"], "booking_conflict", "cannot keep its place")
    jobs = [job for job in eligible.jobs if job.id != "clash"]
    escalations = [*eligible.escalations, lost]
    placements = {
        "booked": Placement("rn", 540, "injection", "inj1"),
        "moved": Placement("rn", moved_to, "injection", "inj2"),
    }
    unbooked = unbooked_reasons(facts, jobs, placements)
    return build_schedule(scenario, jobs, placements, escalations, unbooked), escalations, unbooked


def test_one_row_per_booking_then_per_request_in_file_order() -> None:
    scenario = _clinic()
    schedule, *_ = _schedule(scenario)
    rows = [(r.request_id, r.kind) for r in schedule.appointments]
    assert rows == [
        ("moved", "booking"),
        ("gone", "booking"),
        ("clash", "booking"),
        ("booked", "request"),
        ("escalated", "request"),
        ("waiting", "request"),
        ("displaced", "request"),
    ]


def test_each_row_says_where_it_landed_or_why_not() -> None:
    schedule, _, unbooked = _schedule(_clinic())
    rows = {row.request_id: row for row in schedule.appointments}
    booked = rows["booked"]
    assert (booked.status, booked.provider_id, booked.room_id) == ("booked", "rn", "inj1")
    assert booked.start == datetime(2026, 12, 7, 9, 0, tzinfo=CHICAGO)
    assert booked.end == datetime(2026, 12, 7, 9, 30, tzinfo=CHICAGO)
    assert booked.equipment == "cool:2;ipl:1"
    assert not booked.moved
    moved = rows["moved"]
    assert (moved.status, moved.moved) == ("booked", True)
    assert moved.start == datetime(2026, 12, 8, 10, 0, tzinfo=CHICAGO)
    assert (rows["escalated"].status, rows["escalated"].reason) == (
        "escalated",
        "no_permitted_provider",
    )
    assert (rows["clash"].status, rows["clash"].reason) == ("escalated", "booking_conflict")
    assert (rows["gone"].status, rows["gone"].reason) == ("unscheduled", "cancelled_late")
    assert (rows["waiting"].status, rows["waiting"].reason) == (
        "unscheduled",
        unbooked["waiting"].code,
    )
    assert unbooked["waiting"].code == "search_stopped_early"  # it fits at 09:30, free
    assert rows["waiting"].provider_id is None and rows["waiting"].start is None


def test_a_booking_at_its_old_start_is_not_moved() -> None:
    schedule, *_ = _schedule(_clinic(), moved_to=660)
    assert not next(r for r in schedule.appointments if r.request_id == "moved").moved


def test_exceptions_list_what_needs_a_person_with_its_owner_and_action() -> None:
    scenario = _clinic(escalation_owner="manager", same_day_owner="front desk")
    schedule, escalations, unbooked = _schedule(scenario)
    items = build_exceptions(scenario, schedule, escalations, unbooked, same_day={"displaced"})
    found = {i.request_id: (i.reason_code, i.owner) for i in items}
    assert found == {
        "clash": ("booking_conflict", "front desk"),  # an existing booking: today's business
        "escalated": ("no_permitted_provider", "manager"),
        "waiting": ("search_stopped_early", "manager"),
        "displaced": ("search_stopped_early", "front desk"),
    }  # booked rows and the late cancellation are not exceptions
    by_id = {i.request_id: i for i in items}
    assert by_id["escalated"].suggested_action == SUGGESTED_ACTIONS["no_permitted_provider"]
    assert by_id["clash"].detail == "cannot keep its place"
    assert by_id["waiting"].detail == unbooked["waiting"].detail
    assert by_id["waiting"].detail.startswith("fits Mon 2026-12-07 09:30 with rn")
    assert by_id["waiting"].suggested_action == SUGGESTED_ACTIONS["search_stopped_early"]
    assert by_id["waiting"].patient_id == "p2"


def test_the_owner_falls_back_to_the_escalation_owner_then_the_clinic_manager() -> None:
    both = Policies(escalation_owner="manager", same_day_owner="desk")
    assert (owner_of(both, True), owner_of(both, False)) == ("desk", "manager")
    only_escalation = Policies(escalation_owner="manager")
    assert owner_of(only_escalation, True) == "manager"
    nobody = Policies()
    assert owner_of(nobody, True) == owner_of(nobody, False)
    assert "policies.escalation_owner" in owner_of(nobody, False)


def test_equipment_text_is_sorted_id_units_pairs() -> None:
    assert equipment_text({"ipl": 1, "cool": 2}) == "cool:2;ipl:1"
    assert equipment_text({}) == ""
