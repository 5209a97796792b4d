"""Deposit holds (policies.deposit_holds): a request with its deposit unpaid is booked held,
its pay_by the deposit deadline before its start in real hours (a DST change in between
counts); too soon for that, it is escalated deposit_due_too_soon; the checker re-derives the
hold; a re-plan releases a hold unpaid by its pay_by (hold_expired, the waitlist fills the
time) and a deposit_paid event keeps it, no longer held. Without deposit_holds nothing changes.

Every pay_by below is computed by hand: Chicago is UTC-6 in winter (CST) and UTC-5 in summer
(CDT); clocks go forward on Sun 2026-03-08 at 02:00 and back on Sun 2026-11-01 at 02:00.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from checker import check_schedule
from models.events import DepositPaid, ProviderOut, Reschedule
from models.reason_codes import SUGGESTED_ACTIONS
from models.results import Schedule
from models.scenario import Scenario
from models.times import ClinicClock
from solver.cli import app
from solver.eligibility import eligibility
from solver.explain import story
from solver.facts import ClinicFacts
from solver.holds import earliest_held_start, pay_by
from solver.outputs.kpis import kpis
from solver.replan.events import EventError, apply_events
from solver.replan.reshuffle import ReshuffleResult, reshuffle
from solver.replan.state import state_scenario
from solver.slots import call_request, open_call, ranked
from solver.slots.take import take
from solver.solve import solve
from tests.conftest import EVERY_DAY, build, clinic_data, provider, request, service, week

FAST: dict[str, Any] = {"time_limit": 1.0, "num_workers": 1, "deterministic": True}


def _chicago(first_day: str, days: int) -> ClinicClock:
    return ClinicClock("America/Chicago", datetime.fromisoformat(first_day).date(), days)


def test_pay_by_counts_real_hours_across_the_spring_change() -> None:
    clock = _chicago("2026-03-06", 5)
    monday_ten = 3 * 1440 + 600  # Mon 2026-03-09 10:00 CDT = 15:00 UTC
    assert pay_by(clock, monday_ten, 48).isoformat() == "2026-03-07T09:00:00-06:00"
    assert pay_by(clock, monday_ten, 0).isoformat() == "2026-03-09T10:00:00-05:00"


def test_the_earliest_held_start_counts_real_hours_across_both_changes() -> None:
    spring = _chicago("2026-03-07", 3)
    # Sat 10:00 CST (16:00 UTC) + 24 h = Sun 16:00 UTC = 11:00 CDT, not 10:00
    assert earliest_held_start(spring, 600, 24) == 1440 + 660
    autumn = _chicago("2026-10-31", 3)
    # Sat 10:00 CDT (15:00 UTC) + 24 h = Sun 15:00 UTC = 09:00 CST, not 10:00
    assert earliest_held_start(autumn, 600, 24) == 1440 + 540
    # Sat 02:30 CDT (07:30 UTC) + 24 h = Sun 01:30 CST, the repeated hour's second pass: the
    # clinic's 01:30 is the first pass (06:30 UTC), too early; 02:00 CST (08:00 UTC) is not
    assert earliest_held_start(autumn, 150, 24) == 1440 + 120


def _spring(holds: bool = True, latest: str = "2026-03-09", **policies: Any) -> Scenario:
    """Fri 2026-03-06 to Tue 2026-03-10 in Chicago; rn works Friday, and Monday 10:00-10:30
    only; p1 asks for botox ($50 deposit, unpaid, no card) from Friday to `latest`."""
    return build(
        clinic={
            "horizon": {"start": "2026-03-06", "days": 5},
            "hours": week(EVERY_DAY, "09:00-17:00"),
        },
        policies={"deposit_holds": holds, **policies},
        services=[service("botox", deposit=50)],
        providers=[provider("rn", ["botox"], {"fri": "09:00-17:00", "mon": "10:00-10:30"})],
        requests=[request("r1", "p1", "botox", earliest="2026-03-06", latest=latest)],
    )


def test_a_solve_books_the_unpaid_request_held_with_its_pay_by_across_the_dst_change() -> None:
    scenario = _spring()
    result = solve(scenario, **FAST)
    (row,) = result.schedule.appointments
    # booked at the horizon's start, Fri 00:00 CST: 48 h later is Sun 00:00, so not Friday
    assert (row.status, row.start.isoformat()) == ("booked", "2026-03-09T10:00:00-05:00")
    assert row.held and row.pay_by.isoformat() == "2026-03-07T09:00:00-06:00"
    assert check_schedule(scenario, result.schedule) == []
    assert result.exceptions == []
    assert kpis(result)["held"] == 1
    assert story(scenario, result.schedule, "r1") == [
        "r1: patient p1, botox: booked Mon 2026-03-09 10:00 with rn in inj1, held until the "
        "deposit is paid, by Sat 2026-03-07 09:00"
    ]


def test_without_holds_the_unpaid_request_is_escalated_as_before() -> None:
    result = solve(_spring(holds=False), **FAST)
    (row,) = result.schedule.appointments
    assert (row.status, row.reason, row.pay_by) == ("escalated", "deposit_unpaid", None)
    assert kpis(result)["held"] == 0
    (item,) = result.exceptions
    assert item.detail == "deposit of $50.00 not paid and no card on file"
    assert item.suggested_action == "collect the deposit, then book"


def test_a_paid_deposit_is_booked_without_a_hold() -> None:
    data = clinic_data(
        policies={"deposit_holds": True},
        services=[service("botox", deposit=50)],
        requests=[request("r1", "p1", "botox", deposit_paid=True)],
    )
    scenario = build(data)
    result = solve(scenario, **FAST)
    (row,) = result.schedule.appointments
    assert (row.status, row.pay_by) == ("booked", None)
    assert row.start.isoformat() == "2026-12-07T09:00:00-06:00"  # the same day: not held


def test_a_request_sooner_than_the_deadline_is_escalated_deposit_due_too_soon() -> None:
    result = solve(_spring(latest="2026-03-07"), **FAST)
    (row,) = result.schedule.appointments
    assert (row.status, row.reason) == ("escalated", "deposit_due_too_soon")
    (item,) = result.exceptions
    assert item.detail == (
        "deposit of $50.00 not paid and no card on file; held, it would be sooner than the "
        "48-hour deposit deadline: every start of its window is before Sun 2026-03-08 00:00"
    )
    assert item.suggested_action == SUGGESTED_ACTIONS["deposit_due_too_soon"]
    assert item.suggested_action == "collect the deposit, then book"


def test_a_re_plan_holds_from_its_now_on_the_grid() -> None:
    scenario = build(
        clinic={
            "slot_minutes": 15,
            "horizon": {"start": "2026-12-07", "days": 2},
            "hours": week(("mon", "tue"), "09:00-17:00"),
        },
        policies={"deposit_holds": True, "deposit_deadline_hours": 24},
        services=[service("botox", deposit=50)],
        providers=[provider("rn", ["botox"], week(("mon", "tue"), "09:00-17:00"))],
        requests=[request("r1", "p1", "botox", latest="2026-12-08")],
    )
    (job,) = eligibility(ClinicFacts(scenario, not_before=610)).jobs  # now: Mon 10:10
    # held from Tue 10:10, the first start on the 15-minute grid 10:15; the last 16:30
    assert job.held
    assert [(c.day, c.starts) for c in job.candidates] == [(1, [(1440 + 615, 1440 + 990)])]
    (plain,) = eligibility(ClinicFacts(scenario)).jobs  # a solve: held from Tue 00:00
    assert [(c.day, c.starts) for c in plain.candidates] == [(1, [(1440 + 540, 1440 + 990)])]


def test_another_reason_comes_first_when_the_window_has_no_time_at_all() -> None:
    scenario = _spring(latest="2026-03-07")
    data = scenario.model_dump(mode="json")
    data["providers"][0]["weekly"] = {"mon": "10:00-10:30"}
    result = solve(build(data), **FAST)
    assert result.schedule.appointments[0].reason == "provider_not_working"


# --- the checker ------------------------------------------------------------------------


def _codes(scenario: Scenario, schedule: Schedule) -> list[tuple[str, str]]:
    return [(f.code, f.where) for f in check_schedule(scenario, schedule)]


def test_the_checker_rejects_a_tampered_pay_by_and_a_hold_with_holds_off() -> None:
    scenario = _spring()
    schedule = solve(scenario, **FAST).schedule
    row = schedule.appointments[0]
    wall_clock = row.pay_by.replace(tzinfo=None) + timedelta(hours=1)  # naive 48 wall hours
    row.pay_by = wall_clock.replace(tzinfo=row.pay_by.tzinfo)
    (finding,) = check_schedule(scenario, schedule)
    assert (finding.code, finding.where) == ("wrong_pay_by", "r1")
    assert "at 2026-03-07T09:00:00-06:00" in finding.message
    row.pay_by = datetime.fromisoformat("2026-03-07T09:00:00-06:00")
    assert check_schedule(scenario, schedule) == []
    (finding,) = check_schedule(_spring(holds=False), schedule)
    assert finding.code == "hold_not_allowed"
    assert "policies.deposit_holds is off" in finding.message
    row.pay_by = None
    (finding,) = check_schedule(scenario, schedule)
    assert finding.code == "hold_missing"
    assert "write pay_by 2026-03-07T09:00:00-06:00" in finding.message
    assert _codes(_spring(holds=False), schedule) == [("deposit_missing", "r1")]


def test_the_checker_rejects_a_pay_by_where_nothing_is_held() -> None:
    data = _spring().model_dump(mode="json")
    data["requests"][0]["deposit_paid"] = True
    paid = build(data)
    schedule = solve(paid, **FAST).schedule
    row = schedule.appointments[0]
    assert row.pay_by is None and check_schedule(paid, schedule) == []
    row.pay_by = datetime.fromisoformat("2026-03-07T09:00:00-06:00")
    assert _codes(paid, schedule) == [("hold_not_needed", "r1")]
    row.status, row.reason, row.provider_id = "unscheduled", "provider_full", None
    row.room_id, row.start, row.end = None, None, None
    assert _codes(paid, schedule) == [("hold_not_needed", "r1")]


def test_the_checker_rejects_a_hold_due_before_the_schedule_begins() -> None:
    schedule = solve(_spring(), **FAST).schedule
    longer = _spring(deposit_deadline_hours=96)
    row = schedule.appointments[0]
    row.pay_by = datetime.fromisoformat("2026-03-05T09:00:00-06:00")  # Mon 15:00 UTC - 96 h
    (finding,) = check_schedule(longer, schedule)
    assert (finding.code, finding.where) == ("hold_too_soon", "r1")
    assert "before the schedule's first day begins (2026-03-06T00:00:00-06:00)" in finding.message
    # the solver agrees: Fri 00:00 CST (06:00 UTC) + 96 h is Tue 06:00 UTC, 01:00 CDT
    (item,) = solve(longer, **FAST).exceptions
    assert item.reason_code == "deposit_due_too_soon"
    assert item.detail.endswith("before Tue 2026-03-10 01:00")


def test_a_booking_row_keeps_the_pay_by_of_its_booking() -> None:
    data = _spring().model_dump(mode="json")
    data["requests"] = []
    data["bookings"] = [
        {
            "id": "b1",
            "patient": "p1",
            "service": "botox",
            "provider": "rn",
            "room": "inj1",
            "start": "2026-03-09T10:00",
            "pay_by": "2026-03-07T10:00",  # written by hand: not re-derived
        }
    ]
    scenario = build(data)
    schedule = solve(scenario, **FAST).schedule
    (row,) = schedule.appointments
    assert row.pay_by.isoformat() == "2026-03-07T10:00:00-06:00"
    assert check_schedule(scenario, schedule) == []
    row.pay_by = None
    assert _codes(scenario, schedule) == [("hold_changed", "b1")]


def _autumn(**data: Any) -> Scenario:
    """Fri 2026-10-30 to Tue 2026-11-03 in Chicago (clocks go back on Sun 11-01 at 02:00, so
    01:00-01:59 happens twice: CDT, then CST); rn works Mon 14:00-14:45; a 37-hour deadline."""
    return build(
        clinic={
            "horizon": {"start": "2026-10-30", "days": 5},
            "hours": week(EVERY_DAY, "09:00-17:00"),
        },
        policies={"deposit_holds": True, "deposit_deadline_hours": 37},
        services=[service("botox", deposit=50)],
        providers=[provider("rn", ["botox"], {"mon": "14:00-14:45"})],
        **data,
    )


def test_a_pay_by_in_the_hour_the_clocks_repeat_keeps_its_offset_and_passes_the_checker() -> None:
    scenario = _autumn(requests=[request("r1", "p1", "botox", "2026-10-30", "2026-11-03")])
    schedule = solve(scenario, **FAST).schedule
    (row,) = schedule.appointments
    # Mon 14:00 CST = 20:00 UTC; 37 h before is Sun 07:00 UTC = 01:00 CST, the second 01:00
    assert row.start.isoformat() == "2026-11-02T14:00:00-06:00"
    assert row.pay_by.isoformat() == "2026-11-01T01:00:00-06:00"
    assert check_schedule(scenario, schedule) == []


def test_a_booking_held_until_the_repeated_hour_keeps_that_moment_through_solve_and_re_plan() -> (
    None
):
    booking = {"id": "b1", "patient": "p1", "service": "botox", "provider": "rn"}
    booking |= {"room": "inj1", "start": "2026-11-02T14:00", "pay_by": "2026-11-01T01:40-06:00"}
    scenario = _autumn(bookings=[booking])
    schedule = solve(scenario, **FAST).schedule
    (row,) = schedule.appointments
    assert row.pay_by.isoformat() == "2026-11-01T01:40:00-06:00"  # 07:40 UTC, not 06:40
    assert check_schedule(scenario, schedule) == []
    now = datetime(2026, 10, 31, 12, 0, tzinfo=ZoneInfo("America/Chicago"))
    (held,) = state_scenario(apply_events(scenario, schedule, [], now)).bookings
    assert held.pay_by == datetime(2026, 11, 1, 7, 40, tzinfo=ZoneInfo("UTC"))


# --- the re-plan ------------------------------------------------------------------------


def _week_data() -> dict[str, Any]:
    """Mon 2026-12-07 to Thu 2026-12-10 in Chicago (CST all week). rn works Monday, and
    Wednesday and Thursday 10:00-10:30 only. p1's botox ($50 deposit, unpaid) is wanted on
    Wednesday with priority 5, so it takes Wednesday's one slot, held: 48 h before Wed 10:00
    is Mon 10:00. p2 (deposit paid) waits for Wednesday on the waitlist."""
    return clinic_data(
        clinic={
            "horizon": {"start": "2026-12-07", "days": 4},
            "hours": week(("mon", "tue", "wed", "thu"), "09:00-17:00"),
        },
        policies={"deposit_holds": True, "same_day_owner": "front desk"},
        services=[service("botox", deposit=50)],
        providers=[
            provider(
                "rn",
                ["botox"],
                {"mon": "09:00-17:00", "wed": "10:00-10:30", "thu": "10:00-10:30"},
            )
        ],
        requests=[
            request("r1", "p1", "botox", earliest="2026-12-09", priority=5),
            request(
                "w1", "p2", "botox", earliest="2026-12-09", deposit_paid=True, source="waitlist"
            ),
        ],
    )


@pytest.fixture(scope="module")
def night() -> tuple[Scenario, Schedule]:
    """The week's scenario and its solved schedule: r1 held on Wednesday, w1 waiting."""
    scenario = build(_week_data())
    schedule = solve(scenario, **FAST).schedule
    rows = {row.request_id: row for row in schedule.appointments}
    assert rows["r1"].start.isoformat() == "2026-12-09T10:00:00-06:00"
    assert rows["r1"].pay_by.isoformat() == "2026-12-07T10:00:00-06:00"
    assert (rows["w1"].status, rows["w1"].reason) == ("unscheduled", "provider_full")
    return scenario, schedule


