"""Why an unbooked request is not booked, established by trying it alone in the schedule: a
soft rule that outweighs it (checked by inserting it), a search that stopped early, or the
provider-day, room, machine, the patient's own appointment, series or consultation (one that
qualifies the treatment) that rules out every start; a visit's part may wait out the room
turnover of the part before; and the tries agree with the front desk on generated clinics."""

from __future__ import annotations

import random
from collections import defaultdict

from hypothesis import HealthCheck, given, settings

from checker import check_schedule, recompute_objective
from models.scenario import Scenario
from solver.eligibility import Job, eligibility
from solver.facts import ClinicFacts
from solver.greedy import _FrontDesk
from solver.placement import Placement, Placements
from solver.reasons import Insertion, Reason, Trier, unbooked_reasons
from solver.schedule import build_schedule
from solver.solve import _floor, solve
from tests.conftest import (
    MINI_WEEK,
    MONDAY,
    NINE,
    TUESDAY,
    Data,
    booking,
    machine,
    mini_clinic,
    patients,
    provider,
    request,
    room,
    service,
)
from tests.solver.test_solve import switched_clinics

ROOMS = [room("inj1", "injection"), room("inj2", "injection")]


def _solved(scenario: Scenario) -> tuple[dict[str, Reason], dict[str, str]]:
    result = solve(scenario, time_limit=2, num_workers=1, seed=0)
    return result.unbooked, {row.request_id: row.reason for row in result.schedule.appointments}


def _inserted_passes_the_checker(scenario: Scenario, reason: Reason) -> int:
    """Insert the reason's booking into its solve's schedule: the checker accepts it; the
    objective's change is returned (recomputed by the checker)."""
    result = solve(scenario, time_limit=2, num_workers=1, seed=0)
    assert reason.insertion is not None
    placements = result.placements | reason.insertion.placements
    schedule = build_schedule(
        scenario, result.jobs, placements, result.escalations, result.unbooked
    )
    assert [str(v) for v in check_schedule(scenario, schedule)] == []
    before = recompute_objective(scenario, result.schedule).total
    return recompute_objective(scenario, schedule).total - before


def test_a_request_held_back_only_by_the_daily_cap_names_the_penalty_and_its_cost() -> None:
    scenario = mini_clinic(
        providers=[provider("rn", ["botox"], MINI_WEEK, preferences={"max_bookings_per_day": 1})],
        requests=[request("r1", "p1", "botox"), request("r2", "p2", "botox")],
    )
    reasons, rows = _solved(scenario)
    (unbooked,) = reasons
    reason = reasons[unbooked]
    assert rows[unbooked] == reason.code == "left_by_soft_rule"
    assert "fits Mon 2026-12-07" in reason.detail and "with rn" in reason.detail
    assert "over_daily_bookings 60 would cost 60 against the 30 gained" in reason.detail
    assert "rn already has 1 that day and wants at most 1" in reason.detail
    assert reason.insertion is not None and reason.insertion.change == -30
    assert _inserted_passes_the_checker(scenario, reason) == -30


def test_a_full_provider_day_is_named_with_the_appointments_that_fill_it() -> None:
    scenario = mini_clinic(
        providers=[provider("rn", ["botox"], {"mon": "09:00-10:00"})],
        rooms=[*ROOMS, room("inj3", "injection")],
        patients=patients(["p1", "p2", "p3"]),
        requests=[request("r", "p3", "botox")],
        bookings=[
            booking("b1", "p1", "botox", "rn", "inj1", f"{MONDAY}T09:00"),
            booking("b2", "p2", "botox", "rn", "inj2", f"{MONDAY}T09:30"),
        ],
    )
    reasons, rows = _solved(scenario)
    assert rows["r"] == reasons["r"].code == "provider_full"
    assert reasons["r"].detail == (
        "no free start among 3 tried: 3 with the provider busy (most: rn on Mon 2026-12-07 at "
        "09:00-09:30, with b1, b2)"
    )


