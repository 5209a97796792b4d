"""The objective of a set of placements in plain Python: booked priority-minutes minus the
itemized soft-rule penalties. It mirrors the CP-SAT objective term by term, so the two can
be compared, and it ranks the greedy floor against the optimizer.
"""

from __future__ import annotations

from collections import defaultdict

from models.scenario import PENALTY_NAMES, Scenario
from models.times import MINUTES_PER_DAY
from solver.eligibility import Job
from solver.placement import Placements

BOOKED_TERM = "booked_priority_minutes"


def hands_on_span(job: Job, start: int) -> tuple[int, int, int]:
    """(first hands-on minute, end of last hands-on part, hands-on minutes) of a job at start."""
    service = job.service
    end = start + (service.length if service.finish else service.duration)
    return start, end, service.hands_on_minutes


def objective_terms(scenario: Scenario, jobs: list[Job], placements: Placements) -> dict[str, int]:
    """Each objective term: booked priority-minutes (positive) and each penalty (positive cost)."""
    penalties = scenario.policies.penalties
    placed = [job for job in jobs if job.id in placements]
    terms = {BOOKED_TERM: sum(job.weight * job.service.length for job in placed)}
    counts = _penalty_counts(scenario, placed, placements)
    for name, count in counts.items():
        terms[name] = count * getattr(penalties, name)
    return terms


def total(terms: dict[str, int]) -> int:
    """Objective value: booked priority-minutes minus every penalty."""
    return terms[BOOKED_TERM] - sum(v for k, v in terms.items() if k != BOOKED_TERM)


def _penalty_counts(
    scenario: Scenario, placed: list[Job], placements: Placements
) -> dict[str, int]:
    counts = dict.fromkeys(PENALTY_NAMES, 0)
    providers = {placements[job.id].provider_id for job in placed}
    provider_of = {provider_id: scenario.provider(provider_id) for provider_id in providers}
    for job in placed:
        placement = placements[job.id]
        provider = provider_of[placement.provider_id]
        request = job.request
        if request is not None:
            preferred = request.preferred_provider
            counts["preferred_provider"] += bool(preferred and preferred != provider.id)
            minute = placement.start % MINUTES_PER_DAY
            counts["preferred_time"] += bool(request.preferred_ranges) and not any(
                r.start <= minute < r.end for r in request.preferred_ranges
            )
            favourites = provider.preferences.preferred_services
            counts["non_preferred_service"] += bool(favourites) and job.service.id not in favourites
        else:
            counts["moved_booking"] += placement.start != job.original_start
    by_provider_day: dict[tuple[str, int], list[Job]] = defaultdict(list)
    for job in placed:
        placement = placements[job.id]
        by_provider_day[placement.provider_id, placement.start // MINUTES_PER_DAY].append(job)
    grid = scenario.clinic.slot_minutes
    for (provider_id, _), day_jobs in by_provider_day.items():
        cap = provider_of[provider_id].preferences.max_bookings_per_day
        if cap is not None:
            counts["over_daily_bookings"] += max(0, len(day_jobs) - cap)
        spans = [hands_on_span(job, placements[job.id].start) for job in day_jobs]
        idle = max(e for _, e, _ in spans) - min(s for s, _, _ in spans) - sum(m for *_, m in spans)
        counts["idle_slot"] += idle // grid
    return counts
