"""review: a clinic's own calendar, its broken rules by rule, KPIs, idle gaps and the value
left on the table; several weeks; and `medspa review` as a user runs it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from checker import check_schedule
from models.loader import ScenarioError, load_scenario
from models.results import Appointment, Schedule
from models.scenario import Scenario
from solver.cli import app
from solver.eligibility import eligibility
from solver.facts import ClinicFacts
from solver.report import SolveStats, build_result
from solver.solve import _floor
from solver.whatif.review import (
    IdleGap,
    Review,
    foreign_rows,
    idle_days,
    review,
    review_weeks,
    weeks_table,
)
from tests.conftest import MONDAY, mini_clinic, patients, provider, request, service

SAMPLE = Path("scenarios/sample_clinic.yaml")
CALENDAR = Path("tests/data/calendars/front_desk_week.csv")
PLANTED = {
    "provider_overlap": "r_093",  # given dr_reyes, who already has r_003 and r_035 then
    "room_overlap": "r_009",  # in facial_1 while r_049 is
    "not_permitted": "r_051",  # a body consultation by lt_brooks, a laser technician
    "outside_provider_hours": "r_004",  # rn_patel until 16:35, past her 16:30 end on Wednesday
    "equipment_over_capacity": "r_156",  # the one laser platform, with r_029 at once
    "consult_missing": "r_127",  # body contouring for p_024, who never had a consult
    "series_spacing": "r_074",  # microneedling 19 days after the last of the series
}
"""The violations planted in the front desk's week of the sample, by rule: a row that breaks it."""
ZONE = ZoneInfo("America/Chicago")
runner = CliRunner()


def front_desk(scenario: Scenario) -> Schedule:
    """The front desk's (greedy) schedule of the scenario, as a calendar."""
    facts = ClinicFacts(scenario)
    found = eligibility(facts)
    jobs, greedy, lost = _floor(facts, found.jobs)
    stats = SolveStats(time_limit=0.0, num_workers=1, seed=0)
    escalations = found.escalations + lost
    return build_result(
        facts,
        jobs,
        escalations,
        greedy,
        found_by="front_desk",
        bound=0,
        greedy_objective=0,
        stats=stats,
    ).schedule


@pytest.fixture(scope="module")
def planted() -> Review:
    calendar = Schedule.read_csv(CALENDAR)
    return review(load_scenario(SAMPLE), calendar, time_limit=1.0, deterministic=True)


def test_every_planted_violation_is_reported_under_its_rule(planted: Review) -> None:
    assert set(planted.violations) == set(PLANTED)
    for code, row in PLANTED.items():
        rows = [finding.where for finding in planted.violations[code]]
        assert row in rows, f"{code}: {rows}"
        assert code in planted.broken_rows[row]
    overlap = planted.violations["provider_overlap"][0].message
    assert "dr_reyes" in overlap and "at the same time" in overlap  # the checker's words


def test_a_calendar_that_breaks_rules_still_gets_its_figures(planted: Review) -> None:
    booked = [r for r in planted.calendar.booked() if r.kind == "request"]
    assert planted.kpis["requests"]["booked"] == len(booked) == 152
    table = planted.value_table()
    assert table.loc["requests booked", "calendar"] == 152
    revenue = sum(planted.scenario.service(r.service_id).value for r in booked)
    assert table.loc["revenue", "calendar"] == revenue
    assert table.loc["objective", "calendar"] == planted.objective.total
    assert list(table["left on the table"]) == list(table["optimizer"] - table["calendar"])
    # the optimizer's side is its own schedule of the same requests, which keeps every rule
    assert check_schedule(planted.scenario, planted.optimized.schedule) == []
    assert table.loc["objective", "optimizer"] == planted.optimized.report.objective


def lunch_clinic() -> Scenario:
    """One provider, rn, Monday 09:00-12:00 and 13:00-17:00 (lunch between), 5-minute grid."""
    return mini_clinic(
        clinic={"slot_minutes": 5},
        services=[service("botox", 30, value=100), service("quick", 20, value=50)],
        providers=[provider("rn", ["botox", "quick"], {"mon": ["09:00-12:00", "13:00-17:00"]})],
        patients=patients(f"p{i}" for i in range(1, 7)),
        requests=[
            request("q1", "p1", "quick"),
            request("r2", "p2", "botox"),
            request("r3", "p3", "botox"),
            request("r4", "p4", "botox"),
            request("r5", "p5", "botox"),
            request("r6", "p6", "botox"),
        ],
    )


