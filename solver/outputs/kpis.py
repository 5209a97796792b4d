"""Key figures of a schedule: utilization, booked value by tier, waitlist served (any
schedule, `schedule_kpis`), and of a solve, with the objective terms and solver statistics
(the content of kpis.json, `kpis`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from models.results import Schedule
from models.scenario import Provider, Scenario
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


def utilization(facts: ClinicFacts, schedule: Schedule) -> dict[str, dict[str, float]]:
    """Booked share of available time per provider (hands-on), room (with turnover) and machine."""
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
        "providers": {p.id: _share(hands_on[p.id], working[p.id]) for p in scenario.providers},
        "rooms": {r.id: _share(held[r.id], open_minutes) for r in scenario.rooms},
        "equipment": {
            e.id: _share(machine_minutes[e.id], e.count * open_minutes) for e in scenario.equipment
        },
    }


def booked_by_tier(scenario: Scenario, schedule: Schedule) -> dict[str, dict[str, float]]:
    """Requests, booked requests, booked minutes and booked value per patient tier."""
    tiers: dict[str, dict[str, float]] = defaultdict(
        lambda: {"requests": 0, "booked": 0, "minutes": 0, "value": 0.0}
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
    return dict(tiers)


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
    bookings by status, utilization, booked value by tier and waitlist served."""
    requests = [r for r in schedule.appointments if r.kind == "request"]
    bookings = [r for r in schedule.appointments if r.kind == "booking"]
    waitlist = {r.id for r in scenario.requests if r.source == "waitlist"}
    served = sum(1 for r in requests if r.request_id in waitlist and r.status == "booked")
    statuses = Counter(r.status for r in requests)
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
        "utilization": utilization(facts or ClinicFacts(scenario), schedule),
        "booked_by_tier": booked_by_tier(scenario, schedule),
        "waitlist": {
            "requests": len(waitlist),
            "served": served,
            "share": _share(served, len(waitlist)),
        },
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
            "gap": round(report.gap, 6),
        },
        "solver": report.model_dump(exclude={"terms", "progress", "objective", "greedy_objective"}),
    }
