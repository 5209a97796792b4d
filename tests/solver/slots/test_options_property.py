"""On generated clinics, solved briefly, any call: every option, taken, passes the independent
checker with the state scenario, and its change is the checker's own objective of the new
schedule minus that of the old one; moved bookings keep their provider and day, and each
listed move moves. A time `why_not` calls free is such an option too."""

from __future__ import annotations

import functools
from datetime import timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from checker import check_schedule, recompute_objective
from models.results import Schedule
from models.scenario import Scenario
from scenarios.generator import generate_scenario
from solver.reasons import Trier
from solver.slots import Call, Option, call_request, open_call, ranked
from solver.slots.take import take
from solver.slots.why_not import why_not
from solver.solve import solve

CLINICS = ((20, 8, 2, 1), (20, 8, 2, 3), (45, 5, 3, 4), (45, 5, 3, 5))
"""Generated clinics as (requests, providers, days, seed): roomy and busy ones (consultations
routed for the even seeds)."""
HOURS_IN = (None, 11, 14, 35, 60)
"""When the call comes, in hours after the horizon starts (None: before it)."""
CASES = settings(
    max_examples=100, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@functools.cache
def _solved(requests: int, providers: int, days: int, seed: int) -> tuple[Scenario, Schedule]:
    """A generated clinic and its schedule, solved once in the reproducible mode."""
    scenario = generate_scenario(requests, providers, days, seed, consult_routing=seed % 2 == 0)
    result = solve(scenario, time_limit=1, num_workers=1, seed=0, deterministic=True)
    return scenario, result.schedule


@st.composite
def calls(draw: st.DrawFn) -> Call:
    """A call to a solved clinic: a patient, a service, a window of days, when it comes."""
    scenario, schedule = _solved(*draw(st.sampled_from(CLINICS)))
    clock = scenario.clinic.clock()
    days = clock.days()
    first = draw(st.integers(0, len(days) - 1))
    last = draw(st.integers(first, len(days) - 1))
    request = call_request(
        scenario,
        schedule,
        draw(st.sampled_from([p.id for p in scenario.patients])),
        draw(st.sampled_from([s.id for s in scenario.services])),
        earliest=days[first],
        latest=days[last],
        deposit_paid=True,
    )
    hours = draw(st.sampled_from([h for h in HOURS_IN if h is None or h < 24 * len(days)]))
    now = None if hours is None else clock.local(0) + timedelta(hours=hours)
    return open_call(scenario, schedule, request, now)


def _assert_taken_as_told(call: Call, option: Option) -> None:
    """The option booked passes the checker, changes the checker's objective by its change,
    and moves each listed booking, within its day and with its provider, from where it was."""
    taken = take(call, option)
    assert [str(v) for v in check_schedule(taken.state, taken.schedule)] == []
    before = recompute_objective(taken.state, call.schedule)
    after = recompute_objective(taken.state, taken.schedule)
    assert option.change == after.total - before.total
    assert option.start >= call.moment
    rows = {row.request_id: row for row in call.schedule.appointments}
    for move in option.moves:
        row = rows[move.booking_id]
        was = (row.provider_id, row.start, row.room_id)
        assert was == (move.provider_id, move.from_start, move.from_room)
        assert move.to_start.date() == move.from_start.date()
        assert (move.to_start, move.to_room) != (move.from_start, move.from_room)
        assert move.from_start >= call.moment


@CASES
@given(call=calls(), most=st.integers(0, 3))
def test_every_option_taken_passes_the_checker_and_changes_the_objective_as_told(
    call: Call, most: int
) -> None:
    answer = ranked(call, top=4, max_moves=most)
    assert bool(answer.options) != (answer.refusal is not None)
    ranks = [(-o.change, len(o.moves), o.start) for o in answer.options]
    assert ranks == sorted(ranks)
    for option in answer.options:
        assert len(option.moves) <= most
        _assert_taken_as_told(call, option)


@CASES
@given(call=calls(), data=st.data())
def test_a_time_called_free_is_an_option_as_good_as_told(call: Call, data: st.DataObject) -> None:
    """Times asked about: mostly a free start of the request or a minute or two after one,
    else anywhere in the horizon."""
    assume(call.job is not None)
    assert call.job is not None
    trier = Trier(call.facts, call.jobs, call.placements)
    free = [r for t in trier.tries([call.job]) for r in t.free]
    if free and data.draw(st.integers(0, 3)):
        low, high = data.draw(st.sampled_from(free))
        minute = data.draw(st.integers(low, high)) + data.draw(st.sampled_from([0, 0, 1, 2]))
    else:
        minute = data.draw(st.integers(0, call.facts.num_days * 24 * 60 - 1))
    at = call.facts.clock.local(minute)
    best = ranked(call, top=1).options
    for verdict in why_not(call, at).verdicts:
        assert (verdict.rule == "free") == (verdict.option is not None)
        if verdict.option is not None:
            assert verdict.option.start == at
            assert verdict.option.change <= best[0].change
            _assert_taken_as_told(call, verdict.option)