def test_the_patients_own_appointment_is_named() -> None:
    scenario = mini_clinic(
        providers=[
            provider("rn", ["botox"], {"mon": "09:00-09:30"}),
            provider("md", ["botox"], {"mon": "09:00-09:30"}, role="md"),
        ],
        rooms=ROOMS,
        requests=[request("r", "p1", "botox", required_provider="rn")],
        bookings=[booking("b", "p1", "botox", "md", "inj2", f"{MONDAY}T09:00")],
    )
    reasons, rows = _solved(scenario)
    assert rows["r"] == "patient_busy"
    assert reasons["r"].detail.endswith(
        "1 with the patient at another appointment (most: Mon 2026-12-07 at 09:00, b)"
    )


def test_a_machine_in_use_is_named_with_who_holds_it() -> None:
    laser = service("laser", 60, "laser", equipment={"ipl": 1})
    scenario = mini_clinic(
        services=[laser],
        providers=[
            provider("rn", ["laser"], {"mon": "09:00-10:00"}),
            provider("md", ["laser"], {"mon": "09:00-10:00"}, role="md"),
        ],
        rooms=[room("l1", "laser"), room("l2", "laser")],
        equipment=[machine("ipl")],
        requests=[request("r", "p2", "laser", required_provider="rn")],
        bookings=[booking("b", "p1", "laser", "md", "l1", f"{MONDAY}T09:00")],
    )
    reasons, rows = _solved(scenario)
    assert rows["r"] == "equipment_full"
    assert "1 with every ipl unit in use (most: Mon 2026-12-07 at 09:00, by b)" in (
        reasons["r"].detail
    )


def test_a_booked_series_appointment_too_close_is_named() -> None:
    scenario = mini_clinic(
        services=[service("botox", min_days_between=7)],
        requests=[request("r", "p1", "botox", earliest=TUESDAY, latest=TUESDAY)],
        bookings=[booking("b", "p1", "botox", "rn", "inj1", f"{MONDAY}T09:00")],
    )
    reasons, rows = _solved(scenario)
    assert rows["r"] == "series_too_soon"
    assert "too close to the same botox series (most: Tue 2026-12-08, b)" in reasons["r"].detail


def _trier(scenario: Scenario, placements: Placements) -> tuple[Trier, dict[str, Job]]:
    facts = ClinicFacts(scenario)
    jobs = eligibility(facts).jobs
    return Trier(facts, jobs, placements), {job.id: job for job in jobs}


def _checked(scenario: Scenario, placements: Placements) -> list[str]:
    """What the checker finds in a schedule of these placements (the rest left unbooked)."""
    facts = ClinicFacts(scenario)
    eligible = eligibility(facts)
    reasons = unbooked_reasons(facts, eligible.jobs, placements)
    schedule = build_schedule(scenario, eligible.jobs, placements, eligible.escalations, reasons)
    return [str(v) for v in check_schedule(scenario, schedule)]


def test_a_request_that_would_raise_the_objective_says_the_search_stopped_early() -> None:
    scenario = mini_clinic(requests=[request("r", "p1", "botox")])
    trier, jobs = _trier(scenario, {})
    reason = trier.reason(jobs["r"])
    assert (reason.code, reason.detail) == (
        "search_stopped_early",
        "fits Mon 2026-12-07 09:00 with rn and would raise the objective by 30 (30 gained, no "
        "soft rule broken); the search stopped before it found this",
    )


def test_a_treatment_waits_for_its_consultation() -> None:
    scenario = mini_clinic(
        services=[service("botox", requires_consult=True), service("consult", category="consult")],
        providers=[provider("rn", ["botox", "consult"], MINI_WEEK)],
        requests=[request("t", "p1", "botox"), request("c", "p1", "consult")],
    )
    trier, jobs = _trier(scenario, {})
    reason = trier.reason(jobs["t"])
    assert reason.code == "consult_required"
    assert "before its consultation has ended (most: Mon 2026-12-07, no consultation booked)" in (
        reason.detail
    )


