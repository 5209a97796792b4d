"""The clinic's waitlist order: who gets freed time first."""

from __future__ import annotations

from typing import Any

from models.scenario import Request, Scenario
from solver.eligibility import asked_at


def waitlist_order(state: Scenario, displaced: set[str]) -> list[str]:
    """Request ids of the state in the clinic's waitlist order (policies.waitlist_order)."""
    keys = state.policies.waitlist_order or ["priority", "requested_at"]
    if "displaced" not in keys:  # displaced patients are always rebooked first
        keys = ["displaced", *keys]

    def key(indexed: tuple[int, Request]) -> tuple[Any, ...]:
        index, request = indexed
        parts: dict[str, Any] = {
            "displaced": request.id not in displaced,
            "priority": -state.weight_of(request),
            "tier": -state.policies.tier_weights.get(state.patient(request.patient).tier, 1),
            "requested_at": asked_at(state, request),
            "value": -state.service(request.service).value,
        }
        return (*[parts[k] for k in keys], index)

    return [r.id for _, r in sorted(enumerate(state.requests), key=key)]
