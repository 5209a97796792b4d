"""The communications plan: which messages go, when (absolute hours, wall-clock days, quiet
hours, never before now or after the start), to whom on which channel, and why others do not."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from models.results import Appointment, Schedule
from solver.desk.messages import MESSAGE_COLUMNS, SKIPPED_COLUMNS, MessagePlan, message_plan
from tests.conftest import build, patient, provider, room, service
from tests.solver.desk import rows
from tests.solver.desk.rows import change

NEW_YORK = ZoneInfo("America/New_York")


def clinic(reminders: list[dict[str, Any]], **policies: Any) -> Any:
    """A New York clinic open Mon-Tue 2-3 Nov 2026 (the Sunday before, 1 Nov, the clocks go
    back from EDT to EST), with Maya (p1), Noor (p2, email only) and Sam (p3, opted out of
    texts)."""
    return build(
        clinic={
            "name": "Glow",
            "timezone": "America/New_York",
            "horizon": {"start": "2026-11-02", "days": 2},
            "hours": {"mon": "08:00-18:00", "tue": "08:00-18:00"},
            "phone": "555 0100",
        },
        policies={"reminders": reminders, **policies},
        services=[service("botox", name="Botox", deposit=100)],
        providers=[provider("rn", ["botox"], {"mon": "08:00-18:00", "tue": "08:00-18:00"})],
        rooms=[room("inj1", "injection", name="Room 1")],
        patients=[
            patient("p1", name="Maya Lind"),
            patient("p2", name="Noor", email="noor@example.com"),
            patient("p3", name="Sam", opt_out=["sms"]),
        ],
    )


def at(text: str) -> datetime:
    """A New York wall-clock time."""
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def booked(rid: str, start: str, patient_id: str = "p1", **more: Any) -> Appointment:
    return rows.booked(rid, patient_id, at(start), **more)


def plan_of(scenario: Any, rows: list[Appointment], now: str, **more: Any) -> MessagePlan:
    return message_plan(scenario, Schedule(appointments=rows), at(now), **more)


def sent(plan: MessagePlan) -> list[tuple[str, str]]:
    """(message id, send time as ISO text) of each message, in the plan's order."""
    return [
        (m, t.isoformat())
        for m, t in zip(plan.messages.message_id, plan.messages.send_at, strict=True)
    ]


def reasons(plan: MessagePlan) -> dict[str, str]:
    return dict(zip(plan.skipped.message_id, plan.skipped.reason, strict=True))


def reminder(name: str, template: str | None = "See you {{ start }}", **timing: Any) -> Any:
    return {"name": name, **timing, **({"template": template} if template else {})}


CONFIRM = reminder("confirm", "Hi {{ first_name }}: {{ service }} {{ start }}", on_booking=True)


def test_a_confirmation_goes_at_now_to_what_this_run_booked_and_not_to_earlier_bookings() -> None:
    scenario = clinic([CONFIRM])
    rows = [booked("r1", "2026-11-03T10:00"), booked("b1", "2026-11-03T11:00", kind="booking")]
    plan = plan_of(scenario, rows, "2026-10-30T12:00")
    assert sent(plan) == [("r1:confirmation:confirm", "2026-10-30T12:00:00-04:00")]
    assert plan.messages.text.tolist() == ["Hi Maya: Botox Tue 3 Nov at 10:00"]
    assert list(plan.messages.columns) == MESSAGE_COLUMNS
    assert list(plan.skipped.columns) == SKIPPED_COLUMNS and plan.skipped.empty


def test_hours_before_counts_absolute_hours_across_the_clocks_going_back() -> None:
    # Tue 3 Nov 10:00 EST is 15:00 UTC. 72 h earlier is Sat 31 Oct 15:00 UTC, still EDT
    # (UTC-4): 11:00 local, not the 10:00 a wall-clock subtraction gives. 48 h earlier is
    # Sun 1 Nov 15:00 UTC, after the change at 06:00 UTC: 10:00 EST.
    scenario = clinic([reminder("three", hours_before=72), reminder("two", hours_before=48)])
    plan = plan_of(scenario, [booked("r1", "2026-11-03T10:00")], "2026-10-30T12:00")
    assert sent(plan) == [
        ("r1:reminder:three", "2026-10-31T11:00:00-04:00"),
        ("r1:reminder:two", "2026-11-01T10:00:00-05:00"),
    ]