def test_visit_parts_that_never_meet_back_to_back_and_a_partner_that_cannot_be_booked() -> None:
    visit = [
        request("a", "p1", "botox", visit="v"),
        request("b", "p1", "filler", visit="v"),
    ]
    apart = mini_clinic(  # b may wait out a's turnover until 09:45, not until 10:00
        services=[service("botox", buffer_after=15), service("filler")],
        providers=[
            provider("rn", ["botox"], {"mon": "09:00-09:30"}),
            provider("md", ["filler"], {"mon": "10:00-10:30"}, role="md"),
        ],
        rooms=ROOMS,
        requests=visit,
    )
    trier, jobs = _trier(apart, {})
    reason = trier.reason(jobs["a"])
    assert (reason.code, reason.detail) == (
        "visit_apart",
        "each part fits alone, but never one after the other (a part may wait only for the room "
        "turnover of the part before): a at Mon 2026-12-07 09:00 with rn; b at Mon 2026-12-07 "
        "10:00 with md",
    )
    blocked = mini_clinic(
        services=[service("botox"), service("filler")],
        providers=[
            provider("rn", ["botox"], {"mon": "09:00-09:30"}),
            provider("md", ["filler"], {"mon": "09:30-10:00"}, role="md"),
        ],
        rooms=ROOMS,
        requests=visit,
        bookings=[booking("x", "p2", "filler", "md", "inj1", f"{MONDAY}T09:30")],
    )
    reasons, rows = _solved(blocked)
    assert (rows["a"], rows["b"]) == ("visit_incomplete", "provider_full")
    assert reasons["a"].detail.startswith("its visit partner b: no free start among 1 tried")


def test_a_visit_part_waits_out_the_room_turnover_of_the_part_before() -> None:
    scenario = mini_clinic(  # one injection room: t starts when c's turnover ends, at 09:45
        services=[
            service("consult", category="consult", buffer_after=15, qualifies=["filler"]),
            service("filler", requires_consult=True),
        ],
        providers=[provider("rn", ["consult", "filler"], {"mon": "09:00-10:15"})],
        requests=[
            request("c", "p1", "consult", visit="v"),
            request("t", "p1", "filler", visit="v"),
        ],
    )
    trier, jobs = _trier(scenario, {})
    reason = trier.reason(jobs["t"])
    assert reason.code == "search_stopped_early"
    assert reason.detail.startswith("the visit fits Mon 2026-12-07 09:00 (c with rn, t with rn)")
    assert reason.insertion is not None
    starts = {i: p.start for i, p in reason.insertion.placements.items()}
    assert starts == {"c": NINE, "t": NINE + 45}
    assert _checked(scenario, reason.insertion.placements) == []


ROUTED = [
    service("consult_skin", category="consult", qualifies=["peel"]),
    service("consult_inj", category="consult", qualifies=["filler"]),
    service("peel"),
    service("filler", requires_consult=True),
]
"""Two consultations, each qualifying one treatment; only the filler needs one."""


def _routed(requests: list[Data], bookings: list[Data] | None = None) -> Scenario:
    everything = ["consult_skin", "consult_inj", "peel", "filler"]
    return mini_clinic(
        services=ROUTED,
        providers=[provider("rn", everything, {"mon": "09:00-11:00"})],
        rooms=ROOMS,
        requests=requests,
        bookings=bookings or [],
    )


def test_a_booked_consultation_that_does_not_qualify_the_treatment_is_not_waited_for() -> None:
    scenario = _routed(
        [request("t", "p1", "filler"), request("c", "p1", "consult_inj")],
        [booking("b", "p1", "consult_skin", "rn", "inj1", f"{MONDAY}T09:00")],
    )
    trier, jobs = _trier(scenario, {"b": Placement("rn", NINE, "injection", "inj1")})
    reason = trier.reason(jobs["t"])
    assert reason.code == "consult_required"
    assert (
        "before its consultation has ended (most: Mon 2026-12-07, no consultation booked that "
        "qualifies filler)"
    ) in reason.detail


