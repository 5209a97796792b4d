"""The first option is at least as good as what `reshuffle --event new_request:...` books for
the same call: the objective's change of booking the request at reshuffle's slot, which is
free in the schedule, is no more than the first option's (the options are the best start of
every free opening, so none of those changes can beat the first)."""

from __future__ import annotations

from pathlib import Path

from models.events import NewRequest
from models.loader import load_scenario
from models.results import Schedule
from models.scenario import Scenario
from solver.replan import reshuffle
from solver.slots import call_request, open_call, ranked
from solver.slots.why_not import why_not
from tests.solver.slots.planted import booked, gap_clinic


def _changes(
    scenario: Scenario, schedule: Schedule, patient: str, service: str
) -> tuple[int, int] | None:
    """(the change of booking the request at the slot reshuffle books it in, the first
    option's change) for one call at the start of the horizon; None when reshuffle leaves
    it unbooked or moves bookings to make its slot (then no free start compares)."""
    request = call_request(scenario, schedule, patient, service)
    now = scenario.clinic.clock().local(0)
    call = open_call(scenario, schedule, request, now)
    (first,) = ranked(call, top=1).options
    replanned = reshuffle(
        scenario, schedule, [NewRequest(request=request)], now, 2, 1, deterministic=True
    )
    row = next(r for r in replanned.schedule.appointments if r.request_id == request.id)
    if row.status != "booked" or row.start is None or row.provider_id is None:
        return None
    (verdict,) = why_not(call, row.start, row.provider_id).verdicts
    if verdict.option is None:
        assert verdict.smallest, verdict.words  # reshuffle moved what was in the way
        return None
    return verdict.option.change, first.change


def test_on_a_planted_clinic_reshuffle_books_the_first_options_time_or_a_no_better_one() -> None:
    scenario = gap_clinic()
    # the gap between b1 and b2 is the best place, and the solver finds it too
    assert _changes(scenario, booked(scenario), "p3", "botox") == (32, 32)


def test_on_the_sample_week_reshuffles_slot_is_no_better_than_the_first_option(
    sample_week: tuple[Path, Path],
) -> None:
    scenario_file, schedule_file = sample_week
    scenario, schedule = load_scenario(scenario_file), Schedule.read_csv(schedule_file)
    calls = [("p_001", "botox"), ("p_040", "follow_up"), ("p_003", "botox_touch_up")]
    compared = [_changes(scenario, schedule, patient, service) for patient, service in calls]
    assert all(at_slot <= first for at_slot, first in filter(None, compared))
    assert any(compared), "reshuffle booked none of the calls in a free slot"