def test_days_before_at_keeps_the_wall_clock_across_the_change() -> None:
    scenario = clinic([reminder("email", days_before=3, at="09:00", channel="email")])
    plan = plan_of(scenario, [booked("r1", "2026-11-03T10:00")], "2026-10-30T12:00")
    assert sent(plan) == [("r1:reminder:email", "2026-10-31T09:00:00-04:00")]
    assert plan.messages.channel.tolist() == ["email"]


def test_a_reminder_in_overnight_quiet_hours_goes_before_them_or_else_after_them() -> None:
    scenario = clinic([reminder("early", hours_before=2)], quiet_hours="21:00-08:00")
    rows = [booked("r1", "2026-11-03T09:00")]  # due 07:00, in the quiet hours
    before = plan_of(scenario, rows, "2026-11-02T12:00")
    assert sent(before) == [("r1:reminder:early", "2026-11-02T20:59:00-05:00")]
    booked_late = plan_of(scenario, rows, "2026-11-02T22:00")  # 20:59 is past: at the end
    assert sent(booked_late) == [("r1:reminder:early", "2026-11-03T08:00:00-05:00")]
    at_eight = plan_of(scenario, [booked("r2", "2026-11-03T08:00")], "2026-11-02T22:00")
    assert at_eight.messages.empty
    assert reasons(at_eight) == {"r2:reminder:early": "quiet hours last until the appointment"}


def test_quiet_hours_all_day_leave_no_time() -> None:
    scenario = clinic([CONFIRM], quiet_hours="00:00-24:00")
    plan = plan_of(scenario, [booked("r1", "2026-11-03T10:00")], "2026-11-02T12:00")
    assert reasons(plan) == {"r1:confirmation:confirm": "quiet hours last until the appointment"}


def test_a_confirmation_booked_in_quiet_hours_waits_for_their_end() -> None:
    scenario = clinic([CONFIRM], quiet_hours="21:00-08:00")
    plan = plan_of(scenario, [booked("r1", "2026-11-03T10:00")], "2026-11-02T23:30")
    assert sent(plan) == [("r1:confirmation:confirm", "2026-11-03T08:00:00-05:00")]


def test_a_booking_made_closer_than_the_reminder_lead_skips_it() -> None:
    scenario = clinic([reminder("two_days", hours_before=48), reminder("soon", hours_before=2)])
    rows = [booked("r1", "2026-11-03T10:00"), booked("b1", "2026-11-03T11:00", kind="booking")]
    plan = plan_of(scenario, rows, "2026-11-02T12:00")
    assert sent(plan) == [
        ("r1:reminder:soon", "2026-11-03T08:00:00-05:00"),
        ("b1:reminder:soon", "2026-11-03T09:00:00-05:00"),
    ]
    assert reasons(plan) == {
        "r1:reminder:two_days": "booked after this reminder's time",
        "b1:reminder:two_days": "due before now",  # an earlier plan sent it
    }


def test_a_conditional_reminder_is_suppressed_by_a_confirmation() -> None:
    scenario = clinic([reminder("confirm?", hours_before=24, only_if_unconfirmed=True)])
    rows = [booked("r1", "2026-11-03T10:00", confirmed=True), booked("r2", "2026-11-03T11:00")]
    plan = plan_of(scenario, rows, "2026-10-30T12:00")
    assert sent(plan) == [("r2:reminder:confirm?", "2026-11-02T11:00:00-05:00")]
    assert plan.messages.only_if_unconfirmed.tolist() == [True]
    assert reasons(plan) == {"r1:reminder:confirm?": "confirmed already"}


def test_a_channel_the_patient_opted_out_of_or_has_no_contact_for_is_skipped() -> None:
    scenario = clinic([CONFIRM, reminder("mail", hours_before=24, channel="email")])
    rows = [booked(f"r{p}", "2026-11-03T10:00", f"p{p}") for p in (1, 2, 3)]
    plan = plan_of(scenario, rows, "2026-10-30T12:00")
    assert sorted(plan.messages.message_id) == [
        "r1:confirmation:confirm",
        "r1:reminder:mail",  # no contacts written: the clinic's system holds them
        "r2:reminder:mail",
        "r3:reminder:mail",
    ]
    assert reasons(plan) == {
        "r2:confirmation:confirm": "no phone on file",
        "r3:confirmation:confirm": "opted out of sms",
    }


