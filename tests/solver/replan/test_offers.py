"""Waitlist offers that expire: a re-plan that books a waitlist request writes the offer's
reply-by time on its row (now, or the end of the quiet hours, plus waitlist_reply_minutes,
never after the start); a later re-plan at or after it releases an unanswered offer as
offer_expired and offers the slot to the next on the waitlist; a confirmation takes the offer
for good. From Python and from the command line, with `medspa notify` on the result.

The clinic: rn_amy works 09:00-13:00 on Monday 7 Dec 2026 (New York, EST, UTC-5) and is booked
solid by four hours (b_9, b_10, b_11, b_12); waitlist a (priority 3) comes before b (priority
2), both for an hour. Every reply-by time below is worked out by hand.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from typer.testing import CliRunner

from checker import check_schedule
from models.events import Cancel, Confirm
from models.loader import save_scenario, scenario_from_data
from models.results import Schedule
from models.scenario import Scenario
from solver.cli import app
from solver.desk.messages import message_plan
from solver.explain import story
from solver.outputs.gantt import change_marks
from solver.replan import ReshuffleResult, reshuffle
from solver.replan.offers import reply_by
from tests.solver.replan.test_reshuffle import OPTIONS, night, rows_by_id, tiny_data

ZONE = ZoneInfo("America/New_York")
FAST = ["--time-limit", "0.5", "--workers", "1", "--seed", "0", "--deterministic"]
OFFER = "{{ start }} is yours if you reply by {{ reply_by }}"
runner = CliRunner()


def at(clock: str) -> datetime:
    """A New York time on Monday 7 Dec 2026."""
    return datetime.fromisoformat(f"2026-12-07T{clock}").replace(tzinfo=ZONE)


def booked_solid(**policies: Any) -> Scenario:
    """The clinic of this module, a 45-minute reply window unless `policies` say otherwise."""
    data = tiny_data(
        [(f"b_{hour}", f"p_{hour}", "hour", f"{hour:02d}:00") for hour in (9, 10, 11, 12)],
        [
            {"id": "a", "patient": "p_a", "service": "hour", "priority": 3},
            {"id": "b", "patient": "p_b", "service": "hour", "priority": 2},
        ],
        **({"waitlist_reply_minutes": 45} | policies),
    )
    data["policies"]["notices"] = {"waitlist_offer": {"template": OFFER}}
    for patient in data["patients"]:
        patient["phone"] = "555 0101"
    return scenario_from_data(data)


def offered(now: str, **policies: Any) -> ReshuffleResult:
    """b_12 cancels at `now`: its 12:00 goes to a, the first on the waitlist."""
    scenario = booked_solid(**policies)
    result = reshuffle(scenario, night(scenario), [Cancel(booking="b_12")], at(now), **OPTIONS)
    assert check_schedule(result.state, result.schedule) == []
    assert {c.request_id: c.change for c in result.changes} == {
        "b_12": "cancelled_late",
        "a": "booked_from_waitlist",
    }
    assert rows_by_id(result.schedule)["a"].start == at("12:00")
    return result


def reply_by_of(result: ReshuffleResult, row_id: str) -> str | None:
    moment = rows_by_id(result.schedule)[row_id].reply_by
    return moment.isoformat() if moment else None


def _where(schedule: Schedule) -> dict[str, tuple[str, str, str]]:
    """Each waitlist row's status, reason and start (HH:MM)."""
    return {
        row.request_id: (row.status, row.reason, row.start.strftime("%H:%M") if row.start else "")
        for row in schedule.appointments
        if row.request_id in ("a", "b")
    }


# --- the reply-by time ----------------------------------------------------------------------


