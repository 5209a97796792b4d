"""The same-day re-solver: whatever happens during a day, every re-plan passes the independent
checker, leaves the past alone, moves few patients, drops nobody, keeps rooms and machines that
are down out of use, fills freed time in the waitlist order, rebooks or escalates displaced
patients, and refuses impossible events with a message that names the problem."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import product
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from checker import check_schedule, recompute_objective
from models.events import (
    Cancel,
    NewRequest,
    NoShow,
    ProviderOut,
    Reschedule,
    RoomOrMachineDown,
    RunningLate,
)
from models.loader import scenario_from_data
from models.results import Appointment, Schedule
from models.scenario import Scenario
from scenarios.generator import generate_scenario
from solver.replan import EventError, ReshuffleResult, replay, reshuffle, waitlist_order
from solver.solve import solve
from tests import conftest as make

OPTIONS: dict[str, Any] = {
    "time_limit": 0.3,
    "num_workers": 1,
    "seed": 0,
    "deterministic": True,
}
CLINICS = [  # seed, requests, providers, days
    (1, 60, 3, 2),
    (2, 90, 4, 3),
    pytest.param(3, 120, 6, 2, marks=pytest.mark.slow),
    (5, 80, 5, 3),
]


def night(scenario: Scenario) -> Schedule:
    """The schedule solved the night before."""
    result = solve(scenario, time_limit=0.4, num_workers=1, seed=0, deterministic=True)
    assert check_schedule(scenario, result.schedule) == []
    return result.schedule


def rows_by_id(schedule: Schedule) -> dict[str, Appointment]:
    return {row.request_id: row for row in schedule.appointments}


def minute(scenario: Scenario, moment: datetime) -> int:
    return scenario.clinic.clock().minute(moment)


def start_minute(scenario: Scenario, row: Appointment) -> int:
    """Clinic minute of a booked row's start."""
    assert row.start is not None
    return minute(scenario, row.start)


# --- random events ---------------------------------------------------------------------


@dataclass(frozen=True)
class Downtime:
    """A room or machine out of service, as the test remembers it: [start, end) from `declared`."""

    kind: str
    id: str
    declared: int
    start: int
    end: int


def _random_events(
    rng: random.Random, state: Scenario, schedule: Schedule, now: datetime, step: int
) -> list[Any]:
    """A cancellation and one or two other valid events at `now`, each on a different
    appointment or resource."""
    booked = [row for row in schedule.appointments if row.status == "booked"]
    future = [row for row in booked if row.start is not None and row.start >= now]
    started = [
        row
        for row in booked
        if row.start is not None and row.start <= now and row.start.date() == now.date()
    ]
    last_day = state.clinic.clock().days()[-1]
    taken: set[str] = set()

    def pick(rows: list[Appointment]) -> Appointment | None:
        left = [row for row in rows if row.request_id not in taken]
        row = rng.choice(left) if left else None
        if row is not None:
            taken.add(row.request_id)
        return row

    def cancel() -> Any:
        row = pick(future)
        return row and Cancel(booking=row.request_id)

    def no_show() -> Any:
        row = pick(started)
        return row and NoShow(booking=row.request_id)

    def reschedule() -> Any:
        row = pick(future)
        if row is None or row.start is None:
            return None
        day = row.start.date()
        earliest = min(day + timedelta(days=1), last_day)
        return Reschedule(booking=row.request_id, earliest=earliest, latest=last_day)

    def provider_out() -> Any:
        provider = rng.choice(state.providers).id
        hours = rng.randint(1, 4)
        return ProviderOut.model_validate(
            {"provider": provider, "from": now, "to": now + timedelta(hours=hours)}
        )

    def running_late() -> Any:
        provider = rng.choice(state.providers).id
        return RunningLate(provider=provider, minutes=rng.choice([10, 15, 25, 40]))

    def room_down() -> Any:  # from now: see test_a_room_going_down_later_today_...
        room = rng.choice(state.rooms).id
        end = now + timedelta(hours=rng.randint(1, 3))
        return RoomOrMachineDown.model_validate({"kind": "room_down", "id": room, "to": end})

    def machine_down() -> Any:
        machine = rng.choice(state.equipment).id
        start = now + timedelta(minutes=rng.choice([0, 0, 20, 60]))
        end = start + timedelta(hours=rng.randint(1, 3))
        return RoomOrMachineDown.model_validate(
            {"kind": "machine_down", "id": machine, "from": start, "to": end}
        )

    def new_request() -> Any:
        offered = sorted({s for p in state.providers for s in p.services})
        patient = rng.choice(state.patients).id
        fields = {
            "id": f"walk_in_{step}",
            "patient": patient,
            "service": rng.choice(offered),
            "earliest": now.date().isoformat(),
            "latest": last_day.isoformat(),
            "deposit_paid": True,
            "requested_at": now.replace(tzinfo=None).isoformat(),
        }
        return NewRequest.model_validate(fields)

    makers = [
        cancel,
        no_show,
        reschedule,
        provider_out,
        running_late,
        room_down,
        machine_down,
        new_request,
    ]
    chosen = [cancel, *rng.sample(makers, k=rng.randint(1, 2))]  # a cancellation frees time
    events = [make() for make in chosen]
    return [event for event in events if event is not None]


