"""The patient's replies as re-plan events: a confirmation marks the row confirmed and changes
nothing else; a declined waitlist offer frees the slot, without a fee, for the next on the
waitlist, and the decliner is not booked back. Both from Python, an events file and the
command line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from checker import check_schedule
from models.events import EVENT_ADAPTER, Cancel, Confirm, Decline, DepositPaid, parse_event
from models.loader import save_scenario
from models.results import Schedule
from models.scenario import Scenario
from scenarios.generator import generate_scenario
from solver.cli import app
from solver.outputs.gantt import change_marks
from solver.replan import EventError, ReshuffleResult, reshuffle
from tests.solver.replan.test_reshuffle import OPTIONS, night, rows_by_id, tiny_clinic

ZONE = ZoneInfo("America/New_York")
EIGHT, HALF_PAST_EIGHT, NINE_THIRTY = (
    datetime(2026, 12, 7, hour, minute, tzinfo=ZONE) for hour, minute in ((8, 0), (8, 30), (9, 30))
)
FAST = ["--time-limit", "0.5", "--workers", "1", "--seed", "0", "--deterministic"]
runner = CliRunner()


def full_morning(**policies: Any) -> Scenario:
    """rn_amy works 09:00-11:00 and is booked solid (b_early 09:00, b_late 10:00, an hour
    each); two waitlist patients want an hour that day: w_first (priority 3) before w_second
    (priority 2)."""
    return tiny_clinic(
        [("b_early", "p_1", "hour", "09:00"), ("b_late", "p_2", "hour", "10:00")],
        [
            {"id": "w_first", "patient": "p_a", "service": "hour", "priority": 3},
            {"id": "w_second", "patient": "p_b", "service": "hour", "priority": 2},
        ],
        hours="09:00-11:00",
        **policies,
    )


def offered() -> ReshuffleResult:
    """b_late cancels at 08:00: its 10:00 goes to w_first, the first on the waitlist."""
    scenario = full_morning()
    result = reshuffle(scenario, night(scenario), [Cancel(booking="b_late")], EIGHT, **OPTIONS)
    assert {c.request_id: c.change for c in result.changes} == {
        "b_late": "cancelled_late",
        "w_first": "booked_from_waitlist",
    }
    return result


def _where(schedule: Schedule) -> dict[str, tuple[str, str, str]]:
    """Each row's status, reason and start (HH:MM)."""
    return {
        row.request_id: (row.status, row.reason, row.start.strftime("%H:%M") if row.start else "")
        for row in schedule.appointments
    }


# --- the events themselves ----------------------------------------------------------------


def test_the_replies_are_written_as_kind_colon_id_on_the_command_line_and_in_a_file() -> None:
    assert parse_event("confirm:q17") == Confirm(booking="q17")
    assert parse_event("decline: q21") == Decline(booking="q21")
    written = [{"kind": "confirm", "booking": "q17"}, {"kind": "decline", "booking": "q21"}]
    assert EVENT_ADAPTER.validate_python(written) == [
        Confirm(booking="q17"),
        Decline(booking="q21"),
    ]
    with pytest.raises(ValueError, match="is not key=value"):
        parse_event("confirm:q17,q18")


# --- confirm ------------------------------------------------------------------------------


def test_a_confirmation_marks_the_row_confirmed_and_changes_nothing_else() -> None:
    step = offered()
    before = step.schedule
    result = reshuffle(step.state, before, [Confirm(booking="w_first")], HALF_PAST_EIGHT, **OPTIONS)
    assert result.changes == []
    assert check_schedule(result.state, result.schedule) == []
    after = rows_by_id(result.schedule)
    assert list(after) == [row.request_id for row in before.appointments]
    for row in before.appointments:
        new = after[row.request_id]
        assert new.confirmed == (row.request_id == "w_first")
        # every column but kind: a booked request is now a booking of the state scenario
        same = {"request_id", "patient_id", "service_id", "provider_id", "room_id", "start"}
        same |= {"end", "status", "reason", "moved", "pay_by", "sequence", "equipment"}
        assert new.model_dump(include=same) == row.model_dump(include=same), row.request_id
    assert next(b for b in result.state.bookings if b.id == "w_first").confirmed
    # the next re-plan keeps the flag: it comes from the state scenario's booking
    later = reshuffle(result.state, result.schedule, [], NINE_THIRTY, **OPTIONS)
    assert rows_by_id(later.schedule)["w_first"].confirmed


def test_confirmations_on_a_busy_clinic_move_no_one() -> None:
    scenario = generate_scenario(requests=60, providers=3, days=2, seed=1)
    schedule = night(scenario)
    first = scenario.clinic.clock().first_day
    now = datetime(first.year, first.month, first.day, 11, tzinfo=scenario.clinic.clock().zone)
    booked = [row.request_id for row in schedule.booked()]
    replies = booked[::3]
    events = [Confirm(booking=row_id) for row_id in replies]
    result = reshuffle(scenario, schedule, events, now, **OPTIONS)
    assert result.changes == []
    assert check_schedule(result.state, result.schedule) == []
    after = rows_by_id(result.schedule)
    where = ("status", "start", "end", "provider_id", "room_id")
    for row in schedule.appointments:
        new = after[row.request_id]
        assert new.model_dump(include=set(where)) == row.model_dump(include=set(where))
        assert new.confirmed == (row.request_id in replies), row.request_id


