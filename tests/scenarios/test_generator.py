"""The seeded generator: valid clinics of any size, realistic proportions, same seed same clinic."""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from models.loader import load_scenario, save_scenario, scenario_from_data
from models.scenario import Scenario
from scenarios.generator import (
    DEFAULT_START,
    ROOM_MIX,
    TIER_MIX,
    demand_ratio,
    generate_scenario,
    staffed_minutes,
)
from tests.scenarios.test_sample import booking_problems

SIZES = [(20, 2, 1), (150, 6, 5), (500, 10, 5), (1000, 12, 7), (3000, 30, 14)]
CATEGORIES = {"consult", "treatment", "follow_up", "touch_up"}


@cache
def generated(requests: int, providers: int, days: int, seed: int = 0) -> Scenario:
    return generate_scenario(requests=requests, providers=providers, days=days, seed=seed)


def _round_trip(scenario: Scenario, folder: Path) -> Scenario:
    path = folder / "clinic.yaml"
    save_scenario(scenario, path)
    return load_scenario(path)


@pytest.mark.parametrize(("requests", "providers", "days"), SIZES)
def test_generated_clinic_has_the_requested_size(requests: int, providers: int, days: int) -> None:
    scenario = generated(requests, providers, days)
    assert len(scenario.requests) == requests
    assert len(scenario.providers) == providers
    assert scenario.clinic.horizon.days == days
    assert scenario.clinic.horizon.start == DEFAULT_START == date(2026, 12, 7)
    assert abs(len(scenario.patients) - 0.6 * requests) <= 1
    assert len(scenario.rooms) == max(len(ROOM_MIX), round(0.8 * providers))
    assert {room.type for room in scenario.rooms} == set(ROOM_MIX)


@pytest.mark.parametrize(("requests", "providers", "days"), SIZES)
def test_generated_clinic_is_valid(requests: int, providers: int, days: int) -> None:
    scenario = generated(requests, providers, days)
    again = scenario_from_data(scenario.model_dump(mode="json"))
    assert again.model_dump() == scenario.model_dump()
    assert booking_problems(scenario) == []


@pytest.mark.parametrize(("requests", "providers", "days"), SIZES)
def test_demand_is_above_capacity(requests: int, providers: int, days: int) -> None:
    assert 1.2 <= demand_ratio(generated(requests, providers, days)) <= 1.5


@pytest.mark.parametrize(("requests", "providers", "days"), SIZES)
def test_every_request_has_someone_who_may_do_it(requests: int, providers: int, days: int) -> None:
    scenario = generated(requests, providers, days)
    for request in scenario.requests:
        allowed = {p.id for p in scenario.providers if request.service in p.services}
        assert allowed, request.id
        assert {request.required_provider, request.preferred_provider} - {None} <= allowed


@pytest.mark.parametrize(("requests", "providers", "days"), SIZES[1:])
def test_requests_look_like_a_real_week(requests: int, providers: int, days: int) -> None:
    scenario = generated(requests, providers, days)
    asked = Counter(scenario.service(r.service).category for r in scenario.requests)
    assert set(asked) == CATEGORIES
    assert all(1 <= (r.latest - r.earliest).days + 1 <= 5 for r in scenario.requests)
    waitlist = [r for r in scenario.requests if r.source == "waitlist"]
    assert waitlist and all(r.requested_at for r in waitlist)
    assert any(r.preferred_provider for r in scenario.requests)
    assert any(r.preferred_times for r in scenario.requests)
    assert any(not b.locked for b in scenario.bookings)
    assert sum(b.locked for b in scenario.bookings) > len(scenario.bookings) / 2


