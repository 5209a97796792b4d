"""One file written whole: a run that dies mid-write leaves a staging file that the next write
of that file removes, while the staging file of a run still going is left alone."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from models.writing import atomic_file, write_atomically


def test_a_failed_write_leaves_the_file_as_it_was_and_no_staging(tmp_path: Path) -> None:
    write_atomically(tmp_path / "kpis.json", "old")
    with pytest.raises(OSError), atomic_file(tmp_path / "kpis.json") as stream:
        stream.write("half")
        raise OSError("disk full")
    assert sorted(os.listdir(tmp_path)) == ["kpis.json"]
    assert (tmp_path / "kpis.json").read_text() == "old"


def test_the_next_write_removes_what_killed_runs_left_but_not_a_live_runs_file(
    tmp_path: Path,
) -> None:
    (tmp_path / ".kpis.json.writing-0000dead.tmp").write_text("half")
    live = tmp_path / ".kpis.json.writing-0000live.tmp"
    live.write_text("half")
    with live.open() as stream:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
        write_atomically(tmp_path / "kpis.json", "{}")
        assert sorted(os.listdir(tmp_path)) == [live.name, "kpis.json"]
    assert (tmp_path / "kpis.json").read_text() == "{}"
