"""What a re-plan may change, through `medspa reshuffle` on the sample clinic and through
`reshuffle()` on small clinics: only the days its events touch (and the rest of today) unless
--through opens more; the soft rules scored as in the nightly solve; labels that say what
happened; rooms kept unless they must change; visits moved or escalated whole. Every result is
checked against the state scenario and, row kinds mapped back, against the original one."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from checker import check_schedule, recompute_objective
from models.events import Cancel, NewRequest, ProviderOut, RoomOrMachineDown
from models.loader import load_scenario
from models.results import Schedule
from models.scenario import RELEASED_STATUSES, Scenario
from solver.cli import app
from solver.replan import reshuffle
from solver.solve import solve
from tests.conftest import (
    DAY,
    booking,
    build,
    patients,
    provider,
    request,
    room,
    service,
)

runner = CliRunner()
SAMPLE = Path("scenarios/sample_clinic.yaml")
TUESDAY_TEN = "2026-12-08T10:00"
REPEAT = ["--workers", "1", "--seed", "0", "--deterministic"]
CHICAGO = ZoneInfo("America/Chicago")
OPTIONS = {"time_limit": 0.5, "num_workers": 1, "seed": 0, "deterministic": True}


def in_original_terms(original: Scenario, schedule: Schedule) -> tuple[Scenario, Schedule]:
    """The re-plan as the original scenario sees it: each row of the original's kind, bookings
    the events released marked so, rows of requests the events added left out."""
    requests = {r.id for r in original.requests}
    known = requests | {b.id for b in original.bookings}
    rows = [
        row.model_copy(update={"kind": "request" if row.request_id in requests else "booking"})
        for row in schedule.appointments
        if row.request_id in known
    ]
    released = {row.request_id: row.reason for row in rows if row.reason in RELEASED_STATUSES}
    bookings = [
        b.model_copy(update={"status": released[b.id]}) if b.id in released else b
        for b in original.bookings
    ]
    return original.model_copy(update={"bookings": bookings}), Schedule(appointments=rows)


def day_of(change: pd.Series) -> str:
    return str(change["to_start"] or change["from_start"])[:10]


@pytest.fixture
def night(sample_week: tuple[Path, Path]) -> Path:
    """The sample clinic's week as `medspa solve` writes it (a repeatable run)."""
    return sample_week[1]


def replan(night: Path, out: Path, *args: str) -> Result:
    command = ["reshuffle", str(SAMPLE), "--schedule", str(night), "--out", str(out)]
    result = runner.invoke(app, [*command, *args, "--time-limit", "1", *REPEAT])
    assert result.exit_code == 0, result.output
    return result


def changes_of(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "changes.csv", dtype=str, keep_default_na=False)


def test_a_same_day_re_plan_changes_only_that_day_and_keeps_every_rule_of_both_scenarios(
    night: Path, tmp_path: Path
) -> None:
    out = tmp_path / "tue"
    events = ["--event", "cancel:b_11", "--event", "running_late:rn_chen,minutes=30"]
    result = replan(night, out, *events, "--now", TUESDAY_TEN)
    assert "re-planned: Tue 2026-12-08 " in result.output
    changes = changes_of(out)
    assert {day_of(change) for _, change in changes.iterrows()} == {"2026-12-08"}
    assert "booked_from_waitlist" not in set(changes["change"]) - {"booked_from_waitlist"}
    checked = runner.invoke(
        app, ["check", str(out / "scenario.yaml"), "--schedule", str(out / "schedule.csv")]
    )
    assert checked.exit_code == 0, checked.output
    original, rows = in_original_terms(
        load_scenario(SAMPLE), Schedule.read_csv(out / "schedule.csv")
    )
    assert check_schedule(original, rows) == []
    before = Schedule.read_csv(night)
    after = {row.request_id: row for row in rows.appointments}
    for row in before.appointments:  # nothing changed on another day
        if row.start is not None and row.start.date() != date(2026, 12, 8):
            assert (after[row.request_id].start, after[row.request_id].provider_id) == (
                row.start,
                row.provider_id,
            )


