"""Calendar feeds: the .ics files parse back to the schedule's events (UID, times in the
clinic's zone, summary), a provider's or room's feed holds only its own, a re-plan keeps the
UIDs and counts SEQUENCE up with CANCELLED events in the feeds an appointment left, holds are
TENTATIVE, no contact detail or full name is ever written, times are right across a DST
change, and `medspa calendars` writes all the feeds or none."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event
from typer.testing import CliRunner

from models.events import Cancel, ProviderOut
from models.loader import ScenarioError, save_scenario
from models.results import Appointment, Change, Schedule
from models.scenario import Scenario
from solver.cli import app
from solver.desk.calendars import calendar_feeds, clinic_key, write_calendars
from solver.replan import reshuffle
from solver.solve import solve
from tests import conftest as make

CHICAGO = ZoneInfo("America/Chicago")
STAMP = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
PHONE, EMAIL = "+1 312 555 0147", "jane.smith@example.com"
runner = CliRunner()


def clinic(detail: str | None = None, **sections: Any) -> Scenario:
    """The default clinic day (Mon 2026-12-07, Chicago) with two providers, two rooms and a
    patient whose name, phone and email must never reach a calendar."""
    patients = [
        make.patient("jane_42", name="Jane Q. Smith", phone=PHONE, email=EMAIL),
        make.patient("bo_7", name="Bo"),
        make.patient("anon_1"),
    ]
    base = {
        "clinic": {"name": "Glow Aesthetics"},
        "policies": {"calendar_detail": detail} if detail else {},
        "services": [make.service("botox", 30, name="Botox"), make.service("peel", 60)],
        "providers": [
            make.provider("rn", ["botox", "peel"], name="Rita Nurse"),
            make.provider("md", ["botox", "peel"], name="Dr. Mo"),
        ],
        "rooms": [
            make.room("inj1", "injection", name="Injection 1"),
            make.room("inj2", "injection"),
        ],
        "patients": patients,
    }
    return make.build(**(base | sections))


def row(
    rid: str, patient: str, provider: str, room: str, start: str, minutes: int, **more: Any
) -> Appointment:
    """A booked row of `minutes` from `start` (Chicago wall time), botox or the 60-minute peel."""
    begin = datetime.fromisoformat(start).replace(tzinfo=CHICAGO)
    end = datetime.fromtimestamp(begin.timestamp() + minutes * 60, CHICAGO)
    service = "botox" if minutes == 30 else "peel"
    return Appointment(
        request_id=rid,
        patient_id=patient,
        service_id=service,
        provider_id=provider,
        room_id=room,
        start=begin,
        end=end,
        status="booked",
        **more,
    )


def was(
    kind: str, rid: str, service: str, start: str, provider: str = "rn", room: str = "inj1"
) -> Change:
    """A change of an appointment that was booked at `start` (ISO with offset) with `provider`
    in `room`; patient bo_7."""
    return Change(
        change=kind,
        request_id=rid,
        patient_id="bo_7",
        service_id=service,
        from_start=start,
        from_provider=provider,
        from_room=room,
    )


DAY = Schedule(
    appointments=[
        row("q1", "jane_42", "rn", "inj1", "2026-12-07T10:00", 30),
        row("q2", "bo_7", "md", "inj2", "2026-12-07T10:00", 60, sequence=2),
        row("q3", "anon_1", "rn", "inj2", "2026-12-07T14:15", 30),
        Appointment(request_id="q4", patient_id="bo_7", service_id="peel", reason="no_room"),
    ]
)


def parsed(feeds: dict[str, Calendar]) -> dict[str, list[Event]]:
    """Each feed written out as .ics bytes and read back, its events by file name."""
    return {name: Calendar.from_ical(feed.to_ical()).events for name, feed in feeds.items()}


def by_uid(events: list[Event]) -> dict[str, Event]:
    return {str(event["UID"]): event for event in events}


def test_each_feed_parses_back_to_its_own_appointments_in_the_clinic_zone() -> None:
    feeds = parsed(calendar_feeds(clinic(), DAY, stamp=STAMP))
    assert sorted(feeds) == ["provider_md.ics", "provider_rn.ics", "room_inj1.ics", "room_inj2.ics"]
    rita = by_uid(feeds["provider_rn.ics"])
    assert sorted(rita) == ["q1@glow-aesthetics", "q3@glow-aesthetics"]  # only Rita's
    first = rita["q1@glow-aesthetics"]
    assert first.start == datetime(2026, 12, 7, 10, 0, tzinfo=CHICAGO)
    assert first.start.tzinfo.key == "America/Chicago"
    assert first.start.astimezone(UTC) == datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
    assert first.end.astimezone(UTC) == datetime(2026, 12, 7, 16, 30, tzinfo=UTC)
    assert str(first["SUMMARY"]) == "Botox - J.S."  # initials by default
    assert str(first["LOCATION"]) == "Injection 1"
    assert str(first["STATUS"]) == "CONFIRMED" and first["SEQUENCE"] == 0
    assert first.stamp == STAMP
    assert str(rita["q3@glow-aesthetics"]["SUMMARY"]) == "Botox"  # a patient without a name
    assert str(rita["q3@glow-aesthetics"]["LOCATION"]) == "inj2"  # a room without a name
    (mo,) = feeds["provider_md.ics"]
    assert (str(mo["UID"]), mo["SEQUENCE"], str(mo["SUMMARY"])) == (
        "q2@glow-aesthetics",
        2,
        "peel - B.",
    )
    assert mo.end.astimezone(UTC) == datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    assert sorted(by_uid(feeds["room_inj1.ics"])) == ["q1@glow-aesthetics"]
    room_two = by_uid(feeds["room_inj2.ics"])
    assert sorted(room_two) == ["q2@glow-aesthetics", "q3@glow-aesthetics"]
    assert str(room_two["q2@glow-aesthetics"]["DESCRIPTION"]) == "Provider: Dr. Mo"
    text = calendar_feeds(clinic(), DAY, stamp=STAMP)["room_inj1.ics"].to_ical().decode()
    assert "BEGIN:VTIMEZONE\r\nTZID:America/Chicago" in text
    assert "DTSTART;TZID=America/Chicago:20261207T100000" in text


def test_an_empty_provider_or_room_still_gets_its_feed_with_the_clinic_timezone() -> None:
    feeds = calendar_feeds(clinic(), Schedule(appointments=DAY.appointments[:1]), stamp=STAMP)
    assert parsed(feeds)["provider_md.ics"] == []
    assert [tz.tz_name for tz in feeds["provider_md.ics"].timezones] == ["America/Chicago"]
    assert str(feeds["provider_md.ics"]["X-WR-CALNAME"]) == "Dr. Mo - Glow Aesthetics"


def test_the_same_schedule_and_stamp_give_the_same_bytes() -> None:
    first = {n: f.to_ical() for n, f in calendar_feeds(clinic(), DAY, stamp=STAMP).items()}
    again = {n: f.to_ical() for n, f in calendar_feeds(clinic(), DAY, stamp=STAMP).items()}
    assert first == again


@pytest.mark.parametrize(
    ("detail", "summary"),
    [("initials", "Botox - J.S."), ("first_name", "Botox - Jane"), ("none", "Botox")],
)
def test_calendar_detail_sets_what_the_summary_shows_of_the_patient(
    detail: str, summary: str
) -> None:
    feeds = parsed(calendar_feeds(clinic(detail), DAY, stamp=STAMP))
    assert str(by_uid(feeds["provider_rn.ics"])["q1@glow-aesthetics"]["SUMMARY"]) == summary


@pytest.mark.parametrize("detail", ["initials", "first_name", "none"])
def test_no_feed_holds_a_full_name_a_patient_id_or_contact_details(
    detail: str, tmp_path: Path
) -> None:
    cancelled = was("cancelled", "q1", "botox", "2026-12-07T10:00:00-06:00")
    gone = Schedule(
        appointments=[
            DAY.appointments[0].model_copy(
                update={"status": "unscheduled", "start": None, "end": None}
            )
        ]
    )
    feeds = calendar_feeds(clinic(detail), gone, [cancelled], stamp=STAMP)
    written = b"".join(path.read_bytes() for path in write_calendars(feeds, tmp_path))
    assert b"Botox" in written
    for secret in ("Jane Q. Smith", "Smith", "jane_42", PHONE, "555", EMAIL, "example.com"):
        assert secret.encode() not in written
    assert (b"Jane" in written) == (detail == "first_name")


def test_a_held_appointment_is_tentative_with_its_deposit_deadline() -> None:
    held = row("h1", "bo_7", "md", "inj1", "2026-12-07T15:00", 30)
    held.pay_by = datetime(2026, 12, 6, 18, 0, tzinfo=CHICAGO)
    (event,) = parsed(calendar_feeds(clinic(), Schedule(appointments=[held]), stamp=STAMP))[
        "provider_md.ics"
    ]
    assert str(event["STATUS"]) == "TENTATIVE"
    assert str(event["DESCRIPTION"]) == "Held until the deposit is paid, by Sun 2026-12-06 18:00"


def test_across_the_spring_dst_change_times_are_right_in_utc() -> None:
    """Chicago moves its clocks from 02:00 CST to 03:00 CDT on Sunday 8 March 2026."""
    march = {
        "horizon": {"start": "2026-03-06", "days": 4},
        "hours": make.week(make.EVERY_DAY, make.HOURS),
    }
    scenario = clinic(clinic={"name": "Glow Aesthetics", **march})
    before = row("s1", "bo_7", "rn", "inj1", "2026-03-07T10:00", 30)
    after = row("s2", "bo_7", "rn", "inj1", "2026-03-09T10:00", 30)
    # cancelled at 01:30 CST; its 60 minutes end at 03:30 CDT, not 02:30
    night = was("cancelled", "s3", "peel", "2026-03-08T01:30:00-06:00")
    gone = Appointment(
        request_id="s3", patient_id="bo_7", service_id="peel", reason="cancelled", sequence=1
    )
    schedule = Schedule(appointments=[before, after, gone])
    feeds = calendar_feeds(scenario, schedule, [night], stamp=STAMP)
    events = by_uid(parsed(feeds)["provider_rn.ics"])
    utc = {
        uid.split("@")[0]: (e.start.astimezone(UTC), e.end.astimezone(UTC))
        for uid, e in events.items()
    }
    assert utc["s1"] == (
        datetime(2026, 3, 7, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 7, 16, 30, tzinfo=UTC),
    )
    assert utc["s2"] == (
        datetime(2026, 3, 9, 15, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 15, 30, tzinfo=UTC),
    )
    assert utc["s3"] == (
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
        datetime(2026, 3, 8, 8, 30, tzinfo=UTC),
    )
    s3 = events["s3@glow-aesthetics"]
    assert (s3.end.hour, s3.end.minute, str(s3["STATUS"]), s3["SEQUENCE"]) == (
        3,
        30,
        "CANCELLED",
        1,
    )
    text = feeds["provider_rn.ics"].to_ical().decode()
    assert "BEGIN:DAYLIGHT" in text and "TZOFFSETTO:-0500" in text
    assert "DTSTART;TZID=America/Chicago:20260309T100000" in text


def test_a_room_change_cancels_the_event_in_the_old_room_only() -> None:
    moved = DAY.appointments[0].model_copy(update={"room_id": "inj2", "sequence": 1})
    change = was("room_changed", "q1", "botox", "2026-12-07T10:00:00-06:00")
    feeds = parsed(calendar_feeds(clinic(), Schedule(appointments=[moved]), [change], stamp=STAMP))
    (old,) = feeds["room_inj1.ics"]
    assert (str(old["STATUS"]), old["SEQUENCE"], str(old["UID"])) == (
        "CANCELLED",
        1,
        "q1@glow-aesthetics",
    )
    assert str(old["DESCRIPTION"]) == "Provider: Rita Nurse"
    assert old.start == datetime(2026, 12, 7, 10, 0, tzinfo=CHICAGO)
    assert [(str(e["STATUS"]), e["SEQUENCE"]) for e in feeds["room_inj2.ics"]] == [("CONFIRMED", 1)]
    (rita,) = feeds["provider_rn.ics"]  # updated in place: the same provider, another room
    assert (str(rita["STATUS"]), str(rita["LOCATION"])) == ("CONFIRMED", "inj2")


def test_an_appointment_the_scenario_cannot_place_is_refused_naming_it() -> None:
    stray = row("q9", "bo_7", "nobody", "inj1", "2026-12-07T10:00", 30)
    with pytest.raises(ScenarioError) as error:
        calendar_feeds(clinic(), Schedule(appointments=[stray]))
    assert error.value.source == "schedule"
    assert "id 'q9': provider 'nobody' is not in the scenario" in error.value.report()
    unknown = was("cancelled", "zz", "botox", "2026-12-07T10:00:00-06:00")
    with pytest.raises(ScenarioError) as error:
        calendar_feeds(clinic(), DAY, [unknown])
    assert error.value.source == "changes"
    assert "change 1 (cancelled 'zz'): is not in the schedule" in error.value.report()
    nowhere = unknown.model_copy(update={"request_id": "q1", "from_provider": ""})
    with pytest.raises(ScenarioError) as error:
        calendar_feeds(clinic(), DAY, [nowhere])
    assert "change 1 (cancelled 'q1'): has a from_start but no from_provider" in str(error.value)


def test_clinic_keys_are_stable_ascii() -> None:
    assert clinic_key("Glow Aesthetics") == "glow-aesthetics"
    assert clinic_key("Clínica Bella & Spa") == "clinica-bella-spa"
    assert clinic_key("美容") == clinic_key("美容")
    assert clinic_key("美容").startswith("clinic-") and clinic_key("美容") != clinic_key("美")


# --- a real re-plan --------------------------------------------------------------------

FAST: dict[str, Any] = {"time_limit": 0.5, "num_workers": 1, "seed": 0, "deterministic": True}


def replanned_clinic() -> Scenario:
    """Rita's bookings at 10:00 and 11:00 and Dr. Mo's at 13:00; both work the whole day."""
    return clinic(
        bookings=[
            make.booking("b1", "jane_42", "botox", "rn", "inj1", "2026-12-07T10:00"),
            make.booking("b2", "bo_7", "botox", "rn", "inj1", "2026-12-07T11:00", sequence=3),
            make.booking("b3", "anon_1", "botox", "md", "inj2", "2026-12-07T13:00"),
        ],
        policies={"cancellation_notice_hours": 0},
    )


def test_a_re_plan_keeps_the_uids_counts_sequence_and_cancels_in_the_feeds_left() -> None:
    scenario = replanned_clinic()
    night = solve(scenario, **FAST).schedule
    before = parsed(calendar_feeds(scenario, night, stamp=STAMP))
    assert by_uid(before["provider_rn.ics"])["b2@glow-aesthetics"]["SEQUENCE"] == 3
    events = [
        Cancel(booking="b1"),
        ProviderOut(provider="rn", **{"from": datetime(2026, 12, 7, 9, 0, tzinfo=CHICAGO)}),
    ]
    result = reshuffle(scenario, night, events, datetime(2026, 12, 7, 9, 0, tzinfo=CHICAGO), **FAST)
    kinds = {change.request_id: change.change for change in result.changes}
    assert kinds["b1"] == "cancelled" and kinds["b2"] in {"rebooked", "moved"}
    rows = {r.request_id: r for r in result.schedule.appointments}
    assert rows["b2"].provider_id == "md"  # Rita is out for the day
    assert (rows["b1"].sequence, rows["b2"].sequence, rows["b3"].sequence) == (1, 4, 0)
    after = parsed(calendar_feeds(result.state, result.schedule, result.changes, stamp=STAMP))
    rita, mo = by_uid(after["provider_rn.ics"]), by_uid(after["provider_md.ics"])
    assert sorted(rita) == ["b1@glow-aesthetics", "b2@glow-aesthetics"]
    assert [(str(e["STATUS"]), e["SEQUENCE"]) for e in rita.values()] == [
        ("CANCELLED", 1),
        ("CANCELLED", 4),
    ]
    assert rita["b1@glow-aesthetics"].start == datetime(2026, 12, 7, 10, 0, tzinfo=CHICAGO)
    assert rita["b2@glow-aesthetics"].start == datetime(2026, 12, 7, 11, 0, tzinfo=CHICAGO)
    moved = mo["b2@glow-aesthetics"]
    assert (str(moved["STATUS"]), moved["SEQUENCE"]) == ("CONFIRMED", 4)
    assert moved.start == rows["b2"].start
    assert (str(mo["b3@glow-aesthetics"]["STATUS"]), mo["b3@glow-aesthetics"]["SEQUENCE"]) == (
        "CONFIRMED",
        0,
    )
    old_room = by_uid(after["room_inj1.ics"])
    assert str(old_room["b1@glow-aesthetics"]["STATUS"]) == "CANCELLED"
    if rows["b2"].room_id == "inj1":  # kept its room: there it is updated, not cancelled
        assert str(old_room["b2@glow-aesthetics"]["STATUS"]) == "CONFIRMED"
    else:
        assert str(old_room["b2@glow-aesthetics"]["STATUS"]) == "CANCELLED"
        assert (
            str(by_uid(after[f"room_{rows['b2'].room_id}.ics"])["b2@glow-aesthetics"]["STATUS"])
            == "CONFIRMED"
        )


# --- the command line ------------------------------------------------------------------


@pytest.fixture(scope="module")
def replanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(scenario file, the night's solve folder, the re-plan's folder), as `medspa` wrote them."""
    folder = tmp_path_factory.mktemp("desk")
    scenario_file = folder / "clinic.yaml"
    save_scenario(replanned_clinic(), scenario_file)
    flags = ["--time-limit", "0.5", "--workers", "1", "--deterministic"]
    night, today = folder / "night", folder / "today"
    solved = runner.invoke(
        app, ["solve", str(scenario_file), "--out", str(night), "--quiet", *flags]
    )
    assert solved.exit_code == 0, solved.output
    events = ["--event", "cancel:b1", "--event", "provider_out:rn,from=2026-12-07T09:00"]
    replan = ["reshuffle", str(scenario_file), "--schedule", str(night / "schedule.csv")]
    result = runner.invoke(
        app, [*replan, "--out", str(today), "--now", "2026-12-07T09:00", *events, *flags]
    )
    assert result.exit_code == 0, result.output
    return scenario_file, night, today


