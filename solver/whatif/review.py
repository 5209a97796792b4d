"""A review of the clinic's own calendar (same columns as schedule.csv): every rule it breaks,
grouped by rule in the checker's words; its KPIs; each provider's idle gaps; and what the
optimizer books in the same week from the same requests, with the value left on the table
(optimizer minus calendar). `review_weeks` reviews several weeks and `weeks_table` sums them up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

import pandas as pd

from checker import ObjectiveBreakdown, check_schedule, recompute_objective
from models.findings import Finding, excerpt
from models.loader import ScenarioError
from models.results import Schedule
from models.scenario import Scenario
from models.times import format_clock
from solver.facts import ClinicFacts, merge
from solver.interrupt import Stop
from solver.outputs.kpis import available, hands_on_by_provider_day, schedule_kpis
from solver.report import SolveResult
from solver.solve import solve

VALUE_FIGURES = ("requests booked", "revenue", "booked priority-minutes", "objective")
"""The figures of the value left on the table, in the report's order."""
UTILIZATION_WORDS = {"providers": "provider", "rooms": "room", "equipment": "machine"}


@dataclass(frozen=True)
class IdleGap:
    """Free minutes of a provider between two pieces of hands-on work, within working hours."""

    start: int
    """Minutes of the day."""
    end: int

    @property
    def minutes(self) -> int:
        return self.end - self.start

    def __str__(self) -> str:
        return f"{format_clock(self.start)}-{format_clock(self.end)} ({self.minutes} min)"


@dataclass(frozen=True)
class ProviderDay:
    """One provider's day on a calendar: hands-on work from the first to the last minute, and
    the idle time between (working hours only: breaks are not idle)."""

    provider_id: str
    day: date
    hands_on: int
    first: int
    """Minute of the day the first hands-on work starts."""
    last: int
    """Minute of the day the last hands-on work ends."""
    idle: int
    """Idle minutes between them, every gap counted."""
    gaps: tuple[IdleGap, ...]
    """The gaps of at least one slot of the clinic's grid."""


@dataclass
class Review:
    """The review of one week's calendar."""

    label: str
    scenario: Scenario
    calendar: Schedule
    violations: dict[str, list[Finding]]
    """The broken rules by code, in the checker's order, each with the rows and words."""
    kpis: dict[str, Any]
    """The calendar's figures (solver.outputs.kpis.schedule_kpis)."""
    objective: ObjectiveBreakdown
    """The optimizer's objective of the calendar, recomputed by the checker."""
    idle: list[ProviderDay]
    optimized: SolveResult
    """The optimizer's schedule of the same week from the same requests."""
    optimized_kpis: dict[str, Any]
    optimized_objective: ObjectiveBreakdown

    @property
    def broken_rows(self) -> dict[str, list[str]]:
        """The rules each row breaks (row id: codes); "" for the calendar as a whole."""
        rows: dict[str, list[str]] = {}
        for code, findings in self.violations.items():
            for finding in findings:
                rows.setdefault(finding.where, []).append(code)
        return rows

    @property
    def idle_minutes(self) -> int:
        return sum(day.idle for day in self.idle)

    def value_table(self) -> pd.DataFrame:
        """The calendar, the optimizer and the value left on the table (optimizer minus
        calendar) for each of VALUE_FIGURES."""
        calendar = _value(self.kpis, self.objective)
        optimizer = _value(self.optimized_kpis, self.optimized_objective)
        table = pd.DataFrame(
            {"calendar": calendar, "optimizer": optimizer}, index=list(VALUE_FIGURES)
        )
        table["left on the table"] = table["optimizer"] - table["calendar"]
        return table

    def kpi_table(self) -> pd.DataFrame:
        """The KPIs of the calendar and of the optimizer's schedule, one row per figure:
        requests by status, waitlist served, utilization per provider, room and machine (in
        percent of available time) and booked value per patient tier."""
        return pd.DataFrame(
            {"calendar": _kpi_rows(self.kpis), "optimizer": _kpi_rows(self.optimized_kpis)}
        ).fillna(0)


def review(
    scenario: Scenario,
    calendar: Schedule,
    time_limit: float = 10.0,
    seed: int = 0,
    deterministic: bool = False,
    *,
    num_workers: int = 2,
    label: str | None = None,
    stop: Stop | None = None,
) -> Review:
    """Review the clinic's calendar of the scenario's week.

    A calendar that breaks rules still gets its figures; a row for an id the scenario does not
    have raises ScenarioError (`foreign_rows` lists them). The optimizer solves the same
    scenario for `time_limit` seconds, `num_workers`, `seed` and `deterministic` as
    solver.solve.solve takes them; `stop` ends its search early (Ctrl-C).
    """
    problems = foreign_rows(scenario, calendar)
    if problems:
        raise ScenarioError("calendar", problems)
    violations: dict[str, list[Finding]] = {}
    for finding in check_schedule(scenario, calendar):
        violations.setdefault(finding.code, []).append(finding)
    optimized = solve(
        scenario, time_limit, num_workers, seed, deterministic=deterministic, stop=stop
    )
    return Review(
        label=label or f"week of {scenario.clinic.horizon.start}",
        scenario=scenario,
        calendar=calendar,
        violations=violations,
        kpis=schedule_kpis(scenario, calendar),
        objective=recompute_objective(scenario, calendar),
        idle=idle_days(scenario, calendar),
        optimized=optimized,
        optimized_kpis=schedule_kpis(scenario, optimized.schedule, optimized.facts),
        optimized_objective=recompute_objective(scenario, optimized.schedule),
    )


