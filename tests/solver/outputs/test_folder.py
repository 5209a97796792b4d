"""--out is checked before any work, changing nothing, and replaced as one set: after a failure
the old set stands, a new set leaves no file of the old one, nothing is left beside it, and
a folder holding files medspa did not write is refused rather than emptied."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from solver.outputs import folder
from solver.outputs.folder import (
    RECORD,
    OutputFolderError,
    file_problem,
    folder_problem,
    write_set,
)

Writers = dict[str, Callable[[Path], object]]


def _texts(**contents: str) -> Writers:
    """Writers of text files, `a_txt="A"` writing a.txt."""
    return {
        name.replace("_", "."): (lambda path, text=text: path.write_text(text, encoding="utf-8"))
        for name, text in contents.items()
    }


def _disk_full(path: Path) -> None:
    path.write_text("half", encoding="utf-8")
    raise OSError(errno.ENOSPC, "No space left on device", str(path))


def _contents(out: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.iterdir())}


def _beside(out: Path) -> list[str]:
    """What medspa's staging left next to the folder."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def test_every_file_lands_with_the_list_of_them_and_nothing_is_left_beside(
    tmp_path: Path,
) -> None:
    out = tmp_path / "new" / "out"
    paths = write_set(out, _texts(a_txt="A", b_txt="B"), "solve")
    assert paths == [out / "a.txt", out / "b.txt"]
    assert sorted(p.name for p in out.iterdir()) == [RECORD, "a.txt", "b.txt"]
    assert json.loads((out / RECORD).read_text()) == {
        "written_by": "medspa solve",
        "files": ["a.txt", "b.txt"],
    }
    assert _beside(out) == []


