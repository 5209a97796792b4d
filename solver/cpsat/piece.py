"""One neighbourhood piece as a small model of its own.

A piece frees some jobs onto some provider-days. Instead of fixing everything else in a copy
of the whole model (whose loading and presolve cost more than the search of a piece), the
piece is a `ScheduleModel` of its own: the freed jobs with only their candidates on the
freed provider-days, and, pinned where they are, the booked jobs they can meet: the same
patient's, and those on the same days that use a room type or machine the freed jobs may
use. Every hard rule is then the model's own rule; nothing the piece leaves out can clash
with a freed job. The piece carries the capacity rows of its own jobs, as the whole model
carries its own.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

from ortools.sat.python import cp_model

from models.times import MINUTES_PER_DAY
from solver.cpsat.model import ScheduleModel
from solver.cpsat.relaxation import capacity_rows
from solver.eligibility import Candidate, Job
from solver.placement import Placement, Placements
from solver.scoring import objective_terms, total

ProviderDay = tuple[str, int]
"""A provider's id and a day index of the horizon."""


@dataclasses.dataclass
class Piece:
    """A piece's model, hinted with the incumbent, and the incumbent's objective on it."""

    built: ScheduleModel
    model: cp_model.CpModel
    freed: set[str]
    before: int
    """The objective of the piece's jobs as they are in the incumbent."""

    def objective(self, placements: Placements) -> int:
        """The objective of the piece's jobs with these placements (all of theirs)."""
        return total(objective_terms(self.built.scenario, self.built.jobs, placements))


class Pieces:
    """Builds the pieces of one whole model."""

    def __init__(self, built: ScheduleModel) -> None:
        self.facts = built.facts
        self.jobs = {job.id: job for job in built.jobs}
        self.max_moves = built.max_moves
        self.by_patient: dict[str, list[Job]] = defaultdict(list)
        visits: dict[str, list[Job]] = defaultdict(list)
        for job in built.jobs:
            self.by_patient[job.patient_id].append(job)
            if job.request is not None and job.request.visit:
                visits[job.request.visit].append(job)
        self.visit = {job.id: parts for parts in visits.values() for job in parts}
        self.uses = {job.id: {*job.room_types, *job.service.equipment} for job in built.jobs}

    def piece(self, placements: Placements, freed: set[str], days: set[ProviderDay]) -> Piece:
        """The piece freeing `freed` onto `days` around the incumbent `placements` (where
        every freed booked job is on one of `days`)."""
        freed = self._whole_visits(placements, freed, days)
        pinned = self._pinned(placements, freed, days)
        jobs = [  # in the whole model's order, which is the order of a visit's parts
            self._on(job, days) if job.id in freed else self._pin(job, placements[job.id])
            for job in self.jobs.values()
            if job.id in freed or job.id in pinned
        ]
        rows = capacity_rows(self.facts, jobs)
        built = ScheduleModel(self.facts, jobs, rows, self._moves_left(placements, freed | pinned))
        own = {job.id: placements[job.id] for job in jobs if job.id in placements}
        decisions = built.decisions(own)
        fixed = {
            index: decisions[index]
            for job in jobs
            if job.id in pinned
            for index in built.decision_indices(job)
        }
        model = built.fixed(fixed)
        model.proto.solution_hint.vars.extend(list(decisions))
        model.proto.solution_hint.values.extend(list(decisions.values()))
        before = total(objective_terms(built.scenario, jobs, own))
        return Piece(built, model, freed, before)

    def _whole_visits(
        self, placements: Placements, freed: set[str], days: set[ProviderDay]
    ) -> set[str]:
        """Freed jobs and their unbooked visit partners: a visit off the calendar is freed
        whole when every part can go on the freed provider-days, else not at all (a booked
        visit's parts elsewhere are pinned)."""
        result = set(freed)
        for job_id in freed:
            parts = self.visit.get(job_id)
            if not parts or job_id in placements:
                continue
            if all(self._candidates(part, days) for part in parts):
                result.update(part.id for part in parts)
            else:
                result.difference_update(part.id for part in parts)
        return result

    def _pinned(self, placements: Placements, freed: set[str], days: set[ProviderDay]) -> set[str]:
        """The booked jobs, not freed, that a freed job can meet: the same patient's (one
        place at a time, visits, series, consults), and those on a freed day that use a room
        type or machine a freed job may use."""
        patients = {self.jobs[job_id].patient_id for job_id in freed}
        pinned = {
            job.id
            for patient in patients
            for job in self.by_patient[patient]
            if job.id in placements
        }
        on_days = {day for _, day in days}
        uses = set().union(*(self.uses[job_id] for job_id in freed))
        pinned.update(
            job_id
            for job_id, placement in placements.items()
            if placement.start // MINUTES_PER_DAY in on_days and self.uses[job_id] & uses
        )
        return pinned - freed

    def _moves_left(self, placements: Placements, inside: Iterable[str]) -> int | None:
        """The cap on moved bookings less the moves of bookings outside the piece."""
        if self.max_moves is None:
            return None
        inside = set(inside)
        outside = sum(
            placement.start != self.jobs[job_id].original_start
            for job_id, placement in placements.items()
            if job_id not in inside and self.jobs[job_id].request is None
        )
        return max(0, self.max_moves - outside)

    @staticmethod
    def _candidates(job: Job, days: set[ProviderDay]) -> list[Candidate]:
        return [c for c in job.candidates if (c.provider_id, c.day) in days]

    def _on(self, job: Job, days: set[ProviderDay]) -> Job:
        """A freed job with its candidates on the freed provider-days only."""
        return dataclasses.replace(job, candidates=self._candidates(job, days))

    @staticmethod
    def _pin(job: Job, placement: Placement) -> Job:
        """A pinned job: its one candidate, start and room type in the incumbent."""
        start = placement.start
        candidate = Candidate(placement.provider_id, start // MINUTES_PER_DAY, [(start, start)])
        return dataclasses.replace(job, candidates=[candidate], room_types=(placement.room_type,))