def test_the_command_writes_every_feed_of_a_re_plan_and_counts_them(
    replanned: tuple[Path, Path, Path],
) -> None:
    scenario_file, _, today = replanned
    result = runner.invoke(
        app, ["calendars", str(scenario_file), str(today), "--now", "2026-12-07T09:05", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["feeds"]["provider"] == {"feeds": 2, "events": 4, "tentative": 0, "cancelled": 2}
    assert report["feeds"]["room"]["feeds"] == 2 and report["feeds"]["room"]["cancelled"] >= 1
    folder = today / "calendars"
    assert sorted(p.name for p in folder.iterdir()) == [
        ".medspa-outputs.json",
        "provider_md.ics",
        "provider_rn.ics",
        "room_inj1.ics",
        "room_inj2.ics",
    ]
    rita = by_uid(Calendar.from_ical((folder / "provider_rn.ics").read_bytes()).events)
    assert {uid: str(e["STATUS"]) for uid, e in rita.items()} == {
        "b1@glow-aesthetics": "CANCELLED",
        "b2@glow-aesthetics": "CANCELLED",
    }
    assert rita["b1@glow-aesthetics"].stamp == datetime(2026, 12, 7, 15, 5, tzinfo=UTC)
    for forbidden in ("Smith", PHONE, EMAIL, "jane_42"):
        assert forbidden not in result.output
    plain = runner.invoke(
        app, ["calendars", str(scenario_file), str(today), "--now", "2026-12-07T09:05"]
    )
    assert plain.exit_code == 0, plain.output
    assert "provider feeds: 2, 4 event(s) (0 tentative, 2 cancelled)" in plain.stdout
    assert f"wrote 4 feed(s) to {folder}" in plain.stdout


def test_a_solve_into_a_folder_with_its_feeds_replaces_them(
    replanned: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    scenario_file, night, _ = replanned
    out = tmp_path / "week"
    result = runner.invoke(app, ["calendars", str(scenario_file), str(night), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(list((out / "calendars").glob("*.ics"))) == 4
    flags = ["--time-limit", "0.3", "--workers", "1", "--deterministic", "--quiet"]
    (out / "calendars" / "notes.txt").write_text("mine")
    refused = runner.invoke(app, ["solve", str(scenario_file), "--out", str(out), *flags])
    assert (
        refused.exit_code == 2
        and "holds 'calendars/', which medspa did not write" in refused.stderr
    )
    (out / "calendars" / "notes.txt").unlink()
    again = runner.invoke(app, ["solve", str(scenario_file), "--out", str(out), *flags])
    assert again.exit_code == 0, again.output  # calendars/ is medspa's set, not a foreign folder
    assert not (out / "calendars").exists()


CHANGES_HEADER = "change,request_id,patient_id,service_id,from_start,to_start\r\n"


def test_a_bad_folder_or_change_list_exits_2_and_writes_nothing(
    replanned: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    scenario_file, night, _ = replanned
    missing = tmp_path / "nowhere"
    result = runner.invoke(app, ["calendars", str(scenario_file), str(missing)])
    assert result.exit_code == 2
    assert f"{missing}: is not a folder; give the folder `medspa solve --out`" in result.stderr
    assert not missing.exists()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "schedule.csv").write_bytes((night / "schedule.csv").read_bytes())
    (broken / "changes.csv").write_text(
        CHANGES_HEADER + "cancelled,q404,jane_42,botox,2026-12-07T10:00:00-06:00,\r\n"
    )
    result = runner.invoke(app, ["calendars", str(scenario_file), str(broken)])
    assert result.exit_code == 2
    assert (
        f"{broken / 'changes.csv'}: change 1 (cancelled 'q404'): is not in the schedule"
        in result.stderr
    )
    assert "nothing was written" in result.stderr
    assert not (broken / "calendars").exists()
    (broken / "changes.csv").write_text(CHANGES_HEADER + "cancelled,b1,jane_42,botox,10 am,\r\n")
    result = runner.invoke(app, ["calendars", str(scenario_file), str(broken)])
    assert result.exit_code == 2
    assert "changes.csv: line 2 (id 'b1').from_start: '10 am' is not a time" in result.stderr


@pytest.mark.parametrize("now", ["9999-12-31T23:00", "0001-01-01T00:00"])
def test_a_now_no_clock_can_hold_exits_2_and_writes_nothing(
    replanned: tuple[Path, Path, Path], tmp_path: Path, now: str
) -> None:
    scenario_file, night, _ = replanned
    out = tmp_path / "feeds"
    for command in ("calendars", "notify"):
        args = [command, str(scenario_file), str(night), "--now", now, "--out", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert f"--now: '{now}' is out of range" in result.stderr
        assert not out.exists()
