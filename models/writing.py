"""Writing files without ever leaving half of one: a new file is written beside its
destination under a staging name and renamed over it once complete.

A run holds a lock on each staging path it writes (flock, released by the system when the
process ends, however it ends), so the next write can tell the leftovers of a run that was
killed from the staging of a run still going, and remove only the first.
"""

from __future__ import annotations

import fcntl
import glob
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

STAGING_RESERVE = 24
"""Characters a staging name adds to the name it stands for (`.NAME.writing-1234abcd.tmp`)."""


def staging_path(path: Path, kind: str = "writing", suffix: str = "") -> Path:
    """A fresh hidden name beside `path`: `.NAME.KIND-XXXXXXXX` plus `suffix`."""
    return path.with_name(f".{path.name}.{kind}-{secrets.token_hex(4)}{suffix}")


def leftovers(path: Path, kind: str = "writing", suffix: str = "") -> list[Path]:
    """The staging paths of `kind` beside `path`, of this run or of earlier ones."""
    pattern = f".{glob.escape(path.name)}.{kind}-*{suffix}"
    return sorted(path.parent.glob(pattern))


def hold(descriptor: int, path: Path) -> bool:
    """Lock the staging path open as `descriptor` for this run's life; False when a tidy-up
    removed it before the lock was taken (then make another)."""
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except OSError:
        return True  # a filesystem without locks: its leftovers are kept (see abandoned)
    try:
        return os.path.samestat(os.fstat(descriptor), os.stat(path))
    except FileNotFoundError:
        return False


def abandoned(path: Path) -> bool:
    """Whether no running process holds this staging path (its run was killed or is done)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held by a live run, or no locks on this filesystem: cannot tell
        return False
    finally:
        os.close(descriptor)
    return True


@contextmanager
def atomic_file(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """A new file that replaces `path` only once the block finishes, so no half-written file.

    Staging files that killed runs left beside `path` are removed first.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in leftovers(path, suffix=".tmp"):
        if abandoned(leftover):
            leftover.unlink(missing_ok=True)
    while True:
        temporary = staging_path(path, suffix=".tmp")
        stream = temporary.open("xb" if binary else "x", encoding=None if binary else "utf-8")
        if hold(stream.fileno(), temporary):
            break
        stream.close()
    try:
        with stream:
            yield stream
            stream.flush()
            os.replace(temporary, path)  # while still locked, so no tidy-up takes it
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomically(path: Path, text: str) -> None:
    """Write text to path through a temporary file, so readers never see half a file."""
    with atomic_file(path) as stream:
        stream.write(text)