def _replan(night: tuple[Scenario, Schedule], now: str, *events: Any) -> ReshuffleResult:
    scenario, schedule = night
    return reshuffle(scenario, schedule, list(events), datetime.fromisoformat(now), **FAST)


def _rows(result: ReshuffleResult) -> dict[str, tuple[str, str, str]]:
    return {
        row.request_id: (row.status, row.reason, row.start.isoformat() if row.start else "")
        for row in result.schedule.appointments
    }


def test_a_re_plan_after_the_pay_by_releases_the_hold_and_fills_it_from_the_waitlist(
    night: tuple[Scenario, Schedule],
) -> None:
    result = _replan(night, "2026-12-07T10:00")  # pay_by is 10:00: unpaid by then
    assert _rows(result) == {
        "r1": ("unscheduled", "hold_expired", ""),
        "w1": ("booked", "", "2026-12-09T10:00:00-06:00"),
    }
    expired, filled = result.changes
    assert (expired.change, expired.request_id, expired.owner) == (
        "hold_expired",
        "r1",
        "front desk",
    )
    assert (expired.call_patient, expired.late_fee_applies, expired.note) == (False, False, "")
    assert expired.from_start == "2026-12-09T10:00:00-06:00" and expired.to_start == ""
    assert (filled.change, filled.request_id, filled.call_patient) == (
        "booked_from_waitlist",
        "w1",
        True,
    )
    assert result.exceptions == []  # on the change list, not the exception queue
    assert result.state.bookings[0].status == "hold_expired"
    assert check_schedule(result.state, result.schedule) == []