def test_new_patients_ask_for_their_consult_in_the_same_visit() -> None:
    scenario = generated(500, 10, 5)
    by_visit: dict[str, list[str]] = {}
    for request in scenario.requests:
        if request.visit:
            by_visit.setdefault(request.visit, []).append(request.id)
    requests = {r.id: r for r in scenario.requests}
    pairs = [[requests[i] for i in ids] for ids in by_visit.values()]
    assert pairs and all(len(pair) == 2 for pair in pairs)
    for first, second in pairs:
        assert (first.patient, first.earliest, first.latest) == (
            second.patient,
            second.earliest,
            second.latest,
        )
    consult_visits = [
        (first, second)
        for first, second in pairs
        if scenario.service(first.service).category == "consult"
    ]
    assert consult_visits
    assert all(scenario.service(second.service).requires_consult for _, second in consult_visits)
    assert any(scenario.patient(first.patient).tier == "new" for first, _ in consult_visits)


def test_consult_routing_changes_only_what_the_consults_qualify() -> None:
    plain = generated(150, 6, 5)
    routed = generate_scenario(requests=150, providers=6, days=5, seed=0, consult_routing=True)
    qualifies = {s.id: s.qualifies for s in routed.services if s.qualifies is not None}
    assert qualifies == {
        "consult_body": ["body_contouring"],
        "consult_injectables": ["biostimulator", "filler_cheek", "filler_lip"],
    }
    assert all(s.qualifies is None for s in plain.services)
    again = scenario_from_data(routed.model_dump(mode="json"))
    assert again.model_dump() == routed.model_dump()
    for service in routed.services:
        service.qualifies = None
    assert routed.model_dump() == plain.model_dump()


def test_series_and_aftercare_have_history() -> None:
    scenario = generated(500, 10, 5)
    history = {(p.id, item.service) for p in scenario.patients for item in p.history}
    touch_ups = [r for r in scenario.requests if r.service == "botox_touch_up"]
    assert touch_ups
    assert all((r.patient, "botox") in history for r in touch_ups)
    series = [r for r in scenario.requests if scenario.service(r.service).min_days_between]
    assert any((r.patient, r.service) in history for r in series)
    assert all(item.date < DEFAULT_START for p in scenario.patients for item in p.history)


def test_tier_mix_follows_the_clinic_average() -> None:
    scenario = generated(1000, 12, 7)
    tiers = Counter(p.tier for p in scenario.patients)
    for tier, share in TIER_MIX.items():
        assert abs(tiers[tier] - share * len(scenario.patients)) <= 1


def test_role_mix_and_permissions_per_person() -> None:
    scenario = generated(3000, 30, 14)
    roles = Counter(p.role for p in scenario.providers)
    assert roles["medical_director"] == 3
    assert set(roles) == {
        "medical_director",
        "nurse_practitioner",
        "rn_injector",
        "aesthetician",
        "laser_technician",
    }
    rns = [set(p.services) for p in scenario.providers if p.role == "rn_injector"]
    assert "filler_lip" in set.union(*rns)
    assert any("filler_lip" not in services for services in rns), "an RN not yet signed off"
    assert not any("botox" in p.services for p in scenario.providers if p.role == "aesthetician"), (
        "aestheticians never inject"
    )


def test_hours_have_lunch_breaks_and_time_off() -> None:
    scenario = generated(3000, 30, 14)
    for provider in scenario.providers:
        for ranges in provider.weekly.values():
            if sum(r.minutes for r in ranges) > 300:
                assert len(ranges) == 2 and ranges[1].start - ranges[0].end == 30
    absences = [a for p in scenario.providers for a in p.time_off]
    assert any(a.hours is None for a in absences)
    assert any(a.hours is not None for a in absences)


def test_machines_and_rooms_grow_with_the_clinic() -> None:
    small, large = generated(150, 6, 5), generated(3000, 30, 14)
    assert len(large.rooms) > len(small.rooms)
    machines = {
        kind: {e.id: e.count for e in s.equipment}
        for kind, s in [("small", small), ("large", large)]
    }
    assert machines["large"]["laser_platform"] > machines["small"]["laser_platform"] == 1
    shared = Counter(m for s in large.services for m in s.equipment)
    assert max(shared.values()) >= 2
    assert any(s.processing for s in large.services)


