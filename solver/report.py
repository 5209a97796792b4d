"""One place where the outcome of a search becomes a result: the schedule rows, the exception
queue, and the report's status, objective, bound, gap and objective terms. `solve()` and the
re-solver both end here."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from models.results import (
    ExceptionItem,
    ProgressPoint,
    Schedule,
    SolveReport,
    SolveStatus,
    gap,
)
from models.scenario import Scenario
from models.times import MINUTES_PER_DAY
from solver.eligibility import Escalation, Job
from solver.facts import ClinicFacts
from solver.placement import Placements
from solver.reasons import Reason, unbooked_reasons
from solver.schedule import build_exceptions, build_schedule
from solver.scoring import objective_terms, total

FoundBy = Literal["front_desk", "search"]


@dataclass
class SolveResult:
    """The schedule, the exception queue and the report of one solve."""

    scenario: Scenario
    schedule: Schedule
    exceptions: list[ExceptionItem]
    report: SolveReport
    facts: ClinicFacts = field(repr=False)
    jobs: list[Job] = field(repr=False, default_factory=list)
    placements: Placements = field(repr=False, default_factory=dict)
    escalations: list[Escalation] = field(repr=False, default_factory=list)
    unbooked: dict[str, Reason] = field(repr=False, default_factory=dict)
    """Why each request left unbooked is not booked, by id, established by trying it."""

    @property
    def frame(self) -> pd.DataFrame:
        """The schedule as a DataFrame with the schedule.csv columns and order, names from the
        scenario, start and end as datetimes in the clinic's timezone."""
        return self.schedule.to_frame(self.scenario)


@dataclass
class SolveStats:
    """What the solve measured on its way: times, model size, progress and notes (the
    report's fields of the same names)."""

    time_limit: float
    num_workers: int
    seed: int
    deterministic: bool = False
    wall_time: float = 0.0
    build_time: float = 0.0
    num_variables: int = 0
    num_constraints: int = 0
    progress: list[ProgressPoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    interrupted_after: float | None = None


def build_result(
    facts: ClinicFacts,
    jobs: list[Job],
    escalations: list[Escalation],
    placements: Placements,
    *,
    found_by: FoundBy,
    bound: int,
    greedy_objective: int,
    stats: SolveStats,
    same_day: Collection[str] = (),
) -> SolveResult:
    """The result of these placements: a schedule of every request and booking, its exception
    queue (`same_day` ids and what concerns the day of `facts.not_before`, the day of a
    re-plan or a solve's first day, go to the same-day owner) and its report.

    The status says what happened: interrupted when a stop (Ctrl-C) ended the search, else
    optimal when the objective meets the proven bound, else greedy when the front desk's
    schedule was kept, else time_limit.
    """
    scenario = facts.scenario
    terms = objective_terms(scenario, jobs, placements)
    objective = total(terms)
    bound = max(bound, objective)
    status: SolveStatus
    if stats.interrupted_after is not None:
        status = "interrupted"
    elif objective >= bound:
        status = "optimal"
    else:
        status = "greedy" if found_by == "front_desk" else "time_limit"
    report = SolveReport(
        status=status,
        objective=objective,
        best_bound=bound,
        gap=gap(objective, bound),
        greedy_objective=greedy_objective,
        terms=terms,
        **vars(stats),
    )
    unbooked = unbooked_reasons(facts, jobs, placements)
    today = facts.clock.day(facts.not_before // MINUTES_PER_DAY)
    schedule = build_schedule(scenario, jobs, placements, escalations, unbooked)
    return SolveResult(
        scenario=scenario,
        schedule=schedule,
        exceptions=build_exceptions(scenario, schedule, escalations, unbooked, same_day, today),
        report=report,
        facts=facts,
        jobs=jobs,
        placements=placements,
        escalations=escalations,
        unbooked=unbooked,
    )