def test_an_offer_made_at_ten_is_answered_by_ten_forty_five() -> None:
    result = offered("10:00")
    assert reply_by_of(result, "a") == "2026-12-07T10:45:00-05:00"
    assert reply_by_of(result, "b_9") is None  # no offer, no reply-by
    # a re-plan before then carries the offer on: a booking of its state scenario, its row
    # with the same reply-by time
    quiet = reshuffle(result.state, result.schedule, [], at("10:30"), **OPTIONS)
    assert quiet.changes == []
    assert reply_by_of(quiet, "a") == "2026-12-07T10:45:00-05:00"
    state = {booking.id: booking for booking in quiet.state.bookings}
    assert state["a"].reply_by == datetime(2026, 12, 7, 10, 45, tzinfo=ZONE)
    assert (state["a"].from_waitlist, state["a"].confirmed) == (True, False)


def test_an_offer_made_in_the_quiet_hours_counts_its_window_from_their_end() -> None:
    # quiet 21:00-08:00 crosses midnight: at 07:30 the offer can go at 08:00, answered by 08:45
    result = offered("07:30", quiet_hours="21:00-08:00")
    assert reply_by_of(result, "a") == "2026-12-07T08:45:00-05:00"
    # the same clinic without quiet hours counts from 07:30
    assert reply_by_of(offered("07:30"), "a") == "2026-12-07T08:15:00-05:00"


def test_a_window_that_would_end_after_the_start_ends_at_the_start() -> None:
    # 10:00 + 180 minutes is 13:00, after a's 12:00 start
    assert reply_by_of(offered("10:00", waitlist_reply_minutes=180), "a") == (
        "2026-12-07T12:00:00-05:00"
    )


def test_the_reply_by_time_counts_real_minutes_across_the_autumn_change() -> None:
    # Sun 1 Nov 2026 the clocks go back at 02:00 EDT to 01:00 EST: 00:30 EDT + 120 real minutes
    # is 01:30 EST (wall clock 01:30, not 02:30); quiet hours until 01:00 EDT push it to 01:00
    # EDT + 120 minutes = 02:00 EST
    policies = booked_solid(waitlist_reply_minutes=120).policies
    zone_now = datetime(2026, 11, 1, 0, 30, tzinfo=ZONE)
    start = datetime(2026, 11, 1, 9, 0, tzinfo=ZONE)
    assert reply_by(policies, zone_now, start).isoformat() == "2026-11-01T01:30:00-05:00"
    late_night = booked_solid(waitlist_reply_minutes=120, quiet_hours="22:00-01:00").policies
    assert reply_by(late_night, zone_now, start).isoformat() == "2026-11-01T02:00:00-05:00"


def test_quiet_hours_all_day_leave_the_offer_until_the_start() -> None:
    policies = booked_solid(quiet_hours="00:00-24:00").policies
    assert reply_by(policies, at("10:00"), at("12:00")) == at("12:00")


# --- expiry ---------------------------------------------------------------------------------


