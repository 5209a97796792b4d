"""The Gantt chart a manager reads: one colour per service group, labels that fit inside their
bars, rows by name, off-shift time, time off and closed hours shaded, a legend drawn in the
styles of what it names, hour ticks."""

from __future__ import annotations

import base64
import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image
from typer.testing import CliRunner

from models.loader import load_scenario, save_scenario, scenario_from_data
from models.results import Change, Schedule
from models.scenario import Scenario, Service
from solver.cli import app
from solver.outputs.folder import RECORD
from solver.outputs.gantt import PALETTE, group_colours
from solver.outputs.plots import (
    gantt_page_plan,
    gantt_pages,
    plot_before_after,
    plot_gantt,
    plot_gantt_day,
)
from tests.conftest import MONDAY as MINI_MONDAY
from tests.conftest import TUESDAY as TUESDAY_TEXT
from tests.conftest import clinic_data, mini_clinic, patient, provider, request, room, service, week
from tests.solver.outputs.cli_runs import night_and_day
from tests.solver.outputs.test_clinic_report import Page
from tests.solver.outputs.test_plots import booked

ROOT = Path(__file__).resolve().parents[3]
ZONE = ZoneInfo("America/New_York")
MONDAY = date(2026, 12, 7)
TUESDAY = date(2026, 12, 8)


@pytest.fixture(autouse=True)
def close_figures() -> Any:
    yield
    plt.close("all")


def spa() -> Scenario:
    """Two providers (one off on Monday afternoon, one working only Monday mornings), four
    service groups, rooms with and without a name; the clinic closes at 17:00 on Tuesday."""
    services = [
        service("consult", 30, "injection", category="consult", name="Consultation"),
        service("botox", 30, "injection", name="Neuromodulator", group="injectables"),
        service("hair", 60, "laser", name="Laser hair removal", buffer_after=15),
        service(
            "lip", 5, "injection", name="Lip filler", processing=20, finish=30, group="injectables"
        ),
        service("peel", 30, "facial", name="Chemical peel"),
    ]
    return scenario_from_data(
        clinic_data(
            clinic={
                "name": "Glow",
                "timezone": "America/New_York",
                "horizon": {"start": MONDAY.isoformat(), "days": 2},
                "hours": {"mon": "09:00-19:00", "tue": "09:00-17:00"},
            },
            services=services,
            providers=[
                provider(
                    "md",
                    [s["id"] for s in services],
                    week(["mon", "tue"], "09:00-19:00"),
                    name="Dr. Ana Lopez",
                    time_off=[{"date": "2026-12-07", "hours": "13:00-15:00"}],
                ),
                provider("rn", ["botox", "hair"], {"mon": "09:00-12:00"}, name="Ben Ode, RN"),
            ],
            rooms=[
                room("inj1", "injection", name="Injection room"),
                room("las1", "laser", name="Laser suite"),
                room("fac1", "facial"),
            ],
            patients=[patient("p1", name="Jane Q Doe"), patient("p2")],
        )
    )


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


DAY = Schedule(
    appointments=[
        booked("r1", "consult", "md", "inj1", at(MONDAY, 9), 30),
        booked("r2", "botox", "rn", "inj1", at(MONDAY, 10), 30, patient_id="p2"),
        booked("r3", "hair", "md", "las1", at(MONDAY, 10), 120),
        booked("r4", "lip", "md", "inj1", at(MONDAY, 15), 55, patient_id="p2"),
        booked("r5", "peel", "md", "fac1", at(MONDAY, 17), 30),
        booked("r6", "botox", "md", "inj1", at(TUESDAY, 9), 30),
    ]
)


def parts(fig: Figure, *names: str) -> list[Rectangle]:
    return [
        p
        for ax in fig.axes
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_gid() in names
    ]


def legend(fig: Figure) -> dict[str, Any]:
    """Legend entry text -> its swatch."""
    [shown] = fig.legends
    return {
        text.get_text(): handle
        for text, handle in zip(shown.get_texts(), shown.legend_handles, strict=True)
    }


def test_a_group_is_as_written_else_consult_else_the_first_room_type() -> None:
    def made(**fields: Any) -> Service:
        return Service.model_validate(service("s", **fields))

    assert made(rooms=["laser", "facial"], group="lasers").group_name == "lasers"
    assert made(rooms="body", category="consult").group_name == "consult"
    assert made(rooms=["laser", "facial"]).group_name == "laser"


def test_colours_follow_the_group_names_so_a_clinic_always_gets_the_same() -> None:
    colours = group_colours([spa()])
    assert list(colours) == ["consult", "facial", "injectables", "laser"]
    assert list(colours.values()) == list(PALETTE[:4])
    assert group_colours([spa(), spa()]) == colours


