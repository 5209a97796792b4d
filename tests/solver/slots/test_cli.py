"""`medspa slots` as the desk runs it: read-only unless --out; --out writes options.csv;
--take books an option into a folder `medspa check` accepts and the next call starts from;
--json parses; bad input exits 2 naming the fix, without a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from solver.cli import app
from tests.conftest import MINI_WEEK, MONDAY, booking, mini_clinic, patients, provider
from tests.solver.slots.planted import saved

runner = CliRunner()
NOW = "2026-12-07T08:00"
"""Before the sample week: the tests do not depend on this computer's clock."""
OPTION_KEYS = {"rank", "date", "weekday", "start", "end", "provider_id", "room_id", "equipment"}
OPTION_KEYS |= {"change", "why", "moves", "terms"}


def _slots(files: tuple[Path, Path], *args: str) -> tuple[int, str]:
    scenario, schedule = files
    result = runner.invoke(
        app, ["slots", str(scenario), "--schedule", str(schedule), "--now", NOW, *args]
    )
    return result.exit_code, result.output


def _listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.fixture
def clinic(tmp_path: Path) -> tuple[Path, Path]:
    """The mini clinic with rn busy Monday 10:00-10:30 (b, p1), saved with its schedule."""
    scenario = mini_clinic(
        providers=[provider("rn", ["botox"], MINI_WEEK)],
        patients=patients(["p1", "p2", "p3"]),
        bookings=[booking("b", "p1", "botox", "rn", "inj1", f"{MONDAY}T10:00")],
    )
    return saved(scenario, tmp_path / "in")


