"""The CP-SAT model: its families of hard rules, the family a bad decision set breaks, and
decisions and placements that describe the same schedule."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from models.scenario import Scenario
from scenarios.generator import generate_scenario
from solver.cpsat.model import ScheduleModel
from solver.cpsat.relaxation import capacity_rows
from solver.cpsat.search import complete
from solver.eligibility import eligibility
from solver.facts import ClinicFacts
from solver.placement import Placement, Placements
from solver.scoring import objective_terms, total
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

FAMILIES = [
    "one provider, day, start and room each",
    "provider one thing at a time",
    "room capacity",
    "machine capacity",
    "patient one place at a time",
    "visit back to back",
    "series spacing",
    "consult first",
    "capacity rows",
    "soft rules and the move cap",
]
ROOMS = [{"id": "inj1", "type": "injection"}, {"id": "inj2", "type": "injection"}]
TWO = [provider("rn", ["botox"], MINI_WEEK), provider("md", ["botox"], MINI_WEEK)]


def _built(scenario: Scenario, max_moves: int | None = None) -> ScheduleModel:
    facts = ClinicFacts(scenario)
    jobs = eligibility(facts).jobs
    return ScheduleModel(facts, jobs, capacity_rows(facts, jobs), max_moves)


def _at(provider_id: str, minute: int, room_id: str | None = None) -> Placement:
    return Placement(provider_id, minute, "injection", room_id)


def test_every_family_is_named_in_order_and_they_share_out_every_constraint() -> None:
    built = _built(generate_scenario(requests=30, providers=3, days=2, seed=2))
    assert list(built.families) == FAMILIES
    ranges = list(built.families.values())
    assert ranges[0].start == 0
    assert all(a.stop == b.start for a, b in itertools.pairwise(ranges))
    assert ranges[-1].stop == len(built.model.proto.constraints)


CASES: dict[str, tuple[dict[str, Any], Placements, int | None]] = {
    "one provider, day, start and room each": (
        {"requests": [request("a", "p1", "botox", latest=TUESDAY)]},
        {"a": _at("rn", 1005)},  # 16:45: the 30 minutes would end after closing
        None,
    ),
    "provider one thing at a time": (
        {
            "rooms": ROOMS,
            "requests": [
                request("a", "p1", "botox", latest=TUESDAY),
                request("b", "p2", "botox", latest=TUESDAY),
            ],
        },
        {"a": _at("rn", 540), "b": _at("rn", 555)},
        None,
    ),
    "room capacity": (
        {
            "providers": TWO,
            "requests": [
                request("a", "p1", "botox", latest=TUESDAY),
                request("b", "p2", "botox", latest=TUESDAY),
            ],
        },
        {"a": _at("rn", 540), "b": _at("md", 555)},
        None,
    ),
    "machine capacity": (
        {
            "rooms": ROOMS,
            "providers": TWO,
            "services": [service("botox", equipment={"ipl": 1})],
            "equipment": [{"id": "ipl", "name": "IPL", "count": 1}],
            "requests": [
                request("a", "p1", "botox", latest=TUESDAY),
                request("b", "p2", "botox", latest=TUESDAY),
            ],
        },
        {"a": _at("rn", 540), "b": _at("md", 555)},
        None,
    ),
    "patient one place at a time": (
        {
            "rooms": ROOMS,
            "providers": TWO,
            "requests": [
                request("a", "p1", "botox", latest=TUESDAY),
                request("b", "p1", "botox", latest=TUESDAY),
            ],
        },
        {"a": _at("rn", 540), "b": _at("md", 555)},
        None,
    ),
    "visit back to back": (
        {
            "requests": [
                request("a", "p1", "botox", latest=TUESDAY, visit="v"),
                request("b", "p1", "botox", latest=TUESDAY, visit="v"),
            ]
        },
        {"a": _at("rn", 540), "b": _at("rn", 600)},  # a 30-minute gap
        None,
    ),
    "series spacing": (
        {
            "services": [service("botox", min_days_between=7)],
            "requests": [
                request("a", "p1", "botox", latest=TUESDAY),
                request("b", "p1", "botox", latest=TUESDAY),
            ],
        },
        {"a": _at("rn", 540), "b": _at("rn", 1440 + 540)},
        None,
    ),
    "consult first": (
        {
            "services": [
                service("botox", requires_consult=True),
                service("consult", category="consult"),
            ],
            "providers": [provider("rn", ["botox", "consult"], MINI_WEEK)],
            "requests": [
                request("treat", "p1", "botox", latest=TUESDAY),
                request("consult", "p1", "consult", latest=TUESDAY),
            ],
        },
        {"treat": _at("rn", 540), "consult": _at("rn", 600)},  # the consult comes after
        None,
    ),
    "soft rules and the move cap": (
        {"bookings": [booking("b", "p1", "botox", "rn", "inj1", f"{MONDAY}T11:00", locked=False)]},
        {"b": _at("rn", 600)},
        0,
    ),
}


@pytest.mark.parametrize("family", list(CASES))
def test_disagreement_names_the_family_a_bad_decision_set_breaks(family: str) -> None:
    sections, placements, max_moves = CASES[family]
    built = _built(mini_clinic(**sections), max_moves)
    decisions = built.decisions(placements)
    with pytest.raises(RuntimeError):
        complete(built, decisions)
    assert built.disagreement(decisions) == family


def test_a_visit_booked_in_part_breaks_visit_back_to_back() -> None:
    built = _built(
        mini_clinic(
            requests=[
                request("a", "p1", "botox", latest=TUESDAY, visit="v"),
                request("b", "p1", "botox", latest=TUESDAY, visit="v"),
            ]
        )
    )
    assert built.disagreement(built.decisions({"a": _at("rn", 540)})) == "visit back to back"


def test_a_visits_next_part_may_wait_for_the_rooms_turnover_and_no_longer() -> None:
    built = _built(
        mini_clinic(
            services=[service("botox", buffer_after=15)],
            requests=[
                request("a", "p1", "botox", latest=TUESDAY, visit="v"),
                request("b", "p1", "botox", latest=TUESDAY, visit="v"),
            ],
        )
    )
    same_room = {"a": _at("rn", 540), "b": _at("rn", 585)}  # after a's 15-minute turnover
    assert set(built.placements(complete(built, built.decisions(same_room)).values)) == {"a", "b"}
    later = {"a": _at("rn", 540), "b": _at("rn", 600)}
    assert built.disagreement(built.decisions(later)) == "visit back to back"


def test_only_a_consult_that_qualifies_the_treatment_may_come_before_it() -> None:
    built = _built(
        mini_clinic(
            rooms=ROOMS,
            services=[
                service("botox", requires_consult=True),
                service("body_consult", category="consult", qualifies=["sculpt"]),
                service("consult", category="consult", qualifies=["botox"]),
                service("sculpt"),
            ],
            providers=[provider("rn", ["botox", "body_consult", "consult"], MINI_WEEK)],
            requests=[
                request("body", "p1", "body_consult", latest=TUESDAY),
                request("consult", "p1", "consult", latest=TUESDAY),
                request("treat", "p1", "botox", latest=TUESDAY),
            ],
        )
    )
    after_both = {"body": _at("rn", 540), "consult": _at("rn", 570), "treat": _at("rn", 600)}
    assert set(built.placements(complete(built, built.decisions(after_both)).values)) == {
        "body",
        "consult",
        "treat",
    }
    after_the_body_consult = {"body": _at("rn", 540), "treat": _at("rn", 570)}
    assert built.disagreement(built.decisions(after_the_body_consult)) == "consult first"


def test_decisions_every_family_accepts_are_not_blamed_on_one() -> None:
    scenario = generate_scenario(requests=25, providers=2, days=2, seed=5)
    facts = ClinicFacts(scenario)
    jobs, greedy, _ = _floor(facts, eligibility(facts).jobs)
    built = ScheduleModel(facts, jobs, capacity_rows(facts, jobs))
    assert built.disagreement(built.decisions(greedy)) == "several rules together"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clinic=switched_clinics())
def test_the_front_desk_schedule_round_trips_through_decisions_and_placements(
    clinic: tuple[Scenario, int],
) -> None:
    scenario, _ = clinic
    facts = ClinicFacts(scenario)
    jobs, greedy, _ = _floor(facts, eligibility(facts).jobs)
    built = ScheduleModel(facts, jobs, capacity_rows(facts, jobs))
    start = complete(built, built.decisions(greedy))
    back = built.placements(start.values)

    def described(placements: Placements) -> dict[str, tuple[str, int, str]]:
        return {i: (p.provider_id, p.start, p.room_type) for i, p in placements.items()}

    assert described(back) == described(greedy)
    for job_id, placement in back.items():  # rooms decided room by room come back too
        assert placement.room_id in (None, greedy[job_id].room_id)
    assert start.objective == total(objective_terms(scenario, jobs, greedy))


def test_rooms_of_a_type_with_a_room_out_of_service_are_decided_room_by_room() -> None:
    down = [{"start": f"{MONDAY}T09:00", "end": f"{MONDAY}T12:00"}]
    scenario = mini_clinic(
        rooms=[{"id": "inj1", "type": "injection", "out_of_service": down}, ROOMS[1]],
        providers=TWO,
        requests=[
            request("a", "p1", "botox", latest=TUESDAY),
            request("b", "p2", "botox", latest=TUESDAY),
        ],
    )
    built = _built(scenario)
    placements = {"a": _at("rn", 540, "inj2"), "b": _at("md", 780, "inj1")}
    back = built.placements(complete(built, built.decisions(placements)).values)
    assert back == placements
    in_the_broken_room = {"a": _at("rn", 540, "inj1")}
    assert built.disagreement(built.decisions(in_the_broken_room)) == "room capacity"


def test_an_unbooked_job_reads_back_as_not_placed_and_fixed_leaves_the_model_alone() -> None:
    built = _built(
        mini_clinic(
            requests=[
                request("a", "p1", "botox", latest=TUESDAY),
                request("b", "p2", "botox", latest=TUESDAY),
            ]
        )
    )
    placements = {"a": _at("rn", 540)}
    decisions = built.decisions(placements)
    assert decisions[built.vars["b"].booked.index] == 0
    assert built.vars["b"].start.index not in decisions  # any start will do
    before = [list(v.domain) for v in built.model.proto.variables]
    piece = built.fixed(decisions, hint=[0] * len(before))
    assert [list(v.domain) for v in built.model.proto.variables] == before
    assert list(piece.proto.variables[built.vars["a"].start.index].domain) == [36, 36]
    assert len(piece.proto.solution_hint.vars) == len(before)
    assert set(built.placements(complete(built, decisions).values)) == {"a"}
