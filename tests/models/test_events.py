"""Same-day events as data: the command-line form `kind:target,key=value,...` parses into the
right event, and malformed text is refused with a ValueError that names the problem."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from models.events import (
    EVENT_ADAPTER,
    Cancel,
    DepositPaid,
    NewRequest,
    NoShow,
    ProviderOut,
    Reschedule,
    RoomOrMachineDown,
    RunningLate,
    parse_event,
)


@pytest.mark.parametrize(
    ("text", "kind", "fields"),
    [
        ("cancel:q17", Cancel, {"booking": "q17", "at": None}),
        ("cancel:q17,at=2026-12-08T09:00", Cancel, {"at": datetime(2026, 12, 8, 9)}),
        (" cancel : q17 ", Cancel, {"booking": "q17"}),
        ("no_show:q3", NoShow, {"booking": "q3"}),
        (
            "provider_out:rn_kim,from=2026-12-08T12:00,to=2026-12-08T19:00",
            ProviderOut,
            {
                "provider": "rn_kim",
                "start": datetime(2026, 12, 8, 12),
                "end": datetime(2026, 12, 8, 19),
            },
        ),
        ("provider_out:rn_kim", ProviderOut, {"start": None, "end": None}),
        ("running_late:md_lee,minutes=20", RunningLate, {"provider": "md_lee", "minutes": 20}),
        (
            "room_down:laser_1,from=2026-12-08T12:00",
            RoomOrMachineDown,
            {"kind": "room_down", "id": "laser_1", "start": datetime(2026, 12, 8, 12)},
        ),
        ("machine_down:ipl", RoomOrMachineDown, {"kind": "machine_down", "id": "ipl"}),
        (
            "reschedule:q21,earliest=2026-12-09,latest=2026-12-10",
            Reschedule,
            {"booking": "q21", "earliest": date(2026, 12, 9), "latest": date(2026, 12, 10)},
        ),
        ("deposit_paid:q9", DepositPaid, {"booking": "q9"}),
    ],
)
def test_each_kind_parses_from_its_command_line_form(
    text: str, kind: type, fields: dict[str, Any]
) -> None:
    event = parse_event(text)
    assert isinstance(event, kind)
    assert {name: getattr(event, name) for name in fields} == fields


def test_a_time_with_an_offset_keeps_it_for_the_clinic_clock_to_convert() -> None:
    event = parse_event("provider_out:rn_kim,from=2026-12-08T17:00+00:00")
    assert event.start.utcoffset() == timedelta(0)
    assert event.start.hour == 17


def test_a_new_request_is_written_flat_and_gets_an_id_from_patient_and_service() -> None:
    event = parse_event(
        "new_request:patient=p4,service=botox,earliest=2026-12-08,latest=2026-12-09"
    )
    assert isinstance(event, NewRequest)
    request = event.request
    assert (request.id, request.patient, request.service) == ("new_p4_botox", "p4", "botox")
    assert (request.earliest, request.latest) == (date(2026, 12, 8), date(2026, 12, 9))
    named = parse_event(
        "new_request:id=walk_in_1,patient=p4,service=botox,earliest=2026-12-08,"
        "latest=2026-12-08,priority=5,deposit_paid=true"
    )
    assert (named.request.id, named.request.priority, named.request.deposit_paid) == (
        "walk_in_1",
        5,
        True,
    )


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (
            "explode:q1",
            "unknown kind 'explode'; use one of cancel, confirm, decline, deposit_paid, "
            "machine_down",
        ),
        ("cancel", "booking: Field required"),
        ("cancel:", "booking: Field required"),
        ("room_down:,from=2026-12-08T12:00", "id: Field required"),
        ("running_late:md_lee", "minutes: Field required"),
        ("provider_out:md_lee,from=noon", "from: Input should be a valid datetime"),
        ("provider_out:md_lee,to=2026-13-01T10:00", "to: Input should be a valid datetime"),
        ("cancel:q1,at=yesterday", "at: Input should be a valid datetime"),
        (
            "reschedule:q1,earliest=2026-12-09,latest=someday",
            "latest: Input should be a valid date",
        ),
        ("reschedule:q1,earliest=2026-12-09", "latest: Field required"),
        ("running_late:md_lee,minutes=0", "minutes: Input should be greater than 0"),
        ("running_late:md_lee,minutes=abc", "minutes: Input should be a valid integer"),
        (
            "running_late:md_lee,minutes=100000000000",
            "minutes: 100,000,000,000 minutes is more than a day; running late is at most 1,440 "
            "minutes, for a longer absence use provider_out with from and to",
        ),
        ("running_late:md_lee,minutes=1441", "1,441 minutes is more than a day"),
        ("cancel:q1,colour=red", "colour: Extra inputs are not permitted"),
        ("cancel:q1,q2", "'q2' in 'cancel:q1,q2' is not key=value"),
        ("new_request:p4", "'p4' in 'new_request:p4' is not key=value"),
        ("new_request:patient=p4,earliest=2026-12-08", "request.service: Field required"),
        (
            "new_request:patient=p4,service=botox,earliest=2026-12-10,latest=2026-12-09",
            "earliest 2026-12-10 is after latest 2026-12-09",
        ),
    ],
)
def test_malformed_text_is_refused_with_the_problem_named(text: str, named: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_event(text)
    message = str(raised.value)
    assert named in message
    assert text.strip() in message, "the message quotes the event it is about"
    assert "\n" not in message and "pydantic" not in message


def test_an_events_file_is_a_list_of_events_told_apart_by_kind() -> None:
    events = EVENT_ADAPTER.validate_python(
        [
            {"kind": "cancel", "booking": "q1"},
            {"kind": "provider_out", "provider": "rn_kim", "from": "2026-12-08T12:00"},
            {"kind": "new_request", "patient": "p4", "service": "botox"}
            | {"earliest": "2026-12-08", "latest": "2026-12-08"},
        ]
    )
    assert [type(e) for e in events] == [Cancel, ProviderOut, NewRequest]
    assert events[1].start == datetime(2026, 12, 8, 12)
    with pytest.raises(ValidationError):
        EVENT_ADAPTER.validate_python([{"kind": "flood", "room": "laser_1"}])


@pytest.mark.parametrize(
    "text",
    [
        "cancel:q1," + "x" * 5_000_000,
        "cancel:" + "q" * 5_000_000 + ",colour=red",
        "explode" * 1_000_000,
        "running_late:md_lee,minutes=" + "9" * 4_000 + "x",
    ],
    ids=["a huge pair", "a huge event", "a huge kind", "a huge number"],
)
def test_a_huge_event_is_quoted_as_an_excerpt(text: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_event(text)
    message = str(raised.value)
    assert len(message) < 500
    assert f"({len(text):,} characters)" in message


def test_a_running_late_of_a_whole_day_is_allowed() -> None:
    assert parse_event("running_late:md_lee,minutes=1440").minutes == 1440
