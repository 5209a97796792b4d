"""The `medspa` console script. Loading the command line (OR-Tools, pandas, pydantic) takes a
second or two; Ctrl-C or SIGTERM meanwhile ends it with one line once loaded (a second one at
once), never with a traceback from inside an import."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_received: list[int] = []


def _quit(signum: int) -> None:
    print("stopped while starting; nothing was written.", file=sys.stderr, flush=True)
    os._exit(128 + signum)  # nothing is open or half-done yet


def _noted(signum: int, frame: FrameType | None) -> None:
    """Note the signal; raising here could end up inside an import and break it."""
    if _received:
        _quit(signum)
    _received.append(signum)


def main() -> None:
    """Load the command line, then run it (`solver.cli.main`)."""
    previous = {
        signum: signal.signal(signum, _noted)
        for signum in SIGNALS
        if signal.getsignal(signum) is not signal.SIG_IGN  # a background job's stays ignored
    }
    from solver.cli import main as command_line

    for signum, handler in previous.items():
        signal.signal(signum, handler)
    if _received:
        _quit(_received[0])
    command_line()
