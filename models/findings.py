"""One record for everything found wrong or unclear: a rulebook hole (the audit), a broken
hard rule (the schedule checker) and bad input (loading and validation)."""

from __future__ import annotations

from dataclasses import dataclass


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
        return f"{head}: {self.message}" if head else self.message

    def to_dict(self) -> dict[str, str]:
        """The finding as plain text fields: code, where, message."""
        return {"code": self.code, "where": self.where, "message": self.message}