def test_a_reminder_without_template_or_timing_before_the_start_is_skipped() -> None:
    scenario = clinic(
        [reminder("blank", None, hours_before=24), reminder("late", days_before=0, at="11:00")]
    )
    plan = plan_of(scenario, [booked("r1", "2026-11-03T10:00")], "2026-10-30T12:00")
    assert plan.messages.empty
    assert reasons(plan) == {
        "r1:reminder:blank": "no template",
        "r1:reminder:late": "due at or after the appointment's start",
    }


NOTICES = {
    "moved": "{{ service }} moved from {{ old_start }} to {{ start }}",
    "cancelled": "Sorry {{ first_name }}, {{ start }} is cancelled; call {{ clinic_phone }}",
    "waitlist_offer": "{{ start }} is free: reply by {{ reply_by }}",
    "deposit_request": {"template": "Pay {{ deposit }} by {{ pay_by }}", "channel": "email"},
}


def test_a_replans_changes_give_moved_cancelled_waitlist_and_confirmation_messages() -> None:
    scenario = clinic([CONFIRM], notices=NOTICES)
    was = {"from_start": "2026-11-03T09:00:00-05:00", "from_provider": "rn", "from_room": "inj1"}
    # the re-plan at 11:00 wrote the offers' reply-by times on their rows (solver/replan/offers.py,
    # 90 minutes' window): 12:30, and the 12:00 start for the tight one
    rows = [
        booked("moved", "2026-11-03T14:00"),
        booked("room", "2026-11-03T15:00"),
        booked("offer", "2026-11-03T13:00", reply_by=at("2026-11-03T12:30")),
        booked("tight", "2026-11-03T12:00", reply_by=at("2026-11-03T12:00")),
        booked("new", "2026-11-03T16:00"),
    ]
    changes = [
        change("moved", "moved", **was),
        change("room_changed", "room", **was),
        change("booked_from_waitlist", "offer"),
        change("booked_from_waitlist", "tight"),
        change("booked_new_request", "new"),
        change("escalated", "gone", **(was | {"from_start": "2026-11-03T11:00:00-05:00"})),
        change("cancelled", "own", **was),  # the patient's own cancellation: no notice
    ]
    plan = plan_of(scenario, rows, "2026-11-03T11:00", changes=changes)
    messages = plan.messages.set_index("message_id")
    assert sorted(messages.index) == [
        "moved:moved:moved",
        "new:confirmation:confirm",
        "offer:waitlist_offer:waitlist_offer",
        "tight:waitlist_offer:waitlist_offer",
    ]
    assert set(messages.send_at.map(pd.Timestamp.isoformat)) == {"2026-11-03T11:00:00-05:00"}
    assert (
        messages.text["moved:moved:moved"]
        == "Botox moved from Tue 3 Nov at 09:00 to Tue 3 Nov at 14:00"
    )
    assert messages.text["offer:waitlist_offer:waitlist_offer"] == (
        "Tue 3 Nov at 13:00 is free: reply by Tue 3 Nov at 12:30"
    )
    assert messages.reply_by["offer:waitlist_offer:waitlist_offer"].isoformat() == (
        "2026-11-03T12:30:00-05:00"
    )
    assert messages.reply_by["tight:waitlist_offer:waitlist_offer"].isoformat() == (
        "2026-11-03T12:00:00-05:00"
    )
    assert pd.isna(messages.reply_by["new:confirmation:confirm"])
    assert plan.skipped.empty  # "gone" was due at 11:00, now: nothing is said about the past


