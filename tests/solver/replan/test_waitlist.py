"""waitlist_order: who gets freed time first, by policies.waitlist_order, displaced patients
first unless the policy places them elsewhere, file order on ties."""

from __future__ import annotations

import pytest

from models.scenario import Scenario
from solver.replan.waitlist import waitlist_order
from tests.conftest import TUESDAY, mini_clinic, request, service


def _state(order: list[str] | None = None) -> Scenario:
    policies = {"waitlist_order": order} if order is not None else {}
    return mini_clinic(
        policies=policies,
        services=[service("botox"), service("facial", value=300), service("peel", value=100)],
        patients=[
            {"id": "vip", "tier": "vip"},
            {"id": "member", "tier": "member"},
            {"id": "new"},
        ],
        requests=[
            request("new_early", "new", "botox", latest=TUESDAY, requested_at="2026-12-01T09:00"),
            request(
                "member_late", "member", "botox", latest=TUESDAY, requested_at="2026-12-03T09:00"
            ),
            request("vip_never", "vip", "peel", latest=TUESDAY),
            request("new_urgent", "new", "facial", latest=TUESDAY, priority=5),
            request(
                "member_early", "member", "botox", latest=TUESDAY, requested_at="2026-12-02T09:00"
            ),
        ],
    )


def test_without_a_policy_displaced_first_then_priority_then_who_asked_first() -> None:
    order = waitlist_order(_state(), displaced={"member_late"})
    assert order == [
        "member_late",  # displaced
        "new_urgent",  # priority 5
        "vip_never",  # vip weight 4, never said when they asked
        "member_early",  # member weight 3, asked before member_late
        "new_early",
    ]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            ["requested_at"],
            ["new_early", "member_early", "member_late", "vip_never", "new_urgent"],
        ),
        (
            ["tier", "requested_at"],
            ["vip_never", "member_early", "member_late", "new_early", "new_urgent"],
        ),
        (
            ["value"],
            ["new_urgent", "vip_never", "new_early", "member_late", "member_early"],
        ),
    ],
)
def test_the_policy_keys_order_the_waitlist(policy: list[str], expected: list[str]) -> None:
    assert waitlist_order(_state(policy), displaced=set()) == expected


def test_displaced_patients_go_first_even_when_the_policy_leaves_them_out() -> None:
    order = waitlist_order(_state(["requested_at"]), displaced={"new_urgent", "vip_never"})
    assert order[:2] == ["vip_never", "new_urgent"]  # file order between the two
    assert order[2:] == ["new_early", "member_early", "member_late"]


def test_a_policy_that_places_displaced_later_is_followed() -> None:
    order = waitlist_order(_state(["priority", "displaced"]), displaced={"new_early"})
    assert order == ["new_urgent", "vip_never", "member_late", "member_early", "new_early"]