def _row(
    rid: str, patient: str, service_id: str, start: str | None, minutes: int = 30
) -> Appointment:
    if start is None:
        return Appointment(
            request_id=rid, patient_id=patient, service_id=service_id, reason="no room"
        )
    begins = datetime.fromisoformat(f"{MONDAY}T{start}").replace(tzinfo=ZONE)
    ends = begins + timedelta(minutes=minutes)
    where = {"provider_id": "rn", "room_id": "inj1", "status": "booked"}
    return Appointment(
        request_id=rid, patient_id=patient, service_id=service_id, start=begins, end=ends, **where
    )


KNOWN = Schedule(
    appointments=[
        _row("q1", "p1", "quick", "09:00", 20),  # 10 free minutes after
        _row("r2", "p2", "botox", "09:30"),
        _row("r3", "p3", "botox", "10:15"),  # 15 minutes after r2
        _row("r4", "p4", "botox", "11:30"),  # 45 minutes after r3
        _row("r5", "p5", "botox", "13:15"),  # lunch 12:00-13:00 is no gap, 13:00-13:15 is
        _row("r6", "p6", "botox", None),
    ]
)
"""A valid calendar of the mini clinic, its idle time worked out by hand."""


def test_idle_gaps_are_the_free_working_minutes_between_hands_on_work() -> None:
    scenario = lunch_clinic()
    assert check_schedule(scenario, KNOWN) == []
    (day,) = idle_days(scenario, KNOWN)
    assert (day.provider_id, str(day.day)) == ("rn", MONDAY)
    assert (day.first, day.last) == (9 * 60, 13 * 60 + 45)
    assert day.hands_on == 20 + 4 * 30
    assert day.idle == 10 + 15 + 45 + 15
    assert day.gaps == (IdleGap(560, 570), IdleGap(600, 615), IdleGap(645, 690), IdleGap(780, 795))
    assert str(day.gaps[2]) == "10:45-11:30 (45 min)"


def test_kpis_and_value_of_a_known_calendar() -> None:
    scenario = lunch_clinic()
    week = review(scenario, KNOWN, time_limit=1.0, deterministic=True)
    assert week.violations == {}
    assert week.kpis["requests"] == {"total": 6, "booked": 5, "unscheduled": 1, "escalated": 0}
    assert week.kpis["utilization"]["providers"] == {"rn": round(140 / 420, 4)}
    assert week.idle_minutes == 85
    kpis = week.kpi_table()
    assert kpis.loc["utilization, provider rn (%)", "calendar"] == 33.3
    assert kpis.loc["requests booked", "optimizer"] == 6  # the optimizer fits r6 too
    value = week.value_table()
    assert value.loc["revenue", "calendar"] == 450
    assert value.loc["revenue", "left on the table"] == 100
    assert value.loc["requests booked", "left on the table"] == 1


@pytest.mark.slow
def test_no_value_is_left_when_the_optimizer_reviews_the_front_desk_or_worse() -> None:
    scenario = load_scenario(SAMPLE)
    greedy = front_desk(scenario)
    worse = greedy.model_copy(deep=True)
    for row in worse.appointments:
        if row.kind == "request" and row.status == "booked" and row.start and row.start.day == 8:
            row.status, row.reason = "unscheduled", "front desk kept Tuesday free"
            row.provider_id = row.room_id = row.start = row.end = None
            row.equipment = ""
    for calendar in (greedy, worse):
        assert check_schedule(scenario, calendar) == []
        week = review(scenario, calendar, time_limit=1.0, deterministic=True)
        assert week.value_table().loc["objective", "left on the table"] >= 0
    assert week.value_table().loc["requests booked", "left on the table"] > 0


