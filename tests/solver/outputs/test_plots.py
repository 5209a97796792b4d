"""Plots: the Gantt chart draws what the schedule says, where it says it; KPI charts and PNGs."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib.pyplot as plt
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from models.loader import scenario_from_data
from models.results import Appointment, Schedule
from models.scenario import Scenario
from solver.outputs.gantt import BAR_HEIGHT
from solver.outputs.plots import (
    MAX_GANTT_DAYS,
    MAX_HEIGHT_INCHES,
    MAX_WIDTH_INCHES,
    plot_booked_by_tier,
    plot_gantt,
    plot_utilization,
    save_figure,
)
from tests.conftest import EVERY_DAY, WEEKDAYS, clinic_data, patients, provider, room, service, week

ZONE = ZoneInfo("America/New_York")
SATURDAY = date(2026, 3, 7)
SUNDAY = date(2026, 3, 8)  # clocks go forward at 02:00 in New York
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def weekend_data(days: int = 2, providers: int = 2) -> dict[str, Any]:
    """A small clinic open every day from Saturday 7 March 2026 (the DST weekend)."""
    every_day = week(EVERY_DAY, "09:00-17:00")
    return clinic_data(
        clinic={
            "name": "Glow Med Spa",
            "timezone": "America/New_York",
            "horizon": {"start": SATURDAY.isoformat(), "days": days},
            "hours": every_day,
        },
        services=[
            service("consult", 30, "consult", category="consult"),
            service("sculpt", 15, "body", processing=35, finish=10, buffer_after=15),
        ],
        providers=[
            provider(f"prov_{n:02d}", ["consult", "sculpt"], every_day, role="nurse_practitioner")
            for n in range(providers)
        ],
        rooms=[room("consult1", "consult"), room("body1", "body"), room("inj1", "injection")],
        patients=patients(["p1", "p2", "p3"]),
    )


@pytest.fixture(autouse=True)
def close_figures() -> Any:
    """Figures not saved stay open in pyplot; close them after each test."""
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return scenario_from_data(weekend_data())


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def booked(
    row_id: str, service: str, provider: str, room: str, start: datetime, minutes: int, **extra: Any
) -> Appointment:
    """A booked row for patient p1 unless `extra` says another patient_id."""
    return Appointment(
        request_id=row_id,
        service_id=service,
        provider_id=provider,
        room_id=room,
        start=start,
        end=start + timedelta(minutes=minutes),
        status="booked",
        **{"patient_id": "p1", **extra},
    )


@pytest.fixture(scope="module")
def schedule() -> Schedule:
    """A consult and a body treatment on Saturday, an existing consult on the DST Sunday."""
    return Schedule(
        appointments=[
            booked("r1", "consult", "prov_00", "consult1", at(SATURDAY, 9), 30),
            booked("r2", "sculpt", "prov_01", "body1", at(SATURDAY, 10), 60),
            booked("b1", "consult", "prov_00", "consult1", at(SUNDAY, 10), 30, kind="booking"),
            Appointment(request_id="r3", patient_id="p2", service_id="consult"),
        ]
    )


def bars(fig: Figure, part: str, ax: Axes | None = None) -> list[Rectangle]:
    """The bar patches of one part (hands_on, processing, room, turnover)."""
    axes = [ax] if ax else fig.axes
    return [p for a in axes for p in a.patches if isinstance(p, Rectangle) and p.get_gid() == part]


def spans(patches: list[Rectangle]) -> list[tuple[float, float, float]]:
    """(row, start, end) of bar patches, sorted."""
    return sorted(
        (p.get_y() + p.get_height() / 2, p.get_x(), p.get_x() + p.get_width()) for p in patches
    )


def legend_texts(fig: Figure) -> list[str]:
    return [text.get_text() for legend in fig.legends for text in legend.get_texts()]


def test_one_column_per_day_in_local_time(scenario: Scenario, schedule: Schedule) -> None:
    fig = plot_gantt(scenario, schedule)
    assert [ax.get_title() for ax in fig.axes] == ["Sat 07 Mar", "Sun 08 Mar"]
    assert fig.axes[0].get_xlim() == (9 * 60, 17 * 60)


def test_provider_bars_are_the_hands_on_parts(scenario: Scenario, schedule: Schedule) -> None:
    fig = plot_gantt(scenario, schedule)
    # consult r1, sculpt r2 (hands-on, then finish after processing), booking b1
    assert len(bars(fig, "hands_on")) == 4
    saturday = fig.axes[0]
    assert spans(bars(fig, "hands_on", saturday)) == [(0, 540, 570), (1, 600, 615), (1, 650, 660)]
    assert spans(bars(fig, "processing", saturday)) == [(1, 615, 650)]


def test_room_bars_cover_the_stay_then_a_lighter_turnover(
    scenario: Scenario, schedule: Schedule
) -> None:
    fig = plot_gantt(scenario, schedule)
    saturday = fig.axes[0]
    consult1, body1 = 2, 3  # rows below the two providers
    assert spans(bars(fig, "room", saturday)) == [(consult1, 540, 570), (body1, 600, 660)]
    [turnover] = bars(fig, "turnover", saturday)
    assert spans([turnover]) == [(body1, 660, 675)]
    assert turnover.get_hatch()  # grey and dotted, unlike the room bars in their group's colour
    assert turnover.get_facecolor() not in [p.get_facecolor() for p in bars(fig, "room")]


def test_dst_day_is_drawn_at_local_wall_clock_time(scenario: Scenario, schedule: Schedule) -> None:
    # read back from CSV text, the times carry a fixed -04:00 offset instead of the zone
    reread = Schedule.from_frame(Schedule(appointments=schedule.booked()).to_frame())
    for shown in (schedule, reread):
        sunday = plot_gantt(scenario, shown).axes[1]
        assert spans(bars(sunday.figure, "hands_on", sunday)) == [(0, 600, 630)]


def test_existing_bookings_are_hatched(scenario: Scenario, schedule: Schedule) -> None:
    fig = plot_gantt(scenario, schedule)
    hatched = [p for p in bars(fig, "hands_on", fig.axes[1]) + bars(fig, "room") if p.get_hatch()]
    plain = bars(fig, "hands_on", fig.axes[0]) + bars(fig, "room", fig.axes[0])
    assert len(hatched) == 2  # its provider bar and its room bar
    assert plain
    assert not any(p.get_hatch() for p in plain)


def test_legend_lists_the_service_groups_present(scenario: Scenario, schedule: Schedule) -> None:
    texts = legend_texts(plot_gantt(scenario, schedule))
    assert {"consult", "body", "existing booking", "room turnover"} <= set(texts)
    assert "treatment" not in texts  # a category, not a group
    only_sunday = legend_texts(plot_gantt(scenario, schedule, days=[SUNDAY]))
    assert "body" not in only_sunday
    only_saturday = legend_texts(plot_gantt(scenario, schedule, days=[SATURDAY]))
    assert "existing booking" not in only_saturday


def test_rows_name_every_provider_and_room(scenario: Scenario, schedule: Schedule) -> None:
    fig = plot_gantt(scenario, schedule)
    labels = [label.get_text() for label in fig.axes[0].get_yticklabels()]
    assert labels == [
        "prov_00",
        "prov_01",
        "consult1 (consult)",
        "body1 (body)",
        "inj1 (injection)",
    ]


def test_days_restricts_the_columns(scenario: Scenario, schedule: Schedule) -> None:
    fig = plot_gantt(scenario, schedule, days=[SUNDAY], title="After the change")
    assert [ax.get_title() for ax in fig.axes] == ["Sun 08 Mar"]
    assert len(bars(fig, "hands_on")) == 1
    assert fig.get_suptitle() == "After the change"


def test_no_days_is_refused(scenario: Scenario, schedule: Schedule) -> None:
    with pytest.raises(ValueError, match="no days"):
        plot_gantt(scenario, schedule, days=[])


def test_empty_schedule_gives_a_figure_with_a_note(scenario: Scenario) -> None:
    fig = plot_gantt(scenario, Schedule())
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert "nothing booked" in [text.get_text() for text in ax.texts]
        assert not [p for part in BAR_HEIGHT for p in bars(fig, part, ax)]
    assert not fig.legends  # open all day, everyone on shift: nothing to explain


def test_long_horizon_many_providers_stays_a_sensible_size() -> None:
    data = weekend_data(days=14, providers=40)
    data["clinic"]["hours"].pop("sun")
    data["clinic"]["closed_dates"] = ["2026-03-09"]
    big = scenario_from_data(data)
    monday = date(2026, 3, 9)
    on_closed_day = booked("x", "consult", "prov_39", "inj1", at(monday, 12), 30)
    fig = plot_gantt(big, Schedule(appointments=[on_closed_day]))
    titles = [ax.get_title() for ax in fig.axes]
    # 14 days minus two Sundays and the holiday, plus the holiday again (it has a booking)
    assert len(titles) == 12
    holiday = fig.axes[titles.index("Mon 09 Mar")]
    shading = [p for p in holiday.patches if p.get_gid() == "closed"]
    assert [(p.get_x(), p.get_width()) for p in shading] == [(9 * 60, 8 * 60)]  # all day
    assert not any(title.startswith("Sun") for title in titles)
    width, height = fig.get_size_inches()
    assert width <= MAX_WIDTH_INCHES
    assert height <= MAX_HEIGHT_INCHES
    assert len(fig.axes[0].get_yticklabels()) == 43


def test_save_figure_writes_a_png_atomically(
    scenario: Scenario, schedule: Schedule, tmp_path: Path
) -> None:
    fig = plot_gantt(scenario, schedule)
    target = tmp_path / "out" / "gantt.png"
    save_figure(fig, target)
    assert target.read_bytes().startswith(PNG_SIGNATURE)
    assert target.stat().st_size > 1000
    assert [path.name for path in target.parent.iterdir()] == ["gantt.png"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # like any new file, not private
    assert not plt.fignum_exists(fig.number)


def test_failed_save_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fig = plot_utilization({})

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        save_figure(fig, tmp_path / "kpis.png")
    assert list(tmp_path.iterdir()) == []
    assert not plt.fignum_exists(fig.number)


KPIS: dict[str, Any] = {
    "utilization": {
        "providers": {"prov_00": 0.8, "prov_01": 0.55},
        "rooms": {"body1": 0.25},
        "equipment": {},
    },
    "booked_by_tier": {
        "new": {"requests": 4, "booked": 2, "value": 300.0},
        "vip": {"requests": 2, "booked": 2, "value": 1200.0},
    },
}


def test_utilization_bars_per_resource() -> None:
    fig = plot_utilization(KPIS)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([80, 55, 25])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["prov_00", "prov_01", "body1"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["providers", "rooms"]


def test_booked_by_tier_in_tier_order_with_counts() -> None:
    fig = plot_booked_by_tier(KPIS)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["vip", "new"]
    assert [p.get_height() for p in ax.patches] == pytest.approx([1200.0, 300.0])
    assert [t.get_text() for t in ax.texts] == ["2 of 2", "2 of 4"]


def test_kpi_plots_draw_on_a_given_axes_and_note_missing_figures() -> None:
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_utilization({}, ax=left) is fig
    assert plot_booked_by_tier({"booked_by_tier": {}}, ax=right) is fig
    assert [t.get_text() for t in left.texts] == ["no utilization figures"]
    assert [t.get_text() for t in right.texts] == ["no requests"]
    assert not left.patches
    assert not right.patches


def test_a_long_horizon_draws_its_first_two_weeks_and_says_so() -> None:
    data = clinic_data(
        clinic={
            "name": "Year",
            "timezone": "UTC",
            "horizon": {"start": "2026-01-05", "days": 120},
            "hours": week(WEEKDAYS, "09:00-17:00"),
        },
        services=[],
        providers=[],
        rooms=[room("r1", "facial")],
        patients=[],
    )
    figure = plot_gantt(scenario_from_data(data), Schedule())
    assert len(figure.axes) == MAX_GANTT_DAYS
    assert figure.get_suptitle().endswith("(the first 14 of 86 days; gantt_pages draws them all)")


def test_a_clinic_name_is_drawn_as_written_never_as_a_formula(tmp_path: Path) -> None:
    """matplotlib reads `$...$` as maths: `$\\frac$` in a clinic name failed the whole write."""
    scenario = scenario_from_data(clinic_data(clinic={"name": "Spa $\\frac$ \x1b x"}))
    figure = plot_gantt(scenario, Schedule(appointments=[]))
    save_figure(figure, tmp_path / "gantt.png")
    assert figure.get_suptitle().startswith("Spa \\$\\frac\\$ \\x1b x")
