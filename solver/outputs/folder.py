"""The --out folder: checked before any work, then replaced as one set of files.

A command writes its files into a staging folder beside --out (`.NAME.writing-XXXXXXXX`, on
the same filesystem) together with the list of them (`.medspa-outputs.json`), then swaps it
with --out in one step (Linux `renameat2(RENAME_EXCHANGE)`) and removes the old set. So after
any failure or kill --out holds the complete old set or the complete new set: never a mix,
never a file of another command. Where the system cannot exchange two folders (not Linux, or
a filesystem without it) the swap is two renames; a kill between them leaves --out missing
with the old set aside as `.NAME.previous-XXXXXXXX`, and the next write puts it back first.
Whatever killed runs left beside --out is removed by the next write; a live run's staging
folder is locked (models/writing.py), so it is never taken. Not promised: surviving a power
cut (nothing is synced to disk), or the folder's owner and ACLs (its permission bits are kept).

A folder holding anything medspa did not write (per its list, or, for folders written before
there was a list, the output names) is refused rather than replaced, so pointing --out at,
say, Documents loses nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import json
import os
import shutil
import stat
import sys
from array import array
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from models.findings import Finding, excerpt, printable
from models.writing import STAGING_RESERVE, abandoned, hold, leftovers, staging_path

Writer = Callable[[Path], object]
RECORD = ".medspa-outputs.json"
"""The list of the files medspa wrote into a folder, kept in that folder."""
EARLIER_NAMES = frozenset(
    {"schedule.csv", "kpis.json", "exceptions.csv", "gantt.png", "changes.csv", "gantt_day.png"}
)
"""Files that earlier versions wrote without a list. Not scenario.yaml: a clinic's own
scenario file may carry that name."""
DIGEST_FOLDER = "digest"
"""The folder `medspa exceptions` writes its pages into, inside a solve's or re-plan's folder."""
CALENDARS_FOLDER = "calendars"
"""The folder `medspa calendars` writes its feeds into, inside a solve's or re-plan's folder."""
NESTED_SETS = {DIGEST_FOLDER: "medspa exceptions", CALENDARS_FOLDER: "medspa calendars"}
"""Sets medspa writes inside another command's folder, by folder name and the command that
wrote them: they belong to that folder and go when it is replaced."""


class OutputFolderError(Exception):
    """--out cannot take the outputs: the problem, with what to do."""

    def __init__(self, problem: Finding) -> None:
        self.problem = problem
        super().__init__(problem.message)


def folder_problem(out: Path, inputs: Mapping[str, Path | None]) -> Finding | None:
    """Why --out cannot take a command's files, with the fix, or None. `inputs` are the
    command's input files by what they are ("scenario", "schedule"...). Changes nothing."""
    absolute = Path(os.path.abspath(out))
    problem = _name_problem(absolute) or _reach_problem(absolute, out, None)
    if problem:
        return problem
    real = Path(os.path.realpath(absolute))
    if real.exists():
        problem = _input_problem(real, out, inputs) or _replace_problem(real, out)
    return problem or _write_problem(real)


def file_problem(out: Path, example: str) -> Finding | None:
    """Why --out cannot be written as one file (`example` is a file name to suggest), or None."""
    absolute = Path(os.path.abspath(out))
    problem = _name_problem(absolute) or _reach_problem(absolute, out, example)
    return problem or _write_problem(Path(os.path.realpath(absolute)))


def bytes_writer(content: Callable[[], bytes]) -> Writer:
    """A writer of the bytes `content` makes (made when the set is written)."""
    return lambda path: path.write_bytes(content())


def text_writer(content: Callable[[], str]) -> Writer:
    """A writer of the UTF-8 text `content` makes (made when the set is written)."""
    return lambda path: path.write_text(content(), encoding="utf-8")


def write_set(out: Path, writers: Mapping[str, Writer], command: str) -> list[Path]:
    """Write the files of one command into `out` as one set, replacing the set there.

    Raises OutputFolderError when `out` has come to hold files medspa did not write, and the
    writers' or the system's error when a file cannot be written; either way `out` is left as
    it was.
    """
    return _write_set(out, writers, f"medspa {command}")