def test_several_weeks_are_reviewed_alike_and_summed_up() -> None:
    scenario = lunch_clinic()
    emptier = KNOWN.model_copy(deep=True)
    emptier.appointments[-2] = _row("r5", "p5", "botox", None)
    weeks = review_weeks([(scenario, KNOWN), (scenario, emptier)], 1.0, deterministic=True)
    assert [week.label for week in weeks] == [f"1. week of {MONDAY}", f"2. week of {MONDAY}"]
    table = weeks_table(weeks)
    assert list(table.index) == [week.label for week in weeks]
    assert list(table["requests booked: calendar"]) == [5, 4]
    assert list(table["requests booked: left"]) == [1, 2]
    assert list(table["idle minutes (calendar)"]) == [85, 70]  # 13:00-13:15 is gone
    assert list(table["violations"]) == [0, 0]
    with pytest.raises(ValueError, match="each its own"):
        review_weeks([(scenario, KNOWN), (scenario, KNOWN)], 1.0, labels=["a", "a"])


def test_a_row_for_an_id_the_scenario_does_not_have_is_bad_input() -> None:
    scenario = lunch_clinic()
    stranger = KNOWN.model_copy(deep=True)
    stranger.appointments.append(_row("walk_in", "p1", "botox", "15:00"))
    stranger.appointments[0].provider_id = "dr_who"
    problems = foreign_rows(scenario, stranger)
    assert [(p.where, p.message.split(" is ")[0]) for p in problems] == [
        ("line 2 (q1)", "provider_id 'dr_who'"),
        ("line 8 (walk_in)", "request_id 'walk_in'"),
    ]
    with pytest.raises(ScenarioError):
        review(scenario, stranger, time_limit=1.0)


# --- medspa review -----------------------------------------------------------------------


class _Page(HTMLParser):
    """The tags and the addresses a page loads or links."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.addresses: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.addresses += [value or "" for name, value in attrs if name in ("src", "href")]


@pytest.mark.slow
def test_medspa_review_writes_the_report_as_one_set(tmp_path: Path) -> None:
    out = tmp_path / "review"
    pair = [str(SAMPLE), str(CALENDAR)]
    args = ["review", *pair, *pair, "--out", str(out), "--time-limit", "1", "--deterministic"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    names = ["review.md", "review.html", "summary_left_on_the_table.png"] + [
        f"week{n}_{picture}.png"
        for n in (1, 2)
        for picture in ("value", "utilization_by_hour", "utilization_by_weekday", "gantt")
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted([".medspa-outputs.json", *names])
    for code, row in PLANTED.items():
        assert re.search(rf"{code}: \d+ \([^)]*{row}", result.stdout), code
    assert "value left on the table" in result.stdout
    markdown = (out / "review.md").read_text()
    assert "## Summary of 2 weeks" in markdown
    assert markdown.count("#### provider_overlap (2)") == 2
    assert "![week1_gantt.png](week1_gantt.png)" in markdown
    page = _Page()
    page.feed((out / "review.html").read_text())
    assert page.tags.count("img") == 9 and "table" in page.tags
    assert page.addresses and all(a.startswith("data:image/png;base64,") for a in page.addresses)
    assert not any(re.match(r"https?:", a) for a in page.addresses)


def test_an_odd_count_of_files_exits_2_with_the_fix(tmp_path: Path) -> None:
    args = ["review", str(SAMPLE), str(CALENDAR), str(SAMPLE), "--out", str(tmp_path / "r")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "give them in pairs" in result.output and "SCENARIO CALENDAR.csv" in result.output
    assert not (tmp_path / "r").exists()


def test_a_calendar_of_another_scenario_or_unreadable_exits_2(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(Path("tests/data/good/minimal.yaml").read_text())
    result = runner.invoke(app, ["review", str(other), str(CALENDAR), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert f"{CALENDAR}: line 2 (b_01): request_id 'b_01' is not in the scenario" in result.output
    broken = tmp_path / "broken.csv"
    broken.write_text("request_id,start\nr_001,yesterday\n")
    result = runner.invoke(app, ["review", str(SAMPLE), str(broken), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and str(broken) in result.output
    assert not (tmp_path / "r").exists()