def test_a_clinic_cancellation_or_an_expired_hold_tells_the_old_time_and_the_phone() -> None:
    scenario = clinic([], notices=NOTICES)
    was = {"from_start": "2026-11-03T15:00:00-05:00", "from_provider": "rn", "from_room": "inj1"}
    changes = [
        change("escalated", "gone", **was),
        change("hold_expired", "unpaid", **(was | {"from_start": "2026-11-03T16:00:00-05:00"})),
        change("declined", "no_thanks", **was),  # the patient's own answer: no notice
    ]
    plan = plan_of(scenario, [], "2026-11-03T11:00", changes=changes)
    assert plan.messages.message_id.tolist() == [
        "gone:cancelled:cancelled",
        "unpaid:cancelled:cancelled",
    ]
    assert plan.messages.text.tolist() == [
        "Sorry Maya, Tue 3 Nov at 15:00 is cancelled; call 555 0100",
        "Sorry Maya, Tue 3 Nov at 16:00 is cancelled; call 555 0100",
    ]


def test_a_held_appointment_gets_a_deposit_request_with_its_pay_by_time() -> None:
    scenario = clinic([], notices=NOTICES, deposit_holds=True)
    rows = [
        booked("held", "2026-11-03T10:00", pay_by=at("2026-11-01T10:00")),
        booked("gone", "2026-11-03T11:00", pay_by=at("2026-10-30T11:00")),
        booked("old", "2026-11-03T12:00", pay_by=at("2026-11-01T12:00"), kind="booking"),
    ]
    plan = plan_of(scenario, rows, "2026-10-30T12:00")
    assert sent(plan) == [("held:deposit_request:deposit_request", "2026-10-30T12:00:00-04:00")]
    assert plan.messages.channel.tolist() == ["email"]
    assert plan.messages.text.tolist() == ["Pay $100.00 by Sun 1 Nov at 10:00"]
    assert reasons(plan) == {"gone:deposit_request:deposit_request": "the pay-by time has passed"}


def test_an_offer_goes_only_while_its_reply_by_time_is_ahead() -> None:
    scenario = clinic([], notices=NOTICES)
    rows = [
        booked("open", "2026-11-03T13:00", reply_by=at("2026-11-03T12:00")),
        booked("late", "2026-11-03T14:00", reply_by=at("2026-11-03T11:00")),
        booked("bare", "2026-11-03T15:00"),  # a schedule.csv without its reply_by
    ]
    changes = [change("booked_from_waitlist", row.request_id) for row in rows]
    plan = plan_of(scenario, rows, "2026-11-03T11:00", changes=changes)
    assert sent(plan) == [("open:waitlist_offer:waitlist_offer", "2026-11-03T11:00:00-05:00")]
    assert plan.messages.text.tolist() == [
        "Tue 3 Nov at 13:00 is free: reply by Tue 3 Nov at 12:00"
    ]
    assert reasons(plan) == {
        "late:waitlist_offer:waitlist_offer": "the reply-by time has passed",
        "bare:waitlist_offer:waitlist_offer": "no reply-by time in the schedule",
    }


def test_a_missing_notice_or_a_failing_template_is_skipped_not_a_crash() -> None:
    scenario = clinic([reminder("odd", "{{ start.nope }}", hours_before=2)])
    changes = [change("booked_from_waitlist", "r1")]
    plan = plan_of(
        scenario, [booked("r1", "2026-11-03T10:00")], "2026-10-30T12:00", changes=changes
    )
    assert plan.messages.empty
    assert reasons(plan) == {
        "r1:reminder:odd": "the template cannot be rendered (medspa audit says why)",
        "r1:waitlist_offer:waitlist_offer": "no waitlist_offer template in policies.notices",
    }


def test_nothing_goes_for_an_appointment_already_started() -> None:
    scenario = clinic([CONFIRM, reminder("soon", hours_before=1)])
    plan = plan_of(scenario, [booked("r1", "2026-11-03T10:00")], "2026-11-03T10:00")
    assert plan.messages.empty and plan.skipped.empty


def test_a_reminder_due_after_the_start_is_not_pulled_before_it_by_quiet_hours() -> None:
    # due at 20:00, in the 17:00-08:00 quiet hours: 16:59 is before the 17:30 start, but the
    # reminder was never meant to go before it
    scenario = clinic([reminder("tonight", days_before=0, at="20:00")], quiet_hours="17:00-08:00")
    plan = plan_of(scenario, [booked("r1", "2026-11-03T17:30")], "2026-11-02T12:00")
    assert plan.messages.empty
    assert reasons(plan) == {"r1:reminder:tonight": "due at or after the appointment's start"}


