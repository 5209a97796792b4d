"""On generated clinics, solved briefly, any call: every option, taken, passes the independent
checker with the state scenario, and its change is the checker's own objective of the new
schedule minus that of the old one; moved bookings keep their provider and day."""

from __future__ import annotations

import functools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import check_schedule, recompute_objective
from models.results import Schedule
from models.scenario import Scenario
from scenarios.generator import generate_scenario
from solver.slots import call_request, open_call, ranked
from solver.slots.take import take
from solver.solve import solve

SEEDS = (1, 2, 3)


@functools.cache
def _solved(seed: int) -> tuple[Scenario, Schedule]:
    """A small generated clinic and its schedule, solved once in the reproducible mode."""
    scenario = generate_scenario(requests=20, providers=8, days=2, seed=seed)
    result = solve(scenario, time_limit=1, num_workers=1, seed=0, deterministic=True)
    return scenario, result.schedule


@st.composite
def calls(draw: st.DrawFn) -> tuple[Scenario, Schedule, dict[str, object], int]:
    """A solved clinic, a call (patient, service, window, the moment of the call) and the
    most moves asked for."""
    scenario, schedule = _solved(draw(st.sampled_from(SEEDS)))
    days = scenario.clinic.clock().days()
    first = draw(st.integers(0, len(days) - 1))
    last = draw(st.integers(first, len(days) - 1))
    call = {
        "patient": draw(st.sampled_from([p.id for p in scenario.patients])),
        "service": draw(st.sampled_from([s.id for s in scenario.services])),
        "earliest": days[first],
        "latest": days[last],
        "deposit_paid": True,
        "now": draw(st.sampled_from([None, 11, 14])),
    }
    return scenario, schedule, call, draw(st.integers(0, 2))


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(case=calls())
def test_every_option_taken_passes_the_checker_and_changes_the_objective_as_told(
    case: tuple[Scenario, Schedule, dict[str, object], int],
) -> None:
    scenario, schedule, asked, most = case
    hour = asked.pop("now")
    clock = scenario.clinic.clock()
    now = None if hour is None else clock.local(0) + timedelta(hours=int(hour))  # type: ignore[call-overload]
    request = call_request(scenario, schedule, **asked)  # type: ignore[arg-type]
    call = open_call(scenario, schedule, request, now)
    answer = ranked(call, top=4, max_moves=most)
    assert bool(answer.options) != (answer.refusal is not None)
    changes = [option.change for option in answer.options]
    assert changes == sorted(changes, reverse=True)
    for option in answer.options:
        assert len(option.moves) <= most
        assert option.start >= call.moment
        taken = take(call, option)
        assert [str(v) for v in check_schedule(taken.state, taken.schedule)] == []
        before = recompute_objective(taken.state, schedule)
        after = recompute_objective(taken.state, taken.schedule)
        assert option.change == after.total - before.total
        rows = {row.request_id: row for row in schedule.appointments}
        for move in option.moves:
            row = rows[move.booking_id]
            assert (row.provider_id, row.start, row.room_id) == (
                move.provider_id,
                move.from_start,
                move.from_room,
            )
            assert move.to_start.date() == move.from_start.date()
            assert (move.to_start, move.to_room) != (move.from_start, move.from_room)
            assert move.from_start >= call.moment
