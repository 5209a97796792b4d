"""What runs where the clinic is solved (a local process or a Dask worker): one solve, its
outputs rendered as bytes. The files travel back to the batch, which alone writes --out, so
the workers of a cluster need no shared disk."""

from __future__ import annotations

import signal
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from models.scenario import Scenario
from solver.cpsat.params import SearchParams
from solver.interrupt import Stop


@dataclass(frozen=True)
class ClinicTask:
    """One clinic's solve, as sent to a worker."""

    clinic: str
    scenario: Scenario
    time_limit: float
    num_workers: int
    seed: int
    deterministic: bool
    params: SearchParams | None = None


@dataclass(frozen=True)
class Solved:
    """A solve's output files (name: content) and its exceptions counted by owner."""

    files: dict[str, bytes]
    exceptions: dict[str, int]


def solve_clinic(task: ClinicTask) -> Solved:
    """Solve the clinic and render its outputs. SIGTERM (the batch's Ctrl-C, in a process of
    its own) stops the search and the best schedule so far is rendered."""
    from solver.outputs.files import write_outputs
    from solver.outputs.kpis import kpis
    from solver.solve import solve

    with Stop().on_signals(signal.SIGTERM) as stop:
        result = solve(
            task.scenario,
            time_limit=task.time_limit,
            num_workers=task.num_workers,
            seed=task.seed,
            params=task.params,
            deterministic=task.deterministic,
            stop=stop,
        )
    with tempfile.TemporaryDirectory(prefix="medspa-batch-") as folder:
        paths = write_outputs(result, kpis(result), Path(folder) / task.clinic)
        files = {path.name: path.read_bytes() for path in paths}
    owners = Counter(item.owner for item in result.exceptions)
    return Solved(files, dict(sorted(owners.items())))
