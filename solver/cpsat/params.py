"""The search's tuning in one object, loadable from a TOML file.

The defaults were chosen in side-by-side benchmark runs on the 2-core reference machine
(benchmarks/results/experiments.md). A file lists only what it changes::

    # tuning.toml
    piece_seconds = 0.5
    first_piece_size = 32
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from models.findings import Finding
from models.loader import ScenarioError


@dataclass(frozen=True)
class SearchParams:
    """How the search spends its time."""

    bound_share: float = 0.1
    """With one worker, the share of the time limit given to the whole-model run."""
    stall_share: float = 0.25
    """With two or more workers, the whole-model run ends once its bound has not moved by more
    than `stall_step` for this share of the time limit (and at least `stall_seconds`)."""
    stall_seconds: float = 5.0
    """The shortest stall that ends the whole-model run."""
    first_bound_share: float = 0.1
    """Before its bound has bettered the LP bound, the whole-model run ends after this share
    of the time limit (and at least `first_bound_seconds`): on a large clinic its first bound
    can take longer than the limit, and its core is better used on pieces."""
    first_bound_seconds: float = 0.5
    """The shortest wait for the whole-model run's first bound better than the LP's."""
    stall_step: float = 0.001
    """A bound move smaller than this share of the bound does not count as moving."""
    seconds_per_deterministic_unit: float = 4.0
    """Wall-clock seconds one unit of CP-SAT deterministic time took on the 2-core reference
    machine: converts the time limit of a deterministic search into work units."""
    piece_seconds: float = 0.1
    """Time limit of one neighbourhood piece."""
    first_piece_size: int = 24
    """Appointments a piece frees at first."""
    smallest_piece_size: int = 8
    """A piece never shrinks below this many appointments."""
    grow_by: int = 4
    """Appointments a piece grows by after it was solved to optimality."""
    shrink_factor: float = 0.8
    """A piece's size is multiplied by this after it was cut short."""
    explore_share: float = 0.2
    """Share of pieces drawn by a strategy picked at random (one day's provider-days, one
    provider's nearby days, or anywhere); the others go to the one paying best so far."""
    reward_memory: float = 0.8
    """How much of a strategy's record of gain per second each new piece keeps."""
    waiting_per_provider_day: int = 12
    """A piece frees at most this many unbooked requests that could go on each of its
    provider-days (drawn at random), besides the appointments booked there."""
    lp_seconds: float = 60.0
    """GLOP stops after this long (a safety net: 3,000 requests take about 2 s, a month of
    10,000 about 26 s); the bound then falls back to the whole-model run's."""

    def __post_init__(self) -> None:
        problems = _out_of_range(vars(self))
        if problems:
            raise ValueError("; ".join(f"{name} {message}" for name, message in problems))

    @classmethod
    def from_toml(cls, path: str | Path) -> SearchParams:
        """Read the parameters a TOML file changes; ScenarioError naming what is wrong."""
        source = str(path)
        try:
            data: dict[str, Any] = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ScenarioError(
                source, [Finding("file_not_found", "", "file not found; check the path")]
            ) from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            message = f"not a readable TOML file ({error})"
            raise ScenarioError(source, [Finding("invalid_toml", "", message)]) from None
        known = {f.name: f.type for f in fields(cls)}
        problems = []
        for key, value in data.items():
            wanted = known.get(key)
            if wanted is None:
                hint = ", ".join(known)
                problems.append(
                    Finding("unknown_field", key, f"unknown parameter; use one of {hint}")
                )
            elif isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(Finding("invalid_value", key, f"write a number (got {value!r})"))
            elif wanted == "int" and not isinstance(value, int):
                problems.append(
                    Finding("invalid_value", key, f"write a whole number (got {value!r})")
                )
        if not problems:
            defaults = {f.name: f.default for f in fields(cls)}
            wrong = _out_of_range(defaults | data)
            problems = [Finding("invalid_value", name, message) for name, message in wrong]
        if problems:
            raise ScenarioError(source, problems)
        return cls(**data)


SHARES = (
    "stall_step",
    "shrink_factor",
    "explore_share",
    "reward_memory",
    "bound_share",
    "stall_share",
    "first_bound_share",
)
"""Parameters that are a share of something: at most 1."""


def _out_of_range(values: dict[str, Any]) -> list[tuple[str, str]]:
    """(parameter, what is wrong) for each value outside its range."""
    problems = [
        (name, f"must be more than 0 (got {value})")
        for name, value in values.items()
        if not value > 0
    ]
    problems += [
        (name, f"is a share: at most 1 (got {values[name]})") for name in SHARES if values[name] > 1
    ]
    return problems
