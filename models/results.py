"""What a solve produces: the schedule (one row per request and per existing booking),
the exception queue and the solve report. No solver types appear here.

A schedule is read from its APPOINTMENT_COLUMNS (request_id, patient_id, service_id,
provider_id, room_id, equipment, start, end, status, reason, plus `kind` (request or booking)
and `moved` (an existing booking placed at another time)); schedule.csv and the DataFrame add
what a clinic reads (SCHEDULE_COLUMNS): the local date, start and end time, the minutes, and
the names beside the ids.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models.findings import excerpt
from models.loader import _problem  # a bad value in the words a scenario file gets
from models.scenario import RELEASED_STATUSES, Identifier, Scenario
from models.spreadsheet import read_csv, write_csv

Status = Literal["booked", "unscheduled", "escalated"]
SolveStatus = Literal["optimal", "time_limit", "greedy", "interrupted"]
DEADLINE_COLUMNS = ("pay_by", "reply_by")
"""The times by which a patient must act on a booked row (pay a deposit, answer an offer)."""
TIME_COLUMNS = ("start", "end", *DEADLINE_COLUMNS)
"""The columns of a schedule that hold times (ISO 8601 with an offset in schedule.csv)."""
APPOINTMENT_COLUMNS = [
    "request_id",
    "patient_id",
    "service_id",
    "provider_id",
    "room_id",
    "equipment",
    "start",
    "end",
    "status",
    "reason",
    "kind",
    "moved",
    "pay_by",
    "reply_by",
    "confirmed",
    "sequence",
]
"""The columns a schedule is read from (the first ten required; ids are the key)."""
SCHEDULE_COLUMNS = [
    "request_id",
    "date",
    "start_time",
    "end_time",
    "duration_minutes",
    "provider_id",
    "provider_name",
    "room_id",
    "room_name",
    "patient_id",
    "patient_name",
    "service_id",
    "service_name",
    "status",
    "reason",
    "kind",
    "moved",
    "pay_by",
    "reply_by",
    "confirmed",
    "sequence",
    "equipment",
    "start",
    "end",
]
"""The columns of schedule.csv and of the schedule's DataFrame."""
MAX_CELL_CHARACTERS = 1_000
"""A schedule holds ids, times and codes, far shorter; a longer cell is refused, so that no
check quotes megabytes back."""
TIME_YEARS = (2, 9998)
"""Years a schedule time may carry: within a day of year 1 or 9999 a time cannot be moved
to the clinic's timezone."""
_SEPARATORS = {";": "semicolons (;)", "\t": "tabs"}
_EQUIPMENT_PART = re.compile(r"^\s*[A-Za-z0-9_.:\-]+:[0-9]+\s*$")


class Appointment(BaseModel):
    """One row of the schedule: a request or an existing booking and where it landed."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    request_id: Identifier
    """Request id, or booking id for an existing booking."""
    patient_id: Identifier
    """Patient id."""
    service_id: Identifier
    """Service id."""
    provider_id: Identifier | None = None
    """Provider, when booked."""
    room_id: Identifier | None = None
    """Room, when booked."""
    equipment: str = ""
    """Machines held, as 'id:units' joined by ';'."""
    start: datetime | None = None
    """Start, timezone-aware local time, when booked."""
    end: datetime | None = None
    """End of the patient's time in the room (turnover not included), when booked."""
    status: Status = "unscheduled"
    """booked, unscheduled (no room in the calendar) or escalated (needs a person)."""
    reason: str = ""
    """Why it is not booked (a reason code), or a note on a booked row."""
    kind: Literal["request", "booking"] = "request"
    """request = asked for; booking = already on the calendar."""
    moved: bool = False
    """An existing booking placed at another time than before."""
    pay_by: datetime | None = None
    """Held for an unpaid deposit until this time (policies.deposit_holds); blank when the
    appointment is not held."""
    reply_by: datetime | None = None
    """A waitlist offer a re-plan made: the patient answers by this time, or the next re-plan
    releases the slot (offer_expired); blank for any other row, and once confirmed."""
    confirmed: bool = False
    """The patient confirmed they will come."""
    sequence: int = Field(default=0, ge=0)
    """How many times the appointment changed on the calendar (the calendars' SEQUENCE)."""

    @property
    def held(self) -> bool:
        """Booked, but held until the deposit is paid by `pay_by`."""
        return self.status == "booked" and self.pay_by is not None

    @field_validator(*TIME_COLUMNS, mode="before")
    @classmethod
    def _written_time(cls, value: Any) -> Any:
        """A time as text is ISO 8601 in whole minutes, in a year a clock can convert."""
        return value if not isinstance(value, str) else written_time(value)

    @field_validator("equipment")
    @classmethod
    def _machine_units(cls, text: str) -> str:
        """Machines held as 'id:units' joined by ';', units a whole number."""
        if not all(_EQUIPMENT_PART.match(part) for part in text.split(";") if part.strip()):
            raise ValueError(
                f"{excerpt(text)} is not a list of machine:units; write each machine as its id "
                "and a whole number of units, joined by ';', e.g. 'laser_platform:1'"
            )
        return text


