"""The exception digest: the exception queue (exceptions.csv, which every solve and re-plan
writes) split by owner, one page per owner to send them: markdown and a self-contained HTML
page (style inline, nothing loaded from elsewhere), each the owner's exceptions most urgent
first, with what happened and what to do.

The pages carry patient names (they go to the owner who calls the patient); what a command
prints of a digest never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from models.findings import excerpt
from models.results import ExceptionItem, exceptions_frame
from models.spreadsheet import read_csv
from solver.desk import ascii_slug
from solver.outputs.folder import DIGEST_FOLDER, Writer, text_writer, write_set
from solver.outputs.pages import Block, as_html, as_markdown

INDEX = "index"
"""The page listing every owner and their count (a name no owner's page takes)."""
REQUIRED = ("owner", "request_id", "reason_code")
"""The columns of exceptions.csv a digest cannot do without, each filled on every row."""


class ExceptionsFileError(ValueError):
    """An exceptions.csv that cannot be read, with every problem found, by line and column."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class OwnerDigest:
    """One owner's exceptions, most urgent first, and the name of their pages."""

    owner: str
    items: list[ExceptionItem]
    slug: str
    """The pages' file name without its suffix: `<slug>.md` and `<slug>.html`."""


def read_exceptions(path: Path) -> list[ExceptionItem]:
    """The rows of an exceptions.csv file as `medspa solve` or `reshuffle` wrote it (or a
    spreadsheet saved it); raises ExceptionsFileError naming each bad line and column,
    FileNotFoundError when it is not there."""
    try:
        frame = read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        first_line = (str(error) or type(error).__name__).splitlines()[0]
        raise ExceptionsFileError([f"not a readable CSV file ({first_line})"]) from None
    missing = [column for column in REQUIRED if column not in frame.columns]
    if missing:
        raise ExceptionsFileError([f"line 1 (the header): missing column(s) {', '.join(missing)}"])
    known = [column for column in ExceptionItem.model_fields if column in frame.columns]
    items, problems = [], []
    for line, row in enumerate(frame[known].to_dict("records"), start=2):  # 1 is the header
        where = f"line {line}" + (
            f" (id {excerpt(row['request_id'])})" if row["request_id"] else ""
        )
        blank = [column for column in REQUIRED if not str(row[column]).strip()]
        if blank:
            problems.append(f"{where}: no {' or '.join(blank)}; every row needs them")
            continue
        items.append(ExceptionItem.model_validate({"suggested_action": ""} | row))
    if problems:
        raise ExceptionsFileError(problems)
    return items


def digest_by_owner(items: list[ExceptionItem]) -> list[OwnerDigest]:
    """The queue split by owner: owners in the order of their most urgent exception, each
    owner's exceptions in the queue's order (most urgent first), each owner a file name of
    their own (`slug`)."""
    owned: dict[str, list[ExceptionItem]] = {}
    for item in items:
        owned.setdefault(item.owner, []).append(item)
    taken = {INDEX}
    digests = []
    for owner, mine in owned.items():
        slug = base = owner_slug(owner)
        number = 1
        while slug in taken:  # "Dana" and "dana", or an owner called Index
            number += 1
            slug = f"{base}-{number}"
        taken.add(slug)
        digests.append(OwnerDigest(owner, mine, slug))
    return digests


def owner_slug(owner: str) -> str:
    """A file name for an owner's pages: lower-case letters and digits joined by '-' ("Front
    desk (Dana)" -> front-desk-dana), at most 60 characters."""
    return ascii_slug(owner)[:60].strip("-") or "owner"


def owner_page(digest: OwnerDigest) -> list[Block]:
    """An owner's page: their count and one table of their exceptions, most urgent first."""
    table = exceptions_frame(digest.items).drop(columns="owner").set_index("request_id")
    count = len(digest.items)
    return [
        Block("heading", f"Exceptions for {digest.owner}", 1),
        Block(
            "text",
            f"{count} request(s) or booking(s) to handle, most urgent first: the day or window "
            "each concerns, what happened (detail) and what to do (suggested_action).",
        ),
        Block("table", table=table),
    ]


def index_page(digests: list[OwnerDigest]) -> list[Block]:
    """The digest's index: every owner, their count and their pages; or that there is none."""
    blocks = [Block("heading", "Exception digest", 1)]
    if not digests:
        return [
            *blocks,
            Block("text", "The exception queue is empty: nobody has anything to handle."),
        ]
    rows = [
        {"owner": d.owner, "exceptions": len(d.items), "pages": f"{d.slug}.md, {d.slug}.html"}
        for d in digests
    ]
    total = sum(len(d.items) for d in digests)
    return [
        *blocks,
        Block("text", f"{total} exception(s) for {len(digests)} owner(s), most urgent first."),
        Block("table", table=pd.DataFrame(rows).set_index("owner")),
    ]


def write_digests(digests: list[OwnerDigest], out: Path) -> list[Path]:
    """Write out/digest/ as one set: `<slug>.md` and `<slug>.html` per owner and the index
    (index.md, index.html), replacing the digest there before (never half of one)."""
    pages = {INDEX: (index_page(digests), "Exception digest")}
    pages |= {d.slug: (owner_page(d), f"Exceptions for {d.owner}") for d in digests}
    writers: dict[str, Writer] = {}
    for slug, (blocks, title) in pages.items():
        writers[f"{slug}.md"] = text_writer(partial(as_markdown, blocks))
        writers[f"{slug}.html"] = text_writer(partial(as_html, blocks, {}, title))
    return write_set(out / DIGEST_FOLDER, writers, "exceptions")