def test_rooms_can_be_set() -> None:
    scenario = generate_scenario(requests=40, providers=3, days=2, rooms=9)
    assert len(scenario.rooms) == 9
    assert {room.type for room in scenario.rooms} == set(ROOM_MIX)


def test_start_can_be_set() -> None:
    scenario = generate_scenario(requests=40, providers=3, days=3, start=date(2027, 3, 1))
    assert scenario.clinic.horizon.start == date(2027, 3, 1)
    assert all(
        date(2027, 3, 1) <= r.earliest <= r.latest <= date(2027, 3, 3) for r in scenario.requests
    )


def test_same_seed_same_clinic_other_seed_other_clinic() -> None:
    first = generate_scenario(requests=200, providers=6, days=5, seed=7)
    again = generate_scenario(requests=200, providers=6, days=5, seed=7)
    other = generate_scenario(requests=200, providers=6, days=5, seed=8)
    assert first.model_dump() == again.model_dump()
    assert first.model_dump() != other.model_dump()
    assert first.requests != other.requests


def test_the_global_random_state_is_untouched() -> None:
    random.seed(123)
    expected = random.random()
    random.seed(123)
    generate_scenario(requests=60, providers=3, days=2)
    assert random.random() == expected


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"requests": 0}, "requests must be at least 1"),
        ({"providers": 0}, "providers must be at least 1"),
        ({"days": 0}, "days must be at least 1"),
        ({"rooms": 3}, "rooms must be at least 4, one per room type"),
        (
            {"days": 1, "start": date(2026, 12, 6)},
            "closed on every day of the horizon from 2026-12-06",
        ),
    ],
)
def test_impossible_sizes_are_refused(sizes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_scenario(**sizes)


def test_yaml_round_trip_keeps_everything(tmp_path: Path) -> None:
    scenario = generated(150, 6, 5)
    assert _round_trip(scenario, tmp_path).model_dump() == scenario.model_dump()


TINY_CLINIC = """
clinic:
  name: Tiny
  timezone: America/New_York
  horizon: {start: 2026-12-07, days: 2}
  hours: {mon: "10:00-19:00", tue: "10:00-19:00"}
services:
  - {id: lip, name: Lip, category: treatment, duration: 5, processing: 20, finish: 30,
     room_types: [injection]}
  - {id: tox, name: Tox, category: treatment, duration: 20, room_types: [injection]}
providers:
  - id: rn
    name: RN
    role: rn_injector
    services: [lip, tox]
    weekly: {mon: ["09:00-12:00", "13:00-17:00"], tue: "09:00-17:00"}
    time_off: [{date: 2026-12-07, hours: "15:00-16:00"}]
    license_expires: 2026-12-08
patients: [{id: p}]
requests:
  - {id: a, patient: p, service: lip, earliest: 2026-12-07, latest: 2026-12-07}
  - {id: b, patient: p, service: tox, earliest: 2026-12-07, latest: 2026-12-07}
"""


def test_demand_ratio_counts_hands_on_minutes_against_working_time() -> None:
    scenario = scenario_from_data(yaml.safe_load(TINY_CLINIC))
    # Monday 10:00-12:00 and 13:00-17:00 minus 15:00-16:00; on Tuesday the licence has expired
    assert staffed_minutes(scenario) == 120 + 240 - 60
    assert demand_ratio(scenario) == pytest.approx((5 + 30 + 20) / 300)


@settings(max_examples=20, deadline=None)
@given(
    requests=st.integers(1, 120),
    providers=st.integers(1, 8),
    days=st.integers(1, 9),
    seed=st.integers(0, 10_000),
)
def test_any_generated_clinic_survives_a_yaml_round_trip(
    requests: int, providers: int, days: int, seed: int
) -> None:
    scenario = generate_scenario(requests=requests, providers=providers, days=days, seed=seed)
    assert booking_problems(scenario) == []
    with tempfile.TemporaryDirectory() as folder:
        assert _round_trip(scenario, Path(folder)).model_dump() == scenario.model_dump()