def test_a_re_plan_before_the_pay_by_keeps_the_hold(night: tuple[Scenario, Schedule]) -> None:
    result = _replan(night, "2026-12-07T09:55")
    assert result.changes == []
    (held,) = result.state.bookings
    assert held.pay_by == datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
    assert result.schedule.appointments[0].pay_by == night[1].appointments[0].pay_by
    assert check_schedule(result.state, result.schedule) == []


def test_a_deposit_paid_event_keeps_the_booking_and_clears_its_pay_by(
    night: tuple[Scenario, Schedule],
) -> None:
    result = _replan(night, "2026-12-07T10:00", DepositPaid(booking="r1"))
    assert _rows(result)["r1"] == ("booked", "", "2026-12-09T10:00:00-06:00")
    assert result.schedule.appointments[0].pay_by is None
    (kept,) = result.state.bookings
    assert kept.pay_by is None and kept.status == "confirmed"
    assert result.changes == []
    assert check_schedule(result.state, result.schedule) == []
    with pytest.raises(EventError, match="deposit_paid: 'w1' is not booked"):
        _replan(night, "2026-12-07T10:00", DepositPaid(booking="w1"))
    again = reshuffle(
        result.state, result.schedule, [DepositPaid(booking="r1")], datetime(2026, 12, 7, 11)
    )  # paid twice: not held any more, nothing changes
    assert again.changes == [] and again.schedule.appointments[0].pay_by is None