GROUP_AT = {
    (0, 540): "consult",  # r1 on md's row and in inj1 (row 2)
    (2, 540): "consult",
    (1, 600): "injectables",  # r2, botox
    (2, 600): "injectables",
    (0, 600): "laser",  # r3, hair
    (3, 600): "laser",
    (0, 900): "injectables",  # r4, lip filler: hands-on, finish, room
    (0, 925): "injectables",
    (2, 900): "injectables",
    (0, 1020): "facial",  # r5, peel, in fac1 (row 4)
    (4, 1020): "facial",
}
"""The group of each hands-on and room bar of Monday, by (row, start)."""


def test_one_colour_per_service_group_and_the_legend_shows_it() -> None:
    fig = plot_gantt_day(spa(), DAY, MONDAY)
    drawn = parts(fig, "hands_on", "room")
    assert sorted((round(b.get_y() + b.get_height() / 2), b.get_x()) for b in drawn) == sorted(
        GROUP_AT
    )
    by_group: dict[str, set[tuple[float, ...]]] = {}
    for bar in drawn:
        group = GROUP_AT[(round(bar.get_y() + bar.get_height() / 2), bar.get_x())]
        by_group.setdefault(group, set()).add(bar.get_facecolor())
    assert all(len(colours) == 1 for colours in by_group.values())
    assert len({colour for colours in by_group.values() for colour in colours}) == 4
    swatches = legend(fig)
    for group, [colour] in by_group.items():
        assert swatches[group].get_facecolor() == colour
    assert list(swatches)[:4] == ["consult", "facial", "injectables", "laser"]


def test_the_legend_names_the_parts_and_shading_in_their_own_style() -> None:
    fig = plot_gantt_day(spa(), DAY, MONDAY)
    swatches = legend(fig)
    for entry, gid in (
        ("room turnover", "turnover"),
        ("off shift", "off_shift"),
        ("time off", "time_off"),
    ):
        drawn = parts(fig, gid)[0]
        swatch = swatches[entry]
        assert swatch.get_facecolor() == drawn.get_facecolor(), entry
        assert swatch.get_hatch() == drawn.get_hatch(), entry
    processing = parts(fig, "processing")[0]
    assert swatches["processing (provider free)"].get_alpha() == processing.get_alpha() < 1
    assert swatches["off shift"].get_hatch() != swatches["time off"].get_hatch()
    assert "existing booking" not in swatches  # none on Monday


def test_off_shift_and_time_off_are_shaded_where_they_are() -> None:
    fig = plot_gantt_day(spa(), DAY, MONDAY)

    def shaded(gid: str) -> list[tuple[int, float, float]]:
        return sorted(
            (round(p.get_y() + p.get_height() / 2), p.get_x(), p.get_x() + p.get_width())
            for p in parts(fig, gid)
        )

    assert shaded("time_off") == [(0, 13 * 60, 15 * 60)]  # md, Monday 13:00-15:00
    assert shaded("off_shift") == [(1, 12 * 60, 19 * 60)]  # rn works 09:00-12:00
    tuesday = plot_gantt_day(spa(), DAY, TUESDAY)
    closed = [(p.get_x(), p.get_width()) for p in parts(tuesday, "closed")]
    assert closed == [(17 * 60, 2 * 60)]  # the window runs to 19:00, Tuesday closes at 17:00
    swatch = legend(tuesday)["clinic closed"]
    assert swatch.get_facecolor() == parts(tuesday, "closed")[0].get_facecolor()
    assert "time off" not in legend(tuesday)


def test_rows_are_provider_names_then_room_names() -> None:
    fig = plot_gantt_day(spa(), DAY, MONDAY)
    rows = [label.get_text() for label in fig.axes[0].get_yticklabels()]
    assert rows == [
        "Dr. Ana Lopez",
        "Ben Ode, RN",
        "Injection room",
        "Laser suite",
        "fac1 (facial)",
    ]


def test_bars_carry_service_and_initials_where_they_fit_and_never_overflow() -> None:
    fig = plot_gantt_day(spa(), DAY, MONDAY)
    fig.canvas.draw()
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_gid() == "label"]
    words = [t.get_text() for t in texts]
    assert "Laser hair removal · JQD" in words  # two hours' bar holds it whole
    assert any(word.endswith(" · p2") for word in words)  # no name: the patient id
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    bars = parts(fig, "hands_on", "room")
    for text in texts:
        extent = text.get_window_extent(renderer)
        row = text.get_position()[1]
        holder = [
            b.get_window_extent(renderer)
            for b in bars
            if b.get_y() < row < b.get_y() + b.get_height()
            and b.get_x() <= text.get_position()[0] <= b.get_x() + b.get_width()
        ]
        assert holder, text.get_text()
        assert holder[0].x0 <= extent.x0 and extent.x1 <= holder[0].x1, text.get_text()


