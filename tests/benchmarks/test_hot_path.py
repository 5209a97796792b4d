"""Micro-benchmarks of the hot path on a generated 500-request clinic: eligibility, model build,
greedy front desk and checker. Each asserts its result, so under `make test`
(--benchmark-disable: one call each) they are smoke tests; `pytest tests/benchmarks
--benchmark-enable` measures them."""

from __future__ import annotations

from typing import Any

import pytest

from checker import check_schedule
from models.results import Schedule
from models.scenario import Scenario
from scenarios.generator import generate_scenario
from solver.cpsat.model import ScheduleModel
from solver.cpsat.relaxation import capacity_rows
from solver.eligibility import Eligibility, eligibility
from solver.facts import ClinicFacts
from solver.greedy import greedy_schedule
from solver.reasons import unbooked_reasons
from solver.schedule import build_schedule


@pytest.fixture(scope="module")
def clinic() -> Scenario:
    """500 requests, 10 providers, 5 days (the protocol's 500-request clinic, seed 0)."""
    return generate_scenario(500, 10, 5, seed=0)


@pytest.fixture(scope="module")
def facts(clinic: Scenario) -> ClinicFacts:
    return ClinicFacts(clinic)


@pytest.fixture(scope="module")
def eligible(facts: ClinicFacts) -> Eligibility:
    return eligibility(facts)


@pytest.fixture(scope="module")
def greedy_rows(clinic: Scenario, facts: ClinicFacts, eligible: Eligibility) -> Schedule:
    placements = greedy_schedule(facts, eligible.jobs)
    unbooked = unbooked_reasons(facts, eligible.jobs, placements)
    return build_schedule(clinic, eligible.jobs, placements, eligible.escalations, unbooked)


def test_eligibility_gives_every_request_a_job_or_an_escalation(
    benchmark: Any, clinic: Scenario
) -> None:
    result = benchmark(lambda: eligibility(ClinicFacts(clinic)))
    job_ids = [job.id for job in result.jobs]
    escalated = [e.id for e in result.escalations]
    every_item = [r.id for r in clinic.requests] + [b.id for b in clinic.bookings]
    assert sorted(job_ids + escalated) == sorted(every_item)
    assert all(job.candidates for job in result.jobs)
    assert len(result.jobs) > len(result.escalations)


def test_model_build_has_the_variables_of_every_job(
    benchmark: Any, facts: ClinicFacts, eligible: Eligibility
) -> None:
    jobs = eligible.jobs
    built = benchmark(lambda: ScheduleModel(facts, jobs, capacity_rows(facts, jobs)))
    assert list(built.vars) == [job.id for job in eligible.jobs]
    for job in eligible.jobs:
        assert len(built.vars[job.id].chosen) == len(job.candidates)
    assert built.model.validate() == ""


def test_greedy_placements_pass_the_checker(
    benchmark: Any, clinic: Scenario, facts: ClinicFacts, eligible: Eligibility
) -> None:
    placements = benchmark(greedy_schedule, facts, eligible.jobs)
    booking_jobs = {job.id for job in eligible.jobs if job.booking is not None}
    assert booking_jobs <= placements.keys(), "the front desk keeps every existing booking"
    assert len(placements) > len(booking_jobs)
    unbooked = unbooked_reasons(facts, eligible.jobs, placements)
    schedule = build_schedule(clinic, eligible.jobs, placements, eligible.escalations, unbooked)
    assert [str(v) for v in check_schedule(clinic, schedule)] == []


def test_checker_passes_the_greedy_schedule_and_flags_a_moved_row(
    benchmark: Any, clinic: Scenario, greedy_rows: Schedule
) -> None:
    assert benchmark(check_schedule, clinic, greedy_rows) == []
    tampered = greedy_rows.model_copy(deep=True)
    alone = {r.id for r in clinic.requests if r.visit is None}  # not a visit: only it is flagged
    row = next(a for a in tampered.booked() if a.request_id in alone)
    assert row.start is not None and row.end is not None
    row.start, row.end = row.start.replace(hour=3), row.end.replace(hour=4)
    assert {v.where for v in check_schedule(clinic, tampered)} == {row.request_id}