def test_without_out_nothing_is_written(
    clinic: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = _listing(tmp_path)
    for args in ([], ["--moves", "2"], ["--at", f"{MONDAY}T10:00"], ["--json"]):
        code, output = _slots(clinic, "--patient", "p2", "--service", "botox", *args)
        assert code == 0, output
    assert _listing(tmp_path) == before


def test_at_a_time_with_another_offset_is_told_in_clinic_time(clinic: tuple[Path, Path]) -> None:
    code, output = _slots(clinic, "--patient", "p2", "--service", "botox", "--at",
                          "2026-12-07T18:00+01:00")  # fmt: skip
    assert code == 0, output
    assert output.startswith("Mon 2026-12-07 11:00 with rn: free:")


def test_out_writes_the_options_as_csv(clinic: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "options"
    code, output = _slots(clinic, "--patient", "p2", "--service", "botox", "--out", str(out))
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == [".medspa-outputs.json", "options.csv"]
    options = pd.read_csv(out / "options.csv", dtype=str, keep_default_na=False)
    assert list(options["rank"]) == [str(i) for i in range(1, len(options) + 1)]
    first = options.iloc[0]
    assert (first["provider_id"], first["start"]) == ("rn", "2026-12-07T09:30:00-06:00")
    assert f"wrote {out / 'options.csv'}" in output.replace("\n", "")


def test_take_writes_a_folder_the_checker_accepts_and_the_next_call_starts_from(
    sample_week: tuple[Path, Path], tmp_path: Path
) -> None:
    ask = ["--patient", "p_001", "--service", "botox"]
    code, output = _slots(sample_week, *ask, "--json")
    assert code == 0, output
    first = json.loads(output)["options"][0]
    out = tmp_path / "taken"
    code, output = _slots(sample_week, *ask, "--take", "1", "--out", str(out))
    assert code == 0, output
    assert "Booked for p_001, botox:" in output
    assert sorted(p.name for p in out.iterdir()) == [
        ".medspa-outputs.json",
        "changes.csv",
        "gantt_day.png",
        "report.html",
        "scenario.yaml",
        "schedule.csv",
    ]
    code, output = _slots(sample_week, *ask, "--take", "1", "--out", str(out), "--json")
    assert code == 0, output
    told = json.loads(output)
    assert told["taken"] == 1 and told["wrote"] == [str(out / "schedule.csv")] + [
        str(out / name) for name in ("changes.csv", "scenario.yaml", "gantt_day.png", "report.html")
    ]
    check = runner.invoke(
        app, ["check", str(out / "scenario.yaml"), "--schedule", str(out / "schedule.csv")]
    )
    assert check.exit_code == 0, check.output
    changes = pd.read_csv(out / "changes.csv", dtype=str, keep_default_na=False)
    booked = changes[changes["change"] == "booked_new_request"]
    assert list(booked["request_id"]) == ["call_p_001_botox"]
    assert list(booked["to_start"]) == [first["start"]]
    # the next call starts from that folder and no longer gets that time with that provider
    after = (out / "scenario.yaml", out / "schedule.csv")
    who = ["--provider", first["provider_id"]]
    code, output = _slots(after, "--patient", "p_002", "--service", "botox", *who, "--json")
    assert code in (0, 1), output
    assert first["start"] not in [o["start"] for o in json.loads(output)["options"]]
    code, output = _slots(after, "--patient", "p_002", "--service", "botox", *who, "--at",
                          first["start"], "--json")  # fmt: skip
    assert code == 0, output
    (verdict,) = json.loads(output)["verdicts"]
    assert verdict["rule"] == "provider" and "call_p_001_botox" in verdict["blocking"]


def test_json_has_the_documented_keys(sample_week: tuple[Path, Path]) -> None:
    ask = ["--patient", "p_001", "--service", "botox", "--moves", "1", "--top", "3"]
    code, output = _slots(sample_week, *ask, "--json")
    assert code == 0, output
    answer = json.loads(output)
    assert set(answer) == {"request", "options", "refusal", "taken", "wrote"}
    assert answer["refusal"] is None and answer["taken"] is None and answer["wrote"] == []
    assert answer["request"]["patient"] == "p_001" and answer["request"]["service"] == "botox"
    assert 1 <= len(answer["options"]) <= 3
    for option in answer["options"]:
        assert set(option) == OPTION_KEYS
        assert option["terms"]["booked_priority_minutes"] > 0
        for move in option["moves"]:
            assert set(move) == {"booking_id", "patient_id", "service_id", "provider_id"} | {
                "from_start", "to_start", "from_room", "to_room",
            }  # fmt: skip
    code, output = _slots(sample_week, *ask, "--at", "2026-12-09T13:45", "--json")
    assert code == 0, output
    told = json.loads(output)
    assert set(told) == {"at", "refusal", "verdicts"}
    assert told["verdicts"]
    for verdict in told["verdicts"]:
        assert set(verdict) == {"provider_id", "rule", "words", "blocking"} | {
            "smallest_set_to_move", "change_if_booked",
        }  # fmt: skip


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--patient", "p22"], "no patient 'p22' in the scenario; did you mean p2"),
        (["--service", "botx"], "no service 'botx' in the scenario; did you mean botox"),
        (["--provider", "rn1"], "no provider 'rn1' in the scenario; did you mean rn?"),
        (["--prefer-provider", "nobody"], "no provider 'nobody' in the scenario; use a provider"),
        (["--take", "1"], "--take: give --out DIR for the new schedule"),
        (["--take", "1", "--out", "{tmp}/o", "--at", f"{MONDAY}T10:00"], "--take: leave out --at"),
        (["--prefer-time", "lunch"], "'lunch' is no day part of the clinic; write a time range"),
        (["--take", "0", "--out", "{tmp}/o"], "there are 3 option(s); give --take 1 to 3"),
        (["--take", "4", "--out", "{tmp}/o"], "there are 3 option(s); give --take 1 to 3"),
        (["--at", "monday"], "'monday' is not a time; write it as YYYY-MM-DDTHH:MM"),
        (["--earliest", "2026-12-08", "--latest", "2026-12-07"], "swap them"),
        (["--earliest", "2027-01-04"], "the window 2027-01-04 to 2026-12-08 lies outside"),
        (["--latest", "2026-11-30"], "the window 2026-12-07 to 2026-11-30 lies outside"),
        (["--earliest", "2026-11-02", "--latest", "2026-11-06"], "lies outside the schedule's"),
        (["--now", "2026-12-09T10:00"], "comes after the schedule's horizon"),
        (["--moves", "4"], "give 0 to 3 moves"),
        (["--top", "0"], "give 1 to 50"),
    ],
)
def test_bad_input_exits_2_naming_the_fix(
    clinic: tuple[Path, Path], tmp_path: Path, args: list[str], said: str
) -> None:
    asked = {"--patient": "p2", "--service": "botox"}
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    for flag, value in asked.items():
        if flag not in args:
            args += [flag, value]
    code, output = _slots(clinic, *args)
    assert code == 2, output
    assert said in " ".join(output.split())
    assert "Traceback" not in output and "--take: --take" not in output
    assert not (tmp_path / "o").exists()
