"""Ctrl-C during solve(): the search stops within moments and the best schedule so far comes
back (status interrupted, still passing the checker); before a first schedule, or a second
time, it raises at once; the caller's signal handlers are put back."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import solver.solve as solve_module
from checker import check_schedule, recompute_objective
from models.results import ProgressPoint
from models.scenario import Scenario
from scenarios.generator import generate_scenario
from solver.interrupt import TICK, Interrupted, Stop
from solver.solve import solve

LONG = 60.0
"""A time limit the tests never wait for: only a stop ends these searches in time."""


@pytest.fixture(scope="module")
def clinic() -> Scenario:
    """120 requests over three days: far from proven optimal after a few seconds."""
    return generate_scenario(requests=120, providers=4, days=3, seed=1)


@pytest.fixture
def guard() -> Iterator[list[int]]:
    """SIGINT and SIGTERM only recorded while the test runs, so a signal that arrives after
    the code under test has put the handlers back cannot end the test session."""
    seen: list[int] = []
    signums = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, frame: seen.append(signum)) for s in signums}
    yield seen
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _searching() -> list[threading.Thread]:
    """Threads left behind, but for the main thread and the timers that press Ctrl-C."""
    others = set(threading.enumerate()) - {threading.main_thread()}
    return [t for t in others if not isinstance(t, threading.Timer) and t.is_alive()]


def _ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def _ctrl_c_once_searching(delay: float) -> Any:
    """An on_progress that presses Ctrl-C `delay` seconds after the search started."""
    pressed: list[float] = []

    def on_progress(point: ProgressPoint) -> None:
        if not pressed:
            pressed.append(time.perf_counter() + delay)
            threading.Timer(delay, _ctrl_c).start()

    on_progress.pressed = pressed  # type: ignore[attr-defined]
    return on_progress


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_stops_the_search_and_returns_the_best_schedule_so_far(
    clinic: Scenario, guard: list[int], workers: int
) -> None:
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    on_progress = _ctrl_c_once_searching(0.5)
    result = solve(clinic, time_limit=LONG, num_workers=workers, on_progress=on_progress)
    returned = time.perf_counter()
    assert returned - on_progress.pressed[0] < 1.0
    report = result.report
    assert report.status == "interrupted"
    assert report.interrupted_after is not None and report.interrupted_after < report.wall_time
    assert report.objective >= report.greedy_objective
    assert check_schedule(clinic, result.schedule) == []
    assert recompute_objective(clinic, result.schedule).total == report.objective
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers
    assert guard == []  # solve() took the Ctrl-C, not the handler it replaced for a while
    assert _searching() == []


def test_ctrl_c_before_a_first_schedule_raises_at_once(
    clinic: Scenario, guard: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = solve_module.eligibility

    def slow_eligibility(facts: Any) -> Any:
        _ctrl_c()
        time.sleep(5)  # the handler raises in here
        return real(facts)

    monkeypatch.setattr(solve_module, "eligibility", slow_eligibility)
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt) as raised:
        solve(clinic, time_limit=LONG, num_workers=1)
    assert time.perf_counter() - started < 1.0
    assert isinstance(raised.value, Interrupted) and raised.value.signum == signal.SIGINT
    assert guard == []


def test_a_second_ctrl_c_raises_at_once(
    clinic: Scenario, guard: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = solve_module.build_result

    def slow_result(*args: Any, **options: Any) -> Any:
        _ctrl_c()
        time.sleep(5)
        return real(*args, **options)

    monkeypatch.setattr(solve_module, "build_result", slow_result)
    with pytest.raises(Interrupted):
        solve(clinic, time_limit=LONG, num_workers=2, on_progress=_ctrl_c_once_searching(0.2))
    assert guard == []
    assert _searching() == []


def test_a_stop_from_the_caller_ends_the_search(clinic: Scenario) -> None:
    stop = Stop()
    threading.Timer(1.0, stop.request).start()
    started = time.perf_counter()
    result = solve(clinic, time_limit=LONG, num_workers=2, stop=stop)
    assert time.perf_counter() - started < 2.0
    assert result.report.status == "interrupted"
    assert check_schedule(clinic, result.schedule) == []


def test_solve_runs_off_the_main_thread_where_no_signal_handler_can_be_set(
    clinic: Scenario,
) -> None:
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(solve(clinic, time_limit=0.3)))
    worker.start()
    worker.join(10)
    (result,) = results
    assert result.report.status in {"time_limit", "greedy"}


class _Blocking:
    """A fake solver call that blocks until halted (or 5 s)."""

    def __init__(self) -> None:
        self.halted = threading.Event()

    def call(self) -> str:
        return "halted" if self.halted.wait(5) else "ran to the end"


def test_a_signal_reaches_the_main_thread_while_a_solver_call_runs(guard: list[int]) -> None:
    stop = Stop()
    stop.has_schedule = True
    blocking = _Blocking()
    threading.Timer(0.2, _ctrl_c).start()
    started = time.perf_counter()
    with stop.on_signals(signal.SIGINT):
        assert stop.run(blocking.call, blocking.halted.set) == "halted"
    assert time.perf_counter() - started < 1.0
    assert stop.signum == signal.SIGINT


def test_a_call_that_starts_after_the_stop_is_halted_within_a_tick() -> None:
    stop = Stop()
    stop.request()
    calls = 0

    class Late(_Blocking):
        """A halt that misses the call unless it is repeated once the call runs (as
        `CpSolver.stop_search` before its solve has begun)."""

        def halt(self) -> None:
            nonlocal calls
            calls += 1
            if calls > 1:
                self.halted.set()

    late = Late()
    started = time.perf_counter()
    assert stop.run(late.call, late.halt) == "halted"
    assert time.perf_counter() - started < 5 * TICK


def test_an_ignored_signal_stays_ignored() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with Stop().on_signals(signal.SIGINT):
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
