"""The story of one request (or booking) in a schedule, for `medspa explain`: where it is
booked, or why not — the eligibility outcome of every permitted provider, then every try of
`solver.reasons`, start by start, grouped into runs that the same blockers rule out (or that
are free, with what booking it there would cost)."""

from __future__ import annotations

from models.results import Schedule
from models.scenario import Request, Scenario
from solver.eligibility import Eligibility, Job, eligibility
from solver.facts import ClinicFacts, Ranges
from solver.placement import placements_of
from solver.reasons import Trier, Try
from solver.stories import fits_story, starts_text, when_text
from solver.unavailable import ProviderDays, day_label, few

_RUN_WORDS = {
    "provider": "{what} busy with {ids}",
    "room": "every {what} room taken by {ids}",
    "machine": "every {what} unit in use by {ids}",
    "patient": "the patient has {ids}",
    "series": "too close to {ids} of the same series",
    "consult": "before the consultation ({ids})",
}


def story(scenario: Scenario, schedule: Schedule, item_id: str) -> list[str]:
    """The lines that tell why `item_id` is where it is in `schedule` (a schedule the checker
    accepts for this scenario, with a row of that id)."""
    row = next(r for r in schedule.appointments if r.request_id == item_id)
    facts = ClinicFacts(scenario)
    head = f"{item_id}: patient {row.patient_id}, {row.service_id}"
    if row.status == "booked":
        assert row.start is not None
        where = when_text(facts, facts.clock.minute(row.start))
        booked = f"{head}: booked {where} with {row.provider_id} in {row.room_id}"
        if row.pay_by is not None:
            due = when_text(facts, facts.clock.minute(row.pay_by))
            booked += f", held until the deposit is paid, by {due}"
        if row.reply_by is not None:
            due = when_text(facts, facts.clock.minute(row.reply_by))
            booked += f", offered from the waitlist until the patient confirms, by {due}"
        return [booked]
    eligible = eligibility(facts)
    escalation = next((e for e in eligible.escalations if e.id == item_id), None)
    lines = [f"{head}: {row.status}, {row.reason}"]
    if escalation is not None:
        return [*lines, f"  {escalation.detail}"]
    job = next((j for j in eligible.jobs if j.id == item_id), None)
    if job is None or job.request is None:
        return lines
    trier = Trier(facts, eligible.jobs, placements_of(facts, schedule))
    unit = trier.unit(job)
    reason = trier.reasons(unit)[item_id]
    lines.append(f"  {reason.detail}")
    for part in unit:
        lines += _eligibility_lines(facts, eligible, part)
        lines += [f"tries of {part.id}:"]
        for t in (t for t in reason.tries if t.job is part):
            lines += _try_lines(trier, unit, reason.tries, t)
    return lines


def _eligibility_lines(facts: ClinicFacts, eligible: Eligibility, job: Job) -> list[str]:
    """Each permitted provider's days with a candidate, and why not on the others."""
    request = job.request
    assert request is not None
    scenario = facts.scenario
    window = _open_days(facts, request)
    lines = [
        f"eligibility of {job.id} ({job.service.id}, {job.service.length} min x weight "
        f"{job.weight}, {request.earliest}..{request.latest}):"
    ]
    causes = ProviderDays(facts, job.service)
    for provider in scenario.providers:
        if job.service.id not in provider.services:
            continue
        if request.required_provider not in (None, provider.id):
            lines.append(f"  {provider.id}: not the required provider {request.required_provider}")
            continue
        days = {c.day for c in job.candidates if c.provider_id == provider.id}
        told = [f"candidate on {', '.join(_labels(facts, sorted(days)))}"] if days else []
        for day in (d for d in window if d not in days):
            label = day_label(facts.clock.day(day))
            if facts.starts(job.service, provider, day):
                told.append(f"{label} taken out by the request's series spacing or consultation")
            else:
                told.append(causes.told(provider, day))
        lines.append(f"  {provider.id}: {'; '.join(dict.fromkeys(told))}")
    return lines


def _open_days(facts: ClinicFacts, request: Request) -> list[int]:
    first = max(0, facts.clock.day_index(request.earliest))
    last = min(facts.num_days - 1, facts.clock.day_index(request.latest))
    return [d for d in range(first, last + 1) if facts.clinic_open(d) is not None]


def _labels(facts: ClinicFacts, days: list[int]) -> list[str]:
    return [day_label(facts.clock.day(day)) for day in days]


def _try_lines(trier: Trier, unit: list[Job], tries: list[Try], t: Try) -> list[str]:
    """One line per run of starts of a try that the same blockers rule out, or that is free."""
    facts = trier.facts
    lines = [f"  {day_label(facts.clock.day(t.candidate.day))} with {t.candidate.provider_id}:"]
    for run, blockers in _runs(t, facts.grid):
        if blockers:
            lines.append(f"    {starts_text([run], 1)}: {'; '.join(blockers)}")
            continue
        lines.append(f"    {starts_text([run], 1)}: {_free_words(trier, unit, tries, t, run)}")
    return lines


def _free_words(
    trier: Trier, unit: list[Job], tries: list[Try], t: Try, run: tuple[int, int]
) -> str:
    if t.job is not unit[0]:
        return "free"
    starts: Ranges = [
        (max(lo, run[0]), min(hi, run[1]))
        for lo, hi in trier.chain_starts(unit, tries, t)
        if lo <= run[1] and run[0] <= hi
    ]
    best = trier.best(unit, tries, t, starts)
    if best is None:
        return "free, but the rest of the visit does not fit after it"
    return fits_story(trier.occupancy, unit, best)[1]


def _runs(t: Try, grid: int) -> list[tuple[tuple[int, int], list[str]]]:
    """The try's starts in runs ruled out by the same blockers (none: free)."""
    runs: list[tuple[tuple[int, int], list[str]]] = []
    for low, high in t.candidate.starts:
        for start in range(low, high + 1, grid):
            blockers = [
                _RUN_WORDS[b.kind].format(what=b.what, ids=few(blocked.ids_at(start)))
                for b, blocked in t.blocked.items()
                if any(lo <= start <= hi for lo, hi in blocked.starts)
            ]
            if runs and runs[-1][1] == blockers and runs[-1][0][1] == start - grid:
                runs[-1] = ((runs[-1][0][0], start), blockers)
            else:
                runs.append(((start, start), blockers))
    return runs
