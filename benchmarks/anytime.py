"""A run against the best-known objective: the ratio at the end, and the primal integral over
the run (the anytime measure of the CP-SAT primer).

The primal integral is the area between the best-known objective and the incumbent curve,
normalised by the reference and the time limit T:

    (1/T) * integral over t in [0, T] of (best_known - incumbent(t)) / best_known dt

where incumbent(t) is the step function of the run's trajectory (the greedy start at 0 s,
each improvement, the final result). 0 means the best-known from the start; lower is better.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Point = Mapping[str, Any]
"""A trajectory point: at least its `seconds` and `objective`."""


def reference_for(best_known: int | None, objective: int) -> int | None:
    """The reference of a run: the best-known objective, or the run's own when it is higher;
    None without a best-known."""
    return None if best_known is None else max(best_known, objective)


def primal_integral(trajectory: Sequence[Point], reference: int, time_limit: float) -> float:
    """The normalised area between `reference` and the incumbent's steps over [0, time_limit].

    Points at or after the time limit add nothing; the last incumbent before it holds until
    it. Raises ValueError without points, without a positive reference or time limit, or for
    a point above the reference.
    """
    if not trajectory or reference <= 0 or time_limit <= 0:
        raise ValueError("a primal integral needs points, a positive reference and time limit")
    if max(point["objective"] for point in trajectory) > reference:
        raise ValueError(f"a point of the trajectory is above the reference {reference}")
    points = sorted(trajectory, key=lambda point: point["seconds"])
    ends = [*(point["seconds"] for point in points[1:]), time_limit]
    area = 0.0
    for point, end in zip(points, ends, strict=True):
        start, stop = min(point["seconds"], time_limit), min(end, time_limit)
        area += (reference - point["objective"]) * max(0.0, stop - start)
    before_first = min(points[0]["seconds"], time_limit)
    area += reference * before_first  # nothing known before the first point
    return area / (reference * time_limit)


def against_best_known(record: Mapping[str, Any], best_known: int | None) -> dict[str, Any]:
    """A run's best_known (the reference used), ratio_to_best_known and primal_integral."""
    trajectory = record["trajectory"]
    best_point = max((p["objective"] for p in trajectory), default=record["objective"])
    reference = reference_for(best_known, max(record["objective"], best_point))
    if reference is None or reference <= 0:
        return {"best_known": reference, "ratio_to_best_known": None, "primal_integral": None}
    return {
        "best_known": reference,
        "ratio_to_best_known": record["objective"] / reference,
        "primal_integral": primal_integral(trajectory, reference, record["time_limit"]),
    }
