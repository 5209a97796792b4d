"""One record for everything found wrong or unclear: a rulebook hole (the audit), a broken
hard rule (the schedule checker) and bad input (loading and validation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXCERPT_CHARACTERS = 60
"""At most this many characters of a rejected value are quoted back in a message."""


def printable(text: str) -> str:
    """Text with line breaks and other control characters escaped, so it stays on one line
    and cannot forge extra lines of output."""
    return "".join(
        character if character.isprintable() or character == " " else repr(character)[1:-1]
        for character in text
    )


def excerpt(value: Any, limit: int = EXCERPT_CHARACTERS) -> str:
    """A short, one-line quotation of a value for a message: `'ab…' (5,000,000 characters)`."""
    if isinstance(value, list | tuple | dict | set):
        size = f"{len(value):,} item{'s' if len(value) != 1 else ''}"
        kind = {list: "a list", tuple: "a list", dict: "a mapping", set: "a set"}[type(value)]
        return f"{kind} of {size}"
    text = repr(value) if not isinstance(value, str) else value
    shown = printable(text[:limit])
    if len(text) > limit:
        shown = f"{shown}… ({len(text):,} characters)"
    return f"'{shown}'" if isinstance(value, str) else shown


@dataclass(frozen=True)
class Finding:
    """A stable code, where it is, and what is wrong with the fix, in words."""

    code: str
    """Stable snake_case code, e.g. service_without_provider or provider_overlap."""
    where: str
    """Path inside the scenario file (services[3]), a schedule row id, or "" for the whole."""
    message: str
    """What is wrong and how to fix it, naming the item."""

    def __str__(self) -> str:
        head = " ".join(part for part in (self.code, self.where) if part)
        return printable(f"{head}: {self.message}" if head else self.message)

    def to_dict(self) -> dict[str, str]:
        """The finding as plain text fields: code, where, message."""
        return {"code": self.code, "where": self.where, "message": self.message}
