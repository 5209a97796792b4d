"""change_list: each kind of change between the schedule before and after a re-plan, who must
call the patient, where the late-cancellation fee applies, and who owns it; the change list
as a table."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from models.events import Reschedule
from models.results import CHANGE_COLUMNS, Appointment, Change, Schedule, changes_frame
from models.scenario import Scenario
from models.spreadsheet import write_csv
from solver.replan.changes import change_list, counted
from solver.replan.events import Day
from tests.conftest import MINI_WEEK, mini_clinic, provider, room, service
from tests.solver.replan.test_events import day_clinic, night_schedule

CHICAGO = ZoneInfo("America/Chicago")


def _when(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 7, hour, minute, tzinfo=CHICAGO)


def _day(scenario: Scenario, before: Schedule, displaced: set[str]) -> Day:
    rows = {row.request_id: row for row in before.appointments}
    return Day(scenario, rows, 480, scenario.clinic.clock(), displaced=displaced)


def _after(before: Schedule, changes: dict[str, dict[str, object]]) -> Schedule:
    rows = [row.model_copy(update=changes.get(row.request_id, {})) for row in before.appointments]
    new = changes.get("n1")
    if new is not None:
        fields = {"request_id": "n1", "patient_id": "p5", "service_id": "botox"}
        rows.append(Appointment.model_validate(fields | new))
    return Schedule(appointments=rows)


UNBOOKED = {"status": "unscheduled", "provider_id": None, "room_id": None, "start": None}


def _changes(changes: dict[str, dict[str, object]], displaced: set[str]) -> dict[str, Change]:
    scenario = day_clinic()
    before = night_schedule(scenario)
    found = change_list(_day(scenario, before, displaced), before, _after(before, changes))
    assert len({c.request_id for c in found}) == len(found)
    return {c.request_id: c for c in found}


def test_every_kind_of_change_is_named_and_unchanged_rows_are_left_out() -> None:
    booked = {"status": "booked", "provider_id": "rn", "room_id": "inj2", "reason": ""}
    found = _changes(
        {
            "r1": UNBOOKED | {"reason": "cancelled"},
            "r2": {"start": _when(11), "end": _when(11, 30)},  # displaced, rebooked
            "r3": {"start": _when(10, 30), "end": _when(11)},
            "c1": {"room_id": "inj1"},
            "t1": UNBOOKED | {"status": "escalated", "reason": "consult_required"},
            "w1": booked | {"start": _when(13), "end": _when(13, 30)},
            "n1": booked | {"start": _when(14), "end": _when(14, 30)},
        },
        displaced={"r2"},
    )
    assert {i: c.change for i, c in found.items()} == {
        "r1": "cancelled",
        "r2": "rebooked",
        "r3": "moved",
        "c1": "room_changed",
        "t1": "escalated",
        "w1": "booked_from_waitlist",
        "n1": "booked_new_request",
    }  # bk, untouched, is not a change
    assert {i for i, c in found.items() if c.call_patient} == {"r2", "r3", "t1", "w1", "n1"}
    assert not any(c.late_fee_applies for c in found.values())
    assert {c.owner for c in found.values()} == {"desk"}
    assert found["t1"].note == "consult_required"


def test_without_a_same_day_owner_changes_go_to_the_escalation_owner_on_duty_that_day() -> None:
    rota = {"mon": "dana", "tue": "lee"}
    scenario = day_clinic(
        same_day_owner=None,
        escalation_owner=rota,
        exception_owners={"consult_required": "ops"},  # an exception's owner, not a change's
    )
    before = night_schedule(scenario)
    escalated = UNBOOKED | {"status": "escalated", "reason": "consult_required"}
    after = _after(before, {"r3": {"start": _when(10, 30)}, "t1": escalated})
    for now, owner in ((480, "dana"), (1440 + 480, "lee")):
        day = Day(
            scenario, {r.request_id: r for r in before.appointments}, now, scenario.clinic.clock()
        )
        assert {c.owner for c in change_list(day, before, after)} == {owner}


def test_a_change_says_from_where_to_where() -> None:
    found = _changes({"r3": {"start": _when(10, 30), "provider_id": "rn"}}, displaced=set())
    moved = found["r3"]
    assert (moved.from_start, moved.from_provider, moved.from_room) == (
        "2026-12-07T10:00:00-06:00",
        "md",
        "inj2",
    )
    assert (moved.to_start, moved.to_provider, moved.to_room) == (
        "2026-12-07T10:30:00-06:00",
        "rn",
        "inj2",
    )
    assert (moved.patient_id, moved.service_id) == ("p3", "laser")
    provider_only = _changes({"r3": {"provider_id": "rn"}}, displaced=set())
    assert provider_only["r3"].change == "moved"


def test_late_cancellations_and_no_shows_fall_under_the_late_fee_with_no_repeated_note() -> None:
    found = _changes(
        {
            "r1": UNBOOKED | {"reason": "no_show"},
            "r2": UNBOOKED | {"reason": "cancelled_late"},
            "r3": UNBOOKED | {"reason": "cancelled"},
        },
        displaced=set(),
    )
    assert {i: (c.change, c.late_fee_applies, c.call_patient) for i, c in found.items()} == {
        "r1": ("no_show", True, False),
        "r2": ("cancelled_late", True, False),
        "r3": ("cancelled", False, False),
    }
    assert found["r1"].to_start == "" and found["r1"].from_start == "2026-12-07T09:00:00-06:00"
    assert {c.note for c in found.values()} == {""}  # the change says it all


def test_a_row_unbooked_before_and_after_is_no_change() -> None:
    found = _changes({"w1": {"status": "escalated", "reason": "no_capacity"}}, displaced=set())
    assert found == {}


def test_an_appointment_the_patient_rescheduled_is_labelled_so_whoever_takes_it() -> None:
    scenario = day_clinic()
    before = night_schedule(scenario)
    day = _day(scenario, before, displaced=set())
    day.rescheduled["r3"] = Reschedule(
        booking="r3", earliest=date(2026, 12, 7), latest=date(2026, 12, 8)
    )
    after = _after(before, {"r3": {"start": _when(10, 30), "provider_id": "rn"}})
    (change,) = change_list(day, before, after)
    assert (change.request_id, change.change, change.call_patient) == ("r3", "rescheduled", True)
    assert (change.from_provider, change.to_provider) == ("md", "rn")


LA = "America/Los_Angeles"


def test_the_change_table_has_names_local_times_and_datetimes(tmp_path: Path) -> None:
    scenario = mini_clinic(
        clinic={"timezone": LA},
        services=[service("botox", name="Neuromodulator")],
        providers=[
            provider("rn", ["botox"], MINI_WEEK, name="Rae Nunez"),
            provider("md", ["botox"], MINI_WEEK, name="Mo Diaz"),
        ],
        rooms=[room("inj1", "injection", name="Injection 1"), room("inj2", "injection")],
        patients=[{"id": "p1", "name": "Pat One"}, {"id": "p2"}],
    )
    moved = Change(
        change="moved",
        request_id="r1",
        patient_id="p1",
        service_id="botox",
        from_start="2026-12-07T17:00:00+00:00",  # 09:00 in Los Angeles
        from_provider="rn",
        from_room="inj1",
        to_start="2026-12-08T10:30:00-08:00",
        to_provider="md",
        to_room="inj2",
        call_patient=True,
    )
    late = Change(
        change="cancelled_late",
        request_id="b1",
        patient_id="p2",
        service_id="botox",
        from_start="2026-12-07T11:00:00-08:00",
        from_provider="rn",
        from_room="inj1",
        late_fee_applies=True,
    )
    frame = changes_frame([moved, late], scenario)
    assert list(frame.columns) == CHANGE_COLUMNS
    first = frame.iloc[0]
    assert (first["patient_name"], first["service_name"]) == ("Pat One", "Neuromodulator")
    assert (first["from_date"], first["from_time"], first["to_date"], first["to_time"]) == (
        "2026-12-07",
        "09:00",
        "2026-12-08",
        "10:30",
    )
    assert (first["from_provider_name"], first["from_room_name"]) == ("Rae Nunez", "Injection 1")
    assert (first["to_provider_name"], first["to_room_name"]) == ("Mo Diaz", "")
    for column in ("from_start", "to_start"):
        assert str(frame[column].dtype) == f"datetime64[ns, {LA}]"
    assert first["from_start"] == pd.Timestamp("2026-12-07 09:00", tz=LA)
    second = frame.iloc[1]
    assert (second["patient_name"], second["to_date"], second["to_time"]) == ("", "", "")
    assert pd.isna(second["to_start"]) and bool(second["late_fee_applies"])
    write_csv(frame, tmp_path / "changes.csv")
    written = pd.read_csv(tmp_path / "changes.csv", dtype=str, keep_default_na=False)
    assert list(written["from_start"]) == ["2026-12-07T09:00:00-08:00", "2026-12-07T11:00:00-08:00"]
    assert list(written["to_start"]) == ["2026-12-08T10:30:00-08:00", ""]
    assert list(written["late_fee_applies"]) == ["False", "True"]


def test_counted_adds_one_to_the_sequence_of_what_a_calendar_must_update() -> None:
    """Moved, rebooked, room changed, cancelled and escalated rows count one up from the schedule
    before (a displaced row comes back from the solve as a request, with sequence 0); an unchanged
    row keeps its count, a new request starts at 0."""
    kinds = ["booked_new_request", "moved", "rebooked", "room_changed", "cancelled_late"]
    kinds.append("escalated")
    ids = [f"r{i}" for i in range(len(kinds) + 1)]  # r0 is new, r6 does not change
    rows = [Appointment(request_id=i, patient_id="p1", service_id="botox") for i in ids]
    before = Schedule(appointments=[r.model_copy(update={"sequence": 2}) for r in rows[1:]])
    changes = [
        Change(change=kind, request_id=i, patient_id="p1", service_id="botox")
        for kind, i in zip(kinds, ids, strict=False)
    ]
    after = counted(before, Schedule(appointments=rows), changes)
    assert [row.sequence for row in after.appointments] == [0, 3, 3, 3, 3, 3, 2]


def test_counted_adds_one_when_an_appointment_taken_off_a_calendar_is_booked_again() -> None:
    """An escalated booking (sequence 1, its CANCELLED event published) booked again by a later
    re-plan is a new version of that event (2), so calendars show it again; a first booking
    stays at 0."""
    rows = [Appointment(request_id=i, patient_id="p1", service_id="botox") for i in ("b5", "r9")]
    before = Schedule(appointments=[rows[0].model_copy(update={"sequence": 1}), rows[1]])
    changes = [
        Change(change=kind, request_id=i, patient_id="p1", service_id="botox")
        for kind, i in (("booked_new_request", "b5"), ("booked_from_waitlist", "r9"))
    ]
    after = counted(before, Schedule(appointments=rows), changes)
    assert [row.sequence for row in after.appointments] == [2, 0]
