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
KNOWN: list[Known] = [
    Known(
        "loader: timeout",
        ["loader", "{file}"],
        {"file.yaml": TINY.replace(b"{id: p0}", b"{id: p0, tier: [" + b"vip, " * 400_000 + b"]}")},
    ),
]
SIGNATURES = {known.signature for known in KNOWN}