def test_an_unanswered_offer_expires_and_the_slot_goes_to_the_next_with_its_own_reply_by() -> None:
    first = offered("10:00")
    result = reshuffle(first.state, first.schedule, [], at("11:00"), **OPTIONS)
    assert check_schedule(result.state, result.schedule) == []
    assert _where(result.schedule) == {
        "a": ("unscheduled", "offer_expired", ""),
        "b": ("booked", "", "12:00"),
    }
    assert reply_by_of(result, "a") is None
    assert reply_by_of(result, "b") == "2026-12-07T11:45:00-05:00"  # 11:00 + 45 minutes
    fields = ("change", "request_id", "from_start", "to_start")
    fields += ("call_patient", "late_fee_applies")
    rows = [tuple(c.model_dump(include=set(fields))[f] for f in fields) for c in result.changes]
    assert rows == [
        ("offer_expired", "a", "2026-12-07T12:00:00-05:00", "", False, False),
        ("booked_from_waitlist", "b", "", "2026-12-07T12:00:00-05:00", True, False),
    ]
    assert change_marks(result.changes) == {"a": "cancelled", "b": "added"}
    assert rows_by_id(result.schedule)["a"].sequence == 1  # its calendar event is cancelled
    assert [item.request_id for item in result.exceptions] == []
    state = {booking.id: booking for booking in result.state.bookings}
    assert (state["a"].status, state["a"].reply_by) == ("offer_expired", None)
    assert "a" not in {request.id for request in result.state.requests}  # never offered again
    # b's offer goes at 11:00 with b's reply-by; a, who did not answer, is told nothing
    plan = message_plan(result.state, result.schedule, at("11:00"), result.changes)
    offers = plan.messages[["message_id", "send_at", "reply_by", "text"]].values.tolist()
    assert [[m, s.isoformat(), r.isoformat(), t] for m, s, r, t in offers] == [
        [
            "b:waitlist_offer:waitlist_offer",
            "2026-12-07T11:00:00-05:00",
            "2026-12-07T11:45:00-05:00",
            "Mon 7 Dec at 12:00 is yours if you reply by Mon 7 Dec at 11:45",
        ]
    ]
    assert plan.skipped.empty
    assert story(result.state, result.schedule, "b") == [
        "b: patient p_b, hour: booked Mon 2026-12-07 12:00 with rn_amy in injection_1, offered "
        "from the waitlist until the patient confirms, by Mon 2026-12-07 11:45"
    ]
    assert story(result.state, result.schedule, "a") == [
        "a: patient p_a, hour: unscheduled, offer_expired"
    ]
    # b does not answer either: nobody is left, and a is not booked back
    last = reshuffle(result.state, result.schedule, [], at("11:45"), **OPTIONS)
    assert check_schedule(last.state, last.schedule) == []
    assert _where(last.schedule) == {
        "a": ("unscheduled", "offer_expired", ""),
        "b": ("unscheduled", "offer_expired", ""),
    }
    assert [(c.change, c.request_id) for c in last.changes] == [("offer_expired", "b")]


def test_an_offer_still_within_its_reply_by_time_stays() -> None:
    first = offered("10:00")
    result = reshuffle(first.state, first.schedule, [], at("10:44"), **OPTIONS)
    assert result.changes == []
    assert reply_by_of(result, "a") == "2026-12-07T10:45:00-05:00"


def test_a_confirmed_offer_is_taken_and_never_expires() -> None:
    first = offered("10:00")
    taken = reshuffle(first.state, first.schedule, [Confirm(booking="a")], at("10:30"), **OPTIONS)
    assert check_schedule(taken.state, taken.schedule) == []
    assert taken.changes == []
    row = rows_by_id(taken.schedule)["a"]
    assert (row.status, row.confirmed, row.reply_by) == ("booked", True, None)
    later = reshuffle(taken.state, taken.schedule, [], at("11:30"), **OPTIONS)
    assert later.changes == []
    where = _where(later.schedule)
    assert where["a"] == ("booked", "", "12:00")
    assert where["b"][0] == "unscheduled" and where["b"][1] != "offer_expired"  # still waiting


def test_a_confirmation_that_comes_with_the_expiry_keeps_the_offer() -> None:
    # the desk records the patient's yes in the same re-plan that would expire the offer
    first = offered("10:00")
    result = reshuffle(first.state, first.schedule, [Confirm(booking="a")], at("11:00"), **OPTIONS)
    assert result.changes == []
    assert rows_by_id(result.schedule)["a"].confirmed


# --- the checker ----------------------------------------------------------------------------


def _codes(scenario: Scenario, schedule: Schedule) -> list[tuple[str, str]]:
    return [(finding.code, finding.where) for finding in check_schedule(scenario, schedule)]


def _with(schedule: Schedule, row_id: str, **fields: Any) -> Schedule:
    """The schedule with one row's fields changed."""
    return Schedule(
        appointments=[
            row.model_copy(update=fields) if row.request_id == row_id else row
            for row in schedule.appointments
        ]
    )


