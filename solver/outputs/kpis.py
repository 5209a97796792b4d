"""Key figures of a schedule: revenue, utilization, booked share and value by tier, waitlist
served and a warning when a tier is starved (any schedule, `schedule_kpis`), and of a solve,
with the objective terms and solver statistics (the content of kpis.json, `kpis`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any, get_args
from zoneinfo import ZoneInfo

from models.findings import Finding
from models.results import Schedule
from models.scenario import Provider, Scenario, Tier
from solver.facts import ClinicFacts
from solver.report import SolveResult


def available(facts: ClinicFacts, provider: Provider, day: int) -> list[tuple[int, int]]:
    """A provider's working ranges on horizon day `day` within the clinic's opening hours
    (minutes of that day): the time a booking could use."""
    opening = facts.clinic_open(day)
    if opening is None:
        return []
    ranges = [
        (max(low, opening[0]), min(high, opening[1])) for low, high in facts.working(provider, day)
    ]
    return [(low, high) for low, high in ranges if low < high]


def available_minutes(facts: ClinicFacts) -> dict[str, int]:
    """Each provider's working minutes in opening hours over the horizon, after time off."""
    return {
        provider.id: sum(
            high - low
            for day in range(facts.num_days)
            for low, high in available(facts, provider, day)
        )
        for provider in facts.scenario.providers
    }


def _share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def hands_on_minutes(scenario: Scenario, schedule: Schedule) -> Counter[str]:
    """Each provider's booked hands-on minutes in the schedule."""
    minutes: Counter[str] = Counter()
    for row in schedule.booked():
        minutes[row.provider_id or ""] += scenario.service(row.service_id).hands_on_minutes
    return minutes


UTILIZATION_DEFINITION = {
    "providers": "booked hands-on minutes / available minutes (working hours within opening "
    "hours, after time off), per provider",
    "overall": "all providers' booked hands-on minutes / all their available minutes",
    "rooms": "booked minutes with turnover / opening minutes, per room",
    "equipment": "booked minutes x units / (units owned x opening minutes), per machine",
}
"""What each utilization figure divides: the provider figures are the industry's usual
measure, booked hands-on provider time over available provider time."""


def utilization(facts: ClinicFacts, schedule: Schedule) -> dict[str, Any]:
    """Booked share of available time per provider (hands-on) and over all providers, per
    room (with turnover) and per machine, with the definition of each."""
    scenario = facts.scenario
    open_minutes = sum(facts.open_minutes(day) for day in range(facts.num_days))
    working = available_minutes(facts)
    hands_on = hands_on_minutes(scenario, schedule)
    held: Counter[str] = Counter()
    machine_minutes: Counter[str] = Counter()
    for row in schedule.booked():
        service = scenario.service(row.service_id)
        held[row.room_id or ""] += service.length + service.buffer_after
        for machine, units in service.equipment.items():
            machine_minutes[machine] += units * service.length
    return {
        "definition": UTILIZATION_DEFINITION,
        "overall": _share(sum(hands_on[p] for p in working), sum(working.values())),
        "providers": {p.id: _share(hands_on[p.id], working[p.id]) for p in scenario.providers},
        "rooms": {r.id: _share(held[r.id], open_minutes) for r in scenario.rooms},
        "equipment": {
            e.id: _share(machine_minutes[e.id], e.count * open_minutes) for e in scenario.equipment
        },
    }


def booked_by_tier(scenario: Scenario, schedule: Schedule) -> dict[str, dict[str, float]]:
    """Requests, booked requests, their share (booked / requests), booked minutes and booked
    value per patient tier."""
    tiers: dict[str, dict[str, float]] = defaultdict(
        lambda: {"requests": 0, "booked": 0, "share": 0.0, "minutes": 0, "value": 0.0}
    )
    for row in schedule.appointments:
        if row.kind != "request":
            continue
        figures = tiers[scenario.patient(row.patient_id).tier]
        figures["requests"] += 1
        if row.status == "booked":
            service = scenario.service(row.service_id)
            figures["booked"] += 1
            figures["minutes"] += service.length
            figures["value"] += service.value
    for figures in tiers.values():
        figures["share"] = _share(figures["booked"], figures["requests"])
    return {tier: tiers[tier] for tier in get_args(Tier) if tier in tiers}


STARVED_MIN_REQUESTS = 5
"""A tier with fewer requests says too little about fairness to warn about."""
STARVED_RULE = (
    f"a tier with at least {STARVED_MIN_REQUESTS} requests is starved when its booked share "
    "(booked / requests) is below half the best share of such a tier"
)