def add_to_set(out: Path, writers: Mapping[str, Writer]) -> list[Path]:
    """Write files into the set medspa wrote in `out`, keeping its other files (a file of the
    same name is replaced); the folder is replaced as one, as `write_set` does, and stays the
    set of the command that wrote it. Returns the paths of the files written."""
    real = Path(os.path.realpath(out))
    record = _record(real)
    names = record["files"] if record else sorted(EARLIER_NAMES)
    kept = [name for name in names if isinstance(name, str) and name not in writers]
    keep = {name: functools.partial(_keep, real / name) for name in kept if (real / name).is_file()}
    by = record.get("written_by") if record else None
    _write_set(out, keep | dict(writers), by if isinstance(by, str) else "medspa")
    return [out / name for name in writers]


def _keep(source: Path, path: Path) -> None:
    """The file `source` at `path` too (a hard link, or a copy where links cannot be made)."""
    try:
        os.link(source, path)
    except OSError:
        shutil.copy2(source, path)


def _write_set(out: Path, writers: Mapping[str, Writer], written_by: str) -> list[Path]:
    real = Path(os.path.realpath(out))
    real.parent.mkdir(parents=True, exist_ok=True)
    _tidy(real)
    problem = _replace_problem(real, out) if real.exists() else None
    if problem:
        raise OutputFolderError(problem)
    with _staging(real) as staging:
        for name, write in writers.items():
            write(staging / name)
        record = {"written_by": written_by, "files": list(writers)}
        (staging / RECORD).write_text(json.dumps(record, indent=2), encoding="utf-8")
        _swap(staging, real)
    return [out / name for name in writers]


# --- checks -------------------------------------------------------------------------------


def _quoted(path: Path | str) -> str:
    """A path in quotes, whole (the system bounds its length), control characters escaped."""
    return f"'{printable(str(path))}'"


def _problem(code: str, message: str) -> Finding:
    return Finding(code, "", message)


def _name_problem(absolute: Path) -> Finding | None:
    """A name or path too long for the system, leaving room for a staging suffix."""
    longest = _limit(absolute, "PC_PATH_MAX", 4096) - STAGING_RESERVE
    if len(os.fsencode(absolute)) > longest:
        message = (
            f"the path is {len(str(absolute)):,} characters long, more than the {longest} "
            "this system allows (with room for medspa's staging copy); use a shorter one"
        )
        return _problem("name_too_long", message)
    limit = _limit(absolute, "PC_NAME_MAX", 255)
    for index, part in enumerate(absolute.parts):
        last = index == len(absolute.parts) - 1
        allowed = limit - STAGING_RESERVE if last else limit
        if len(os.fsencode(part)) > allowed:
            room = ", leaving room for the suffix of medspa's staging copy" if last else ""
            return _problem(
                "name_too_long",
                f"the name {excerpt(part)} is too long for this system (at most {allowed} "
                f"characters{room}); use a shorter name",
            )
    return None


def _limit(absolute: Path, name: str, usual: int) -> int:
    """A length limit of the filesystem the path is on (os.pathconf), else the usual one."""
    try:
        return os.pathconf(_nearest(absolute), name)
    except (OSError, ValueError):
        return usual


def _nearest(path: Path) -> Path:
    """The path or its nearest ancestor that is there (a link counts, even a broken one)."""
    return next((p for p in (path, *path.parents) if os.path.lexists(p)), Path(path.anchor))