def test_the_checker_holds_reply_by_times_to_waitlist_offers() -> None:
    first = offered("10:00")
    expired = reshuffle(first.state, first.schedule, [], at("11:00"), **OPTIONS)
    state, schedule = expired.state, expired.schedule  # b offered until 11:45
    assert _codes(state, schedule) == []
    assert _codes(state, _with(schedule, "b", reply_by=at("12:30"))) == [
        ("reply_by_after_start", "b")
    ]
    assert _codes(state, _with(schedule, "a", reply_by=at("11:45"))) == [("offer_not_booked", "a")]
    # b_9 is a booking not from the waitlist: a reply_by on its row is neither kept nor an offer
    assert _codes(state, _with(schedule, "b_9", reply_by=at("08:45"))) == [
        ("offer_changed", "b_9"),
        ("offer_not_from_waitlist", "b_9"),
    ]
    requests = [r.model_copy(update={"source": "new"}) for r in state.requests]
    assert _codes(state.model_copy(update={"requests": requests}), schedule) == [
        ("offer_not_from_waitlist", "b")
    ]
    # the next re-plan carries b's offer on as a booking: its row keeps the booking's reply_by
    carried = reshuffle(state, schedule, [], at("11:30"), **OPTIONS)
    assert _codes(carried.state, carried.schedule) == []
    assert _codes(carried.state, _with(carried.schedule, "b", reply_by=None)) == [
        ("offer_changed", "b")
    ]


# --- the command line -----------------------------------------------------------------------


def test_reshuffle_twice_then_notify_offers_the_slot_to_b_with_bs_reply_by(tmp_path: Path) -> None:
    scenario = tmp_path / "clinic.yaml"
    save_scenario(booked_solid(), scenario)
    solved = runner.invoke(app, ["solve", str(scenario), "--out", str(tmp_path / "night"), *FAST])
    assert solved.exit_code == 0, solved.output
    steps = [
        ("night", "cancel", "10:00", ["--event", "cancel:b_12"]),
        ("cancel", "later", "11:00", []),
    ]
    for before, after, now, events in steps:
        command = ["reshuffle", str(tmp_path / before / "scenario.yaml")]
        if before == "night":
            command[1] = str(scenario)
        command += ["--schedule", str(tmp_path / before / "schedule.csv"), *events]
        command += ["--now", f"2026-12-07T{now}", "--out", str(tmp_path / after), *FAST]
        step = runner.invoke(app, command)
        assert step.exit_code == 0, step.output
    first = pd.read_csv(tmp_path / "cancel" / "schedule.csv", dtype=str, keep_default_na=False)
    assert first.set_index("request_id").loc["a", "reply_by"] == "2026-12-07T10:45:00-05:00"
    later = tmp_path / "later"
    rows = pd.read_csv(later / "schedule.csv", dtype=str, keep_default_na=False)
    rows = rows.set_index("request_id")
    assert (rows.loc["a", "status"], rows.loc["a", "reason"]) == ("unscheduled", "offer_expired")
    assert rows.loc["b", "reply_by"] == "2026-12-07T11:45:00-05:00"
    changes = pd.read_csv(later / "changes.csv", dtype=str, keep_default_na=False)
    assert changes[["change", "request_id", "call_patient"]].values.tolist() == [
        ["offer_expired", "a", "False"],
        ["booked_from_waitlist", "b", "True"],
    ]
    checked = runner.invoke(
        app, ["check", str(later / "scenario.yaml"), "--schedule", str(later / "schedule.csv")]
    )
    assert checked.exit_code == 0, checked.output
    notified = runner.invoke(
        app, ["notify", str(later / "scenario.yaml"), str(later), "--now", "2026-12-07T11:00"]
    )
    assert notified.exit_code == 0, notified.output
    assert "Mon 7 Dec" not in notified.output  # counts only, never a message's text
    messages = pd.read_csv(later / "messages.csv", dtype=str, keep_default_na=False)
    offers = messages[messages.kind == "waitlist_offer"]
    assert offers[["patient_id", "send_at", "reply_by"]].values.tolist() == [
        ["p_b", "2026-12-07T11:00:00-05:00", "2026-12-07T11:45:00-05:00"]
    ]
    assert offers.text.tolist() == [
        "Mon 7 Dec at 12:00 is yours if you reply by Mon 7 Dec at 11:45"
    ]
    assert "p_a" not in set(messages.patient_id)  # the expired offer gets no notice