def _downtimes(state: Scenario, events: list[Any], now: datetime) -> list[Downtime]:
    """The rooms and machines the events take out of service, as the clinic declared them."""
    at = minute(state, now)
    found = []
    for event in events:
        if isinstance(event, RoomOrMachineDown):
            assert event.end is not None, "the test always says until when"
            start = max(minute(state, event.start), at) if event.start else at
            end = minute(state, event.end)
            kind = "room" if event.id in {room.id for room in state.rooms} else "machine"
            found.append(Downtime(kind, event.id, at, start, end))
    return found


# --- what must hold after every step ---------------------------------------------------


def assert_step(
    before: tuple[Scenario, Schedule], events: list[Any], now: datetime, result: ReshuffleResult
) -> None:
    """Every hard rule, the past, the move cap, no row dropped, cancellations and fees."""
    scenario, schedule = before
    violations = check_schedule(result.state, result.schedule)
    assert violations == [], [str(v) for v in violations]
    old, new = rows_by_id(schedule), rows_by_id(result.schedule)
    walk_ins = {e.request.id for e in events if isinstance(e, NewRequest)}
    assert set(new) == set(old) | walk_ins, "a row was dropped or invented"
    released = {e.booking for e in events if isinstance(e, Cancel | NoShow)}
    changes = {change.request_id: change for change in result.changes}
    assert len(changes) == len(result.changes), "one change per appointment"
    for row_id, row in old.items():
        if row.status != "booked" or row_id in released:
            continue
        assert row.start is not None
        after = new[row_id]
        kept = (after.status, after.start, after.provider_id) == (
            "booked",
            row.start,
            row.provider_id,
        )
        if row.start < now:
            assert kept, f"the past changed: {row} -> {after}"
        elif not kept:
            assert row_id in changes, f"{row_id} changed without a line in the change list"
    moved = [change for change in result.changes if change.change == "moved"]
    assert len(moved) <= scenario.policies.max_moves_same_day
    for change in moved:
        assert change.to_provider == change.from_provider
        assert change.to_start[:10] == change.from_start[:10]
        assert change.call_patient
    notice = timedelta(hours=scenario.policies.cancellation_notice_hours)
    for event in events:
        if isinstance(event, Cancel | NoShow):
            start = old[event.booking].start
            assert start is not None
            late = isinstance(event, NoShow) or start - now < notice
            expected = "no_show" if isinstance(event, NoShow) else "cancelled"
            expected = "cancelled_late" if late and expected == "cancelled" else expected
            after = new[event.booking]
            assert (after.status, after.reason) == ("unscheduled", expected)
            change = changes[event.booking]
            assert change.change == expected
            assert change.late_fee_applies is late
            assert change.from_start == start.isoformat() and change.to_start == ""


def _usage(scenario: Scenario, rows: list[Appointment], machine: str, moment: int) -> int:
    """Units of a machine held by the rows at a clinic minute."""
    total = 0
    for row in rows:
        service = scenario.service(row.service_id)
        start = start_minute(scenario, row)
        if start <= moment < start + service.length:
            total += service.equipment.get(machine, 0)
    return total