def test_a_held_booking_asked_to_move_is_held_again_from_its_new_time(
    night: tuple[Scenario, Schedule],
) -> None:
    move = Reschedule(booking="r1", earliest="2026-12-10", latest="2026-12-10")
    result = _replan(night, "2026-12-07T08:00", move)
    (row,) = [r for r in result.schedule.appointments if r.request_id == "r1"]
    assert row.start.isoformat() == "2026-12-10T10:00:00-06:00"
    assert row.pay_by.isoformat() == "2026-12-08T10:00:00-06:00"
    assert [c.change for c in result.changes] == ["rescheduled", "booked_from_waitlist"]
    assert check_schedule(result.state, result.schedule) == []


def test_only_a_re_plan_releases_a_hold_and_never_one_under_way(
    night: tuple[Scenario, Schedule],
) -> None:
    scenario, schedule = night
    monday = datetime(2026, 12, 7, 11)
    assert apply_events(scenario, schedule, [], monday).released == {}  # a phone call's view
    released = apply_events(scenario, schedule, [], monday, expire=True).released
    assert released == {"r1": "hold_expired"}
    begun = datetime(2026, 12, 9, 10, 10)  # r1 began at 10:00, unpaid: it stays
    assert apply_events(scenario, schedule, [], begun, expire=True).released == {}


