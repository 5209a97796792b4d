"""The batch's local default: a concurrent.futures executor of long-lived `spawn` processes,
one task at a time each, that survives a process dying under a task.

CP-SAT is not fork-safe once it has run threads, hence `spawn`. concurrent.futures'
ProcessPoolExecutor fails every pending task with BrokenProcessPool when one process dies;
here only the task that process was running fails, with `ProcessDied` saying how it ended
(for instance killed by signal 9), and a new process takes the next task. The processes
ignore Ctrl-C (a terminal sends it to the whole process group): the batch decides, and
`interrupt()` sends SIGTERM to the processes at work, which a solve takes as its stop.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

TICK = 0.05
"""Seconds the dispatcher waits for an answer before it looks for new tasks again."""


class ProcessDied(RuntimeError):
    """The process running a task ended before it answered."""


@dataclass
class _Task:
    future: Future[Any]
    call: tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection
    task: _Task | None = field(default=None)


def _serve(connection: Connection) -> None:
    """A worker process: run each task sent, send back (True, result) or (False, error)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            call = connection.recv()
        except EOFError:  # the batch has gone
            return
        if call is None:
            return
        function, args, kwargs = call
        try:
            answer: tuple[bool, Any] = (True, function(*args, **kwargs))
        except BaseException as error:  # handed to the batch, which names it
            answer = (False, error)
        try:
            connection.send(answer)
        except Exception as error:  # a result or error that cannot be pickled
            connection.send((False, RuntimeError(f"{type(error).__name__}: {error}")))


def death(exitcode: int | None) -> str:
    """How a worker process ended, in words."""
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        hint = " (another program, or the system running out of memory, ended it)"
        return f"the solve process was killed by signal {-exitcode} ({name})" + (
            hint if -exitcode == signal.SIGKILL else ""
        )
    if exitcode:
        return f"the solve process ended with exit code {exitcode} before it answered"
    return "the solve process ended before it answered"


class ClinicPool(Executor):
    """Up to `processes` spawn processes, each running one submitted call at a time."""

    def __init__(self, processes: int) -> None:
        if processes < 1:
            raise ValueError("a pool needs at least one process")
        self.processes = processes
        self._context = multiprocessing.get_context("spawn")
        self._pending: deque[_Task] = deque()
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        self._dispatcher = threading.Thread(target=self._dispatch, name="medspa-pool", daemon=True)
        self._dispatcher.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to a pool that was shut down")
            self._pending.append(_Task(future, (fn, args, kwargs)))
        return future

    def busy_pids(self) -> list[int]:
        """The process ids of the workers running a task now."""
        with self._lock:
            return [w.process.pid for w in self._workers if w.task and w.process.pid]

    def interrupt(self) -> None:
        """Send SIGTERM to every process running a task: its solve stops the search and
        answers with the best schedule so far."""
        for pid in self.busy_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            if cancel_futures:
                for task in self._pending:
                    task.future.cancel()
                self._pending.clear()
        if wait:
            self._dispatcher.join()

    def kill(self) -> None:
        """End everything now: pending calls are cancelled, running ones fail (ProcessDied)."""
        self.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            worker.process.kill()
        self._dispatcher.join()

    # --- the dispatcher thread ------------------------------------------------------------

    def _dispatch(self) -> None:
        while True:
            with self._lock:
                self._start_tasks()
                busy = [w for w in self._workers if w.task is not None]
                if self._closed and not busy and not self._pending:
                    break
            handles = [w.connection for w in busy] + [w.process.sentinel for w in busy]
            ready = set(wait(handles, timeout=TICK)) if handles else set()
            for worker in busy:
                if worker.connection in ready or worker.process.sentinel in ready:
                    self._collect(worker)
        self._stop_workers()

    def _start_tasks(self) -> None:
        """Hand pending tasks to idle workers, starting workers up to `processes`."""
        for gone in [w for w in self._workers if w.task is None and not w.process.is_alive()]:
            gone.connection.close()
            self._workers.remove(gone)
        while self._pending:
            worker = next((w for w in self._workers if w.task is None), None)
            if worker is None and len(self._workers) < self.processes:
                try:
                    worker = self._start_worker()
                except Exception as error:  # the system refused a process: fail the task
                    self._pending.popleft().future.set_exception(error)
                    continue
            if worker is None:
                return
            task = self._pending.popleft()
            if not task.future.set_running_or_notify_cancel():
                continue
            try:
                worker.connection.send(task.call)
            except Exception as error:  # a call that cannot be pickled, or a dead pipe
                task.future.set_exception(error)
                continue
            worker.task = task

    def _start_worker(self) -> _Worker:
        mine, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(theirs,), name="medspa-batch-worker", daemon=True
        )
        process.start()
        theirs.close()
        worker = _Worker(process, mine)
        self._workers.append(worker)
        return worker

    def _collect(self, worker: _Worker) -> None:
        """The answer of a busy worker, or its death."""
        task = worker.task
        assert task is not None
        try:
            if not worker.connection.poll():
                raise EOFError
            done, value = worker.connection.recv()
        except (EOFError, OSError):
            worker.process.join(timeout=5)
            with self._lock:
                self._workers.remove(worker)
            worker.connection.close()
            task.future.set_exception(ProcessDied(death(worker.process.exitcode)))
            return
        worker.task = None
        if done:
            task.future.set_result(value)
        else:
            task.future.set_exception(value)

    def _stop_workers(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.connection.send(None)
        for worker in workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.connection.close()
