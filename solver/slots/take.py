"""Booking an option: the schedule with the request booked there and the moved bookings moved,
the state scenario after the call (the input of the next call or re-plan) and the change list,
as a re-plan writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.events import NewRequest
from models.results import Appointment, Change, Schedule
from models.scenario import Scenario
from models.times import MINUTES_PER_DAY
from solver.holds import pay_by
from solver.replan.changes import change_list, counted
from solver.replan.events import apply_events
from solver.replan.state import state_scenario
from solver.slots.call import Call
from solver.slots.options import Option


@dataclass
class Taken:
    """The calendar after an option is booked."""

    state: Scenario
    """The booked rows as bookings; the request and every request still unbooked as
    requests."""
    schedule: Schedule
    changes: list[Change]
    day: date
    """The day of the option."""


def take(call: Call, option: Option) -> Taken:
    """Book `option` of the call: every other row stays as it was (a booked row becomes a
    booking of the state, as in a re-plan); a held request gets its pay-by time."""
    day = apply_events(
        call.scenario, call.schedule, [NewRequest(request=call.request)], call.moment
    )
    state = state_scenario(day)
    clock = call.facts.clock
    rows = []
    for row in call.schedule.appointments:
        if row.status == "booked":
            row = row.model_copy(update={"kind": "booking", "moved": False})
            placement = option.placements.get(row.request_id)
            if placement is not None:
                job = call.by_id[row.request_id]
                start = clock.local(placement.start)
                row = row.model_copy(
                    update={
                        "start": start,
                        "end": clock.local(placement.end(job)),
                        "room_id": placement.room_id,
                        "moved": start != row.start,
                    }
                )
        rows.append(row)
    request = call.request
    held = call.job is not None and call.job.held
    hours = call.scenario.policies.deposit_deadline_hours
    rows.append(
        Appointment(
            request_id=request.id,
            patient_id=request.patient,
            service_id=request.service,
            provider_id=option.provider_id,
            room_id=option.room_id,
            equipment=option.equipment,
            start=option.start,
            end=option.end,
            status="booked",
            pay_by=pay_by(clock, clock.minute(option.start), hours) if held else None,
        )
    )
    after = Schedule(appointments=rows)
    when = clock.day(clock.minute(option.start) // MINUTES_PER_DAY)
    changes = change_list(day, call.schedule, after)
    return Taken(state, counted(call.schedule, after, changes), changes, when)