def test_a_displaced_hold_stays_unpaid_unless_the_deposit_is_paid(
    night: tuple[Scenario, Schedule],
) -> None:
    scenario, schedule = night
    away = ProviderOut.model_validate(
        {"provider": "rn", "from": "2026-12-09T10:00", "to": "2026-12-09T10:30"}
    )
    for events, paid in (([away], False), ([away, DepositPaid(booking="r1")], True)):
        day = apply_events(scenario, schedule, events, datetime(2026, 12, 7, 8))
        assert day.displaced == {"r1"}
        (displaced,) = [r for r in state_scenario(day).requests if r.id == "r1"]
        assert (displaced.source, displaced.deposit_paid) == ("reschedule", paid)


def test_a_phone_call_books_a_held_option_with_its_pay_by(
    night: tuple[Scenario, Schedule],
) -> None:
    scenario, schedule = night
    asked = call_request(scenario, schedule, "p2", "botox")
    nine = datetime(2026, 12, 7, 9, tzinfo=ZoneInfo("America/Chicago"))
    call = open_call(scenario, schedule, asked, nine)
    # held from Wed 09:00: Monday is too soon, Wednesday's slot is r1's, Thursday's is free
    (option,) = ranked(call).options
    assert option.start.isoformat() == "2026-12-10T10:00:00-06:00"
    taken = take(call, option)
    row = next(r for r in taken.schedule.appointments if r.request_id == asked.id)
    assert row.pay_by.isoformat() == "2026-12-08T10:00:00-06:00"
    kept = next(r for r in taken.schedule.appointments if r.request_id == "r1")
    assert kept.pay_by == schedule.appointments[0].pay_by
    assert check_schedule(taken.state, taken.schedule) == []