def _reach_problem(absolute: Path, out: Path, example: str | None) -> Finding | None:
    """Links that lead nowhere or in a loop, a file where a folder must be, or (for a file,
    `example` the file name to suggest) a folder where the file must be."""
    found = _nearest(absolute)
    shown = _quoted(_as_written(out, absolute, found))
    try:
        is_folder = stat.S_ISDIR(os.stat(found).st_mode)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return _problem(
                "link_loop",
                f"{shown} is a link that leads back to itself (a loop of links); "
                "point it at a folder or give --out another path",
            )
        if error.errno == errno.ENOENT:
            return _problem(
                "dangling_link",
                f"{shown} is a link to {_quoted(os.path.realpath(found))}, which does "
                "not exist; create it or give --out another path",
            )
        message = f"cannot reach {shown} ({why_not(error)}); give --out another path"
        return _problem("cannot_write", message)
    if found != absolute and not is_folder:
        return _problem(
            "below_a_file",
            f"{shown} is a file, so nothing can be made inside it; give --out a path "
            "whose parents are folders",
        )
    if found == absolute and example is None and not is_folder:
        message = f"{_quoted(out)} is a file, not a folder; give --out a folder to write into"
        return _problem("not_a_folder", message)
    if found == absolute and example is not None and is_folder:
        message = f"{_quoted(out)} is a folder; give --out a file name, e.g. {out / example}"
        return _problem("not_a_file", message)
    return None


def _as_written(out: Path, absolute: Path, found: Path) -> Path:
    """`found`, the path or one of its parents, as the user wrote it where it is part of it."""
    up = len(absolute.parts) - len(found.parts)
    if up == 0:
        return out
    if ".." in out.parts or up >= len(out.parts):
        return found
    return out.parents[up - 1]


def _input_problem(real: Path, out: Path, inputs: Mapping[str, Path | None]) -> Finding | None:
    for what, source in inputs.items():
        if source is not None and Path(os.path.realpath(source)).is_relative_to(real):
            return _problem(
                "would_overwrite_input",
                f"{_quoted(out)} holds the input {what} {_quoted(source)}; medspa replaces "
                "everything in --out, so it would be lost; write to another folder",
            )
    return None


def _replace_problem(real: Path, out: Path) -> Finding | None:
    """Why the existing folder `real` cannot be replaced as a whole, or None."""
    if os.path.ismount(real):
        return _problem(
            "mount_point",
            f"{_quoted(out)} is a mount point, which cannot be replaced as a whole; give --out "
            f"a folder inside it, e.g. {out / 'week'}",
        )
    if Path(os.path.realpath(Path.cwd())).is_relative_to(real):
        return _problem(
            "holds_current_folder",
            f"{_quoted(out)} holds the folder you are in, which medspa would replace; give "
            "--out a folder below it (e.g. --out week) or run from elsewhere",
        )
    if _locked(real):
        message = (
            f"{_quoted(out)} is locked against changes (immutable); unlock it or choose another"
        )
        return _problem("folder_locked", message)
    foreign = _foreign(real)
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5:,} more" if len(foreign) > 5 else ""
        )
        return _problem(
            "holds_other_files",
            f"{_quoted(out)} holds {shown}, which medspa did not write; medspa replaces "
            "everything in --out, so give it a new or empty folder (or one medspa wrote), "
            "or move those away",
        )
    return None


def _foreign(real: Path) -> list[str]:
    """What in the folder medspa did not write (a folder shown with a trailing /); a set of
    NESTED_SETS inside it (the exception digest, the calendars) is medspa's."""
    ours = _recorded(real)
    allowed = EARLIER_NAMES if ours is None else ours | {RECORD}
    foreign = []
    for entry in sorted(os.scandir(real), key=lambda e: e.name):
        if entry.is_dir(follow_symlinks=False):
            if not _nested_set(entry):
                foreign.append(excerpt(entry.name + "/"))
        elif entry.name not in allowed:
            foreign.append(excerpt(entry.name))
    return foreign


