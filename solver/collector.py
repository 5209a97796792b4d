"""Pausing Python's cycle collector while a large model is built.

Building the CP-SAT model of a month (10,000 requests) makes over a million small objects
that form no reference cycles; the collector would walk all of them again on every full
pass, about a tenth of the build. Pauses nest and may overlap across threads (a Dask worker
solves several clinics at once): the collector runs again when the last one ends, if it was
running when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_open = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting goes on)."""
    global _open, _was_enabled
    with _lock:
        if _open == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _open += 1
    try:
        yield
    finally:
        with _lock:
            _open -= 1
            if _open == 0 and _was_enabled:
                gc.enable()
