"""analysis_plots: KPI bars across variants, utilization heatmaps and Gantt charts side by side,
checked by what they draw (panels, labels, bar heights, cell values), not by pixels."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

from models.results import Schedule
from models.scenario import Scenario
from solver.outputs.analysis_plots import (
    plot_gantts_side_by_side,
    plot_kpi_bars,
    plot_utilization_heatmap,
    utilization_grid,
)
from solver.outputs.plots import plt
from tests.conftest import MONDAY, mini_clinic, room
from tests.solver.whatif.test_review import KNOWN, lunch_clinic

VARIANTS = pd.DataFrame(
    {
        "baseline": [120, 0.81, 41_000],
        "extra room": [131, 0.86, 44_500],
        "no Fridays": [97, 0.9, 33_000],
    },
    index=["requests booked", "utilization", "revenue"],
)


def _heights(ax) -> list[float]:
    return [patch.get_height() for patch in ax.patches if isinstance(patch, Rectangle)]


def test_kpi_bars_draw_one_panel_per_kpi_and_a_bar_per_variant() -> None:
    fig = plot_kpi_bars(VARIANTS, ["revenue", "requests booked"])
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert [ax.get_title() for ax in panels] == ["revenue", "requests booked"]
    for ax, kpi in zip(panels, ["revenue", "requests booked"], strict=True):
        assert [t.get_text() for t in ax.get_xticklabels()] == list(VARIANTS.columns)
        assert _heights(ax) == list(VARIANTS.loc[kpi])
    plt.close(fig)


def test_kpi_bars_of_many_kpis_wrap_and_hide_the_spare_panels() -> None:
    table = pd.concat([VARIANTS, VARIANTS.rename(index=lambda k: f"{k} 2")])
    fig = plot_kpi_bars(table, list(table.index)[:5])
    assert sum(ax.axison for ax in fig.axes) == 5 and len(fig.axes) == 8  # two rows of four
    plt.close(fig)


def test_kpi_bars_refuse_an_unknown_or_non_numeric_kpi() -> None:
    with pytest.raises(ValueError, match="no KPI row waitlist; the table has requests booked"):
        plot_kpi_bars(VARIANTS, ["waitlist"])
    words = VARIANTS.astype(object)
    words.loc["revenue", "baseline"] = "a lot"
    with pytest.raises(ValueError, match="a number in every"):
        plot_kpi_bars(words, ["revenue"])


def test_the_heatmap_by_hour_is_the_booked_share_of_available_minutes() -> None:
    scenario = lunch_clinic()  # rn works Monday 09:00-12:00 and 13:00-17:00; Tuesday not at all
    grid = utilization_grid(scenario, KNOWN, "hour")
    assert list(grid.columns) == [f"{h:02d}:00" for h in range(9, 17)]
    assert list(grid.index) == ["rn"]
    by_hour = grid.loc["rn"]
    assert by_hour["09:00"] == round(50 / 60, 4)  # 09:00-09:20 and 09:30-10:00
    assert by_hour["10:00"] == round(30 / 60, 4)  # 10:15-10:45
    assert by_hour["11:00"] == round(30 / 60, 4)  # 11:30-12:00
    assert math.isnan(by_hour["12:00"])  # lunch: not available
    assert by_hour["13:00"] == round(30 / 60, 4)
    assert by_hour["14:00"] == 0.0
    fig = plot_utilization_heatmap(scenario, KNOWN, "hour")
    ax = fig.axes[0]
    shown = ax.images[0].get_array()
    assert shown.shape == (1, 8)
    assert shown.mask[0, 3] and not shown.mask[0, 0]  # the lunch hour is blank
    assert np.allclose(shown.filled(-1)[0], grid.fillna(-1).to_numpy()[0])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("hour of day", "provider")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["rn"]
    assert "50%" in [t.get_text() for t in ax.texts]  # 10:00
    plt.close(fig)


def test_the_heatmap_by_weekday_is_blank_where_the_provider_does_not_work() -> None:
    scenario = lunch_clinic()
    grid = utilization_grid(scenario, KNOWN, "weekday")
    assert list(grid.columns) == ["Mon", "Tue"]
    assert grid.loc["rn", "Mon"] == round(140 / 420, 4)
    assert math.isnan(grid.loc["rn", "Tue"])
    fig = plot_utilization_heatmap(scenario, KNOWN, "weekday")
    ax = fig.axes[0]
    assert ax.images[0].get_array().shape == (1, 2)
    assert ax.get_xlabel() == "weekday"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Mon", "Tue"]
    plt.close(fig)
    with pytest.raises(ValueError, match="'hour' or 'weekday'"):
        utilization_grid(scenario, KNOWN, "month")  # type: ignore[arg-type]


def test_gantts_side_by_side_draw_each_schedule_with_its_own_rows() -> None:
    scenario = lunch_clinic()
    bigger: Scenario = mini_clinic(
        clinic={"slot_minutes": 5},
        services=[s.model_dump() for s in scenario.services],
        providers=[p.model_dump(mode="json") for p in scenario.providers],
        rooms=[room("inj1", "injection"), room("inj2", "injection")],
        patients=[p.model_dump() for p in scenario.patients],
        requests=[r.model_dump(mode="json") for r in scenario.requests],
    )
    empty = Schedule()
    fig = plot_gantts_side_by_side(
        [("calendar", scenario, KNOWN), ("with a second room", bigger, empty)],
        date.fromisoformat(MONDAY),
    )
    calendar, variant = fig.axes[:2]
    assert (calendar.get_title(), variant.get_title()) == ("calendar", "with a second room")
    assert [t.get_text() for t in calendar.get_yticklabels()] == ["rn", "inj1 (injection)"]
    assert [t.get_text() for t in variant.get_yticklabels()] == [
        "rn",
        "inj1 (injection)",
        "inj2 (injection)",
    ]
    assert calendar.get_xlim() == variant.get_xlim()  # the same clock
    hands_on = [p for p in calendar.patches if p.get_gid() == "hands_on"]
    assert sorted(p.get_width() for p in hands_on) == [20, 30, 30, 30, 30]
    assert not [p for p in variant.patches if p.get_gid() == "hands_on"]
    assert fig.get_suptitle() == "Mon 07 Dec 2026"
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one"):
        plot_gantts_side_by_side([], date.fromisoformat(MONDAY))
