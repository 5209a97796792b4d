"""Calendar feeds: one iCalendar (.ics) file per provider and per room, for the staff's own
calendar apps (Google Calendar, Outlook, Apple Calendar).

Each booked appointment is one event in its provider's feed and in its room's feed, from the
patient's start to end in the clinic's timezone (turnover not included), CONFIRMED, or
TENTATIVE while it is held for a deposit. An event's UID comes from the appointment id and the
clinic's name, so it stays the same across solves and re-plans; its SEQUENCE is the
appointment's `sequence`, which a re-plan counts up for every appointment it moves or takes off
the calendar. With a re-plan's change list, an appointment it cancelled, or moved to another
provider or room, is also in the feed it left, as CANCELLED: a calendar that imports the new
feed updates or removes the event it has instead of keeping a stale copy beside a new one.

The events name the service and the patient as `policies.calendar_detail` says (initials,
first name or nobody); never a full name, a patient id or contact details.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone
from icalendar.enums import STATUS

from models.findings import Finding, excerpt
from models.loader import ScenarioError
from models.results import Appointment, Change, Schedule
from models.scenario import Scenario
from solver.desk import ascii_slug
from solver.outputs.folder import CALENDARS_FOLDER, Writer, bytes_writer, write_set

PRODID = "-//medspa-scheduler//calendar feeds//EN"
"""Who made the feeds, as iCalendar asks."""
FeedKind = Literal["provider", "room"]
FEED_KINDS: tuple[FeedKind, ...] = ("provider", "room")


def feed_name(kind: FeedKind, item_id: str) -> str:
    """The file name of a provider's or a room's feed: provider_<id>.ics, room_<id>.ics."""
    return f"{kind}_{item_id}.ics"


def clinic_key(name: str) -> str:
    """The clinic's part of every UID: its name in lower-case ASCII letters, digits and
    dashes ("Glow Aesthetics" -> "glow-aesthetics"), or a digest of it when none is left."""
    return ascii_slug(name) or "clinic-" + hashlib.sha256(name.encode()).hexdigest()[:12]


def patient_detail(scenario: Scenario, patient_id: str) -> str:
    """What a calendar shows of the patient (policies.calendar_detail): initials ("J.S."),
    the first name, or nothing; nothing either when the scenario has no name for them."""
    detail = scenario.policies.calendar_detail
    try:
        name = scenario.patient(patient_id).name
    except KeyError:
        name = None
    if not name or detail == "none":
        return ""
    if detail == "first_name":
        return scenario.patient(patient_id).first_name
    letters = [next((c for c in word if c.isalpha()), "") for word in name.split()]
    letters = [letter.upper() for letter in letters if letter]
    chosen = letters[:1] + letters[1:][-1:]  # the first and the last name
    return "".join(f"{letter}." for letter in chosen)


@dataclass(frozen=True)
class _Visit:
    """An appointment as an event: when, with whom and where it is (or was, when
    cancelled), and the feeds it goes into."""

    row: Appointment
    start: datetime
    end: datetime
    provider_id: str
    room_id: str
    status: STATUS
    feeds: tuple[FeedKind, ...] = FEED_KINDS


def calendar_feeds(
    scenario: Scenario,
    schedule: Schedule,
    changes: list[Change] | None = None,
    stamp: datetime | None = None,
) -> dict[str, Calendar]:
    """One feed per provider and per room (every one, even without appointments), by file
    name. `changes`, a re-plan's change list, adds the CANCELLED events of the appointments it
    cancelled or moved away from a feed. `stamp` is the DTSTAMP of every event (default: now).

    Raises ScenarioError ("schedule" or "changes") for a booked row without a time, provider
    or room, a provider, room or service the scenario does not have, or a change of an
    appointment the schedule does not hold."""
    zone = ZoneInfo(scenario.clinic.timezone)
    known = _Known(scenario)
    _check_schedule(known, schedule)
    visits = [_booked(row, zone) for row in schedule.booked()]
    visits += _cancelled(scenario, known, schedule, changes or [], zone)
    feeds: dict[tuple[FeedKind, str], list[_Visit]] = {
        **{("provider", p.id): [] for p in scenario.providers},
        **{("room", r.id): [] for r in scenario.rooms},
    }
    for visit in sorted(visits, key=lambda v: (v.start, v.row.request_id, v.status)):
        for kind in visit.feeds:
            feeds[(kind, visit.provider_id if kind == "provider" else visit.room_id)].append(visit)
    moment = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    feed = _Feed(scenario, zone, moment, _timezone_span(scenario, visits))
    return {
        feed_name(kind, key): feed.calendar(kind, key, found)
        for (kind, key), found in feeds.items()
    }


def _booked(row: Appointment, zone: ZoneInfo) -> _Visit:
    """A booked row's event: TENTATIVE while held for its deposit, else CONFIRMED."""
    assert row.start is not None and row.end is not None
    status = STATUS.TENTATIVE if row.held else STATUS.CONFIRMED
    return _Visit(
        row,
        row.start.astimezone(zone),
        row.end.astimezone(zone),
        row.provider_id or "",
        row.room_id or "",
        status,
    )


