"""Stopping a solve early: Ctrl-C (SIGINT), SIGTERM or a Jupyter kernel interrupt.

Python runs a signal handler only in the main thread, between bytecodes, and an OR-Tools
solver holds the thread that calls it until it finishes. So every solver call goes through
`Stop.run`: called from the main thread, the solver runs in a worker thread while the main
thread waits in short steps, free to handle a signal. A stop halts every running call
(`CpSolver.stop_search`, GLOP's interrupt) and the search's loops end; the solve returns the
best schedule found so far. Before there is one, and on a second signal, the handler raises
`Interrupted` instead, so the run ends at once.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TypeVar

from ortools.sat.python import cp_model

T = TypeVar("T")

TICK = 0.05
"""Seconds the main thread waits on a solver call before it looks at signals again."""


class Interrupted(KeyboardInterrupt):
    """A signal ended the run at once: it came before a first schedule, or it was the second."""

    def __init__(self, signum: int | None) -> None:
        super().__init__(signum)
        self.signum = signum


class Stop:
    """A request to stop one run, shared by everything it runs; safe from any thread."""

    def __init__(self) -> None:
        self.signum: int | None = None
        """The signal that asked for the stop (None: a caller, or not asked yet)."""
        self.when: float | None = None
        """`time.perf_counter()` when the stop was first asked for (None: not yet)."""
        self.has_schedule = False
        """A schedule to return exists: a first signal stops the search, not the run."""
        self._lock = threading.RLock()  # re-entrant: the handler may run while it is held
        self._halts: dict[object, Callable[[], object]] = {}

    @property
    def requested(self) -> bool:
        """Whether anything asked this run to stop."""
        return self.when is not None

    def request(self, signum: int | None = None) -> None:
        """Ask the run to stop: every running solver call is halted, and no loop goes on."""
        if self.when is None:
            self.signum, self.when = signum, time.perf_counter()
        self._halt_all()

    def _halt_all(self) -> None:
        with self._lock:
            halts = list(self._halts.values())
        for halt in halts:
            halt()

    def run(self, call: Callable[[], T], halt: Callable[[], object]) -> T:
        """`call()` (a solver's solve), which `halt()` makes return early if a stop comes."""

        def registered() -> T:  # registered while it runs, wherever it runs
            key = object()
            with self._lock:
                self._halts[key] = halt
            try:
                return call()
            finally:
                with self._lock:
                    del self._halts[key]

        if threading.current_thread() is not threading.main_thread():
            return registered()
        return self._off_main_thread(registered)

    def solve(self, solver: cp_model.CpSolver, model: cp_model.CpModel) -> cp_model.CpSolverStatus:
        """`solver.solve(model)`, halted by a stop. CP-SAT's own Ctrl-C handler is turned off: it
        would swallow the first Ctrl-C of each call and end only that call."""
        solver.parameters.catch_sigint_signal = False
        return self.run(lambda: solver.solve(model), solver.stop_search)

    def _off_main_thread(self, call: Callable[[], T]) -> T:
        outcome: list[T] = []
        failure: list[BaseException] = []

        def target() -> None:
            try:
                outcome.append(call())
            except BaseException as error:  # handed to the main thread below
                failure.append(error)

        worker = threading.Thread(target=target, name="medspa-solver", daemon=True)
        worker.start()
        self.wait(worker)
        if failure:
            raise failure[0]
        return outcome[0]

    def wait(self, *threads: threading.Thread) -> None:
        """Wait for the threads in short steps, so a signal is handled meanwhile. After a stop,
        every running call is halted again at each step: a call that had not quite started
        when the stop came is caught at the next."""
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(TICK)
                    if self.requested:
                        self._halt_all()
        except BaseException:  # the run ends here: the threads must not search on
            self.request()
            raise

    def settle(self, seconds: float = 1.0) -> None:
        """Halt every running call and wait (at most `seconds`) until they have returned."""
        deadline = time.perf_counter() + seconds
        while self._halts and time.perf_counter() < deadline:
            self._halt_all()
            time.sleep(TICK / 5)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler: stop the search, or the whole run (see the module)."""
        second = self.requested
        self.request(signum)
        if second or not self.has_schedule:
            raise Interrupted(signum)

    @contextmanager
    def on_signals(self, *signums: int) -> Iterator[Stop]:
        """Handle these signals with this stop while the block runs, then restore the previous
        handlers. Only in the main thread (nowhere else can Python take a signal); a signal
        ignored before (e.g. SIGINT of a job started in the background) stays ignored, and one
        handled outside Python is left alone (it could not be put back)."""
        previous: dict[int, object] = {}
        if threading.current_thread() is threading.main_thread():
            for signum in signums:
                if signal.getsignal(signum) not in (signal.SIG_IGN, None):
                    previous[signum] = signal.signal(signum, self._handle)
        try:
            yield self
        except Interrupted:
            self.settle()
            raise
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]
