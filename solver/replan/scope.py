"""What a re-plan may touch: the days it opens (the days its events touch and the rest of
today, or more when asked) and, on the solve's jobs, what that means.

Waitlist requests are booked only on those days; a booking that could move stays where it is
on any other day; requests the events created (displaced, rescheduled, new) keep their own
window. A displaced part of a visit that has already begun goes to a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.times import MINUTES_PER_DAY
from solver.eligibility import Candidate, Escalation, Job, escalate
from solver.replan.events import Day

NOT_REPLANNED = "not_replanned"
"""The code of a waitlist request no opened day can take: `reshuffle` puts its row back."""


def replan_days(day: Day, through: date | None = None) -> frozenset[int]:
    """Today, the days the events touch and, if given, every day from today to `through`."""
    today = day.now // MINUTES_PER_DAY
    days = {today, *day.active_days}
    if through is not None:
        days.update(range(today, day.clock.day_index(through) + 1))
    return frozenset(d for d in days if 0 <= d < day.clock.num_days)


@dataclass(frozen=True)
class Scope:
    """The re-plan's days and the requests the events created; called on the solve's jobs."""

    days: frozenset[int]
    created: frozenset[str]
    """Requests the events created: displaced, rescheduled and new ones."""
    stranded: dict[str, str]
    """Displaced visit parts whose visit has begun (id -> the part under way)."""

    def __call__(self, jobs: list[Job]) -> tuple[list[Job], list[Escalation]]:
        """The jobs the re-plan may place, candidates narrowed, and those it hands on: the
        rest of a visit under way to a person; a waitlist request with no day left is not
        re-planned (`reshuffle` puts its row back as it was)."""
        handed = [
            escalate(job, "visit_under_way", f"its visit began with {self.stranded[job.id]}")
            for job in jobs
            if job.id in self.stranded
        ]
        kept = [job for job in jobs if job.id not in self.stranded]
        for job in kept:
            if job.request is not None and job.id not in self.created:
                job.candidates = [c for c in job.candidates if c.day in self.days]
            elif job.booking is not None and not job.locked:
                self._pin_outside_days(job)
        emptied = {job.request.visit for job in kept if job.request and not job.candidates}
        planned = [
            job
            for job in kept
            if job.candidates and not (job.request and job.request.visit in emptied - {None})
        ]
        detail = "no day of its window is re-planned; its row stays as it was"
        left = [escalate(job, NOT_REPLANNED, detail) for job in kept if job not in planned]
        return planned, handed + left

    def _pin_outside_days(self, job: Job) -> None:
        """A movable booking on a day the re-plan does not open stays at its time."""
        start = job.original_start
        assert start is not None
        candidate = job.candidates[0]
        fits = any(low <= start <= high for low, high in candidate.starts)
        if start // MINUTES_PER_DAY not in self.days and fits:
            job.candidates = [Candidate(candidate.provider_id, candidate.day, [(start, start)])]
