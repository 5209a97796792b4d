"""report.html of a solve and of a re-plan: every section present with its content, the key
figures those of kpis.json, a table per owner, the pictures embedded PNGs, nothing fetched
from outside; and the page as Chromium renders it, where the machine has Chromium."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from matplotlib import image as mpimg

from models.events import Cancel
from models.loader import save_scenario
from models.results import Schedule
from models.scenario import Scenario
from solver.outputs import clinic_report
from solver.outputs.files import write_outputs, write_reshuffle_outputs
from solver.outputs.kpis import kpis
from solver.replan import reshuffle
from solver.report import SolveResult
from solver.solve import solve
from tests.conftest import (
    MONDAY,
    TUESDAY,
    booking,
    mini_clinic,
    patient,
    request,
    service,
)
from tests.solver.outputs.cli_runs import night_and_day
from tests.solver.replan.test_events import at

PNG = b"\x89PNG\r\n\x1a\n"
FOREIGN_TAGS = {"link", "script", "iframe", "object", "embed", "frame", "base", "audio", "video"}
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


class Page(HTMLParser):
    """What a test reads off a page: headings in order, each table's rows under the heading
    before it, every address (src, href), every tag and every id."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.tables: dict[str, list[list[list[str]]]] = defaultdict(list)
        self.addresses: list[str] = []
        self.images: list[str] = []
        self.tags: set[str] = set()
        self.ids: set[str] = set()
        self.styles: list[str] = []
        self._text: list[str] | None = None
        self._row: list[str] | None = None
        self._in_style = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        found = dict(attrs)
        self.addresses += [found[a] or "" for a in ("src", "href") if a in found]
        if found.get("id"):
            self.ids.add(found["id"] or "")
        if tag == "img":
            self.images.append(found.get("src") or "")
        if tag in {"h1", "h2", "h3", "h4", "th", "td"}:
            self._text = []
        if tag == "table":
            self.tables[self.headings[-1][1]].append([])
        if tag == "tr":
            self._row = []
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag in {"h1", "h2", "h3", "h4"} and self._text is not None:
            self.headings.append((tag, "".join(self._text).strip()))
        if tag in {"th", "td"} and self._text is not None and self._row is not None:
            self._row.append("".join(self._text).strip())
        if tag == "tr" and self._row is not None:
            self.tables[self.headings[-1][1]][-1].append(self._row)
            self._row = None
        if tag in {"h1", "h2", "h3", "h4", "th", "td"}:
            self._text = None
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if self._in_style:
            self.styles.append(data)

    def sections(self) -> list[str]:
        return [text for tag, text in self.headings if tag == "h2"]

    def table(self, heading: str) -> dict[str, list[str]]:
        """The one table under `heading`, as {first cell: the other cells} by row (below the
        header rows)."""
        (rows,) = self.tables[heading]
        return {row[0]: row[1:] for row in rows if row and row[0] and len(row) > 1}


def assert_self_contained(page: Page) -> None:
    """Nothing on the page is fetched from elsewhere: every address is an embedded picture or
    a link to a section of the page, and there is no tag or style rule that loads anything."""
    assert not page.tags & FOREIGN_TAGS
    for address in page.addresses:
        assert address.startswith("data:image/png;base64,") or address[1:] in page.ids, address
        assert address.startswith(("data:", "#")), address
    style = "".join(page.styles)
    assert "url(" not in style and "@import" not in style and "@font-face" not in style


def embedded_pictures(page: Page) -> list[Any]:
    """The page's pictures, decoded: each a PNG, as an array of pixels."""
    pictures = []
    for source in page.images:
        head, _, data = source.partition(",")
        assert head == "data:image/png;base64"
        png = base64.b64decode(data, validate=True)
        assert png[:8] == PNG
        pictures.append(mpimg.imread(io.BytesIO(png), format="png"))
    return pictures