def written_time(value: str) -> datetime:
    """A schedule time written as ISO 8601 in whole minutes, in a year a clock can convert."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"{excerpt(value)} is not a time; write it as ISO 8601, e.g. 2026-12-08T10:00:00-05:00"
        ) from None
    if moment.second or moment.microsecond:
        raise ValueError(f"{excerpt(value)} has seconds; schedule times are whole minutes")
    if not TIME_YEARS[0] <= moment.year <= TIME_YEARS[1]:
        raise ValueError(
            f"{excerpt(value)} is out of range (year {moment.year}); a schedule's times "
            "lie in its scenario's horizon"
        )
    return moment


class ExceptionItem(BaseModel):
    """A request or booking that needs a person: the day it concerns, what was asked for, who
    owns it, why and what to do (the columns of exceptions.csv, in the order a desk reads)."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    day: str = ""
    """The day it concerns (YYYY-MM-DD, local): a booking's day, else the first day of the
    request's window still ahead."""
    window: str = ""
    """When the patient is expected, local: a booking's day and time ("Tue 2026-12-08
    10:00-10:30"), a request's window of days ("Mon 2026-12-07 to Wed 2026-12-09")."""
    owner: str
    """Who handles it, from the clinic policy: the owner of its reason code, else the same-day
    owner for what concerns today (and existing bookings and patients displaced today), else
    the escalation owner on duty on its day."""
    request_id: str
    """Request or booking id."""
    patient_id: str
    """Patient id."""
    patient_name: str = ""
    """Patient name, if the scenario has one."""
    tier: str = ""
    """The patient's tier (vip, member, returning, new)."""
    service_id: str = ""
    """Service id."""
    service_name: str = ""
    """Service name."""
    value: str = ""
    """The service's value in the clinic's currency ("$250.00")."""
    reason_code: str
    """Stable code, e.g. consult_required, no_permitted_provider."""
    detail: str = ""
    """The reason in words."""
    suggested_action: str
    """What the owner should do."""


