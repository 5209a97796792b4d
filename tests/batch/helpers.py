"""What the batch tests share: generated clinics on disk, and an executor wrapper that lets a
test find the process solving a clinic (to kill it mid-solve from outside)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from models.loader import save_scenario
from scenarios.generator import generate_scenario

TINY = {"requests": 8, "providers": 2, "days": 1}
LONG = {"requests": 120, "providers": 6, "days": 2}
"""A clinic whose solve outlasts the kill delay (about 3 s at a limit of 3 work-seconds)."""
BROKEN = "clinic: [\n"
"""A scenario file that is not YAML at all."""


def write_clinics(
    folder: Path, tiny: int, long: str | None = None, broken: str | None = None
) -> list[Path]:
    """`tiny` small generated clinics c00, c01... (seed = number), plus a long one and a
    malformed file under the names given; the files in name order."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(tiny):
        save_scenario(generate_scenario(**TINY, seed=number), folder / f"c{number:02d}.yaml")
    if long is not None:
        save_scenario(generate_scenario(**LONG, seed=1), folder / f"{long}.yaml")
    if broken is not None:
        (folder / f"{broken}.yaml").write_text(BROKEN, encoding="utf-8")
    return sorted(folder.glob("*.yaml"))


def announced(markers: str, function: Callable[..., Any], task: Any) -> Any:
    """Run in the worker: note this process's id under the clinic's name, then solve."""
    Path(markers, f"{task.clinic}.pid").write_text(str(os.getpid()), encoding="utf-8")
    return function(task)


class Announcing:
    """An executor that runs each call through `announced`, so a test sees where it runs."""

    def __init__(self, inner: Executor | Any, markers: Path) -> None:
        self.inner, self.markers = inner, markers

    def submit(self, function: Callable[..., Any], *args: Any) -> Any:
        return self.inner.submit(announced, str(self.markers), function, *args)


def kill_when_started(markers: Path, clinic: str, delay: float = 0.5) -> threading.Thread:
    """A thread that SIGKILLs the process solving `clinic` `delay` s after it starts."""

    def watch() -> None:
        marker = markers / f"{clinic}.pid"
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(delay)
        os.kill(int(marker.read_text(encoding="utf-8")), signal.SIGKILL)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def crash(code: int) -> None:
    """Run in a pool process: end it at once, as a crash in native code would."""
    os._exit(code)


def fail(message: str) -> None:
    """Run in a pool process: raise."""
    raise ValueError(message)


def stop_dask_threads() -> None:
    """End the threads a Dask client leaves in this process for later clients (its callback
    and offload executors): other tests check that nothing runs behind them. Both executors
    are made again when needed (the callback one lazily, the offload one is replaced by a
    fresh one that starts its thread on first use)."""
    import distributed

    callbacks = distributed.Future._cb_executor
    if callbacks is not None:
        callbacks.shutdown(wait=True)
        distributed.Future._cb_executor = None
    distributed.utils._offload_executor.shutdown(wait=True)
    distributed.utils._offload_executor = ThreadPoolExecutor(1, "Dask-Offload")