def test_a_failed_write_leaves_the_earlier_set_as_it_was_and_nothing_beside(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with pytest.raises(OSError, match="No space"):
        write_set(out, {**_texts(a_txt="A"), "b.txt": _disk_full}, "solve")
    assert not out.exists()
    write_set(out, _texts(a_txt="old A", b_txt="old B"), "solve")
    before = _contents(out)
    with pytest.raises(OSError, match="No space"):
        write_set(out, {**_texts(a_txt="new A"), "b.txt": _disk_full}, "solve")
    assert _contents(out) == before
    assert _beside(out) == []


def test_a_new_set_leaves_no_file_of_another_commands_set(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_set(out, _texts(schedule_csv="re-plan", changes_csv="moves"), "reshuffle")
    write_set(out, _texts(schedule_csv="night", kpis_json="{}"), "solve")
    assert sorted(_contents(out)) == [RECORD, "kpis.json", "schedule.csv"]
    write_set(out, _texts(changes_csv="moves again"), "reshuffle")
    assert sorted(_contents(out)) == [RECORD, "changes.csv"]


@pytest.mark.parametrize("base", [None, Path("/dev/shm")], ids=["tmp_path", "tmpfs"])
def test_this_machine_exchanges_two_folders_in_one_step(tmp_path: Path, base: Path | None) -> None:
    if base is not None and not base.is_dir():
        pytest.skip("no tmpfs at /dev/shm")
    root = Path(os.path.realpath(tmp_path if base is None else base))
    first, second = root / f"{tmp_path.name}-first", root / f"{tmp_path.name}-second"
    first.mkdir(), second.mkdir()
    (first / "new").touch()
    try:
        assert folder._exchange(first, second)
        assert [p.name for p in second.iterdir()] == ["new"] and list(first.iterdir()) == []
    finally:
        for path in (first, second):
            for child in path.iterdir():
                child.unlink()
            path.rmdir()


def test_without_the_exchange_a_kill_between_the_two_renames_is_repaired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folder, "_exchange", lambda first, second: False)
    out = tmp_path / "out"
    write_set(out, _texts(a_txt="old"), "solve")
    write_set(out, _texts(a_txt="new"), "solve")
    assert _contents(out)["a.txt"] == "new" and _beside(out) == []
    old = _contents(out)
    # killed after moving the old set aside, before moving the staging folder in
    out.rename(tmp_path / ".out.previous-0000dead")
    (tmp_path / ".out.writing-0000dead").mkdir()
    with pytest.raises(OSError):
        write_set(out, {"a.txt": _disk_full}, "solve")
    assert _contents(out) == old
    assert _beside(out) == []


def test_leftovers_of_killed_runs_go_with_the_next_write_but_a_live_runs_stay(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    write_set(out, _texts(a_txt="A"), "solve")
    for name in (".out.writing-0000dead", ".out.probe-0000dead", ".out.writing-0000live"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "half.csv").write_text("half")
    live = os.open(tmp_path / ".out.writing-0000live", os.O_RDONLY)
    fcntl.flock(live, fcntl.LOCK_EX)
    try:
        write_set(out, _texts(a_txt="B"), "solve")
        assert _beside(out) == [".out.writing-0000live"]
        assert sorted(p.name for p in tmp_path.iterdir()) == [".out.writing-0000live", "out"]
    finally:
        os.close(live)


def test_the_folder_keeps_its_permission_bits(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir(mode=0o750)
    out.chmod(0o750)
    write_set(out, _texts(a_txt="A"), "solve")
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    fresh = tmp_path / "fresh"
    write_set(fresh, _texts(a_txt="A"), "solve")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o777 & ~mask


def test_files_medspa_did_not_write_are_refused_and_kept(tmp_path: Path) -> None:
    documents = tmp_path / "Documents"
    documents.mkdir()
    (documents / "taxes.pdf").write_text("mine")
    (documents / "photos").mkdir()
    problem = folder_problem(documents, {})
    assert problem is not None and problem.code == "holds_other_files"
    assert "'photos/', 'taxes.pdf', which medspa did not write" in problem.message
    with pytest.raises(OutputFolderError):
        write_set(documents, _texts(a_txt="A"), "solve")
    assert sorted(p.name for p in documents.iterdir()) == ["photos", "taxes.pdf"]


def test_a_folder_where_an_output_file_should_be_is_refused_before_the_set_is_touched(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    write_set(out, _texts(schedule_csv="old", exceptions_csv="old"), "solve")
    (out / "exceptions.csv").unlink()
    (out / "exceptions.csv").mkdir()
    problem = folder_problem(out, {})
    assert problem is not None and "'exceptions.csv/'" in problem.message
    with pytest.raises(OutputFolderError):
        write_set(out, _texts(schedule_csv="new", exceptions_csv="new"), "solve")
    assert (out / "schedule.csv").read_text() == "old" and (out / "exceptions.csv").is_dir()


def test_empty_folders_and_those_of_earlier_versions_are_taken(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert folder_problem(tmp_path / "empty", {}) is None
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    for name in ("schedule.csv", "kpis.json", "exceptions.csv", "gantt.png", "changes.csv"):
        (earlier / name).write_text("old")
    assert folder_problem(earlier, {}) is None
    (earlier / "scenario.yaml").write_text("a clinic's own file, maybe")
    problem = folder_problem(earlier, {})
    assert problem is not None and "'scenario.yaml', which medspa did not write" in problem.message


def test_a_set_medspa_wrote_inside_the_folder_is_replaced_with_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_set(out, _texts(exceptions_csv="old"), "solve")
    write_set(out / "digest", _texts(dana_md="old"), "exceptions")  # the digest of that solve
    assert folder_problem(out, {}) is None
    write_set(out, _texts(exceptions_csv="new"), "solve")
    assert sorted(p.name for p in out.iterdir()) == [".medspa-outputs.json", "exceptions.csv"]
    write_set(out / "week", _texts(exceptions_csv="old"), "solve")  # another command's set
    write_set(out / "photos", _texts(a_txt="A"), "exceptions")  # not where a digest goes
    problem = folder_problem(out, {})
    assert problem is not None and "'photos/', 'week/', which medspa did not" in problem.message


def _below_a_file(tmp_path: Path) -> Path:
    (tmp_path / "notes.txt").write_text("")
    return tmp_path / "notes.txt" / "out"


def _a_file(tmp_path: Path) -> Path:
    (tmp_path / "week.csv").write_text("")
    return tmp_path / "week.csv"


def _dangling_link(tmp_path: Path) -> Path:
    (tmp_path / "out").symlink_to(tmp_path / "gone")
    return tmp_path / "out"


def _link_loop(tmp_path: Path) -> Path:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    return tmp_path / "a" / "week"


def _the_folder_you_are_in(tmp_path: Path) -> Path:
    (tmp_path / "here").mkdir()
    os.chdir(tmp_path / "here")
    return Path(".")


PROBLEMS = [
    (_below_a_file, "below_a_file", "/notes.txt' is a file, so nothing can be made inside it"),
    (_a_file, "not_a_folder", "/week.csv' is a file, not a folder"),
    (_dangling_link, "dangling_link", "/out' is a link to '"),
    (_link_loop, "link_loop", "/a' is a link that leads back to itself"),
    (lambda tmp_path: tmp_path / ("x" * 300), "name_too_long", "is too long for this system"),
    (lambda tmp_path: tmp_path / ("x" * 240), "name_too_long", "room for the suffix"),
    (lambda tmp_path: tmp_path.joinpath(*["x" * 200] * 25), "name_too_long", "the path is"),
    (_the_folder_you_are_in, "holds_current_folder", "holds the folder you are in"),
]


@pytest.mark.parametrize(("make", "code", "says"), PROBLEMS)
def test_an_unusable_out_is_named_with_the_fix_and_nothing_changes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[Path], Path],
    code: str,
    says: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    out = make(tmp_path)
    before = sorted(os.listdir(tmp_path))
    problem = folder_problem(out, {})
    assert problem is not None and (problem.code, problem.where) == (code, "")
    assert says in problem.message
    assert sorted(os.listdir(tmp_path)) == before


def test_the_folder_of_an_input_is_refused_even_when_its_file_is_an_output(
    tmp_path: Path,
) -> None:
    out = tmp_path / "tue"
    write_set(out, _texts(schedule_csv="rows", scenario_yaml="state"), "reshuffle")
    inputs = {"scenario": out / "scenario.yaml", "schedule": tmp_path / "other.csv"}
    problem = folder_problem(out, inputs)
    assert problem is not None and problem.code == "would_overwrite_input"
    assert "holds the input scenario" in problem.message
    linked = tmp_path / "link"
    linked.symlink_to(out)
    problem = folder_problem(linked, {"schedule": out / "schedule.csv"})
    assert problem is not None and "holds the input schedule" in problem.message


def _chattr(flag: str, path: Path) -> bool:
    try:
        done = subprocess.run(["chattr", flag, str(path)], capture_output=True, check=False)
    except FileNotFoundError:
        return False
    return done.returncode == 0


def test_an_immutable_folder_is_found_before_any_work(tmp_path: Path) -> None:
    parent = tmp_path / "parent"
    write_set(parent / "week", _texts(a_txt="A"), "solve")
    if not _chattr("+i", parent):
        pytest.skip("chattr +i is not possible here")
    try:
        problem = folder_problem(parent / "new", {})
        assert problem is not None and problem.code == "cannot_write"
        assert "it is locked against changes" in problem.message
    finally:
        _chattr("-i", parent)
    assert _chattr("+i", parent / "week")
    try:
        problem = folder_problem(parent / "week", {})
        assert problem is not None and problem.code == "folder_locked"
    finally:
        _chattr("-i", parent / "week")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in a read-only folder")
def test_a_read_only_folder_is_found_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o555)
    try:
        problem = folder_problem(tmp_path / "ro" / "out", {})
        assert problem is not None and "you may not write there" in problem.message
    finally:
        (tmp_path / "ro").chmod(0o755)


def test_a_mount_point_is_refused(tmp_path: Path) -> None:
    if not os.path.ismount("/dev/shm"):
        pytest.skip("/dev/shm is not a mount point here")
    problem = folder_problem(Path("/dev/shm"), {})
    assert problem is not None and problem.code == "mount_point"


def test_an_out_file_must_not_be_a_folder_or_below_a_file(tmp_path: Path) -> None:
    problem = file_problem(tmp_path, "clinic.yaml")
    assert problem is not None and problem.code == "not_a_file"
    assert f"give --out a file name, e.g. {tmp_path / 'clinic.yaml'}" in problem.message
    problem = file_problem(_below_a_file(tmp_path), "clinic.yaml")
    assert problem is not None and problem.code == "below_a_file"
    assert file_problem(tmp_path / "new" / "clinic.yaml", "clinic.yaml") is None