def assert_downtimes_respected(
    scenario: Scenario, schedule: Schedule, downtimes: list[Downtime], now: datetime
) -> None:
    """Nothing still ahead and placed after a room or machine went down uses it while it is down
    (what is in the past now was checked when it was still ahead)."""
    booked = [row for row in schedule.appointments if row.status == "booked"]
    for down in downtimes:
        since = max(down.declared, minute(scenario, now))
        placed = [row for row in booked if start_minute(scenario, row) >= since]
        if down.kind == "room":
            for row in placed:
                service = scenario.service(row.service_id)
                start = start_minute(scenario, row)
                held = start + service.length + service.buffer_after
                clash = row.room_id == down.id and start < down.end and down.start < held
                assert not clash, f"{row.request_id} is in {down.id} while it is down"
            continue
        count = next(m.count for m in scenario.equipment if m.id == down.id)
        users = [row for row in placed if down.id in scenario.service(row.service_id).equipment]
        moments = [down.start] + [start_minute(scenario, row) for row in users]
        for moment in (m for m in moments if down.start <= m < down.end):
            if _usage(scenario, users, down.id, moment):
                in_use = _usage(scenario, booked, down.id, moment)
                assert in_use + 1 <= count, f"{down.id} overbooked at minute {moment}"


# --- the waitlist order, judged by the independent checker -----------------------------


def _unbooked(row: Appointment) -> Appointment:
    fields = {"provider_id": None, "room_id": None, "equipment": "", "start": None, "end": None}
    return row.model_copy(update=fields | {"status": "unscheduled", "reason": "no_capacity"})


def _in_slot(
    state: Scenario, schedule: Schedule, high: str, low: Appointment
) -> Iterator[tuple[str, str, Schedule]]:
    """(provider, room, schedule) for every way to put `high` at `low`'s start instead of `low`."""
    rows = rows_by_id(schedule)
    service = state.service(rows[high].service_id)
    providers = [p.id for p in state.providers if service.id in p.services]
    rooms = [r.id for r in state.rooms if r.type in service.room_types]
    assert low.start is not None
    end = low.start + timedelta(minutes=service.length)
    equipment = ";".join(f"{m}:{n}" for m, n in sorted(service.equipment.items()))
    for provider, room in product(providers, rooms):
        placed = rows[high].model_copy(
            update={
                "provider_id": provider,
                "room_id": room,
                "equipment": equipment,
                "start": low.start,
                "end": end,
                "status": "booked",
                "reason": "",
            }
        )
        swapped = {high: placed, low.request_id: _unbooked(low)}
        rows_after = [swapped.get(row.request_id, row) for row in schedule.appointments]
        yield provider, room, Schedule(appointments=rows_after)


def _touches(
    state: Scenario, downtimes: list[Downtime], room: str, service_id: str, at: int
) -> bool:
    """Whether a stay at `at` in `room` would use a room or machine while it is down (the
    checker does not know about outages, so such a place is out of bounds for the test)."""
    service = state.service(service_id)
    held = at + service.length + service.buffer_after
    return any(
        down.start < held
        and at < down.end
        and (down.id == room if down.kind == "room" else down.id in service.equipment)
        for down in downtimes
    )


def assert_waitlist_order(
    result: ReshuffleResult, displaced: set[str], downtimes: list[Downtime]
) -> None:
    """No waiting request fits the slot of a lower-ranked request booked from the waitlist
    without raising the soft-rule penalties (on a day the re-plan opened, unless the events
    created the request)."""
    state = result.state
    order = waitlist_order(state, displaced)
    rows = rows_by_id(result.schedule)
    penalties = sum(recompute_objective(state, result.schedule).penalties.values())
    for rank, low_id in enumerate(order):
        low = rows[low_id]
        if low.status != "booked" or low.start is None:
            continue
        at = minute(state, low.start)
        for high_id in order[:rank]:
            if rows[high_id].status == "booked":
                continue
            if low.start.date() not in result.days and high_id not in displaced:
                continue
            for provider, room, swapped in _in_slot(state, result.schedule, high_id, low):
                if _touches(state, downtimes, room, rows[high_id].service_id, at):
                    continue
                fits = not check_schedule(state, swapped)
                cheap = sum(recompute_objective(state, swapped).penalties.values()) <= penalties
                assert not (fits and cheap), (
                    f"{high_id} ranks above {low_id} and fits its slot at {low.start} "
                    f"with {provider} in {room} at no more soft-rule cost"
                )


