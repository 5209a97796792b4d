"""Options that need a booking moved: none without the move, exactly that move with it; a
locked booking never moves; a moved booking keeps its provider and day and the schedule
with the option taken passes the checker."""

from __future__ import annotations

from checker import check_schedule
from models.scenario import Scenario
from solver.slots import ranked
from solver.slots.take import take
from tests.conftest import MONDAY, booking, mini_clinic, patients, provider, service
from tests.solver.slots.planted import TWO_ROOMS, call_on, monday


def _squeezed(first_locked: bool = False, second_locked: bool = True) -> Scenario:
    """rn works 09:00-10:30 with b1 at 09:15 and b2 at 10:00 (30 minutes each): no 30-minute
    start is free, but b1 moved to 09:00 leaves 09:30-10:00."""
    return mini_clinic(
        providers=[provider("rn", ["botox"], {"mon": "09:00-10:30"})],
        patients=patients(["p1", "p2", "p3"]),
        bookings=[
            booking("b1", "p1", "botox", "rn", "inj1", f"{MONDAY}T09:15", locked=first_locked),
            booking("b2", "p2", "botox", "rn", "inj1", f"{MONDAY}T10:00", locked=second_locked),
        ],
    )


def test_without_moves_there_is_no_option_and_the_tried_reason_is_given() -> None:
    answer = ranked(call_on(_squeezed(), "p3"), max_moves=0)
    assert answer.options == []
    assert answer.refusal is not None
    assert answer.refusal.code == "provider_full"
    assert "b1, b2" in answer.refusal.detail
    assert answer.refusal.action == "offer the waitlist or another week"


def test_one_move_opens_the_time_with_exactly_that_move() -> None:
    scenario = _squeezed()
    call = call_on(scenario, "p3")
    for most in (1, 2, 3):
        (option,) = ranked(call, max_moves=most).options
        assert (option.provider_id, option.start) == ("rn", monday(scenario, 9, 30))
        (move,) = option.moves
        assert move.booking_id == "b1"
        assert (move.from_start, move.to_start) == (monday(scenario, 9, 15), monday(scenario, 9))
        assert move.provider_id == "rn" and move.from_room == move.to_room == "inj1"
        # +30 booked, -30 for moving b1, +1 for the idle slot 09:45-10:00 filled
        assert option.terms == {"booked_priority_minutes": 30, "moved_booking": 30, "idle_slot": -1}
        assert option.change == 1
    taken = take(call, option)
    assert check_schedule(taken.state, taken.schedule) == []
    rows = {row.request_id: row for row in taken.schedule.appointments}
    assert rows["b1"].start == monday(scenario, 9) and rows["b1"].moved
    assert rows["b2"].start == monday(scenario, 10) and not rows["b2"].moved
    assert [(c.change, c.request_id) for c in taken.changes] == [
        ("moved", "b1"),
        ("booked_new_request", "call_p3_botox"),
    ]


def test_a_locked_booking_is_never_moved() -> None:
    answer = ranked(call_on(_squeezed(first_locked=True), "p3"), max_moves=3)
    assert answer.options == []
    assert answer.refusal is not None and answer.refusal.code == "provider_full"


def test_a_move_with_nowhere_to_put_the_booking_gives_no_option() -> None:
    # b2 is the one that may move, but wherever the request goes, b2 no longer fits rn's day
    answer = ranked(call_on(_squeezed(True, False), "p3"), max_moves=2)
    assert answer.options == []


def test_moved_bookings_keep_their_provider_and_day_and_pass_the_checker() -> None:
    scenario = mini_clinic(
        providers=[
            provider("rn", ["botox"], {"mon": "09:00-10:30"}),
            provider("md", ["botox"], {"mon": "09:00-10:30"}, role="md"),
        ],
        rooms=TWO_ROOMS,
        patients=patients(["p1", "p2", "p3", "p4", "p5"]),
        bookings=[
            booking("a1", "p1", "botox", "rn", "inj1", f"{MONDAY}T09:15", locked=False),
            booking("a2", "p2", "botox", "rn", "inj1", f"{MONDAY}T10:00", locked=False),
            booking("c1", "p3", "botox", "md", "inj2", f"{MONDAY}T09:15", locked=False),
            booking("c2", "p4", "botox", "md", "inj2", f"{MONDAY}T10:00", locked=False),
        ],
    )
    call = call_on(scenario, "p5")
    assert ranked(call, max_moves=0).options == []
    options = ranked(call, top=20, max_moves=2).options
    assert options and all(option.moves for option in options)
    before = {b.id: b for b in scenario.bookings}
    for option in options:
        for move in option.moves:
            assert move.provider_id == before[move.booking_id].provider
            assert move.to_start.date() == move.from_start.date()
            assert (move.to_start, move.to_room) != (move.from_start, move.from_room)
        taken = take(call, option)
        assert check_schedule(taken.state, taken.schedule) == [], option


def test_a_time_a_move_opens_next_to_a_free_one_is_on_the_grid() -> None:
    # 09:30 and 09:45 are free; moving b1 (10:15) opens 10:00-10:30, not 09:46
    scenario = mini_clinic(
        providers=[provider("rn", ["botox"], {"mon": "09:00-11:00"})],
        patients=patients(["p1", "p2", "p3"]),
        bookings=[
            booking("b0", "p1", "botox", "rn", "inj1", f"{MONDAY}T09:00"),
            booking("b1", "p2", "botox", "rn", "inj1", f"{MONDAY}T10:15", locked=False),
        ],
    )
    call = call_on(scenario, "p3")
    options = ranked(call, top=10, max_moves=1).options
    assert [(o.start, len(o.moves)) for o in options] == [
        (monday(scenario, 9, 30), 0),
        (monday(scenario, 10), 1),
    ]
    moved = options[1]
    assert [(m.booking_id, m.to_start) for m in moved.moves] == [("b1", monday(scenario, 9, 30))]
    taken = take(call, moved)
    assert check_schedule(taken.state, taken.schedule) == []


def test_moves_asked_of_an_empty_day_with_enough_free_options() -> None:
    # the free options fill the top, so the move search weighs what each day could gain,
    # including a provider-day with nothing booked
    scenario = mini_clinic()
    (option,) = ranked(call_on(scenario, "p1"), top=1, max_moves=1).options
    assert (option.start, option.moves) == (monday(scenario, 9), ())


def test_a_booking_taken_out_of_the_way_that_goes_back_where_it_was_is_not_a_move() -> None:
    # moving b0 and b1 frees 09:45; b0 then fits at 09:00 again: only b1 moves
    scenario = mini_clinic(
        services=[service("botox"), service("short", 15)],
        providers=[provider("rn", ["botox", "short"], {"mon": "09:00-12:00"})],
        patients=patients(["p0", "p1", "p2", "p3"]),
        bookings=[
            booking("b0", "p0", "botox", "rn", "inj1", f"{MONDAY}T09:00", locked=False),
            booking("b1", "p1", "botox", "rn", "inj1", f"{MONDAY}T09:30", locked=False),
            booking("b2", "p2", "short", "rn", "inj1", f"{MONDAY}T11:30"),
        ],
    )
    call = call_on(scenario, "p3")
    options = {o.start: o for o in ranked(call, top=10, max_moves=2).options}
    late = options[monday(scenario, 9, 45)]
    assert [(m.booking_id, m.to_start) for m in late.moves] == [("b1", monday(scenario, 10, 15))]
    assert late.terms["moved_booking"] == 30
    for option in options.values():
        assert all((m.from_start, m.from_room) != (m.to_start, m.to_room) for m in option.moves)
