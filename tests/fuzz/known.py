"""Failures the fuzz harness found that are not fixed yet, each with its minimal reproducer.

`command` is run as the fuzz tests run it: ["loader", "{file}"] loads a file with
load_scenario, any other is `medspa COMMAND ...`. "{name}" stands for the file of `files`
with that name before its suffix, or else for one of the fuzz tests' valid inputs: {clinic}
(a small generated clinic), {schedule} (its schedule.csv from `medspa solve`) and {out} (a
folder holding that solve's outputs). Remove an entry once its fix is merged: the fuzz tests
then fail if it comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.fuzz.harness import SOLVE


@dataclass(frozen=True)
class Known:
    """One distinct failure: its signature (tests/fuzz/harness.py) and how to reproduce it."""

    signature: str
    command: list[str]
    files: dict[str, bytes] = field(default_factory=dict)


TINY = b"""\
clinic:
  name: Test Spa
  timezone: America/Chicago
  horizon: {start: 2026-12-07, days: 1}
  hours: {mon: "09:00-17:00"}
services:
  - {id: botox, name: Botox, category: treatment, duration: 30, room_types: [injection]}
providers:
  - {id: rn, name: RN, role: rn, services: [botox], weekly: {mon: "09:00-17:00"}}
rooms: [{id: inj1, type: injection}]
patients: [{id: p0}]
requests: [{id: r1, patient: p0, service: botox, earliest: 2026-12-07, latest: 2026-12-07}]
"""
"""A one-day clinic the reproducers add one broken thing to."""
LATE_BOOKING = (
    TINY
    + b"""\
bookings: [{id: b1, patient: p0, service: botox, provider: rn, room: inj1,
            start: "9999-12-31T23:00-12:00"}]
"""
)
LONG_DAY_PART = TINY.replace(
    b"latest: 2026-12-07}", b"latest: 2026-12-07, preferred_times: [" + b"x" * 3000 + b"]}"
)
SCHEDULE = b"""\
request_id,patient_id,service_id,provider_id,room_id,equipment,start,end,status,reason,kind,moved
r1,p0,botox,rn,inj1,,2026-12-07T09:00:00-06:00,2026-12-07T09:30:00-06:00,booked,,request,False
"""
"""TINY's schedule, as `medspa solve` writes it."""
UNBOOKABLE = TINY.replace(
    b"services:\n",
    b"""\
services:
  - {id: peel, name: Peel, category: treatment, duration: 30, room_types: [injection]}
""",
).replace(
    b"requests: [",
    b"requests: [{id: r0, patient: p0, service: peel, earliest: 2026-12-07, latest: 2026-12-07}, ",
)
"""TINY with a request no provider may take: it goes to the exception queue."""
RESHUFFLE = ["reshuffle", "{clinic}", "--schedule", "{schedule}", "--now=2026-12-07T08:00", *SOLVE]
RESHUFFLE += ["--out", "{out}"]

KNOWN: list[Known] = [
    Known(
        "loader: raised RecursionError in models/loader.py:read_data",
        ["loader", "{file}"],
        {"file.yaml": TINY + b"bookings: " + b"[" * 500 + b"]" * 500 + b"\n"},
    ),
    Known(
        "loader: raised OverflowError in models/times.py:minute",
        ["loader", "{file}"],
        {"file.yaml": LATE_BOOKING},
    ),
    Known(
        "loader: a message line of over 2,000 characters",
        ["loader", "{file}"],
        {"file.yaml": TINY.replace(b"patient: p0,", b"patient: " + b"x" * 3000 + b",")},
    ),
    Known(
        "loader: timeout",
        ["loader", "{file}"],
        {"file.yaml": TINY.replace(b"{id: p0}", b"{id: p0, tier: [" + b"vip, " * 400_000 + b"]}")},
    ),
    Known(
        "audit: a message line of over 2,000 characters",
        ["audit", "{file}"],
        {"file.yaml": LONG_DAY_PART},
    ),
    Known(
        "solve: a message line of over 2,000 characters",
        ["solve", "{file}", "--out", "{out}", *SOLVE],
        {"file.yaml": LONG_DAY_PART},
    ),
    Known(
        "audit: exit 3, RecursionError: maximum recursion depth exceeded",
        ["audit", "{file}"],
        {"file.json": b"[" * 1000 + b"]" * 1000},
    ),
    Known(
        "audit: exit 3, OverflowError: date value out of",
        ["audit", "{file}"],
        {"file.yaml": LATE_BOOKING},
    ),
    Known(
        "solve: exit 3, OverflowError: date value out of",
        ["solve", "{file}", "--out", "{out}", *SOLVE],
        {
            "file.yaml": TINY.replace(
                b"latest: 2026-12-07}",
                b'latest: 2026-12-07, requested_at: "9999-12-31T23:00-12:00"}',
            )
        },
    ),
    Known(
        "solve: exit 3, RecursionError: maximum recursion depth exceeded",
        ["solve", "{file}", "--out", "{out}", *SOLVE],
        {"file.json": b"[" * 1000 + b"]" * 1000},
    ),
    Known(
        "solve: kpis.json is not strict JSON",
        ["solve", "{file}", "--out", "{out}", *SOLVE],
        {"file.yaml": TINY.replace(b"duration: 30,", b"duration: 30, value: .inf,")},
    ),
    Known(
        "solve: control characters in a message",
        ["solve", "{file}", "--out", "{out}", *SOLVE],
        {"file.yaml": TINY.replace(b"name: Test Spa", b'name: "Test Spa\\e[2J"')},
    ),
    Known(
        "solve: a formula cell in exceptions.csv",
        ["solve", "{file}", "--out", "{out}", *SOLVE],
        {"file.yaml": UNBOOKABLE + b"policies: {escalation_owner: '=HYPERLINK(1)'}\n"},
    ),
    Known(
        "check: exit 3, OverflowError: date value out of",
        ["check", "{file}", "{schedule}"],
        {
            "file.yaml": TINY,
            "schedule.csv": SCHEDULE.replace(
                b"2026-12-07T09:00:00-06:00", b"0001-01-01T00:00+14:00"
            ),
        },
    ),
    Known(
        "check: control characters in a message",
        ["check", "{file}", "{schedule}"],
        {"file.yaml": TINY, "schedule.csv": SCHEDULE.replace(b",p0,", b",p0\x7f,")},
    ),
    Known(
        "reshuffle: out of memory", [*RESHUFFLE, "--event=running_late:np_01,minutes=100000000000"]
    ),
    Known(
        "reshuffle: exit 3, OverflowError: date value out of",
        [*RESHUFFLE, "--event=cancel:r_03,at=9999-12-31T23:00-12:00"],
    ),
    Known(
        "reshuffle: exit 3, RecursionError: maximum recursion depth exceeded",
        [*RESHUFFLE, "--events", "{events}"],
        {"events.yaml": b"[" * 1000 + b"]" * 1000},
    ),
    # The same unbounded run as the last but one: it runs out of memory on a quiet machine,
    # out of time on a busy one.
    Known("reshuffle: timeout", [*RESHUFFLE, "--event=provider_out:np_01,to=9999-12-31T10:00"]),
]
SIGNATURES = {known.signature for known in KNOWN}
