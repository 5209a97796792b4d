"""Schedule rows and the exception queue: one row per booking and request, statuses and
reasons, and who owns each exception."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from typer.testing import CliRunner

from models.loader import save_scenario
from models.reason_codes import SUGGESTED_ACTIONS
from models.results import (
    APPOINTMENT_COLUMNS,
    SCHEDULE_COLUMNS,
    ExceptionItem,
    Schedule,
    exceptions_frame,
)
from models.scenario import Policies, Scenario
from solver.cli import app
from solver.eligibility import Escalation, eligibility, escalate
from solver.facts import ClinicFacts
from solver.placement import Placement
from solver.reasons import Reason, unbooked_reasons
from solver.report import SolveResult
from solver.schedule import build_exceptions, build_schedule, equipment_text, owner_of
from solver.solve import solve
from tests.conftest import (
    HOURS,
    MINI_WEEK,
    MONDAY,
    TUESDAY,
    WEEKDAYS,
    booking,
    build,
    mini_clinic,
    provider,
    request,
    room,
    service,
    week,
)

CHICAGO = ZoneInfo("America/Chicago")


def _clinic(**policies: str) -> Scenario:
    return mini_clinic(
        policies=policies,
        services=[service("botox", equipment={"ipl": 1, "cool": 2}), service("filler")],
        equipment=[
            {"id": "ipl", "name": "IPL", "count": 1},
            {"id": "cool", "name": "C", "count": 2},
        ],
        rooms=[{"id": "inj1", "type": "injection"}, {"id": "inj2", "type": "injection"}],
        providers=[provider("rn", ["botox"], MINI_WEEK)],
        requests=[
            request("booked", "p1", "botox", latest=TUESDAY),
            request("escalated", "p2", "filler", latest=TUESDAY),  # nobody may do filler
            request("waiting", "p2", "botox", latest=TUESDAY),
            request("displaced", "p2", "botox", latest=TUESDAY),
        ],
        bookings=[
            booking("moved", "p1", "botox", "rn", "inj2", f"{MONDAY}T11:00", locked=False),
            booking(
                "gone", "p1", "botox", "rn", "inj1", f"{MONDAY}T12:00", status="cancelled_late"
            ),
            booking("clash", "p2", "botox", "rn", "inj1", f"{MONDAY}T11:00"),
        ],
    )


def _schedule(
    scenario: Scenario, moved_to: int = 1440 + 600
) -> tuple[Schedule, list[Escalation], dict[str, Reason]]:
    facts = ClinicFacts(scenario)
    eligible = eligibility(facts)
    by_id = {job.id: job for job in eligible.jobs}
    lost = escalate(by_id["clash"], "booking_conflict", "cannot keep its place")
    jobs = [job for job in eligible.jobs if job.id != "clash"]
    escalations = [*eligible.escalations, lost]
    placements = {
        "booked": Placement("rn", 540, "injection", "inj1"),
        "moved": Placement("rn", moved_to, "injection", "inj2"),
    }
    unbooked = unbooked_reasons(facts, jobs, placements)
    return build_schedule(scenario, jobs, placements, escalations, unbooked), escalations, unbooked


def test_one_row_per_booking_then_per_request_in_file_order() -> None:
    scenario = _clinic()
    schedule, *_ = _schedule(scenario)
    rows = [(r.request_id, r.kind) for r in schedule.appointments]
    assert rows == [
        ("moved", "booking"),
        ("gone", "booking"),
        ("clash", "booking"),
        ("booked", "request"),
        ("escalated", "request"),
        ("waiting", "request"),
        ("displaced", "request"),
    ]


def test_each_row_says_where_it_landed_or_why_not() -> None:
    schedule, _, unbooked = _schedule(_clinic())
    rows = {row.request_id: row for row in schedule.appointments}
    booked = rows["booked"]
    assert (booked.status, booked.provider_id, booked.room_id) == ("booked", "rn", "inj1")
    assert booked.start == datetime(2026, 12, 7, 9, 0, tzinfo=CHICAGO)
    assert booked.end == datetime(2026, 12, 7, 9, 30, tzinfo=CHICAGO)
    assert booked.equipment == "cool:2;ipl:1"
    assert not booked.moved
    moved = rows["moved"]
    assert (moved.status, moved.moved) == ("booked", True)
    assert moved.start == datetime(2026, 12, 8, 10, 0, tzinfo=CHICAGO)
    assert (moved.sequence, rows["clash"].sequence) == (1, 0)  # a calendar updates the move
    assert (rows["escalated"].status, rows["escalated"].reason) == (
        "escalated",
        "no_permitted_provider",
    )
    assert (rows["clash"].status, rows["clash"].reason) == ("escalated", "booking_conflict")
    assert (rows["gone"].status, rows["gone"].reason) == ("unscheduled", "cancelled_late")
    assert (rows["waiting"].status, rows["waiting"].reason) == (
        "unscheduled",
        unbooked["waiting"].code,
    )
    assert unbooked["waiting"].code == "search_stopped_early"  # it fits at 09:30, free
    assert rows["waiting"].provider_id is None and rows["waiting"].start is None


def test_a_booking_at_its_old_start_is_not_moved() -> None:
    schedule, *_ = _schedule(_clinic(), moved_to=660)
    assert not next(r for r in schedule.appointments if r.request_id == "moved").moved


def test_exceptions_list_what_needs_a_person_with_its_owner_and_action() -> None:
    scenario = _clinic(escalation_owner="manager", same_day_owner="front desk")
    schedule, escalations, unbooked = _schedule(scenario)
    items = build_exceptions(scenario, schedule, escalations, unbooked, same_day={"displaced"})
    found = {i.request_id: (i.reason_code, i.owner) for i in items}
    assert found == {
        "clash": ("booking_conflict", "front desk"),  # an existing booking: today's business
        "escalated": ("no_permitted_provider", "manager"),
        "waiting": ("search_stopped_early", "manager"),
        "displaced": ("search_stopped_early", "front desk"),
    }  # booked rows and the late cancellation are not exceptions
    by_id = {i.request_id: i for i in items}
    assert by_id["escalated"].suggested_action == SUGGESTED_ACTIONS["no_permitted_provider"]
    assert by_id["clash"].detail == "cannot keep its place"
    assert by_id["waiting"].detail == unbooked["waiting"].detail
    assert by_id["waiting"].detail.startswith("fits Mon 2026-12-07 09:30 with rn")
    assert by_id["waiting"].suggested_action == SUGGESTED_ACTIONS["search_stopped_early"]
    assert by_id["waiting"].patient_id == "p2"


def test_the_owner_falls_back_to_the_escalation_owner_then_the_clinic_manager() -> None:
    day = date(2026, 12, 7)
    both = Policies(escalation_owner="manager", same_day_owner="desk")
    assert (owner_of(both, day, True), owner_of(both, day, False)) == ("desk", "manager")
    only_escalation = Policies(escalation_owner="manager")
    assert owner_of(only_escalation, day, True) == "manager"
    nobody = Policies()
    assert owner_of(nobody, day, True) == owner_of(nobody, day, False)
    assert "policies.escalation_owner" in owner_of(nobody, day, False)


def test_equipment_text_is_sorted_id_units_pairs() -> None:
    assert equipment_text({"ipl": 1, "cool": 2}) == "cool:2;ipl:1"
    assert equipment_text({}) == ""


# --- schedule.csv and the DataFrame: names, local times, order -------------------------------

LA = "America/Los_Angeles"
DST_DAYS = ("sat", "sun", "mon")  # 2026-10-31 (-07:00), 1 November (clocks go back), 2 (-08:00)


def _dst_clinic() -> Scenario:
    """A Los Angeles clinic over the weekend its clocks go back, with named people and rooms and
    locked bookings in no particular order (and one request nobody may do)."""
    hours = week(DST_DAYS, HOURS)
    return build(
        clinic={"timezone": LA, "horizon": {"start": "2026-10-31", "days": 3}, "hours": hours},
        services=[
            service("peel", 30, "facial", name="Chemical peel", processing=15, buffer_after=10),
            service("filler", name="Dermal filler"),
        ],
        providers=[
            provider("ann", ["peel"], hours, name="Ann Lee"),
            provider("bo", ["peel"], hours, name="Bo Park"),
        ],
        rooms=[room("f1", "facial", name="Facial room 1"), room("f2", "facial")],
        patients=[{"id": "p1", "name": "Pat One"}, {"id": "p2"}],
        bookings=[
            booking("mon_ann", "p1", "peel", "ann", "f1", "2026-11-02T09:00"),
            booking("sat_bo", "p2", "peel", "bo", "f2", "2026-10-31T10:00"),
            booking("sat_ann_late", "p1", "peel", "ann", "f1", "2026-10-31T14:00"),
            booking("sat_ann_early", "p2", "peel", "ann", "f1", "2026-10-31T09:00"),
            booking("sun_ann", "p1", "peel", "ann", "f1", "2026-11-01T09:30"),
        ],
        requests=[request("nobody", "p2", "filler", "2026-10-31", "2026-11-02")],
    )


@pytest.fixture(scope="module")
def dst_result() -> SolveResult:
    return solve(_dst_clinic(), time_limit=5, num_workers=1, seed=0, deterministic=True)


ORDER = ["sat_ann_early", "sat_ann_late", "sat_bo", "sun_ann", "mon_ann", "nobody"]
"""By day, provider and time; the row not booked last."""


def test_the_frame_is_sorted_by_day_provider_and_time_with_names_and_local_times(
    dst_result: SolveResult,
) -> None:
    frame = dst_result.frame
    assert list(frame.columns) == SCHEDULE_COLUMNS
    assert list(frame["request_id"]) == ORDER
    rows = frame.set_index("request_id")
    saturday, monday = rows.loc["sat_ann_early"], rows.loc["mon_ann"]
    assert (saturday["date"], saturday["start_time"], saturday["end_time"]) == (
        "2026-10-31",
        "09:00",
        "09:45",
    )
    assert (monday["date"], monday["start_time"], monday["end_time"]) == (
        "2026-11-02",
        "09:00",
        "09:45",
    )
    assert saturday["duration_minutes"] == 45  # hands-on and processing, not the turnover
    assert (saturday["provider_name"], saturday["room_name"]) == ("Ann Lee", "Facial room 1")
    assert (saturday["patient_name"], saturday["service_name"]) == ("", "Chemical peel")
    assert (rows.loc["sat_bo", "provider_name"], rows.loc["sat_bo", "room_name"]) == ("Bo Park", "")
    assert rows.loc["mon_ann", "patient_name"] == "Pat One"
    nobody = rows.loc["nobody"]
    assert (nobody["status"], nobody["service_name"], nobody["patient_id"]) == (
        "escalated",
        "Dermal filler",
        "p2",
    )
    assert (nobody["date"], nobody["start_time"], nobody["provider_id"]) == ("", "", "")
    assert pd.isna(nobody["duration_minutes"]) and pd.isna(nobody["start"])


def test_the_frame_holds_start_and_end_as_datetimes_in_the_clinic_timezone(
    dst_result: SolveResult,
) -> None:
    frame = dst_result.frame.set_index("request_id")
    for column in ("start", "end"):
        assert str(frame[column].dtype) == f"datetime64[ns, {LA}]"
    assert frame.loc["sat_ann_early", "start"] == pd.Timestamp("2026-10-31 09:00", tz=LA)
    assert frame.loc["sat_ann_early", "start"].utcoffset() == timedelta(hours=-7)
    assert frame.loc["mon_ann", "start"].utcoffset() == timedelta(hours=-8)
    assert frame.loc["mon_ann", "end"] - frame.loc["mon_ann", "start"] == timedelta(minutes=45)


def test_schedule_csv_has_the_frame_rows_with_iso_times_and_reads_back(
    dst_result: SolveResult, tmp_path: Path
) -> None:
    path = tmp_path / "schedule.csv"
    dst_result.schedule.write_csv(path, dst_result.scenario)
    written = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(written.columns) == SCHEDULE_COLUMNS
    assert list(written["request_id"]) == ORDER
    rows = written.set_index("request_id")
    assert rows.loc["sat_ann_early", "start"] == "2026-10-31T09:00:00-07:00"
    assert rows.loc["mon_ann", "start"] == "2026-11-02T09:00:00-08:00"
    assert rows.loc["mon_ann", "start_time"] == "09:00"
    assert rows.loc["mon_ann", "duration_minutes"] == "45"
    assert rows.loc["nobody", "duration_minutes"] == ""
    assert rows.loc["sun_ann", "provider_name"] == "Ann Lee"
    again = {row.request_id: row for row in Schedule.read_csv(path).appointments}
    assert again == {row.request_id: row for row in dst_result.schedule.appointments}


def test_a_schedule_csv_in_the_old_columns_still_reads(
    dst_result: SolveResult, tmp_path: Path
) -> None:
    path = tmp_path / "schedule.csv"
    old = dst_result.frame[APPOINTMENT_COLUMNS].copy()
    for column in ("start", "end"):
        old[column] = [t.isoformat() if pd.notna(t) else "" for t in old[column]]
    old.to_csv(path, index=False)
    again = {row.request_id: row for row in Schedule.read_csv(path).appointments}
    assert again == {row.request_id: row for row in dst_result.schedule.appointments}


def test_medspa_check_passes_a_written_schedule_csv(
    dst_result: SolveResult, tmp_path: Path
) -> None:
    save_scenario(dst_result.scenario, tmp_path / "clinic.yaml")
    dst_result.schedule.write_csv(tmp_path / "schedule.csv", dst_result.scenario)
    checked = CliRunner().invoke(
        app, ["check", str(tmp_path / "clinic.yaml"), "--schedule", str(tmp_path / "schedule.csv")]
    )
    assert checked.exit_code == 0, checked.output


def test_without_a_scenario_the_frame_keeps_the_timezone_its_times_are_written_in(
    dst_result: SolveResult, tmp_path: Path
) -> None:
    frame = dst_result.schedule.to_frame().set_index("request_id")
    assert str(frame["start"].dtype) == f"datetime64[ns, {LA}]"
    assert frame.loc["mon_ann", "start"] == pd.Timestamp("2026-11-02 09:00", tz=LA)
    assert set(frame["provider_name"]) == {""}
    dst_result.schedule.write_csv(tmp_path / "schedule.csv")
    read = Schedule.read_csv(tmp_path / "schedule.csv").to_frame().set_index("request_id")
    assert str(read["start"].dtype) == "datetime64[ns, UTC]"  # -07:00 and -08:00 in the file
    assert read.loc["mon_ann", "start"] == pd.Timestamp("2026-11-02 17:00", tz="UTC")
    assert read.loc["mon_ann", "start_time"] == "09:00"  # the local time as written


# --- exceptions.csv: the coordinator's desk ----------------------------------------------------


def _desk(today: str) -> list[ExceptionItem]:
    """The exception queue of a euro clinic where nobody may do filler or peels, on `today`."""
    scenario = mini_clinic(
        clinic={"currency": "EUR"},
        policies={"escalation_owner": "manager", "same_day_owner": "desk"},
        services=[
            service("botox"),
            service("filler", name="Dermal filler", value=500),
            service("peel", name="Chemical peel", value=100),
        ],
        patients=[
            {"id": "vip1", "tier": "vip", "name": "Vera Ip"},
            {"id": "vip2", "tier": "vip"},
            {"id": "new1", "tier": "new"},
        ],
        requests=[
            request("tue_vip", "vip1", "filler", TUESDAY),
            request("mon_new", "new1", "filler", MONDAY, TUESDAY),
            request("mon_vip_peel", "vip2", "peel", MONDAY),
            request("mon_vip_filler", "vip1", "filler", MONDAY),
        ],
    )
    eligible = eligibility(ClinicFacts(scenario))
    schedule = build_schedule(scenario, eligible.jobs, {}, eligible.escalations, {})
    day = datetime.fromisoformat(today).date()
    return build_exceptions(scenario, schedule, eligible.escalations, {}, today=day)


def test_exceptions_come_most_urgent_first_with_the_columns_of_a_desk() -> None:
    items = _desk(MONDAY)
    frame = exceptions_frame(items)
    assert list(frame.columns) == [
        "day",
        "window",
        "owner",
        "request_id",
        "patient_id",
        "patient_name",
        "tier",
        "service_id",
        "service_name",
        "value",
        "reason_code",
        "detail",
        "suggested_action",
    ]
    # by day, then the highest value, then the highest tier; not by id or file order
    assert list(frame["request_id"]) == ["mon_vip_filler", "mon_new", "mon_vip_peel", "tue_vip"]
    first = frame.iloc[0]
    assert (first["day"], first["window"], first["tier"]) == ("2026-12-07", "Mon 2026-12-07", "vip")
    assert (first["patient_name"], first["service_name"], first["value"]) == (
        "Vera Ip",
        "Dermal filler",
        "500.00 EUR",
    )
    assert (first["reason_code"], first["suggested_action"]) == (
        "no_permitted_provider",
        SUGGESTED_ACTIONS["no_permitted_provider"],
    )
    assert first["detail"] == "nobody may perform filler"
    rows = frame.set_index("request_id")
    assert rows.loc["mon_new", "window"] == "Mon 2026-12-07 to Tue 2026-12-08"
    assert rows.loc["mon_vip_peel", "value"] == "100.00 EUR"


def test_the_owner_is_the_same_day_owner_for_today_and_the_escalation_owner_after() -> None:
    owners = {i.request_id: (i.day, i.owner) for i in _desk(MONDAY)}
    assert owners == {
        "mon_vip_filler": ("2026-12-07", "desk"),
        "mon_vip_peel": ("2026-12-07", "desk"),
        "mon_new": ("2026-12-07", "desk"),
        "tue_vip": ("2026-12-08", "manager"),
    }
    on_tuesday = {i.request_id: (i.day, i.owner) for i in _desk(TUESDAY)}
    assert on_tuesday["mon_new"] == ("2026-12-08", "desk")  # its window reaches today
    assert on_tuesday["mon_vip_filler"] == ("2026-12-08", "desk")  # a window gone by: today's
    assert on_tuesday["tue_vip"] == ("2026-12-08", "desk")
    order = [i.request_id for i in _desk(TUESDAY)]  # one day: value, then tier, then file order
    assert order == ["tue_vip", "mon_vip_filler", "mon_new", "mon_vip_peel"]


def test_an_existing_booking_in_the_queue_shows_its_day_and_time() -> None:
    scenario = _clinic(escalation_owner="manager", same_day_owner="front desk")
    schedule, escalations, unbooked = _schedule(scenario)
    items = build_exceptions(scenario, schedule, escalations, unbooked, today=date(2026, 12, 8))
    clash = next(i for i in items if i.request_id == "clash")
    assert (clash.day, clash.window, clash.owner) == (
        "2026-12-07",
        "Mon 2026-12-07 11:00-11:30",
        "front desk",
    )
    assert [i.day for i in items] == sorted(i.day for i in items)


def test_a_booking_written_with_another_offset_is_queued_on_its_clinic_day_and_time() -> None:
    """03:50 at +05:00 on Thu 12-10 is 22:50 UTC on Wed 12-09, 16:50 in Chicago (UTC-6)."""
    scenario = build(
        clinic={
            "horizon": {"start": "2026-12-07", "days": 5},
            "hours": week(WEEKDAYS, "09:00-19:00"),
        },
        policies={"escalation_owner": {"wed": "wendy", "thu": "theo"}},
        services=[service("botox")],
        providers=[provider("rn", ["botox"], {"mon": "09:00-19:00"})],
        bookings=[
            {
                "id": "b1",
                "patient": "p1",
                "service": "botox",
                "provider": "rn",
                "room": "inj1",
                "start": "2026-12-10T03:50:00+05:00",
                "locked": True,
            }
        ],
    )
    (item,) = solve(scenario, time_limit=1.0, num_workers=1, deterministic=True).exceptions
    assert (item.day, item.window) == ("2026-12-09", "Wed 2026-12-09 16:50-17:20")