def test_a_short_bar_gets_a_shorter_label_or_none() -> None:
    one_day = plot_gantt_day(spa(), DAY, MONDAY).axes[0]
    at_five_minutes = [t for t in one_day.texts if t.get_position() == (902.5, 0)]
    assert at_five_minutes == []  # the lip filler's first 5 hands-on minutes hold nothing
    labels = {t.get_position(): t.get_text() for t in one_day.texts if t.get_gid() == "label"}
    assert labels[(927.5, 2)] == "Lip filler · p2"  # its 55 minutes in the room do
    fig = plot_gantt(spa(), DAY)  # two columns: each half as wide
    words = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == "label"]
    full = {f"{s.name} · {who}" for s in spa().services for who in ("JQD", "p2")}
    assert all(w in full or "… · " in w or w in ("JQD", "p2") for w in words), words
    assert any(w not in full for w in words), words  # some had to be cut


def test_a_day_is_labelled_every_hour_and_a_narrow_column_every_two() -> None:
    day = plot_gantt_day(spa(), DAY, MONDAY).axes[0]
    assert shown_ticks(day) == [f"{hour:02d}:00" for hour in range(9, 20)]
    data = clinic_data(
        clinic={
            "timezone": "America/New_York",
            "horizon": {"start": MONDAY.isoformat(), "days": 7},
            "hours": week(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "08:00-20:00"),
        }
    )
    week_chart = plot_gantt(scenario_from_data(data), Schedule())
    first = week_chart.axes[0]
    assert shown_ticks(first) == [f"{hour:02d}:00" for hour in range(8, 21, 2)]
    every = {*first.get_xticks(), *first.xaxis.get_minorticklocs()}
    assert sorted(t for t in every if 480 <= t <= 1200) == list(
        range(480, 1201, 60)
    )  # a line each hour


def shown_ticks(ax: Any) -> list[str]:
    """The time labels within the axes' clock."""
    ax.figure.canvas.draw()
    low, high = ax.get_xlim()
    return [
        label.get_text()
        for loc, label in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True)
        if low <= loc <= high
    ]


def test_a_three_week_clinic_gets_a_page_per_week_through_the_cli(tmp_path: Path) -> None:
    sample = load_scenario(ROOT / "scenarios" / "sample_clinic.yaml")
    long = sample.model_copy(deep=True)
    long.clinic.horizon.days = 21
    save_scenario(long, tmp_path / "three_weeks.yaml")
    out = tmp_path / "out"
    fast = ["--time-limit", "1", "--workers", "1", "--deterministic"]
    solved = CliRunner().invoke(
        app, ["solve", str(tmp_path / "three_weeks.yaml"), "--out", str(out), *fast]
    )
    assert solved.exit_code == 0, solved.output
    pages = ["gantt.png", "gantt_week2.png", "gantt_week3.png"]
    assert sorted(p.name for p in out.glob("gantt*.png")) == sorted(pages)
    titles = [Image.open(out / name).text["Title"] for name in pages]
    assert titles == [
        "Lumen Aesthetics: Mon 07 Dec 2026 to Sat 12 Dec 2026, week 1 of 3",
        "Lumen Aesthetics: Mon 14 Dec 2026 to Sat 19 Dec 2026, week 2 of 3",
        "Lumen Aesthetics: Mon 21 Dec 2026 to Sat 26 Dec 2026, week 3 of 3",
    ]
    record = json.loads((out / RECORD).read_text(encoding="utf-8"))
    assert [name for name in record["files"] if name.startswith("gantt")] == pages
    report = Page((out / "report.html").read_text(encoding="utf-8"))
    embedded = [picture_title(source) for source in report.images]
    assert embedded[:3] == titles  # every week in the report too, then the heatmap


def picture_title(source: str) -> str:
    """The title a data: URI's PNG carries."""
    data = base64.b64decode(source.partition(",")[2])
    return str(Image.open(io.BytesIO(data)).text.get("Title", ""))


def test_pages_are_the_weeks_of_the_horizon_and_one_week_is_one_page() -> None:
    sample = load_scenario(ROOT / "scenarios" / "sample_clinic.yaml")
    [page] = gantt_page_plan(sample, Schedule())
    assert page.name == "gantt.png"
    assert page.title == "Lumen Aesthetics: Mon 07 Dec 2026 to Fri 11 Dec 2026"
    long = sample.model_copy(deep=True)
    long.clinic.horizon.days = 9
    pages = gantt_page_plan(long, Schedule())
    assert [(p.name, p.days[0], p.days[-1]) for p in pages] == [
        ("gantt.png", MONDAY, date(2026, 12, 12)),
        ("gantt_week2.png", date(2026, 12, 14), date(2026, 12, 15)),
    ]
    assert [p.title.endswith(f"week {n} of 2") for n, p in enumerate(pages, 1)] == [True, True]
    drawn = gantt_pages(long, Schedule())
    assert [name for name, _ in drawn] == ["gantt.png", "gantt_week2.png"]
    assert [len(fig.axes) for _, fig in drawn] == [6, 2]  # Mon-Sat open; then Mon, Tue