class ScheduleFileError(ValueError):
    """A schedule file that cannot be read, with every problem found, by line and column."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class Schedule(BaseModel):
    """All rows of a schedule."""

    appointments: list[Appointment] = Field(default_factory=list)
    """One row per request and per existing booking."""

    def booked(self) -> list[Appointment]:
        """The rows that are on the calendar."""
        return [a for a in self.appointments if a.status == "booked"]

    def rows(self, scenario: Scenario | None = None) -> list[dict[str, Any]]:
        """The schedule.csv rows, sorted by day, provider and time (the rows not booked last,
        in file order): local date and times in the clinic's timezone (as written without a
        scenario), names from the scenario (blank without one or for an unnamed item)."""
        zone = _clinic_zone(scenario)
        names = _Names(scenario)

        def when(row: Appointment) -> tuple[date, str, datetime]:
            assert row.start is not None
            return _local(row.start, zone).date(), row.provider_id or "", row.start

        booked = sorted((a for a in self.appointments if a.start is not None), key=when)
        unbooked = [a for a in self.appointments if a.start is None]
        return [_schedule_row(a, names, zone) for a in booked + unbooked]

    def to_frame(self, scenario: Scenario | None = None) -> pd.DataFrame:
        """The schedule as a DataFrame with the schedule.csv columns and rows (`rows`); start
        and end are datetimes in the clinic's timezone, NaT when not booked. Without a
        scenario they keep the timezone every time is written in (UTC if they differ)."""
        frame = pd.DataFrame(self.rows(scenario), columns=SCHEDULE_COLUMNS)
        times = [t for a in self.appointments for t in (a.start, a.end) if t]
        as_datetimes(frame, TIME_COLUMNS, _frame_zone(scenario, times))
        frame["duration_minutes"] = frame["duration_minutes"].astype("Int64")
        return frame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Schedule:
        """Rows of a DataFrame shaped like schedule.csv; every bad cell is reported by its
        line and column."""
        missing = [c for c in APPOINTMENT_COLUMNS[:10] if c not in frame.columns]
        if missing:
            raise ScheduleFileError(
                [f"line 1 (the header): missing column(s) {', '.join(missing)}"]
            )
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        appointments, problems = [], []
        for line, record in enumerate(records, start=2):  # line 1 is the header
            row = {k: _cell(v) for k, v in record.items() if k in APPOINTMENT_COLUMNS}
            known = row.get("request_id")
            where = f"line {line}" + (f" (id {excerpt(known)})" if known else "")
            long = [
                f"{where}.{column}: {excerpt(value)} is longer than {MAX_CELL_CHARACTERS:,} "
                "characters, far more than an id, a time or a code"
                for column, value in row.items()
                if isinstance(value, str) and len(value) > MAX_CELL_CHARACTERS
            ]
            if long:
                problems += long
                continue
            row["equipment"] = row.get("equipment") or ""
            row["reason"] = row.get("reason") or ""
            row["moved"] = row.get("moved") or False
            row["confirmed"] = row.get("confirmed") or False
            row["sequence"] = row.get("sequence") or 0
            try:
                appointments.append(Appointment.model_validate(row))
            except ValidationError as error:
                for detail in error.errors():
                    problem = _problem(detail, row)
                    problems.append(f"{where}.{problem.where}: {problem.message}")
        if problems:
            raise ScheduleFileError(problems)
        return cls(appointments=appointments)

    @classmethod
    def read_csv(cls, path: str | Path) -> Schedule:
        """Read a schedule.csv file (comma-separated UTF-8, as `write_csv` or a spreadsheet
        wrote it)."""
        with open(path, encoding="utf-8", newline="") as stream:
            header = stream.readline()
        found = [name for mark, name in _SEPARATORS.items() if mark in header]
        if found and "," not in header:
            raise ScheduleFileError(
                [
                    f"line 1 (the header): the columns are separated by {found[0]}; a schedule "
                    "separates them with commas (save it as comma-separated CSV)"
                ]
            )
        return cls.from_frame(read_csv(path))

    def write_csv(self, path: Path, scenario: Scenario | None = None) -> None:
        """Write schedule.csv (`rows`, start and end as ISO 8601 with the clinic's offset),
        safe to open in a spreadsheet (models/spreadsheet.py)."""
        rows = self.rows(scenario)
        for row in rows:
            for column in TIME_COLUMNS:
                row[column] = row[column].isoformat() if row[column] else ""
            if row["duration_minutes"] is None:
                row["duration_minutes"] = ""
        write_csv(pd.DataFrame(rows, columns=SCHEDULE_COLUMNS), path)


def _cell(value: Any) -> Any:
    """A cell of a schedule frame as a row field: blank as None, a pandas time as a datetime."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return None if value == "" else value


def _clinic_zone(scenario: Scenario | None) -> ZoneInfo | None:
    """The clinic's timezone, when the scenario is known."""
    return ZoneInfo(scenario.clinic.timezone) if scenario else None


def _local(moment: datetime, zone: ZoneInfo | None) -> datetime:
    """A time on the clinic's clock (as written when the timezone is not known)."""
    return moment.astimezone(zone) if zone else moment


def _local_date_and_time(moment: datetime | None, zone: ZoneInfo | None) -> tuple[str, str]:
    """The local date (YYYY-MM-DD) and time (HH:MM) of a moment; blanks for none."""
    if moment is None:
        return "", ""
    local = _local(moment, zone)
    return local.date().isoformat(), f"{local:%H:%M}"


def _frame_zone(scenario: Scenario | None, moments: list[datetime]) -> tzinfo:
    """The timezone of a table's datetimes: the clinic's, else the one the times are written
    in, else UTC."""
    zones = {moment.tzinfo for moment in moments}
    written = zones.pop() if len(zones) == 1 else None
    return _clinic_zone(scenario) or written or UTC


def as_datetimes(frame: pd.DataFrame, columns: tuple[str, ...], zone: tzinfo) -> None:
    """Turn time columns (datetimes, ISO text or blanks) into datetimes in `zone`, NaT blank."""
    for column in columns:
        moments = pd.to_datetime(frame[column].replace("", None), utc=True).dt.tz_convert(zone)
        frame[column] = moments.astype(pd.DatetimeTZDtype("ns", zone))


class _Names:
    """The names of a scenario's patients, services, providers and rooms, by id (blank
    without a scenario or for an unnamed item)."""

    def __init__(self, scenario: Scenario | None) -> None:
        self._names: dict[str, dict[str, str]] = {
            kind: {item.id: item.name or "" for item in getattr(scenario, f"{kind}s", [])}
            for kind in ("patient", "service", "provider", "room")
        }

    def of(self, kind: str, item_id: str | None) -> str:
        """The name of the patient, service, provider or room with this id."""
        return self._names[kind].get(item_id or "", "")


def _schedule_row(appointment: Appointment, names: _Names, zone: ZoneInfo | None) -> dict[str, Any]:
    """One schedule.csv row: the appointment with its local times, minutes and names."""
    row = appointment.model_dump()
    start, end = appointment.start, appointment.end
    row["date"], row["start_time"] = _local_date_and_time(start, zone)
    row["end_time"] = _local_date_and_time(end, zone)[1]
    row["duration_minutes"] = int((end - start).total_seconds()) // 60 if start and end else None
    for column in DEADLINE_COLUMNS:
        moment = getattr(appointment, column)
        if moment is not None:
            row[column] = _local(moment, zone)
    for kind in ("patient", "service", "provider", "room"):
        row[f"{kind}_id"] = row[f"{kind}_id"] or ""
        row[f"{kind}_name"] = names.of(kind, row[f"{kind}_id"])
    return row


class Change(BaseModel):
    """One line of a re-plan's change list: who moves from where to where, and who calls."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    change: str
    """moved, rebooked (displaced), rescheduled (the patient asked for another window),
    booked_from_waitlist (a `source: waitlist` request), booked_new_request (any other request,
    a new_request event included), room_changed, cancelled, cancelled_late, no_show, declined
    (a waitlist offer turned down), offer_expired (a waitlist offer unanswered by its reply-by
    time), hold_expired (a held appointment's deposit unpaid by its pay-by time) or
    escalated."""
    request_id: str
    """Appointment id."""
    patient_id: str
    """Patient id."""
    service_id: str
    """Service id."""
    from_start: str = ""
    """Start before the change (ISO 8601), if it was booked."""
    from_provider: str = ""
    """Provider before the change."""
    from_room: str = ""
    """Room before the change."""
    to_start: str = ""
    """Start after the change (ISO 8601), if it is booked."""
    to_provider: str = ""
    """Provider after the change."""
    to_room: str = ""
    """Room after the change."""
    call_patient: bool = False
    """Someone must call the patient."""
    late_fee_applies: bool = False
    """A late cancellation or a no-show: the clinic's late-cancellation fee applies."""
    owner: str = ""
    """Who owns the change: the policy's same-day owner, else the escalation owner on duty
    that day."""
    note: str = ""
    """What the change does not say: the reason code of an escalation, or why a room changed."""


MOVING_CHANGES = frozenset({"moved", "rebooked", "rescheduled"})
"""Changes that give a booked appointment a new time or provider."""
OFF_CALENDAR_CHANGES = RELEASED_STATUSES | {"escalated"}
"""Changes that take a booked appointment off the calendar: the patient gave it up, or the
re-plan could not keep it."""
CHANGE_COLUMNS = [
    "change",
    "request_id",
    "patient_id",
    "patient_name",
    "service_id",
    "service_name",
    "from_date",
    "from_time",
    "from_provider",
    "from_provider_name",
    "from_room",
    "from_room_name",
    "to_date",
    "to_time",
    "to_provider",
    "to_provider_name",
    "to_room",
    "to_room_name",
    "call_patient",
    "late_fee_applies",
    "owner",
    "note",
    "from_start",
    "to_start",
]
"""The columns of changes.csv and of the change list's DataFrame."""


def changes_frame(changes: list[Change], scenario: Scenario | None = None) -> pd.DataFrame:
    """The change list as a DataFrame with the changes.csv columns: names from the scenario,
    local dates and times, from_start/to_start as datetimes in the clinic's timezone (NaT when
    not booked on that side; without a scenario as in `Schedule.to_frame`)."""
    zone, names = _clinic_zone(scenario), _Names(scenario)
    rows = []
    for change in changes:
        row = change.model_dump()
        for side in ("from", "to"):
            text = row[f"{side}_start"]
            start = datetime.fromisoformat(text) if text else None
            row[f"{side}_start"] = start
            row[f"{side}_date"], row[f"{side}_time"] = _local_date_and_time(start, zone)
            for kind in ("provider", "room"):
                row[f"{side}_{kind}_name"] = names.of(kind, row[f"{side}_{kind}"])
        row["patient_name"] = names.of("patient", change.patient_id)
        row["service_name"] = names.of("service", change.service_id)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    times = [t for row in rows for t in (row["from_start"], row["to_start"]) if t]
    as_datetimes(frame, ("from_start", "to_start"), _frame_zone(scenario, times))
    return frame


def read_changes(path: str | Path) -> list[Change]:
    """Read a changes.csv file (as a re-plan wrote it); every bad cell is reported by its line
    and column (ScheduleFileError)."""
    frame = read_csv(path)
    required = ["change", "request_id", "patient_id", "service_id", "from_start", "to_start"]
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ScheduleFileError([f"line 1 (the header): missing column(s) {', '.join(missing)}"])
    changes, problems = [], []
    for line, record in enumerate(frame.to_dict("records"), start=2):  # line 1 is the header
        row = {k: v for k, v in record.items() if k in Change.model_fields}
        where = f"line {line}" + (
            f" (id {excerpt(row['request_id'])})" if row["request_id"] else ""
        )
        try:
            change = Change.model_validate(row)
        except ValidationError as error:
            problems += [
                f"{where}.{problem.where}: {problem.message}"
                for problem in (_problem(detail, row) for detail in error.errors())
            ]
            continue
        for column in ("from_start", "to_start"):
            text = getattr(change, column)
            try:
                aware = not text or written_time(text).tzinfo is not None
            except ValueError as error:
                problems.append(f"{where}.{column}: {error}")
                continue
            if not aware:
                problems.append(
                    f"{where}.{column}: {excerpt(text)} has no UTC offset; write it with the "
                    "clinic's offset, e.g. 2026-12-08T10:00:00-05:00, as a re-plan does"
                )
        changes.append(change)
    if problems:
        raise ScheduleFileError(problems)
    return changes


def exceptions_frame(items: list[ExceptionItem]) -> pd.DataFrame:
    """The exception queue as a DataFrame with the exceptions.csv columns."""
    columns = list(ExceptionItem.model_fields)
    return pd.DataFrame([item.model_dump() for item in items], columns=columns)


class ProgressPoint(BaseModel):
    """The search at one moment: best schedule found so far and the proven bound."""

    seconds: float
    """Wall time since the search started."""
    objective: int
    """Objective of the best schedule found so far."""
    bound: int
    """Best proven bound at that time."""

    @property
    def gap(self) -> float:
        """How far the schedule may still be from the best possible one (see `gap`)."""
        return gap(self.objective, self.bound)


def gap(objective: int, bound: int) -> float:
    """(bound - objective) / bound: 0 means proven optimal."""
    return (bound - objective) / abs(bound) if bound else 0.0


class SolveReport(BaseModel):
    """How the solve went: status, objective, bound, gap, times and every objective term."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    status: SolveStatus
    """optimal (proven best), time_limit (stopped at the limit with the best schedule found),
    greedy (the front-desk schedule was kept: the search found nothing better), or interrupted
    (Ctrl-C or SIGTERM stopped the search early; the best schedule found by then). A clinic is
    never infeasible: every request may stay unbooked and bookings that clash are escalated."""
    objective: int
    """Objective of the returned schedule, recomputed from it."""
    best_bound: int
    """Proven upper bound on the objective."""
    gap: float
    """(bound - objective) / bound: 0 means proven optimal."""
    greedy_objective: int
    """Objective of the front-desk baseline."""
    terms: dict[str, int]
    """Booked priority-minutes and each soft-rule penalty of the returned schedule."""
    wall_time: float
    """Seconds from eligibility to returned schedule."""
    build_time: float
    """Seconds spent building the model."""
    time_limit: float
    """Search time limit: wall-clock seconds, or (deterministic) seconds of work at the
    reference machine's pace."""
    num_workers: int
    """Search workers."""
    seed: int
    """Random seed of the search."""
    deterministic: bool = False
    """The search counted work units, so it repeats exactly (one worker)."""
    num_variables: int
    """Variables in the model."""
    num_constraints: int
    """Constraints in the model."""
    progress: list[ProgressPoint] = Field(default_factory=list)
    """Each improving schedule found during the search."""
    notes: list[str] = Field(default_factory=list)
    """Anything unusual about this solve, in words (e.g. a starting schedule the model
    rejected, and which of its rules disagreed)."""
    interrupted_after: float | None = None
    """Seconds into the solve when Ctrl-C or SIGTERM stopped the search (None: nothing did)."""