def _cancelled(
    scenario: Scenario, known: _Known, schedule: Schedule, changes: list[Change], zone: ZoneInfo
) -> list[_Visit]:
    """The events a re-plan took out of a feed: each appointment that was booked, where it
    was, for the provider or room it no longer has (or both, once it is off the calendar)."""
    rows = {row.request_id: row for row in schedule.appointments}
    problems, visits = [], []
    for index, change in enumerate(changes):
        if not change.from_start:
            continue
        where = f"change {index + 1} ({change.change} {excerpt(change.request_id)})"
        row = rows.get(change.request_id)
        if row is None:
            message = "is not in the schedule; give the schedule the re-plan wrote with it"
            problems.append(Finding("unknown_appointment", where, message))
            continue
        if not change.from_provider or not change.from_room:
            message = (
                "has a from_start but no from_provider or from_room; write it as a re-plan does"
            )
            problems.append(Finding("incomplete_change", where, message))
            continue
        wrong = known.lacks(change.from_provider, change.from_room, row.service_id)
        if wrong:
            problems.append(Finding("unknown_item", where, wrong))
            continue
        start = datetime.fromisoformat(change.from_start).astimezone(zone)
        length = timedelta(minutes=scenario.service(row.service_id).length)
        end = (start.astimezone(UTC) + length).astimezone(zone)  # absolute time, across DST
        booked = row.status == "booked"
        now_at = {"provider": row.provider_id, "room": row.room_id}
        was_at = {"provider": change.from_provider, "room": change.from_room}
        left = tuple(kind for kind in FEED_KINDS if not booked or now_at[kind] != was_at[kind])
        if left:
            was = (change.from_provider, change.from_room)
            visits.append(_Visit(row, start, end, *was, STATUS.CANCELLED, left))
    if problems:
        raise ScenarioError("changes", problems)
    return visits


def _check_schedule(known: _Known, schedule: Schedule) -> None:
    """Every booked row has a time, and a provider, room and service of the scenario."""
    problems = []
    for row in schedule.booked():
        where = f"id {excerpt(row.request_id)}"
        if row.start is None or row.end is None or not row.provider_id or not row.room_id:
            message = "is booked without a start, end, provider or room; write it as a solve does"
            problems.append(Finding("incomplete_booking", where, message))
            continue
        wrong = known.lacks(row.provider_id, row.room_id, row.service_id)
        if wrong:
            problems.append(Finding("unknown_item", where, wrong))
    if problems:
        raise ScenarioError("schedule", problems)


class _Known:
    """The ids of a scenario's providers, rooms and services."""

    def __init__(self, scenario: Scenario) -> None:
        self.ids = {
            "provider": {p.id for p in scenario.providers},
            "room": {r.id for r in scenario.rooms},
            "service": {s.id for s in scenario.services},
        }

    def lacks(self, provider_id: str, room_id: str, service_id: str) -> str:
        """What the scenario lacks among a provider, a room and a service, with the fix ("" when
        it has them all; a blank id is not looked for)."""
        wanted = {"provider": provider_id, "room": room_id, "service": service_id}
        missing = [
            f"{kind} {excerpt(item)}"
            for kind, item in wanted.items()
            if item and item not in self.ids[kind]
        ]
        if not missing:
            return ""
        return (
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not in the "
            "scenario; give the scenario this schedule was written for"
        )