# --- 1 and 2: random days of events -----------------------------------------------------


@pytest.mark.parametrize(("seed", "requests", "providers", "days"), CLINICS)
def test_a_random_day_of_events_keeps_every_rule_the_past_and_the_waitlist_order(
    seed: int, requests: int, providers: int, days: int
) -> None:
    rng = random.Random(seed)
    state = generate_scenario(requests=requests, providers=providers, days=days, seed=seed)
    schedule = night(state)
    clock = state.clinic.clock()
    day_index = rng.randrange(days)
    times = sorted(rng.sample(range(9 * 60 + 30, 17 * 60, 7), k=4))
    downtimes: list[Downtime] = []
    for step, clock_minute in enumerate(times):
        now = clock.local(day_index * 1440 + clock_minute)
        events = _random_events(rng, state, schedule, now, step)
        frozen = (state.model_dump(), schedule.model_dump())
        result = reshuffle(state, schedule, events, now, **OPTIONS)
        assert (state.model_dump(), schedule.model_dump()) == frozen, "the input was changed"
        assert_step((state, schedule), events, now, result)
        downtimes += _downtimes(state, events, now)
        assert_downtimes_respected(result.state, result.schedule, downtimes, now)
        old = rows_by_id(schedule)
        moved_by_patient = {e.booking for e in events if isinstance(e, Reschedule)}
        displaced = {
            r.id
            for r in result.state.requests
            if r.id in old and old[r.id].status == "booked" and r.id not in moved_by_patient
        }
        assert_waitlist_order(result, displaced, downtimes)
        state, schedule = result.state, result.schedule


def test_replay_carries_a_room_that_is_down_into_the_next_events() -> None:
    state = generate_scenario(requests=80, providers=4, days=2, seed=3)
    clock = state.clinic.clock()
    laser = next(s for s in state.services if s.room_types == ["laser"])
    lasers = [room.id for room in state.rooms if room.type == "laser"]
    first, later = clock.local(11 * 60 + 30), clock.local(12 * 60)
    down = [
        RoomOrMachineDown.model_validate({"kind": "room_down", "id": room, "to": clock.local(1080)})
        for room in lasers
    ]
    walk_ins = [
        NewRequest.model_validate(
            {
                "id": f"walk_in_{patient.id}",
                "patient": patient.id,
                "service": laser.id,
                "earliest": clock.day(0),
                "latest": clock.day(0),
                "priority": 40,
                "deposit_paid": True,
            }
        )
        for patient in state.patients[:6]
    ]
    results = replay(state, night(state), [(first, down), (later, walk_ins)], **OPTIONS)
    downtimes = _downtimes(state, down, first)
    for result, now in zip(results, (first, later), strict=True):
        assert check_schedule(result.state, result.schedule) == []
        assert_downtimes_respected(result.state, result.schedule, downtimes, now)
    still_down = [room.id for room in results[1].state.rooms if room.out_of_service]
    assert still_down == lasers


def test_a_room_going_down_does_not_stop_the_appointment_under_way_in_it() -> None:
    state = generate_scenario(requests=80, providers=4, days=2, seed=3)
    schedule = night(state)
    now = state.clinic.clock().local(11 * 60)
    under_way = [
        row
        for row in schedule.booked()
        if row.start is not None and row.end is not None and row.start < now < row.end
    ]
    assert under_way, "the night schedule has nobody in a room at 11:00"
    for row in under_way:
        for kind, item in [("room_down", row.room_id)] + [
            ("machine_down", machine) for machine in state.service(row.service_id).equipment
        ]:
            event = RoomOrMachineDown.model_validate({"kind": kind, "id": item})
            result = reshuffle(state, schedule, [event], now, **OPTIONS)
            after = rows_by_id(result.schedule)[row.request_id]
            assert (after.status, after.start, after.room_id) == ("booked", row.start, row.room_id)
            assert row.request_id not in {c.request_id for c in result.changes}


# --- hand-built clinics -----------------------------------------------------------------

MONDAY = date(2026, 12, 7)
EIGHT_AM = datetime(2026, 12, 7, 8, tzinfo=ZoneInfo("America/New_York"))
LENGTHS = {"short": 30, "hour": 60, "long": 120}
"""The services of the tiny clinic and their minutes."""