def _record(real: Path) -> dict[str, Any] | None:
    """The folder's list of medspa's files and who wrote them, or None without a readable one."""
    try:
        record = json.loads((real / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("files"), list) else None


def _nested_set(entry: os.DirEntry[str]) -> bool:
    """Whether a folder inside another is one of NESTED_SETS, as its own list says, holding
    nothing else."""
    command = NESTED_SETS.get(entry.name)
    record = _record(Path(entry.path))
    written_by = record is not None and record.get("written_by") == command
    return command is not None and written_by and not _foreign(Path(entry.path))


def _recorded(real: Path) -> frozenset[str] | None:
    """The names in the folder's list of medspa's files, or None without a readable list."""
    record = _record(real)
    if record is None:
        return None
    return frozenset(name for name in record["files"] if isinstance(name, str))


_FS_IOC_GETFLAGS = 0x80086601
_LOCKED_FLAGS = 0x10 | 0x20  # FS_IMMUTABLE_FL, FS_APPEND_FL


def _locked(real: Path) -> bool:
    """Whether the folder is marked immutable or append-only (Linux `chattr +i` / `+a`)."""
    if not sys.platform.startswith("linux"):
        return False
    flags = array("i", [0])
    try:
        descriptor = os.open(real, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.ioctl(descriptor, _FS_IOC_GETFLAGS, flags, True)
    except OSError:
        return False  # a filesystem without these flags
    finally:
        os.close(descriptor)
    return bool(flags[0] & _LOCKED_FLAGS)


_WHY_NOT = {
    errno.EACCES: "you may not write there",
    errno.EPERM: "it is locked against changes",
    errno.EROFS: "it is on a read-only disk",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
}


def why_not(error: OSError) -> str:
    """An OSError in words a clinic manager understands."""
    return _WHY_NOT.get(error.errno or 0, error.strerror or str(error))


def _write_problem(real: Path) -> Finding | None:
    """Whether a staging copy can be made where it goes (tried for real, then removed)."""
    home = Path(os.path.realpath(_nearest(real.parent)))
    probe = staging_path(home / real.name, "probe")
    try:
        os.mkdir(probe)
    except OSError as error:
        message = f"cannot write in {_quoted(home)} ({why_not(error)}); give --out another folder"
        return _problem("cannot_write", message)
    with contextlib.suppress(FileNotFoundError):  # another run's tidy-up may have taken it
        os.rmdir(probe)
    return None


# --- the swap -----------------------------------------------------------------------------


def _tidy(real: Path) -> None:
    """Clear what killed runs left beside `real`: an old set a fallback swap left aside goes
    back (or away, when the new set made it), and abandoned staging folders go."""
    for aside in leftovers(real, "previous"):
        if os.path.lexists(real):
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.rename(aside, real)
    for kind in ("writing", "probe"):
        for leftover in leftovers(real, kind):
            if abandoned(leftover):
                shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def _staging(real: Path) -> Iterator[Path]:
    """A new locked staging folder beside `real`; whatever is at its name at the end goes
    (the old set after a swap, the partial new one after a failure)."""
    while True:
        path = staging_path(real)
        os.mkdir(path)
        descriptor = os.open(path, os.O_RDONLY)
        if hold(descriptor, path):
            break
        os.close(descriptor)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(descriptor)


def _swap(staging: Path, real: Path) -> None:
    """Put the staging folder at `real`; the old set, if any, ends up at the staging name."""
    if not os.path.lexists(real):
        os.rename(staging, real)
        return
    os.chmod(staging, stat.S_IMODE(os.stat(real).st_mode))
    if _exchange(staging, real):
        return
    aside = staging_path(real, "previous")
    os.rename(real, aside)
    try:
        os.rename(staging, real)
    except OSError:
        os.rename(aside, real)
        raise
    shutil.rmtree(aside, ignore_errors=True)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_CANNOT_EXCHANGE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP}


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step; False where the system or filesystem cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    names = os.fsencode(first), os.fsencode(second)
    if renameat2(_AT_FDCWD, names[0], _AT_FDCWD, names[1], _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _CANNOT_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(second))


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    """The C library's renameat2 (Linux, glibc 2.28+), or None."""
    if not sys.platform.startswith("linux"):
        return None
    function = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if function is not None:
        function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
        function.argtypes += [ctypes.c_uint]
        function.restype = ctypes.c_int
    return function
