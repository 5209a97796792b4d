"""The cycle collector pauses while a model is built and runs again afterwards."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from scenarios.generator import generate_scenario
from solver import solve as solve_module
from solver.collector import collector_paused
from solver.cpsat.model import ScheduleModel
from solver.solve import solve


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_running_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_pauses_resume_after_the_outer_one() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_resumes_after_an_error() -> None:
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("the build failed")
    assert gc.isenabled()


def test_overlapping_pauses_in_threads_leave_it_running() -> None:
    """Threads that begin and end their pauses in a staggered order (first in is not last
    out) leave the collector running once all are done."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [False]  # still paused for the second after the first ended
    assert gc.isenabled()


def test_a_solve_builds_its_model_paused_and_leaves_the_collector_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running_during_builds: list[bool] = []

    class Watched(ScheduleModel):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            running_during_builds.append(gc.isenabled())
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(solve_module, "ScheduleModel", Watched)
    solve(generate_scenario(20, 2, 2, seed=0), time_limit=0.2, deterministic=True)
    assert running_during_builds == [False]
    assert gc.isenabled()