def _timezone_span(scenario: Scenario, visits: list[_Visit]) -> tuple[date, date]:
    """The days the feeds' timezone must cover: the horizon and every event in it."""
    clock = scenario.clinic.clock()
    days = [clock.first_day, clock.day(clock.num_days)]
    days += [moment.date() for visit in visits for moment in (visit.start, visit.end)]
    return min(days), max(days) + timedelta(days=1)


class _Feed:
    """What every feed of one clinic shares: names, timezone, DTSTAMP and UID key."""

    def __init__(
        self, scenario: Scenario, zone: ZoneInfo, stamp: datetime, span: tuple[date, date]
    ) -> None:
        self.scenario, self.zone, self.stamp, self.span = scenario, zone, stamp, span
        self.key = clinic_key(scenario.clinic.name)
        self.names: dict[FeedKind, dict[str, str]] = {
            "provider": {p.id: p.name for p in scenario.providers},
            "room": {r.id: r.name or r.id for r in scenario.rooms},
        }

    def calendar(self, kind: FeedKind, item_id: str, visits: list[_Visit]) -> Calendar:
        """The feed of one provider or room: the clinic's timezone first, then its events."""
        calendar = Calendar.new(
            name=f"{self.names[kind][item_id]} - {self.scenario.clinic.name}",
            prodid=PRODID,
            method="PUBLISH",
            uid=f"{kind}_{item_id}@{self.key}",
        )
        calendar.add_component(Timezone.from_tzinfo(self.zone, None, *self.span))
        for visit in visits:
            calendar.add_component(self._event(kind, visit))
        return calendar

    def _event(self, kind: FeedKind, visit: _Visit) -> Event:
        row, scenario = visit.row, self.scenario
        detail = patient_detail(scenario, row.patient_id)
        service = scenario.service(row.service_id).name
        notes = []
        if kind == "room":
            notes.append(f"Provider: {self.names['provider'][visit.provider_id]}")
        if visit.status == STATUS.TENTATIVE and row.pay_by is not None:
            due = row.pay_by.astimezone(self.zone)
            notes.append(f"Held until the deposit is paid, by {due:%a %Y-%m-%d %H:%M}")
        return Event.new(
            uid=f"{row.request_id}@{self.key}",
            summary=f"{service} - {detail}" if detail else service,
            start=visit.start,
            end=visit.end,
            stamp=self.stamp,
            sequence=row.sequence,
            status=visit.status,
            location=self.names["room"][visit.room_id],
            description="\n".join(notes) or None,
        )


def write_calendars(feeds: dict[str, Calendar], out_dir: Path) -> list[Path]:
    """Write the feeds into out_dir/calendars as one set (all files or none), replacing the
    feeds there; return their paths."""
    writers: dict[str, Writer] = {
        name: bytes_writer(calendar.to_ical) for name, calendar in sorted(feeds.items())
    }
    return write_set(out_dir / CALENDARS_FOLDER, writers, "calendars")


def feed_counts(feeds: dict[str, Calendar]) -> dict[str, dict[str, int]]:
    """How many feeds of each kind (provider, room) and how many events they hold in all,
    of them tentative (held for a deposit) and cancelled."""
    figures = ("feeds", "events", "tentative", "cancelled")
    counts: dict[str, dict[str, int]] = {kind: dict.fromkeys(figures, 0) for kind in FEED_KINDS}
    for name, calendar in feeds.items():
        kind = counts[name.split("_", 1)[0]]
        kind["feeds"] += 1
        for event in calendar.events:
            kind["events"] += 1
            kind["tentative"] += event.get("STATUS") == STATUS.TENTATIVE
            kind["cancelled"] += event.get("STATUS") == STATUS.CANCELLED
    return counts