# --- the command line, end to end -------------------------------------------------------

runner = CliRunner()
CLI_FAST = ["--time-limit", "1", "--workers", "1", "--seed", "0", "--deterministic"]


def _csv(path: Path) -> dict[str, dict[str, str]]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    key = "request_id"
    return {row[key]: row for row in frame.to_dict("records")}


def test_solve_reshuffle_with_deposit_paid_and_check_on_the_command_line(tmp_path: Path) -> None:
    scenario = tmp_path / "clinic.yaml"
    scenario.write_text(yaml.safe_dump(_week_data(), sort_keys=False))
    solved = runner.invoke(app, ["solve", str(scenario), "--out", str(tmp_path / "n"), *CLI_FAST])
    assert solved.exit_code == 0, solved.output
    schedule = tmp_path / "n" / "schedule.csv"
    assert _csv(schedule)["r1"]["pay_by"] == "2026-12-07T10:00:00-06:00"
    checked = runner.invoke(app, ["check", str(scenario), "--schedule", str(schedule)])
    assert checked.exit_code == 0, checked.output

    command = ["reshuffle", str(scenario), "--schedule", str(schedule), *CLI_FAST]
    command += ["--now", "2026-12-07T11:00", "--out"]
    paid = runner.invoke(app, [*command, str(tmp_path / "p"), "--event", "deposit_paid:r1"])
    assert paid.exit_code == 0, paid.output
    rows = _csv(tmp_path / "p" / "schedule.csv")
    assert (rows["r1"]["status"], rows["r1"]["pay_by"]) == ("booked", "")
    assert _check(tmp_path / "p") == 0

    expired = runner.invoke(app, [*command, str(tmp_path / "e")])
    assert expired.exit_code == 0, expired.output
    changes = _csv(tmp_path / "e" / "changes.csv")
    assert (changes["r1"]["change"], changes["r1"]["call_patient"]) == ("hold_expired", "False")
    assert changes["w1"]["change"] == "booked_from_waitlist"
    assert "r1" not in _csv(tmp_path / "e" / "exceptions.csv")
    assert _check(tmp_path / "e") == 0

    wrong = runner.invoke(app, [*command, str(tmp_path / "x"), "--event", "deposit_paid:w1"])
    assert wrong.exit_code == 2
    assert "deposit_paid: 'w1' is not booked (unscheduled); nothing to change" in wrong.output
    assert not (tmp_path / "x").exists()


def _check(folder: Path) -> int:
    """The exit code of `medspa check` on a re-plan's state scenario and schedule."""
    command = ["check", str(folder / "scenario.yaml"), "--schedule", str(folder / "schedule.csv")]
    return runner.invoke(app, command).exit_code