def change(kind: str, rid: str) -> Change:
    return Change(change=kind, request_id=rid, patient_id="p1", service_id="botox")


def marked(ax: Any) -> dict[str, list[tuple[int, float]]]:
    """Mark -> (row, start) of the outlines drawn."""
    found: dict[str, list[tuple[int, float]]] = {}
    for patch in ax.patches:
        gid = patch.get_gid() or ""
        if gid.startswith("mark:"):
            row = round(patch.get_y() + patch.get_height() / 2)
            found.setdefault(gid[5:], []).append((row, patch.get_x()))
    return {mark: sorted(spots) for mark, spots in found.items()}


def test_a_re_plan_outlines_what_moved_left_and_came_with_a_line_at_now() -> None:
    scenario = spa()
    moved = booked("r2", "botox", "rn", "inj1", at(MONDAY, 11), 30, patient_id="p2")
    added = booked("r7", "botox", "md", "inj1", at(MONDAY, 16), 30)
    kept = [a for a in DAY.appointments if a.request_id not in ("r1", "r2", "r5")]
    after = Schedule(appointments=[*kept, moved, added])
    changes = [
        change("moved", "r2"),
        change("cancelled_late", "r5"),
        change("booked_from_waitlist", "r7"),
        change("escalated", "r1"),
    ]
    fig = plot_before_after(
        (scenario, DAY), (scenario, after), MONDAY, changes=changes, now=at(MONDAY, 10, 30)
    )
    top, bottom = fig.axes
    assert (top.get_title(), bottom.get_title()) == ("before", "after")
    assert marked(top) == {
        "moved": [(1, 600), (2, 600)],  # r2 where it was: rn's row and inj1
        "cancelled": [(0, 1020), (4, 1020)],  # r5 on md's row and in fac1
        "escalated": [(0, 540), (2, 540)],
    }
    assert marked(bottom) == {"moved": [(1, 660), (2, 660)], "added": [(0, 960), (2, 960)]}
    for ax in (top, bottom):
        [line] = [line for line in ax.lines if line.get_gid() == "now"]
        assert list(line.get_xdata()) == [630, 630]  # 10:30
    entries = legend(fig)
    assert {
        "moved",
        "added",
        "cancelled, declined, no-show, offer or hold expired",
        "handed to a person",
        "now 10:30",
    } <= set(entries)
    for mark in ("moved", "added", "cancelled"):
        [drawn, *_] = [p for p in top.patches + bottom.patches if p.get_gid() == f"mark:{mark}"]
        swatch = entries[
            "cancelled, declined, no-show, offer or hold expired" if mark == "cancelled" else mark
        ]
        assert swatch.get_edgecolor() == drawn.get_edgecolor()
        assert swatch.get_hatch() == drawn.get_hatch()
    assert fig.get_suptitle() == "Glow: re-plan of Mon 07 Dec 2026 at 10:30"
    another_day = plot_before_after(
        (scenario, DAY), (scenario, after), TUESDAY, changes=changes, now=at(MONDAY, 10, 30)
    )
    assert not [line for ax in another_day.axes for line in ax.lines if line.get_gid() == "now"]


def test_one_day_can_be_drawn_with_marks() -> None:
    fig = plot_gantt_day(spa(), DAY, MONDAY, marks={"r3": "moved"}, now=at(MONDAY, 9, 15))
    [ax] = fig.axes
    assert marked(ax) == {"moved": [(0, 600), (3, 600)]}
    assert [list(line.get_xdata()) for line in ax.lines if line.get_gid() == "now"] == [[555, 555]]
    assert fig.get_suptitle() == "Glow: Mon 07 Dec 2026"


def test_the_re_plan_picture_is_titled_with_the_time_of_the_cli_now(tmp_path: Path) -> None:
    scenario = mini_clinic(
        requests=[
            request("r1", "p1", "botox", latest=TUESDAY_TEXT),
            request("r2", "p2", "botox", latest=TUESDAY_TEXT),
        ]
    )
    save_scenario(scenario, tmp_path / "clinic.yaml")
    _, day, _ = night_and_day(tmp_path / "clinic.yaml", "cancel:r1", f"{MINI_MONDAY}T08:00")
    title = Image.open(day / "gantt_day.png").text["Title"]
    assert title.endswith(f"re-plan of {date.fromisoformat(MINI_MONDAY):%a %d %b %Y} at 08:00")
