"""The one way the project writes and reads CSV files, safe to open in a spreadsheet.

A spreadsheet runs a cell starting with `=`, `+`, `-` or `@` as a formula (tab and carriage
return too, once it trims them), so a rulebook text such as `=HYPERLINK("http://...")` in an
owner or a note would run on the front desk's machine. Following OWASP, every such text cell
is written with a single quote in front, which a spreadsheet shows as text; a text that
starts with a quote itself gets one more, so `read_csv` gives back exactly what was written.
Number columns are left as numbers (-30 stays -30), times with a timezone are written as ISO
8601 with their offset (2026-12-08T10:00:00-05:00; blank for none). Lines end in CRLF
(RFC 4180), which also makes the writer quote a cell holding a carriage return instead of
breaking the row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from pandas.api.types import is_object_dtype, is_string_dtype

from models.writing import atomic_file

FORMULA_STARTS = "=+-@\t\r"
"""First characters that make a spreadsheet treat a cell as a formula."""
QUOTE = "'"


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would run this text as a formula."""
    return text[:1] != "" and text[0] in FORMULA_STARTS


def _guarded(cell: Any) -> Any:
    if isinstance(cell, str) and (looks_like_formula(cell) or cell.startswith(QUOTE)):
        return QUOTE + cell
    return cell


def _restored(cell: str) -> str:
    if cell.startswith(QUOTE) and cell[1:2] != "" and cell[1] in FORMULA_STARTS + QUOTE:
        return cell[1:]
    return cell


def csv_text(frame: pd.DataFrame) -> str:
    """The frame as CSV text, every text cell a spreadsheet would run neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            safe[column] = values.map(lambda moment: "" if pd.isna(moment) else moment.isoformat())
        elif is_object_dtype(values) or is_string_dtype(values):
            safe[column] = values.map(_guarded)
    return safe.to_csv(index=False, lineterminator="\r\n")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write the frame as a spreadsheet-safe CSV file, in one step (no half-written file)."""
    with atomic_file(Path(path), binary=True) as stream:
        stream.write(csv_text(frame).encode("utf-8"))


def read_csv(path: str | Path) -> pd.DataFrame:
    """A CSV file as text cells, with the quote `write_csv` put before a cell taken off."""
    return pd.read_csv(path, dtype=str, keep_default_na=False).map(_restored)