@pytest.mark.parametrize(
    ("row_id", "message"),
    [
        ("nobody_42", "confirm: no appointment 'nobody_42' in the schedule; check the id"),
        ("b_late", "confirm: 'b_late' is not booked (unscheduled); nothing to change"),
        ("w_second", "confirm: 'w_second' is not booked (unscheduled); nothing to change"),
    ],
)
def test_confirming_what_is_not_booked_is_refused(row_id: str, message: str) -> None:
    step = offered()
    with pytest.raises(EventError) as refused:
        reshuffle(step.state, step.schedule, [Confirm(booking=row_id)], HALF_PAST_EIGHT, **OPTIONS)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (
            [Decline(booking="w_first"), Confirm(booking="w_first")],
            "confirm: 'w_first' was given up by an earlier event (declined); nothing to change",
        ),
        (
            [Cancel(booking="b_early"), Confirm(booking="b_early")],
            "confirm: 'b_early' was given up by an earlier event (cancelled_late); nothing to "
            "change",
        ),
        (
            [Cancel(booking="b_early"), DepositPaid(booking="b_early")],
            "deposit_paid: 'b_early' was given up by an earlier event (cancelled_late); nothing "
            "to change",
        ),
    ],
    ids=["confirm after decline", "confirm after cancel", "deposit paid after cancel"],
)
def test_a_reply_to_a_slot_given_up_earlier_in_the_same_re_plan_is_refused(
    events: list[Any], message: str
) -> None:
    step = offered()
    with pytest.raises(EventError) as refused:
        reshuffle(step.state, step.schedule, events, HALF_PAST_EIGHT, **OPTIONS)
    assert str(refused.value) == message


# --- decline ------------------------------------------------------------------------------


def _assert_declined_goes_to_the_next(result: ReshuffleResult) -> None:
    """w_first turned down 10:00: released as declined, w_second has it, nothing else moves."""
    assert check_schedule(result.state, result.schedule) == []
    assert _where(result.schedule) == {
        "b_early": ("booked", "", "09:00"),
        "b_late": ("unscheduled", "cancelled_late", ""),
        "w_first": ("unscheduled", "declined", ""),
        "w_second": ("booked", "", "10:00"),
    }
    fields = ("change", "request_id", "from_start", "to_start")
    fields += ("call_patient", "late_fee_applies", "note")
    rows = [tuple(c.model_dump(include=set(fields))[f] for f in fields) for c in result.changes]
    assert rows == [
        ("declined", "w_first", "2026-12-07T10:00:00-05:00", "", False, False, ""),
        ("booked_from_waitlist", "w_second", "", "2026-12-07T10:00:00-05:00", True, False, ""),
    ]
    assert [item.request_id for item in result.exceptions] == []  # the decliner is not queued
    assert change_marks(result.changes) == {"w_first": "cancelled", "w_second": "added"}  # gantt
    state = {b.id: b for b in result.state.bookings}
    assert (state["w_first"].status, state["w_first"].from_waitlist) == ("declined", True)
    assert "w_first" not in {r.id for r in result.state.requests}  # not booked back, ever


def test_a_declined_offer_goes_to_the_next_on_the_waitlist() -> None:
    step = offered()
    result = reshuffle(
        step.state, step.schedule, [Decline(booking="w_first")], HALF_PAST_EIGHT, **OPTIONS
    )
    _assert_declined_goes_to_the_next(result)


def test_an_offer_carried_through_another_re_plan_can_still_be_declined() -> None:
    # After one more re-plan the offered slot is a booking of the state scenario, marked
    # from_waitlist; the patient's "no" still frees it for the next on the waitlist.
    step = offered()
    quiet = reshuffle(step.state, step.schedule, [], HALF_PAST_EIGHT, **OPTIONS)
    booking = next(b for b in quiet.state.bookings if b.id == "w_first")
    assert (booking.status, booking.from_waitlist, booking.confirmed) == ("confirmed", True, False)
    result = reshuffle(
        quiet.state, quiet.schedule, [Decline(booking="w_first")], HALF_PAST_EIGHT, **OPTIONS
    )
    _assert_declined_goes_to_the_next(result)


def test_a_waitlist_slot_the_night_solve_booked_can_be_declined() -> None:
    scenario = tiny_clinic(
        [("b_early", "p_1", "hour", "09:00")],
        [
            {"id": "w_first", "patient": "p_a", "service": "hour", "priority": 3},
            {"id": "w_second", "patient": "p_b", "service": "hour", "priority": 2},
        ],
        hours="09:00-11:00",
    )
    schedule = night(scenario)
    assert _where(schedule)["w_first"] == ("booked", "", "10:00")
    result = reshuffle(scenario, schedule, [Decline(booking="w_first")], EIGHT, **OPTIONS)
    assert check_schedule(result.state, result.schedule) == []
    assert _where(result.schedule)["w_first"] == ("unscheduled", "declined", "")
    assert _where(result.schedule)["w_second"] == ("booked", "", "10:00")


