"""Placements and the room sweep: concrete rooms in start order, turnover respected,
bookings kept in their room when it is free, an overfull pool refused."""

from __future__ import annotations

import pytest

from solver.eligibility import Job, eligibility
from solver.facts import ClinicFacts
from solver.placement import Placement, Placements, assign_rooms
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

ROOMS = [{"id": "inj1", "type": "injection"}, {"id": "inj2", "type": "injection"}]


def _facts_and_jobs(**sections: object) -> tuple[ClinicFacts, list[Job]]:
    scenario = mini_clinic(
        rooms=ROOMS,
        services=[service("botox", buffer_after=15)],
        providers=[
            provider("rn", ["botox"], MINI_WEEK),
            provider("md", ["botox"], MINI_WEEK),
            provider("np", ["botox"], MINI_WEEK),
        ],
        patients=[{"id": f"p{i}"} for i in range(1, 5)],
        **sections,
    )
    facts = ClinicFacts(scenario)
    return facts, eligibility(facts).jobs


def _rooms(placements: Placements) -> dict[str, str | None]:
    return {job_id: p.room_id for job_id, p in sorted(placements.items())}


def test_the_end_is_the_patient_leaving_the_room_turnover_not_included() -> None:
    scenario = mini_clinic(
        services=[service("botox", duration=30, processing=15, finish=15, buffer_after=15)],
        requests=[request("r", "p1", "botox", latest=TUESDAY)],
    )
    (job,) = eligibility(ClinicFacts(scenario)).jobs
    assert Placement("rn", 540, "injection").end(job) == 600


def test_rooms_go_in_start_order_and_a_room_is_free_again_after_its_turnover() -> None:
    facts, jobs = _facts_and_jobs(
        requests=[
            request("third", "p3", "botox", latest=MONDAY),
            request("first", "p1", "botox", latest=MONDAY),
            request("second", "p2", "botox", latest=MONDAY),
        ]
    )
    placements = {
        "third": Placement("np", 585, "injection"),  # 09:45: inj1 is free again
        "first": Placement("rn", 540, "injection"),  # 09:00-09:30, turnover to 09:45
        "second": Placement("md", 570, "injection"),  # 09:30: inj1 is still turning over
    }
    assign_rooms(facts, jobs, placements)
    assert _rooms(placements) == {"first": "inj1", "second": "inj2", "third": "inj1"}


def test_a_booking_keeps_its_room_when_free_and_gets_another_when_not() -> None:
    facts, jobs = _facts_and_jobs(
        bookings=[
            booking("kept", "p1", "botox", "rn", "inj2", f"{MONDAY}T09:00", locked=False),
            booking("early", "p2", "botox", "md", "inj1", f"{MONDAY}T11:00", locked=False),
            booking("late", "p3", "botox", "np", "inj1", f"{MONDAY}T13:00", locked=False),
        ]
    )
    placements = {
        "kept": Placement("rn", 540, "injection"),
        "early": Placement("md", 600, "injection"),  # moved to 10:00, in inj1 (its room)
        "late": Placement("np", 615, "injection"),  # moved to 10:15: inj1 is taken then
    }
    assign_rooms(facts, jobs, placements)
    assert _rooms(placements) == {"early": "inj1", "kept": "inj2", "late": "inj2"}


def test_a_request_leaves_a_booking_its_room_when_another_room_is_free() -> None:
    """The request comes first in start order and could take either room; it takes the one
    no booking wants while it is there, so the booking keeps its own."""
    facts, jobs = _facts_and_jobs(
        requests=[request("r", "p2", "botox", latest=MONDAY)],
        bookings=[booking("b", "p1", "botox", "rn", "inj1", f"{MONDAY}T10:15")],
    )
    placements = {
        "r": Placement("md", 600, "injection"),  # 10:00-10:30, turnover to 10:45
        "b": Placement("rn", 615, "injection"),  # 10:15 in inj1, as booked
    }
    assign_rooms(facts, jobs, placements)
    assert _rooms(placements) == {"b": "inj1", "r": "inj2"}


def test_a_placement_that_already_has_a_room_keeps_it() -> None:
    facts, jobs = _facts_and_jobs(requests=[request("r", "p1", "botox", latest=TUESDAY)])
    placements = {"r": Placement("rn", 540, "injection", "inj2")}
    assign_rooms(facts, jobs, placements)
    assert _rooms(placements) == {"r": "inj2"}


def test_more_stays_at_once_than_rooms_of_the_type_is_an_error() -> None:
    facts, jobs = _facts_and_jobs(
        requests=[
            request("a", "p1", "botox", latest=TUESDAY),
            request("b", "p2", "botox", latest=TUESDAY),
            request("c", "p3", "botox", latest=TUESDAY),
        ]
    )
    placements = {
        "a": Placement("rn", 540, "injection"),
        "b": Placement("md", 540, "injection"),
        "c": Placement("np", 555, "injection"),
    }
    with pytest.raises(RuntimeError, match="no free injection room for c"):
        assign_rooms(facts, jobs, placements)
