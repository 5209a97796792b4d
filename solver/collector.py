"""Pausing Python's cycle collector while a large model is built.

Building the CP-SAT model of a month (10,000 requests) makes over a million small objects
that form no reference cycles; the collector would walk all of them again on every full
pass, about a tenth of the build. Pauses nest and may overlap across threads (a Dask worker
solves several clinics at once): the collector runs again when the last one ends, if it was
running when the first began. A pause cut short anywhere (a Ctrl-C) still ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_open: set[object] = set()
_was_enabled = False
_paused_here = False
"""Whether a pause of this module switched the collector off and none has switched it back."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting goes on)."""
    global _was_enabled, _paused_here
    pause = object()
    try:
        with _lock:
            if not _open:
                _was_enabled = gc.isenabled() or _paused_here
                _paused_here = True
                gc.disable()
            _open.add(pause)
        yield
    finally:
        with _lock:
            _open.discard(pause)
            if not _open and _paused_here:
                _paused_here = False
                if _was_enabled:
                    gc.enable()