def _at(clock_time: str) -> str:
    return f"{MONDAY.isoformat()}T{clock_time}"


def tiny_data(
    bookings: list[tuple[str, str, str, str]],
    requests: list[dict[str, Any]],
    hours: str = "09:00-13:00",
    **policies: Any,
) -> dict[str, Any]:
    """One injector (rn_amy), one room, one Monday; bookings are (id, patient, service, start)
    with rn_amy in injection_1 and may move within the day; requests are waitlist requests for
    that day; services are `short` (30 min), `hour` (60) and `long` (120)."""
    patients = {b[1] for b in bookings} | {r["patient"] for r in requests}
    day = MONDAY.isoformat()
    return make.clinic_data(
        clinic={
            "name": "Tiny Spa",
            "timezone": "America/New_York",
            "horizon": {"start": day, "days": 1},
            "hours": {"mon": "08:00-18:00"},
        },
        policies={"same_day_owner": "clinic_manager", "escalation_owner": "front_desk"} | policies,
        services=[make.service(sid, minutes) for sid, minutes in LENGTHS.items()],
        providers=[make.provider("rn_amy", list(LENGTHS), {"mon": [hours]}, role="rn_injector")],
        rooms=[make.room("injection_1", "injection")],
        patients=make.patients(sorted(patients), tier="returning"),
        requests=[{"earliest": day, "latest": day, "source": "waitlist"} | r for r in requests],
        bookings=[
            make.booking(bid, patient, service, "rn_amy", "injection_1", _at(start), locked=False)
            for bid, patient, service, start in bookings
        ],
    )


def tiny_clinic(
    bookings: list[tuple[str, str, str, str]], requests: list[dict[str, Any]], **options: Any
) -> Scenario:
    """The scenario of `tiny_data`."""
    return scenario_from_data(tiny_data(bookings, requests, **options))


