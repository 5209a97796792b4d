"""CSV files a spreadsheet can open safely: a text that would run as a formula gets a quote in
front, numbers stay numbers, and the project's readers give back exactly what was written."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from models.results import Appointment, Schedule
from models.spreadsheet import csv_text, read_csv, write_csv

HOSTILE = [
    '=HYPERLINK("http://example.com","click")',
    "+1 555 0100",
    "-2+3",
    "@SUM(A1)",
    "\tindented",
    "\r=cmd",
    "'already quoted",
    "''",
    "'",
    "a\r\nline break",
]


def _cells(path: Path) -> list[list[str]]:
    """The raw cells of a CSV file, as a spreadsheet gets them."""
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def test_text_that_would_run_as_a_formula_gets_a_quote_and_numbers_stay_numbers(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame({"note": ["=1+1", "-30", "plain", "a=b", ""], "minutes": [-30] * 5})
    write_csv(frame, tmp_path / "t.csv")
    rows = _cells(tmp_path / "t.csv")
    assert rows == [
        ["note", "minutes"],
        ["'=1+1", "-30"],
        ["'-30", "-30"],
        ["plain", "-30"],
        ["a=b", "-30"],
        ["", "-30"],
    ]
    assert pd.read_csv(tmp_path / "t.csv")["minutes"].tolist() == [-30] * 5


@pytest.mark.parametrize("text", HOSTILE)
def test_no_cell_starts_like_a_formula_and_read_csv_gives_it_back(
    tmp_path: Path, text: str
) -> None:
    write_csv(pd.DataFrame({"owner": [text, "x"], "n": [1, 2]}), tmp_path / "t.csv")
    rows = _cells(tmp_path / "t.csv")
    assert len(rows) == 3  # a carriage return inside a cell does not break the row
    assert rows[1][0][:1] not in set("=+-@\t\r")
    assert read_csv(tmp_path / "t.csv")["owner"].tolist() == [text, "x"]


def test_a_hand_written_quote_before_ordinary_text_is_kept(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("owner\n'lead\n'=x\n", encoding="utf-8")
    assert read_csv(tmp_path / "t.csv")["owner"].tolist() == ["'lead", "=x"]


def test_a_schedule_with_formula_like_text_round_trips_through_its_csv(tmp_path: Path) -> None:
    zone = ZoneInfo("America/New_York")
    rows = [
        Appointment(  # ids keep to the id alphabet, where only '-' starts like a formula
            request_id=f"-r{index}",
            patient_id=f"-{index}",
            service_id="-botox",
            provider_id="-rn",
            room_id="-room",
            equipment="-laser:1",
            start=datetime(2026, 12, 8, 9, tzinfo=zone),
            end=datetime(2026, 12, 8, 9, 30, tzinfo=zone),
            status="booked",
            reason=text,
        )
        for index, text in enumerate(HOSTILE)
    ]
    schedule = Schedule(appointments=rows)
    schedule.write_csv(tmp_path / "schedule.csv")
    cells = [cell for row in _cells(tmp_path / "schedule.csv") for cell in row]
    assert not [cell for cell in cells if cell[:1] in set("=+-@\t\r")]
    assert Schedule.read_csv(tmp_path / "schedule.csv") == schedule


def test_csv_text_leaves_the_frame_it_is_given_alone() -> None:
    frame = pd.DataFrame({"owner": ["=x"]})
    assert csv_text(frame) == "owner\r\n'=x\r\n"
    assert frame["owner"].tolist() == ["=x"]
