"""Pages made of blocks (heading, paragraph, table, picture), rendered as markdown or as one
self-contained HTML page: its pictures embedded as base64 PNG, its style inline, nothing
loaded from elsewhere, readable when printed. The review (review_report.py) and the clinic's
report (clinic_report.py) are written this way."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from models.findings import printable


@dataclass(frozen=True)
class Block:
    """One piece of a page: a heading (level 1-4), a paragraph, a table or a picture."""

    kind: str
    """"heading", "text", "table" or "picture"."""
    text: str = ""
    """The heading or paragraph; a picture's file name."""
    level: int = 2
    table: pd.DataFrame | None = None


STYLE = (
    "body{font-family:sans-serif;max-width:75em;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:1em 0}"
    "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
    "img{max-width:100%}"
    "nav li{margin:.1em 0}"
    "@media print{body{max-width:none;margin:0}nav{display:none}"
    "h2,h3,h4{break-after:avoid}table,img{break-inside:avoid}}"
)


def as_markdown(blocks: list[Block]) -> str:
    """The page as markdown: pictures as links to the PNG files beside it."""
    parts = []
    for block in blocks:
        if block.kind == "heading":
            parts.append(f"{'#' * block.level} {_md_text(block.text)}")
        elif block.kind == "text":
            parts.append(_md_text(block.text))
        elif block.kind == "table":
            assert block.table is not None
            parts.append(_md_table(block.table))
        else:
            parts.append(f"![{block.text}]({block.text})")
    return "\n\n".join(parts) + "\n"


def as_html(
    blocks: list[Block], pictures: dict[str, bytes], title: str, *, contents: bool = False
) -> str:
    """The page as one HTML document titled `title`, its pictures (file name: PNG bytes)
    embedded as base64 PNG; with `contents`, a list of links to its sections (level-2
    headings) after the first heading."""
    anchors = _anchors(blocks)
    body = []
    for number, block in enumerate(blocks):
        if block.kind == "heading":
            anchor = f' id="{anchors[number]}"' if number in anchors else ""
            body.append(f"<h{block.level}{anchor}>{_html_text(block.text)}</h{block.level}>")
            if contents and number == 0:
                body.append(_contents(blocks, anchors))
        elif block.kind == "text":
            body.append(f"<p>{_html_text(block.text)}</p>")
        elif block.kind == "table":
            assert block.table is not None
            body.append(_cells(block.table).to_html(escape=True, border=0))
        else:
            data = base64.b64encode(pictures[block.text]).decode("ascii")
            alt = html.escape(block.text)
            body.append(f'<p><img alt="{alt}" src="data:image/png;base64,{data}"></p>')
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_html_text(title)}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _anchors(blocks: list[Block]) -> dict[int, str]:
    """An id for each level-2 heading (by its place among the blocks), unique on the page."""
    anchors: dict[int, str] = {}
    for number, block in enumerate(blocks):
        if block.kind == "heading" and block.level == 2:
            slug = re.sub(r"[^a-z0-9]+", "-", block.text.lower()).strip("-") or "section"
            anchors[number] = f"{slug}-{number}" if slug in anchors.values() else slug
    return anchors


def _contents(blocks: list[Block], anchors: dict[int, str]) -> str:
    items = "".join(
        f'<li><a href="#{anchor}">{_html_text(blocks[number].text)}</a></li>'
        for number, anchor in anchors.items()
    )
    return f"<nav><ul>{items}</ul></nav>"


def _cells(table: pd.DataFrame) -> pd.DataFrame:
    """The table's index and cells as text: whole numbers with thousands separators, other
    numbers to two places, text from files printable."""
    shown = table.map(_cell)
    shown.index = [printable(str(label)) for label in shown.index]
    shown.columns = [printable(str(label)) for label in shown.columns]
    return shown


def _cell(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return printable(str(value))
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _md_text(text: str) -> str:
    return printable(text).replace("<", "&lt;")


def _md_table(table: pd.DataFrame) -> str:
    shown = _cells(table)
    head = [str(table.index.name or ""), *shown.columns]
    rows = [[label, *values] for label, values in zip(shown.index, shown.to_numpy(), strict=True)]

    def line(cells: list[Any]) -> str:
        return "| " + " | ".join(_md_text(str(c)).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(head), "| " + " | ".join("---" for _ in head) + " |", *map(line, rows)])


def _html_text(text: str) -> str:
    return html.escape(printable(text))