def _start(schedule: Schedule, row_id: str) -> str | None:
    row = rows_by_id(schedule)[row_id]
    return row.start.strftime("%H:%M") if row.status == "booked" and row.start else None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"priority": 3}, {"priority": 2}),
        (
            {"priority": 2, "requested_at": _at("07:00")},
            {"priority": 2, "requested_at": _at("07:30")},
        ),
    ],
    ids=["higher priority", "same priority, asked first"],
)
def test_the_freed_slot_goes_to_the_first_in_waitlist_order_not_the_most_minutes(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    requests = [
        {"id": "w_worth_more", "patient": "p_lo", "service": "hour"} | second,
        {"id": "w_first", "patient": "p_hi", "service": "short"} | first,
    ]
    scenario = tiny_clinic(
        [("b_early", "p_1", "hour", "09:00"), ("b_late", "p_2", "hour", "10:00")],
        requests,
        hours="09:00-11:00",
        waitlist_order=["displaced", "priority", "requested_at"],
    )
    schedule = night(scenario)
    assert (_start(schedule, "w_first"), _start(schedule, "w_worth_more")) == (None, None)
    assert waitlist_order(scenario, set()) == ["w_first", "w_worth_more"]
    result = reshuffle(scenario, schedule, [Cancel(booking="b_late")], EIGHT_AM, **OPTIONS)
    assert check_schedule(result.state, result.schedule) == []
    assert _start(result.schedule, "w_first") is not None
    assert _start(result.schedule, "w_worth_more") is None
    kinds = {c.request_id: c.change for c in result.changes}
    assert kinds == {"b_late": "cancelled_late", "w_first": "booked_from_waitlist"}


@pytest.mark.parametrize("seed", range(6))
def test_cancellations_on_a_full_day_are_filled_in_waitlist_order(seed: int) -> None:
    # One injector booked solid; waitlist requests of every length, priority and asking time
    # compete for the freed hours, where the most minutes and the waitlist order disagree.
    rng = random.Random(seed)
    bookings = [(f"b_{h}", f"p_b{h}", "hour", f"{h:02d}:00") for h in range(9, 17)]
    requests = [
        {
            "id": f"w_{i}",
            "patient": f"p_w{i}",
            "service": rng.choice(["short", "hour", "long"]),
            "priority": rng.randint(1, 3),
            "requested_at": _at(f"0{rng.randint(0, 7)}:{rng.choice(['00', '30'])}"),
        }
        for i in range(8)
    ]
    scenario = tiny_clinic(bookings, requests, hours="09:00-17:00")
    schedule = night(scenario)
    cancelled = rng.sample([b[0] for b in bookings], k=3)
    events = [Cancel(booking=booking) for booking in cancelled]
    result = reshuffle(scenario, schedule, events, EIGHT_AM, **OPTIONS)
    assert_step((scenario, schedule), events, EIGHT_AM, result)
    assert any(c.change == "booked_from_waitlist" for c in result.changes)
    assert_waitlist_order(result, set(), [])


@pytest.mark.parametrize(
    ("keys", "displaced", "expected"),
    [
        (["displaced", "priority", "requested_at"], {"b"}, ["b", "d", "c", "a"]),
        ([], {"b"}, ["b", "d", "c", "a"]),
        # displaced patients come first even when the policy leaves them out
        (["priority", "requested_at"], {"b"}, ["b", "d", "c", "a"]),
        (["requested_at"], set(), ["b", "c", "a", "d"]),
        (["tier", "requested_at"], set(), ["d", "b", "c", "a"]),
        (["value", "requested_at"], set(), ["c", "b", "d", "a"]),
    ],
)
def test_the_waitlist_order_follows_the_clinic_policy(
    keys: list[str], displaced: set[str], expected: list[str]
) -> None:
    # priority weights: a 3, b 1, c 3, d 4 (a VIP without an override); values 100/200/300/200
    requests: list[dict[str, Any]] = [
        {
            "id": "a",
            "patient": "p_a",
            "service": "short",
            "priority": 3,
            "requested_at": _at("07:00"),
        },
        {
            "id": "b",
            "patient": "p_b",
            "service": "hour",
            "priority": 1,
            "requested_at": _at("06:00"),
        },
        {
            "id": "c",
            "patient": "p_c",
            "service": "long",
            "priority": 3,
            "requested_at": _at("06:30"),
        },
        {"id": "d", "patient": "p_d", "service": "hour"},
    ]
    data = tiny_data([], requests, waitlist_order=keys)
    for service, value in zip(data["services"], (100, 200, 300), strict=True):
        service["value"] = value
    data["patients"][-1]["tier"] = "vip"
    assert waitlist_order(scenario_from_data(data), displaced) == expected


# --- 3: the move cap --------------------------------------------------------------------


@pytest.mark.parametrize(("cap", "moves"), [(0, 0), (1, 1), (3, 1)])
def test_the_move_cap_limits_how_many_patients_are_moved_to_fill_a_gap(
    cap: int, moves: int
) -> None:
    # After b_mid cancels, the 120-minute request fits only if b_last moves off 11:30.
    scenario = tiny_clinic(
        [
            ("b_first", "p_1", "hour", "09:00"),
            ("b_mid", "p_2", "hour", "10:00"),
            ("b_last", "p_3", "hour", "11:30"),
        ],
        [{"id": "w_long", "patient": "p_4", "service": "long"}],
        max_moves_same_day=cap,
    )
    schedule = night(scenario)
    assert _start(schedule, "b_last") == "11:30" and _start(schedule, "w_long") is None
    result = reshuffle(scenario, schedule, [Cancel(booking="b_mid")], EIGHT_AM, **OPTIONS)
    assert check_schedule(result.state, result.schedule) == []
    moved = [c for c in result.changes if c.change == "moved"]
    assert [c.request_id for c in moved] == ["b_last"] * moves
    assert (_start(result.schedule, "b_last") != "11:30") is bool(moves)
    assert (_start(result.schedule, "w_long") is not None) is bool(moves)
    for change in moved:
        assert change.to_provider == change.from_provider == "rn_amy"
        assert change.to_start[:10] == change.from_start[:10]


# --- known problems outside the re-solver (strict: they flip to failures once fixed) -----


def _two_room_clinic() -> dict[str, Any]:
    """rn_amy works 10:00-10:30 with `b_x` (10:00, locked) in injection_1; rn_bo works only
    10:20-11:20, so waitlist `w` (60 min) can only start at 10:20; a second injection room."""
    data = tiny_data(
        [("b_x", "p_1", "short", "10:00")],
        [{"id": "w", "patient": "p_2", "service": "hour"}],
        hours="10:00-10:30",
    )
    data["bookings"][0]["locked"] = True
    data["rooms"].append({"id": "injection_2", "type": "injection"})
    bo = data["providers"][0] | {"id": "rn_bo", "name": "Bo", "weekly": {"mon": ["10:20-11:20"]}}
    data["providers"].append(bo)
    return data


def test_a_room_going_down_later_today_leaves_a_valid_plan() -> None:
    scenario = scenario_from_data(_two_room_clinic())
    schedule = night(scenario)
    assert rows_by_id(schedule)["w"].room_id == "injection_2"
    event = RoomOrMachineDown.model_validate(
        {"kind": "room_down", "id": "injection_2", "from": _at("10:30"), "to": _at("12:00")}
    )
    result = reshuffle(scenario, schedule, [event], EIGHT_AM, **OPTIONS)
    assert check_schedule(result.state, result.schedule) == []
    assert [room.id for room in result.state.rooms if room.out_of_service] == ["injection_2"]
    assert rows_by_id(result.schedule)["w"].room_id != "injection_2"


def test_an_appointment_under_way_keeps_its_room() -> None:
    data = tiny_data([("b_p", "p_1", "assess", "10:00")], [], hours="10:00-11:00")
    data["services"] += [
        make.service("assess", 60, ["body", "injection"], name="Assessment"),
        make.service("sculpt", 30, "body", name="Sculpting"),
    ]
    data["providers"][0]["services"].append("assess")
    bo = data["providers"][0] | {
        "id": "rn_bo",
        "services": ["sculpt"],
        "weekly": {"mon": ["10:30-11:00"]},
    }
    data["providers"].append(bo)
    data["rooms"].append({"id": "body_1", "type": "body"})
    data["bookings"][0] |= {"room": "body_1", "locked": True}
    data["patients"].append({"id": "p_2"})
    scenario = scenario_from_data(data)
    clock = scenario.clinic.clock()
    under_way = Appointment(
        request_id="b_p",
        patient_id="p_1",
        service_id="assess",
        provider_id="rn_amy",
        room_id="body_1",
        start=clock.local(600),
        end=clock.local(660),
        status="booked",
        kind="booking",
    )
    schedule = Schedule(appointments=[under_way])
    assert check_schedule(scenario, schedule) == []
    walk_in = NewRequest.model_validate(
        {"id": "w", "patient": "p_2", "service": "sculpt", "earliest": MONDAY, "latest": MONDAY}
    )
    result = reshuffle(scenario, schedule, [walk_in], clock.local(630), **OPTIONS)
    assert check_schedule(result.state, result.schedule) == []
    after = rows_by_id(result.schedule)["b_p"]
    assert (after.start, after.room_id) == (under_way.start, "body_1")


def test_a_consultation_lower_in_the_waitlist_gives_the_freed_slot_way_too() -> None:
    data = tiny_data(
        [("b_early", "p_1", "hour", "09:00"), ("b_late", "p_2", "hour", "10:00")],
        [
            {"id": "w_consult", "patient": "p_lo", "service": "chat", "priority": 2},
            {"id": "w_first", "patient": "p_hi", "service": "short", "priority": 3},
        ],
        hours="09:00-11:00",
    )
    data["services"].append(make.service("chat", 60, category="consult", name="Consultation"))
    data["providers"][0]["services"].append("chat")
    scenario = scenario_from_data(data)
    schedule = night(scenario)
    result = reshuffle(scenario, schedule, [Cancel(booking="b_late")], EIGHT_AM, **OPTIONS)
    assert check_schedule(result.state, result.schedule) == []
    assert_waitlist_order(result, set(), [])


# --- 4: displaced patients --------------------------------------------------------------


def test_patients_of_a_provider_gone_home_are_rebooked_or_handed_to_the_same_day_owner() -> None:
    state = generate_scenario(requests=90, providers=4, days=2, seed=7)
    schedule = night(state)
    clock = state.clinic.clock()
    now, leaves = clock.local(10 * 60 + 3), clock.local(13 * 60)
    later = [
        r
        for r in schedule.booked()
        if r.start is not None and leaves <= r.start < clock.local(1440)
    ]
    provider = max(
        {r.provider_id for r in later}, key=lambda p: sum(r.provider_id == p for r in later)
    )
    theirs = [r for r in later if r.provider_id == provider]
    assert len(theirs) >= 2
    event = ProviderOut.model_validate({"provider": provider, "from": leaves})
    result = reshuffle(state, schedule, [event], now, **OPTIONS)
    assert check_schedule(result.state, result.schedule) == []
    after = rows_by_id(result.schedule)
    changes = {c.request_id: c for c in result.changes}
    owner = state.policies.same_day_owner
    queue = {item.request_id: item for item in result.solved.exceptions}
    for row in theirs:
        change, new = changes[row.request_id], after[row.request_id]
        assert change.call_patient and change.owner == owner
        if new.status == "booked":
            assert change.change == "rebooked"
            assert new.start is not None and row.start is not None
            assert new.start.date() == row.start.date()
            assert (new.start, new.provider_id) != (row.start, row.provider_id)
        else:
            assert change.change == "escalated"
            assert queue[row.request_id].owner == owner


# --- 5: events that cannot apply --------------------------------------------------------


@pytest.fixture(scope="module")
def small_day() -> tuple[Scenario, Schedule, datetime]:
    """A solved 40-request clinic and 11:00 on its first day."""
    state = generate_scenario(requests=40, providers=3, days=2, seed=4)
    return state, night(state), state.clinic.clock().local(11 * 60)


def _booked(day: tuple[Scenario, Schedule, datetime], before_now: bool) -> str:
    _, schedule, now = day
    return next(
        row.request_id
        for row in schedule.booked()
        if row.start is not None and (row.start < now) == before_now
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda past, future: Cancel(booking="nobody_42"), "no appointment 'nobody_42'"),
        (lambda past, future: Cancel(booking=past), "before now; too late"),
        (lambda past, future: NoShow(booking=future), "after now; wait"),
        (lambda past, future: NoShow(booking="nobody_42"), "no appointment 'nobody_42'"),
        (
            lambda past, future: Reschedule(
                booking=past, earliest=date(2026, 12, 8), latest=date(2026, 12, 8)
            ),
            "already started; too late",
        ),
        (lambda past, future: ProviderOut(provider="dr_ghost"), "provider 'dr_ghost' is unknown"),
        (
            lambda past, future: RunningLate(provider="dr_ghost", minutes=10),
            "provider 'dr_ghost' is unknown",
        ),
        (
            lambda past, future: RoomOrMachineDown(kind="room_down", id="attic"),
            "'attic' is neither a room nor a machine",
        ),
        (
            lambda past, future: RoomOrMachineDown(kind="machine_down", id="toaster"),
            "'toaster' is neither a room nor a machine",
        ),
        (
            lambda past, future: NewRequest.model_validate(
                {
                    "patient": "p_ghost",
                    "service": "botox",
                    "earliest": "2026-12-07",
                    "latest": "2026-12-08",
                }
            ),
            "unknown patient 'p_ghost'",
        ),
        (
            lambda past, future: ProviderOut.model_validate(
                {"provider": "np_01", "from": "2026-12-07T15:00", "to": "2026-12-07T13:00"}
            ),
            "ends before it starts",
        ),
    ],
    ids=[
        "unknown booking",
        "cancel in the past",
        "no_show in the future",
        "no_show unknown",
        "reschedule in the past",
        "unknown provider out",
        "unknown provider late",
        "unknown room",
        "unknown machine",
        "unknown patient",
        "provider back before leaving",
    ],
)
def test_an_event_that_cannot_apply_is_refused_with_a_clear_message(
    small_day: tuple[Scenario, Schedule, datetime], make: Any, message: str
) -> None:
    state, schedule, now = small_day
    event = make(_booked(small_day, True), _booked(small_day, False))
    with pytest.raises(EventError, match=message):
        reshuffle(state, schedule, [event], now, **OPTIONS)


def test_a_cancellation_of_an_appointment_not_on_the_calendar_is_refused(
    small_day: tuple[Scenario, Schedule, datetime],
) -> None:
    state, schedule, now = small_day
    waiting = next(row for row in schedule.appointments if row.status != "booked")
    with pytest.raises(EventError, match=f"'{waiting.request_id}' is not booked"):
        reshuffle(state, schedule, [Cancel(booking=waiting.request_id)], now, **OPTIONS)