@pytest.mark.parametrize(
    ("events", "now", "message"),
    [
        (
            [Decline(booking="b_early")],
            HALF_PAST_EIGHT,
            "decline: 'b_early' was not booked from the waitlist, so there is no offer to turn "
            "down (decline answers a source: waitlist request's slot or one a re-plan booked "
            "from the waitlist); if the patient gives the appointment up, it is a cancel event",
        ),
        (
            [Confirm(booking="w_first"), Decline(booking="w_first")],
            HALF_PAST_EIGHT,
            "decline: the patient confirmed 'w_first', so the offer was taken; if they give it "
            "up now, it is a cancel event",
        ),
        (
            [Decline(booking="w_first")],
            datetime(2026, 12, 7, 10, 15, tzinfo=ZONE),
            "decline: 'w_first' started at 2026-12-07 10:00:00-05:00, before now; too late",
        ),
        (
            [Decline(booking="w_second")],
            HALF_PAST_EIGHT,
            "decline: 'w_second' is not booked (unscheduled); nothing to change",
        ),
    ],
    ids=["not from the waitlist", "already confirmed", "already begun", "not booked"],
)
def test_a_decline_that_answers_no_open_offer_is_refused(
    events: list[Any], now: datetime, message: str
) -> None:
    step = offered()
    with pytest.raises(EventError) as refused:
        reshuffle(step.state, step.schedule, events, now, **OPTIONS)
    assert str(refused.value) == message


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def offered_files(tmp_path: Path) -> Path:
    """The folder `medspa reshuffle` wrote for the cancellation of b_late at 08:00."""
    scenario = tmp_path / "clinic.yaml"
    save_scenario(full_morning(), scenario)
    night_out = tmp_path / "night"
    solved = runner.invoke(app, ["solve", str(scenario), "--out", str(night_out), *FAST])
    assert solved.exit_code == 0, solved.output
    out = tmp_path / "cancel"
    command = ["reshuffle", str(scenario), "--schedule", str(night_out / "schedule.csv")]
    step = runner.invoke(
        app,
        [*command, "--event", "cancel:b_late", "--now", "2026-12-07T08:00", "--out", str(out)],
    )
    assert step.exit_code == 0, step.output
    return out


def _replies(folder: Path, out: Path, *args: str) -> Any:
    command = ["reshuffle", str(folder / "scenario.yaml"), "--schedule"]
    command += [str(folder / "schedule.csv"), "--now", "2026-12-07T08:30", "--out", str(out)]
    return runner.invoke(app, [*command, *args, *FAST])


def _check_cli_result(out: Path) -> None:
    schedule = pd.read_csv(out / "schedule.csv", dtype=str, keep_default_na=False)
    rows = schedule.set_index("request_id")
    assert rows.loc["b_early", "confirmed"] == "True"
    assert (rows.loc["w_first", "status"], rows.loc["w_first", "reason"]) == (
        "unscheduled",
        "declined",
    )
    assert rows.loc["w_second", "status"] == "booked"
    assert rows.loc["w_second", "start"].startswith("2026-12-07T10:00")
    changes = pd.read_csv(out / "changes.csv", dtype=str, keep_default_na=False)
    assert changes[
        ["change", "request_id", "call_patient", "late_fee_applies"]
    ].values.tolist() == [
        ["declined", "w_first", "False", "False"],
        ["booked_from_waitlist", "w_second", "True", "False"],
    ]
    checked = runner.invoke(
        app, ["check", str(out / "scenario.yaml"), "--schedule", str(out / "schedule.csv")]
    )
    assert checked.exit_code == 0, checked.output


def test_confirm_and_decline_on_the_command_line(offered_files: Path, tmp_path: Path) -> None:
    out = tmp_path / "replies"
    result = _replies(
        offered_files, out, "--event", "confirm:b_early", "--event", "decline:w_first"
    )
    assert result.exit_code == 0, result.output
    _check_cli_result(out)


def test_confirm_and_decline_from_an_events_file(offered_files: Path, tmp_path: Path) -> None:
    events = tmp_path / "replies.yaml"
    written = [{"kind": "confirm", "booking": "b_early"}, {"kind": "decline", "booking": "w_first"}]
    events.write_text(yaml.safe_dump(written))
    out = tmp_path / "replies"
    result = _replies(offered_files, out, "--events", str(events), "--json")
    assert result.exit_code == 0, result.output
    _check_cli_result(out)


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ("confirm:nobody_42", "confirm: no appointment 'nobody_42' in the schedule"),
        ("confirm:w_second", "confirm: 'w_second' is not booked (unscheduled)"),
        ("decline:b_early", "decline: 'b_early' was not booked from the waitlist"),
    ],
)
def test_a_reply_to_nothing_exits_2_naming_it_and_writes_nothing(
    offered_files: Path, tmp_path: Path, event: str, named: str
) -> None:
    out = tmp_path / "replies"
    result = _replies(offered_files, out, "--event", event)
    assert result.exit_code == 2, result.output
    assert named in " ".join(result.output.split())
    assert "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
