"""The request a call makes: its id is new to the schedule and within the id limit."""

from __future__ import annotations

from models.limits import MAX_ID_CHARACTERS
from solver.slots import call_request, open_call, ranked
from solver.slots.take import take
from tests.conftest import MINI_WEEK, mini_clinic, patients, provider, service
from tests.solver.slots.planted import booked


def test_a_second_call_for_the_same_patient_and_service_gets_the_next_id() -> None:
    scenario = mini_clinic()
    schedule = booked(scenario)
    request = call_request(scenario, schedule, "p1", "botox")
    assert request.id == "call_p1_botox"
    call = open_call(scenario, schedule, request)
    taken = take(call, ranked(call).options[0])
    again = call_request(taken.state, taken.schedule, "p1", "botox")
    assert again.id == "call_p1_botox_2"


def test_long_patient_and_service_ids_still_make_a_valid_call() -> None:
    # each id is within the limit, "call_<patient>_<service>" would not be
    patient, what = "p" * MAX_ID_CHARACTERS, "s" * MAX_ID_CHARACTERS
    scenario = mini_clinic(
        services=[service(what)],
        providers=[provider("rn", [what], MINI_WEEK)],
        patients=patients([patient]),
    )
    request = call_request(scenario, booked(scenario), patient, what)
    assert request.id.startswith("call_ppp") and len(request.id) <= MAX_ID_CHARACTERS
    assert ranked(open_call(scenario, booked(scenario), request)).options