def test_through_opens_the_later_days_too(night: Path, tmp_path: Path) -> None:
    out = tmp_path / "week"
    result = replan(
        night, out, "--event", "cancel:b_11", "--now", TUESDAY_TEN, "--through", "2026-12-11"
    )
    assert "re-planned: Tue 2026-12-08, Wed 2026-12-09, Thu 2026-12-10, Fri 2026-12-11" in (
        " ".join(result.output.split())
    )
    checked = runner.invoke(
        app, ["check", str(out / "scenario.yaml"), "--schedule", str(out / "schedule.csv")]
    )
    assert checked.exit_code == 0, checked.output


def test_a_bad_through_date_exits_2_naming_it(night: Path, tmp_path: Path) -> None:
    command = ["reshuffle", str(SAMPLE), "--schedule", str(night), "--out", str(tmp_path / "x")]
    result = runner.invoke(app, [*command, "--event", "cancel:b_11", "--through", "friday"])
    assert result.exit_code == 2
    assert "--through" in result.output and "YYYY-MM-DD" in result.output
    assert not (tmp_path / "x").exists()


def test_a_cancellation_never_lowers_the_objective_of_the_original_rules(
    night: Path, tmp_path: Path
) -> None:
    """Scored under the original scenario, the re-plan is worth at least the nightly schedule
    without the cancelled appointment: whatever fills the freed time pays for its penalties."""
    out = tmp_path / "tue"
    replan(night, out, "--event", "cancel:b_11", "--now", TUESDAY_TEN)
    sample = load_scenario(SAMPLE)
    after = Schedule.read_csv(out / "schedule.csv")
    cancelled = next(row for row in after.appointments if row.request_id == "b_11")
    before = Schedule.read_csv(night)
    emptied = Schedule(
        appointments=[cancelled if r.request_id == "b_11" else r for r in before.appointments]
    )
    scenario, replanned = in_original_terms(sample, after)
    _, nightly = in_original_terms(sample, emptied)
    assert check_schedule(scenario, nightly) == []
    was, now = recompute_objective(scenario, nightly), recompute_objective(scenario, replanned)
    assert now.total >= was.total
    assert now.penalties["over_daily_bookings"] <= was.penalties["over_daily_bookings"] + (
        now.booked_priority_minutes - was.booked_priority_minutes
    )


# --- labels --------------------------------------------------------------------------------


def _two_rooms_clinic(**sections: object) -> Scenario:
    data = {
        "services": [service("botox", 60)],
        "providers": [provider("rn", ["botox"], {"mon": "09:00-13:00"})],
        "rooms": [room("inj1", "injection"), room("inj2", "injection")],
        "patients": patients(["p1", "p2", "p3", "p4", "p5"]),
    }
    return build(**(data | sections))  # type: ignore[arg-type]


def _at(hour: int) -> datetime:
    return datetime(2026, 12, 7, hour, tzinfo=CHICAGO)


def test_labels_say_whether_a_booking_came_from_the_waitlist_or_a_new_request() -> None:
    full = [
        booking(f"b{hour}", f"p{hour - 8}", "botox", "rn", "inj1", f"{DAY}T{hour:02d}:00")
        for hour in (9, 10, 11)
    ]
    scenario = _two_rooms_clinic(
        bookings=full,
        requests=[
            request("w", "p4", "botox", source="waitlist"),
            request("n", "p5", "botox", source="new"),
        ],
        providers=[provider("rn", ["botox"], {"mon": "09:00-12:00"})],
    )
    schedule = solve(scenario, **OPTIONS).schedule
    assert {row.status for row in schedule.appointments if row.kind == "request"} == {"unscheduled"}
    call = NewRequest.model_validate(
        {"kind": "new_request", "patient": "p1", "service": "botox", "earliest": DAY, "latest": DAY}
    )
    cancels = [Cancel(booking=b["id"]) for b in full]
    result = reshuffle(scenario, schedule, [*cancels, call], _at(8), **OPTIONS)
    labels = {c.request_id: c.change for c in result.changes}
    new_id = next(r.id for r in result.state.requests if r.id not in {"w", "n"})
    assert (labels["w"], labels["n"], labels[new_id]) == (
        "booked_from_waitlist",
        "booked_new_request",
        "booked_new_request",
    )
    assert check_schedule(result.state, result.schedule) == []