def starved_tiers(tiers: dict[str, dict[str, float]]) -> list[Finding]:
    """A warning per starved tier (STARVED_RULE), naming the best-served tier and the fix."""
    counted = {tier: f for tier, f in tiers.items() if f["requests"] >= STARVED_MIN_REQUESTS}
    if not counted:
        return []
    best = max(counted, key=lambda tier: counted[tier]["share"])
    top = counted[best]
    return [
        Finding(
            "tier_starved",
            f"policies.tier_weights.{tier}",
            f"{tier} patients got {f['booked']:.0f} of {f['requests']:.0f} requests booked "
            f"({f['share']:.0%}) against {top['booked']:.0f} of {top['requests']:.0f} "
            f"({top['share']:.0%}) for {best}; raise the {tier} weight in policies.tier_weights "
            "(or lower the others) if that is not the clinic's intent",
        )
        for tier, f in counted.items()
        if f["share"] < top["share"] / 2
    ]


def revenue(scenario: Scenario, schedule: Schedule) -> dict[str, Any]:
    """The value (service price, in the clinic's currency) of the booked appointments, requests
    and existing bookings: in total, by provider and by local day; and the value of those left
    unbooked."""
    zone = ZoneInfo(scenario.clinic.timezone)
    by_provider: defaultdict[str, float] = defaultdict(
        float, {p.id: 0.0 for p in scenario.providers}
    )
    by_day: defaultdict[str, float] = defaultdict(float)
    for row in schedule.booked():
        value = scenario.service(row.service_id).value
        by_provider[row.provider_id or ""] += value
        if row.start is not None:
            by_day[row.start.astimezone(zone).date().isoformat()] += value
    unbooked = sum(
        scenario.service(row.service_id).value
        for row in schedule.appointments
        if row.status != "booked"
    )
    return {
        "currency": scenario.clinic.currency,
        "booked": sum(by_provider.values()),
        "by_provider": dict(by_provider),
        "by_day": {day: by_day[day] for day in sorted(by_day)},
        "unbooked": float(unbooked),
    }


def hands_on_by_provider_day(
    scenario: Scenario, schedule: Schedule
) -> dict[tuple[str, date], list[tuple[int, int]]]:
    """The minutes each provider works on patients, per local day, as [start, end) minutes of
    that day in start order (booked rows of a provider of the scenario)."""
    zone = ZoneInfo(scenario.clinic.timezone)
    providers = {provider.id for provider in scenario.providers}
    days: dict[tuple[str, date], list[tuple[int, int]]] = defaultdict(list)
    for row in schedule.booked():
        if row.start is None or row.provider_id not in providers:
            continue
        local = row.start.astimezone(zone)
        start = local.hour * 60 + local.minute
        days[row.provider_id, local.date()] += scenario.service(row.service_id).hands_on(start)
    return {key: sorted(parts) for key, parts in days.items()}


def schedule_kpis(
    scenario: Scenario, schedule: Schedule, facts: ClinicFacts | None = None
) -> dict[str, Any]:
    """The figures of any schedule of the scenario, however it was made: requests and
    bookings by status, appointments held for an unpaid deposit, revenue, utilization, booked
    share and value by tier (with the rule that finds a starved tier), waitlist served, and
    warnings (each a Finding's fields)."""
    requests = [r for r in schedule.appointments if r.kind == "request"]
    bookings = [r for r in schedule.appointments if r.kind == "booking"]
    waitlist = {r.id for r in scenario.requests if r.source == "waitlist"}
    served = sum(1 for r in requests if r.request_id in waitlist and r.status == "booked")
    statuses = Counter(r.status for r in requests)
    tiers = booked_by_tier(scenario, schedule)
    return {
        "requests": {
            "total": len(requests),
            **{s: statuses[s] for s in ("booked", "unscheduled", "escalated")},
        },
        "bookings": {
            "total": len(bookings),
            "kept": sum(1 for b in bookings if b.status == "booked" and not b.moved),
            "moved": sum(1 for b in bookings if b.moved),
            "escalated": sum(1 for b in bookings if b.status == "escalated"),
        },
        "held": sum(1 for row in schedule.appointments if row.held),
        "revenue": revenue(scenario, schedule),
        "utilization": utilization(facts or ClinicFacts(scenario), schedule),
        "booked_by_tier": tiers,
        "fairness_rule": STARVED_RULE,
        "waitlist": {
            "requests": len(waitlist),
            "served": served,
            "share": _share(served, len(waitlist)),
        },
        "warnings": [finding.to_dict() for finding in starved_tiers(tiers)],
    }


def kpis(result: SolveResult) -> dict[str, Any]:
    """Every figure of kpis.json."""
    scenario, report = result.scenario, result.report
    return {
        "clinic": scenario.clinic.name,
        "horizon": {
            "start": scenario.clinic.horizon.start.isoformat(),
            "days": scenario.clinic.horizon.days,
        },
        **schedule_kpis(scenario, result.schedule, result.facts),
        "objective": {
            "total": report.objective,
            "terms": report.terms,
            "greedy": report.greedy_objective,
            "bound": report.best_bound,
            "gap": round(report.gap, 4),
        },
        "solver": report.model_dump(
            exclude={"terms", "progress", "objective", "greedy_objective", "best_bound", "gap"}
        ),
    }