def test_a_blank_notice_or_a_text_that_renders_blank_is_not_sent() -> None:
    scenario = clinic(
        [reminder("odd", "{% if provider == 'Dr. Who' %}See you{% endif %}", hours_before=2)],
        notices={"moved": "  \n "},
    )
    was = {"from_start": "2026-11-03T09:00:00-05:00", "from_provider": "rn", "from_room": "inj1"}
    rows = [booked("r1", "2026-11-03T10:00")]
    plan = plan_of(scenario, rows, "2026-10-30T12:00", changes=[change("moved", "r1", **was)])
    assert plan.messages.empty
    assert reasons(plan) == {
        "r1:reminder:odd": "withdrawn: the appointment moved; the text would be blank",
        "r1:moved:moved": "no moved template in policies.notices",
    }


def test_a_text_longer_than_its_channel_holds_is_not_sent() -> None:
    # "See you Tue 3 Nov at 10:00" is 26 characters; "Hi Maya" 7
    scenario = clinic(
        [
            reminder("text", hours_before=2),
            reminder("mail", hours_before=3, channel="email"),
            reminder("short", "Hi {{ first_name }}", hours_before=4),
        ],
        message_lengths={"sms": 25, "email": 26},
    )
    plan = plan_of(scenario, [booked("r1", "2026-11-03T10:00")], "2026-10-30T12:00")
    assert sorted(plan.messages.message_id) == ["r1:reminder:mail", "r1:reminder:short"]
    assert reasons(plan) == {"r1:reminder:text": "longer than the 25 characters an sms may hold"}


def test_a_replan_withdraws_the_reminders_of_what_it_moved_or_took_off_the_calendar() -> None:
    scenario = clinic([reminder("day", hours_before=2), reminder("eve", days_before=1, at="18:00")])
    rows = [booked("moved", "2026-11-03T14:00"), booked("room", "2026-11-03T15:00")]
    changes = [
        change("moved", "moved", from_start="2026-11-03T11:00:00-05:00"),
        change("cancelled", "gone", from_start="2026-11-03T16:00:00-05:00"),
        change("escalated", "lost", from_start="2026-11-03T17:00:00-05:00"),
        change("cancelled", "past", from_start="2026-11-03T08:00:00-05:00"),  # its reminders went
        change("room_changed", "room", from_start="2026-11-03T15:00:00-05:00"),
    ]
    plan = plan_of(scenario, rows, "2026-11-03T09:00", changes=changes)
    # the moved appointment's 2-hours-before reminder keeps its id at its new time
    assert sent(plan) == [
        ("moved:reminder:day", "2026-11-03T12:00:00-05:00"),
        ("room:reminder:day", "2026-11-03T13:00:00-05:00"),
    ]
    off = "withdrawn: the appointment is no longer on the calendar"
    assert reasons(plan) == {
        "moved:moved:moved": "no moved template in policies.notices",
        "moved:reminder:eve": "withdrawn: the appointment moved",  # was "due before now"
        "gone:reminder:day": off,
        "gone:reminder:eve": off,
        "lost:cancelled:cancelled": "no cancelled template in policies.notices",
        "lost:reminder:day": off,
        "lost:reminder:eve": off,
        "room:reminder:eve": "due before now",
    }


def test_a_solve_that_moves_an_existing_booking_tells_the_patient_the_old_and_new_time() -> None:
    data = clinic([], notices=NOTICES).model_dump(mode="json")
    data["bookings"] = [
        {"id": "b1", "patient": "p1", "service": "botox", "provider": "rn", "room": "inj1"}
        | {"start": "2026-11-03T10:00", "locked": False},
        {"id": "b2", "patient": "p2", "service": "botox", "provider": "rn", "room": "inj1"}
        | {"start": "2026-11-03T15:00"},
    ]
    rows = [booked("b1", "2026-11-03T14:00", kind="booking", moved=True)]
    rows.append(booked("b2", "2026-11-03T15:00", "p2", kind="booking"))
    plan = plan_of(build(data), rows, "2026-11-02T12:00")
    assert plan.messages.message_id.tolist() == ["b1:moved:moved"]  # b2 stayed: nothing to say
    assert plan.messages.text.tolist() == [
        "Botox moved from Tue 3 Nov at 10:00 to Tue 3 Nov at 14:00"
    ]