def clinic() -> Scenario:
    """Two days, botox and filler (nobody may do filler), two existing bookings at once in the
    one room (one is escalated, today: the same-day owner's), a VIP: exceptions for two
    owners."""
    return mini_clinic(
        policies={"escalation_owner": "front desk lead", "same_day_owner": "manager on duty"},
        services=[service("botox"), service("filler")],
        patients=[patient("p1", "vip"), patient("p2"), patient("p3"), patient("p4")],
        requests=[
            request("r1", "p1", "botox", latest=TUESDAY),
            request("r2", "p2", "filler", TUESDAY),  # not today: the escalation owner's
            request("r3", "p3", "botox", latest=TUESDAY),
        ],
        bookings=[
            booking("b1", "p4", "botox", "rn", "inj1", f"{MONDAY}T10:00", locked=True),
            booking("b2", "p2", "botox", "rn", "inj1", f"{MONDAY}T10:00", locked=True),
        ],
    )


@pytest.fixture(scope="module")
def solved() -> SolveResult:
    return solve(clinic(), time_limit=0.5, num_workers=1, seed=0, deterministic=True)


@pytest.fixture(scope="module")
def solve_page(solved: SolveResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("solve")
    write_outputs(solved, kpis(solved), out)
    return out / "report.html"


def test_the_solve_report_has_every_section_with_content(
    solved: SolveResult, solve_page: Path
) -> None:
    page = Page(solve_page.read_text(encoding="utf-8"))
    assert page.headings[0] == ("h1", "Mini: schedule of Mon 07 Dec 2026 to Tue 08 Dec 2026")
    assert page.sections() == [
        "Key figures",
        "Schedule",
        "Utilization by provider and hour",
        "Exceptions",
    ]
    gantt, heatmap = embedded_pictures(page)
    assert gantt.shape[1] > 600 and heatmap.shape[1] > 300  # drawn, not a placeholder
    assert_self_contained(page)
    links = [a for a in page.addresses if a.startswith("#")]
    assert len(links) == 4  # the contents: one link per section


def test_the_key_figures_are_those_of_kpis_json(solved: SolveResult, solve_page: Path) -> None:
    figures = kpis(solved)
    requests, by_tier = figures["requests"], figures["booked_by_tier"]
    shown = Page(solve_page.read_text(encoding="utf-8")).table("Key figures")
    values = {name: cells[0] for name, cells in shown.items()}
    assert values == {
        "status": figures["solver"]["status"],
        "requests booked": f"{requests['booked']} of {requests['total']}",
        "requests not booked": str(requests["unscheduled"]),
        "requests escalated": str(requests["escalated"]),
        "existing bookings kept / moved / escalated": "{kept} / {moved} / {escalated}".format(
            **figures["bookings"]
        ),
        "revenue booked": solved.scenario.clinic.money(figures["revenue"]["booked"]),
        "revenue left unbooked": solved.scenario.clinic.money(figures["revenue"]["unbooked"]),
        "provider utilization": f"{figures['utilization']['overall']:.0%}",
        "waitlist served": "{served} of {requests}".format(**figures["waitlist"]),
        "gap": f"{figures['objective']['gap']:.2%}",
    }
    assert requests == {"total": 3, "booked": 2, "unscheduled": 0, "escalated": 1}
    assert values["existing bookings kept / moved / escalated"] == "1 / 0 / 1"
    assert figures["utilization"]["definition"]["overall"] in shown["provider utilization"][1]
    tiers = Page(solve_page.read_text(encoding="utf-8")).table("Booked by patient tier")
    assert {tier: cells[:3] for tier, cells in tiers.items()} == {
        tier: [str(t["requests"]), str(t["booked"]), f"{t['booked'] / t['requests']:.0%}"]
        for tier, t in by_tier.items()
    }


def test_the_fairness_rule_and_a_starved_tier_warning_are_on_the_page(solved: SolveResult) -> None:
    figures = kpis(solved)
    assert figures["warnings"] == []  # one request per tier here: too few to judge
    starved = {
        "code": "tier_starved",
        "where": "policies.tier_weights.new",
        "message": "new: 1 of 9",
    }
    page = clinic_report.solve_page(solved, {**figures, "warnings": [starved]})
    assert f"<p>Fairness: {figures['fairness_rule']}.</p>" in page
    assert "<p>Warning: new: 1 of 9.</p>" in page


def test_the_exceptions_are_one_table_per_owner(solved: SolveResult, solve_page: Path) -> None:
    page = Page(solve_page.read_text(encoding="utf-8"))
    owners: dict[str, list[str]] = defaultdict(list)
    for item in solved.exceptions:
        owners[item.owner].append(item.request_id)
    assert set(owners) == {"front desk lead", "manager on duty"}  # the clinic's two owners
    after = page.headings[page.headings.index(("h2", "Exceptions")) + 1 :]
    assert after == [("h3", f"{owner} ({len(ids)})") for owner, ids in owners.items()]
    for owner, ids in owners.items():
        (rows,) = page.tables[f"{owner} ({len(ids)})"]
        header, body = rows[0], [row for row in rows[1:] if row[0]]
        assert "owner" not in header and "reason_code" in header
        assert [row[0] for row in body] == ids


def test_utilization_is_shown_per_provider_and_hour(solved: SolveResult, solve_page: Path) -> None:
    (rows,) = Page(solve_page.read_text(encoding="utf-8")).tables[
        "Utilization by provider and hour"
    ]
    header = rows[0]
    assert header[1:4] == ["name", "whole horizon", "09:00"] and header[-1] == "16:00"
    (rn,) = [row for row in rows if row[0] == "rn"]
    share = kpis(solved)["utilization"]["providers"]["rn"]
    assert rn[1:3] == ["rn", f"{share:.0%}"]
    for hour in ("09:00", "10:00", "16:00"):
        assert rn[header.index(hour)] == f"{booked_share(solved.schedule, 'rn', hour):.0%}"
    assert rn[header.index("16:00")] == "0%"  # nothing booked after 11:00 in this clinic


def booked_share(schedule: Schedule, provider: str, hour: str) -> float:
    """The share of `provider`'s minutes from `hour` to the next hour booked, over both days
    (the provider works both, 09:00 to 17:00; no service here has processing time)."""
    start = int(hour[:2]) * 60
    booked = 0
    for a in schedule.appointments:
        if a.provider_id == provider and a.start is not None and a.end is not None:
            begin, end = a.start.hour * 60 + a.start.minute, a.end.hour * 60 + a.end.minute
            booked += max(0, min(end, start + 60) - max(begin, start))
    return booked / (2 * 60)


@pytest.fixture(scope="module")
def replan_page(solved: SolveResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = solved.scenario
    result = reshuffle(scenario, solved.schedule, [Cancel(booking="b1")], at("08:00"), 0.5, 1, 0)
    out = tmp_path_factory.mktemp("replan")
    write_reshuffle_outputs(result, (scenario, solved.schedule), out)
    return out / "report.html"


def test_the_re_plan_report_has_the_changes_and_the_day_before_and_after(
    replan_page: Path,
) -> None:
    page = Page(replan_page.read_text(encoding="utf-8"))
    assert page.headings[0] == ("h1", "Mini: re-plan of Mon 07 Dec 2026")
    assert page.sections() == [
        "Key figures",
        "Changes",
        "The day before and after",
        "Utilization by provider and hour",
        "Exceptions",
    ]
    changes = page.table("Changes")
    assert changes["b1"][0] == "cancelled_late"  # cancelled on the day itself
    figures = page.table("Key figures")
    assert figures["status"][0] in {"optimal", "time_limit", "greedy"}
    before_after, _heatmap = embedded_pictures(page)
    assert before_after.shape[0] > before_after.shape[1] / 2  # two days, one above the other
    assert_self_contained(page)


def test_solve_and_reshuffle_write_report_html_through_the_cli(tmp_path: Path) -> None:
    save_scenario(clinic(), tmp_path / "clinic.yaml")
    night, day, told = night_and_day(tmp_path / "clinic.yaml", "cancel:b1", f"{MONDAY}T08:00")
    assert str(night / "report.html") in told.replace("\n", "")
    page = Page((night / "report.html").read_text(encoding="utf-8"))
    assert "Key figures" in page.sections() and len(page.images) == 2
    page = Page((day / "report.html").read_text(encoding="utf-8"))
    assert "Changes" in page.sections() and len(page.images) == 2
    assert Schedule.read_csv(day / "schedule.csv").appointments  # the set around it is whole


def _browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


@pytest.mark.skipif(
    _browser() is None,
    reason="no Chromium on this machine (Debian: apt-get install -y chromium; see README.md)",
)
def test_chromium_renders_the_report(solve_page: Path, tmp_path: Path) -> None:
    browser = _browser()
    assert browser is not None
    shot = tmp_path / "shot.png"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        solve_page.resolve().as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (2000, 1280)
    assert pixels[..., :3].std() > 0.05  # text, tables and pictures, not a blank page