def review_weeks(
    weeks: Sequence[tuple[Scenario, Schedule]],
    time_limit: float = 10.0,
    seed: int = 0,
    deterministic: bool = False,
    *,
    num_workers: int = 2,
    labels: Sequence[str] | None = None,
    stop: Stop | None = None,
) -> list[Review]:
    """Review each (scenario, calendar) of several weeks, one after the other, alike."""
    names = (
        list(labels)
        if labels is not None
        else [f"{n}. week of {s.clinic.horizon.start}" for n, (s, _) in enumerate(weeks, 1)]
    )
    if len(names) != len(weeks) or len(set(names)) != len(names):
        raise ValueError(
            f"{len(weeks)} weeks, labels {names}; give one label per week, each its own"
        )
    return [
        review(
            scenario,
            calendar,
            time_limit,
            seed,
            deterministic,
            num_workers=num_workers,
            label=name,
            stop=stop,
        )
        for (scenario, calendar), name in zip(weeks, names, strict=True)
    ]


def weeks_table(reviews: Sequence[Review]) -> pd.DataFrame:
    """One row per week: rules broken, the value figures of calendar and optimizer with what
    was left on the table, and the calendar's idle minutes."""
    rows = []
    for week in reviews:
        value = week.value_table()
        row: dict[str, Any] = {
            "week": week.label,
            "violations": sum(len(found) for found in week.violations.values()),
            "rules broken": len(week.violations),
        }
        for figure in VALUE_FIGURES:
            row[f"{figure}: calendar"] = value.loc[figure, "calendar"]
            row[f"{figure}: optimizer"] = value.loc[figure, "optimizer"]
            row[f"{figure}: left"] = value.loc[figure, "left on the table"]
        row["idle minutes (calendar)"] = week.idle_minutes
        rows.append(row)
    return pd.DataFrame(rows).set_index("week")


def foreign_rows(scenario: Scenario, calendar: Schedule) -> list[Finding]:
    """Rows naming a request or booking, patient, service, provider or room the scenario does
    not have, each with the fix: such a calendar belongs to another scenario."""
    known = {
        "request_id": {r.id for r in scenario.requests} | {b.id for b in scenario.bookings},
        "patient_id": {p.id for p in scenario.patients},
        "service_id": {s.id for s in scenario.services},
        "provider_id": {p.id for p in scenario.providers},
        "room_id": {r.id for r in scenario.rooms},
    }
    problems = []
    for line, row in enumerate(calendar.appointments, start=2):
        for column, ids in known.items():
            value = getattr(row, column)
            if value is not None and value not in ids:
                message = (
                    f"{column} {excerpt(value)} is not in the scenario; review a calendar "
                    "with the scenario of its week, or add the id to that scenario"
                )
                problems.append(Finding("unknown_id", f"line {line} ({row.request_id})", message))
    return problems


def idle_days(scenario: Scenario, schedule: Schedule) -> list[ProviderDay]:
    """Each provider's days with hands-on work on the schedule, by provider then day."""
    facts = ClinicFacts(scenario)
    horizon = {day: index for index, day in enumerate(facts.clock.days())}
    order = {provider.id: rank for rank, provider in enumerate(scenario.providers)}
    days = []
    worked = hands_on_by_provider_day(scenario, schedule)
    for (provider_id, day), parts in sorted(
        worked.items(), key=lambda item: (order[item[0][0]], item[0][1])
    ):
        provider = scenario.provider(provider_id)
        working = available(facts, provider, horizon[day]) if day in horizon else []
        pieces = [piece for gap in _free_between(parts) for piece in _within(gap, working)]
        days.append(
            ProviderDay(
                provider_id=provider_id,
                day=day,
                hands_on=sum(end - start for start, end in _merged(parts)),
                first=parts[0][0],
                last=max(end for _, end in parts),
                idle=sum(piece.minutes for piece in pieces),
                gaps=tuple(p for p in pieces if p.minutes >= scenario.clinic.slot_minutes),
            )
        )
    return days


def _merged(parts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted [start, end) parts with overlapping and touching ones joined (a double booking
    counts once)."""
    return [(low, high + 1) for low, high in merge((start, end - 1) for start, end in parts)]


def _free_between(parts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(before[1], after[0]) for before, after in pairwise(_merged(parts))]


def _within(gap: tuple[int, int], working: list[tuple[int, int]]) -> list[IdleGap]:
    """The parts of a gap inside working ranges."""
    pieces = [(max(gap[0], low), min(gap[1], high)) for low, high in working]
    return [IdleGap(start, end) for start, end in pieces if start < end]


def _value(figures: dict[str, Any], objective: ObjectiveBreakdown) -> list[float]:
    """VALUE_FIGURES of one schedule."""
    tiers = figures["booked_by_tier"].values()
    return [
        figures["requests"]["booked"],
        sum(tier["value"] for tier in tiers),
        objective.booked_priority_minutes,
        objective.total,
    ]


def _kpi_rows(figures: dict[str, Any]) -> dict[str, float]:
    """The KPIs of one schedule as flat rows (see Review.kpi_table)."""
    rows: dict[str, float] = {
        f"requests {status}": figures["requests"][status]
        for status in ("booked", "unscheduled", "escalated")
    }
    rows["existing bookings moved"] = figures["bookings"]["moved"]
    rows["waitlist served"] = figures["waitlist"]["served"]
    for group, word in UTILIZATION_WORDS.items():
        for resource, share in figures["utilization"][group].items():
            rows[f"utilization, {word} {resource} (%)"] = round(100 * share, 1)
    for tier, booked in figures["booked_by_tier"].items():
        rows[f"booked value, {tier} patients"] = booked["value"]
    return rows
