"""The run against its best-known objective: the primal integral of known step trajectories,
the reference a run that beats the best-known is held to, and no figures without one."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.anytime import against_best_known, primal_integral, reference_for


def _points(*steps: tuple[float, int]) -> list[dict[str, Any]]:
    return [{"seconds": seconds, "objective": objective} for seconds, objective in steps]


def test_primal_integral_of_a_known_step_trajectory() -> None:
    # 80 from 0 to 2 s, 90 from 2 to 6 s, 100 from 6 s to the limit of 10 s, against 100:
    # (20 * 2 + 10 * 4 + 0 * 4) / (100 * 10) = 0.08
    trajectory = _points((0.0, 80), (2.0, 90), (6.0, 100), (10.0, 100))
    assert primal_integral(trajectory, 100, 10.0) == pytest.approx(0.08)


def test_the_best_known_from_the_start_is_zero_and_lower_is_better() -> None:
    assert primal_integral(_points((0.0, 100), (10.0, 100)), 100, 10.0) == 0.0
    early = primal_integral(_points((0.0, 80), (1.0, 100)), 100, 10.0)
    late = primal_integral(_points((0.0, 80), (9.0, 100)), 100, 10.0)
    assert early == pytest.approx(0.02) and late == pytest.approx(0.18) and early < late


def test_points_after_the_limit_add_nothing_and_the_last_step_holds_to_it() -> None:
    # the final point lands after the 10 s limit (the schedule was written then): 50 holds
    assert primal_integral(_points((0.0, 50), (12.0, 100)), 100, 10.0) == pytest.approx(0.5)
    # a run that ends early (proven optimal at 4 s) keeps its last schedule to the limit
    assert primal_integral(_points((0.0, 50), (4.0, 100)), 100, 10.0) == pytest.approx(0.2)


def test_unordered_points_are_read_in_time_order() -> None:
    assert primal_integral(_points((6.0, 100), (0.0, 80), (2.0, 90)), 100, 10.0) == pytest.approx(
        0.08
    )


@pytest.mark.parametrize(
    ("trajectory", "reference", "limit"),
    [([], 100, 10.0), (_points((0.0, 50)), 0, 10.0), (_points((0.0, 120)), 100, 10.0)],
)
def test_a_primal_integral_needs_points_under_a_positive_reference(
    trajectory: list[dict[str, Any]], reference: int, limit: float
) -> None:
    with pytest.raises(ValueError):
        primal_integral(trajectory, reference, limit)


def test_a_run_above_the_best_known_is_its_own_reference() -> None:
    assert reference_for(100, 120) == 120 and reference_for(100, 90) == 100
    assert reference_for(None, 90) is None
    record = {"objective": 120, "time_limit": 10.0, "trajectory": _points((0.0, 60), (5.0, 120))}
    figures = against_best_known(record, 100)
    assert figures["best_known"] == 120 and figures["ratio_to_best_known"] == 1.0
    assert figures["primal_integral"] == pytest.approx(0.25)


def test_without_a_best_known_there_are_no_figures() -> None:
    record = {"objective": 90, "time_limit": 10.0, "trajectory": _points((0.0, 90))}
    assert against_best_known(record, None) == dict.fromkeys(
        ("best_known", "ratio_to_best_known", "primal_integral")
    )
    figures = against_best_known(record, 100)
    assert figures["ratio_to_best_known"] == pytest.approx(0.9)
    assert figures["primal_integral"] == pytest.approx(0.1)