def test_a_room_out_of_service_changes_the_room_only_and_says_why() -> None:
    scenario = _two_rooms_clinic(
        bookings=[booking("b", "p1", "botox", "rn", "inj1", f"{DAY}T10:00")],
    )
    schedule = solve(scenario, **OPTIONS).schedule
    down = RoomOrMachineDown.model_validate(
        {"kind": "room_down", "id": "inj1", "from": f"{DAY}T09:00", "to": f"{DAY}T12:00"}
    )
    result = reshuffle(scenario, schedule, [down], _at(8), **OPTIONS)
    (change,) = result.changes
    assert (change.change, change.from_start, change.to_room) == (
        "room_changed",
        change.to_start,
        "inj2",
    )
    assert change.note == "room inj1 is out of service then"
    assert not change.call_patient


# --- visits ----------------------------------------------------------------------------------


def _visit_clinic() -> tuple[Scenario, Schedule]:
    """A consult 09:00-09:30 with the doctor and a filler 09:30-10:30 with the nurse, one visit;
    a second nurse who could do the filler."""
    scenario = build(
        services=[service("consult", 30, category="consult"), service("filler", 60)],
        providers=[
            provider("md", ["consult"], {"mon": "09:00-17:00"}, role="md"),
            provider("rn", ["filler"], {"mon": "09:00-17:00"}),
            provider("rn2", ["filler"], {"mon": "11:00-17:00"}),
        ],
        rooms=[room("inj1", "injection"), room("inj2", "injection")],
        patients=patients(["p1"]),
        requests=[
            request("c", "p1", "consult", visit="v1", preferred_times=["09:00-09:30"]),
            request("f", "p1", "filler", visit="v1"),
        ],
    )
    night_schedule = solve(scenario, **OPTIONS).schedule
    rows = {row.request_id: row for row in night_schedule.appointments}
    assert rows["c"].start == _at(9) and rows["f"].start == datetime(
        2026, 12, 7, 9, 30, tzinfo=CHICAGO
    )
    return scenario, night_schedule


def _out(provider_id: str, start: str, end: str) -> ProviderOut:
    window = {"from": f"{DAY}T{start}", "to": f"{DAY}T{end}"}
    return ProviderOut.model_validate({"kind": "provider_out", "provider": provider_id} | window)


def test_a_provider_out_in_the_middle_of_a_visit_moves_the_visit_whole() -> None:
    scenario, schedule = _visit_clinic()
    result = reshuffle(scenario, schedule, [_out("rn", "09:30", "10:30")], _at(8), **OPTIONS)
    rows = {row.request_id: row for row in result.schedule.appointments}
    assert {rows["c"].status, rows["f"].status} in ({"booked"}, {"unscheduled"})
    if rows["f"].status == "booked":
        assert rows["c"].end == rows["f"].start
    assert check_schedule(result.state, result.schedule) == []
    original, in_terms = in_original_terms(scenario, result.schedule)
    assert [f.code for f in check_schedule(original, in_terms)] == []


def test_the_rest_of_a_visit_under_way_goes_to_a_person_whole() -> None:
    scenario, schedule = _visit_clinic()
    now = datetime(2026, 12, 7, 9, 10, tzinfo=CHICAGO)
    result = reshuffle(scenario, schedule, [_out("rn", "09:30", "10:30")], now, **OPTIONS)
    rows = {row.request_id: row for row in result.schedule.appointments}
    assert rows["c"].status == "booked" and rows["c"].start == _at(9)
    assert (rows["f"].status, rows["f"].reason) == ("escalated", "visit_under_way")
    assert {c.request_id: c.change for c in result.changes}["f"] == "escalated"
    assert check_schedule(result.state, result.schedule) == []
