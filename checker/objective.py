"""The optimizer's objective recomputed from a schedule's rows, term by term."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from checker.context import Context, Placed
from models.results import Schedule
from models.scenario import PENALTY_NAMES, Booking, Request, Scenario


@dataclass(frozen=True)
class ObjectiveBreakdown:
    """The optimizer's objective recomputed from a schedule, with each penalty apart."""

    booked_priority_minutes: int
    penalties: dict[str, int]

    @property
    def total(self) -> int:
        """Booked priority-minutes minus every penalty."""
        return self.booked_priority_minutes - sum(self.penalties.values())


def _booked_requests(ctx: Context) -> Iterator[tuple[Placed, Request]]:
    for p in ctx.placements:
        if isinstance(p.item, Request):
            yield p, p.item


def _weight(ctx: Context, p: Placed, request: Request) -> int:
    """Priority of one booked minute: the request's priority, else the patient's tier weight."""
    if request.priority is not None:
        return request.priority
    return ctx.scenario.policies.tier_weights.get(p.patient.tier, 1)


def _by_provider_day(ctx: Context) -> dict[tuple[str, date], list[Placed]]:
    days: dict[tuple[str, date], list[Placed]] = defaultdict(list)
    for p in ctx.placements:
        days[p.provider.id, p.day].append(p)
    return days


def _off_preferred_provider(ctx: Context) -> int:
    """Booked requests with someone other than their preferred provider."""
    return sum(
        1
        for p, request in _booked_requests(ctx)
        if request.preferred_provider is not None and p.provider.id != request.preferred_provider
    )


def _off_preferred_time(ctx: Context) -> int:
    """Booked requests starting outside all their preferred time ranges."""
    return sum(
        1
        for p, request in _booked_requests(ctx)
        if request.preferred_ranges
        and not any(r.start <= p.start - p.midnight < r.end for r in request.preferred_ranges)
    )


def _over_daily_bookings(ctx: Context) -> int:
    """Rows beyond each provider's max_bookings_per_day, day by day (bookings included)."""
    over = 0
    for (provider, _), rows in _by_provider_day(ctx).items():
        limit = ctx.scenario.provider(provider).preferences.max_bookings_per_day
        if limit is not None:
            over += max(0, len(rows) - limit)
    return over


def _non_preferred_service(ctx: Context) -> int:
    """Booked requests outside their provider's preferred services (when they list any)."""
    return sum(
        1
        for p, _ in _booked_requests(ctx)
        if p.provider.preferences.preferred_services
        and p.service.id not in p.provider.preferences.preferred_services
    )


def _moved_bookings(ctx: Context) -> int:
    """Existing bookings placed at another start than before."""
    return sum(
        1
        for p in ctx.placements
        if isinstance(p.item, Booking) and p.start != ctx.original_start(p.item)
    )


def _idle_slots(ctx: Context) -> int:
    """Idle slots between each provider's first and last hands-on minute of each day."""
    slot = ctx.scenario.clinic.slot_minutes
    idle = 0
    for rows in _by_provider_day(ctx).values():
        parts = [part for p in rows for part in p.hands_on]
        span = max(end for _, end in parts) - min(start for start, _ in parts)
        idle += (span - sum(end - start for start, end in parts)) // slot
    return idle


_PENALTY_COUNTS: dict[str, Callable[[Context], int]] = {
    "preferred_provider": _off_preferred_provider,
    "preferred_time": _off_preferred_time,
    "over_daily_bookings": _over_daily_bookings,
    "non_preferred_service": _non_preferred_service,
    "moved_booking": _moved_bookings,
    "idle_slot": _idle_slots,
}


def recompute_objective(scenario: Scenario, schedule: Schedule) -> ObjectiveBreakdown:
    """The optimizer's objective of a schedule: booked priority-minutes and each penalty.

    Counts booked rows whose provider is known (the first row of each id).
    """
    ctx = Context.build(scenario, schedule)
    weights = scenario.policies.penalties
    booked = sum(_weight(ctx, p, r) * p.service.length for p, r in _booked_requests(ctx))
    penalties = {
        name: _PENALTY_COUNTS[name](ctx) * getattr(weights, name) for name in PENALTY_NAMES
    }
    return ObjectiveBreakdown(booked, penalties)