def test_a_visit_consultation_that_does_not_qualify_the_treatment_does_not_serve_it() -> None:
    scenario = _routed(
        [
            request("s", "p1", "consult_skin", visit="v"),
            request("t", "p1", "filler", visit="v"),
            request("c", "p1", "consult_inj"),
        ]
    )
    trier, jobs = _trier(scenario, {})
    reasons = trier.reasons(trier.unit(jobs["t"]))
    assert (reasons["s"].code, reasons["t"].code) == ("visit_incomplete", "consult_required")
    assert "no consultation booked" in reasons["t"].detail


# --- against the front desk, on generated clinics -------------------------------------


def _desk_fits(desk: _FrontDesk, unit: list[Job], provider_id: str, start: int) -> bool:
    if len(unit) == 1:
        return desk._fit(unit[0], [provider_id], start)[0] is not None
    return desk._try_chain(unit, provider_id, start)[0] is not None


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clinic=switched_clinics())
def test_tries_agree_with_the_front_desk_and_the_best_start_is_the_best(
    clinic: tuple[Scenario, int],
) -> None:
    scenario, seed = clinic
    facts = ClinicFacts(scenario)
    eligible = eligibility(facts)
    jobs, placements, lost = _floor(facts, eligible.jobs)
    escalations = eligible.escalations + lost
    by_id = {job.id: job for job in jobs}
    units: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        if job.request is not None:
            units[job.request.visit or job.id].append(job)

    def relied_on(key: str, job: Job) -> bool:
        """A consult that a treatment of its patient outside its unit may need."""
        return job.service.category == "consult" and any(
            other.patient_id == job.patient_id and other.needs_consult_days
            for other in jobs
            if other not in units[key]
        )

    dropped = {  # some requests taken off again, whole visits, to fit alone
        job.id
        for key, unit in units.items()
        if random.Random(f"{seed}{key}").random() < 0.3
        and not any(relied_on(key, job) for job in unit)
        for job in unit
    }
    kept = {i: p for i, p in placements.items() if i not in dropped}
    desk = _FrontDesk(facts, jobs)
    for job_id, placement in kept.items():
        desk._commit(by_id[job_id], placement)
    trier = Trier(facts, jobs, kept)
    unbooked = unbooked_reasons(facts, jobs, kept)

    def change_if_inserted(insertion: Insertion) -> int:
        """The objective's change, recomputed by the checker, which must accept it."""
        with_it = kept | insertion.placements
        schedule = build_schedule(scenario, jobs, with_it, escalations, unbooked)
        assert [str(v) for v in check_schedule(scenario, schedule)] == []
        return recompute_objective(scenario, schedule).total - before

    before = recompute_objective(
        scenario, build_schedule(scenario, jobs, kept, escalations, unbooked)
    ).total
    for job_id, reason in unbooked.items():
        unit = trier.unit(by_id[job_id])
        tries = trier.tries(unit)
        best = None
        for first in (t for t in tries if t.job is unit[0]):
            chain = trier.chain_starts(unit, tries, first)
            for low, high in first.candidate.starts:
                for start in range(low, high + 1, facts.grid):
                    in_chain = any(lo <= start <= hi for lo, hi in chain)
                    found = trier.best(unit, tries, first, [(start, start)]) if in_chain else None
                    desk_fits = _desk_fits(desk, unit, first.candidate.provider_id, start)
                    if found is not None and not desk_fits and len(unit) > 1:
                        # the desk puts a visit's first part in the first free room, even the
                        # one a later part needs: the checker judges
                        change_if_inserted(found)
                    else:
                        assert (found is not None) == desk_fits, (job_id, first, start)
                    if found is not None and (best is None or found.change > best.change):
                        best = found
        assert (best is None) == (reason.insertion is None), (job_id, reason.detail)
        if best is not None and reason.insertion is not None:
            assert reason.insertion.change == best.change, (job_id, reason.detail)
            assert change_if_inserted(reason.insertion) == best.change
