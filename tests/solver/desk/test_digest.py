"""Owners on duty and the exception digest: a duty rota by weekday and date (a date beats its
weekday) and per-reason owners route a real solve's exceptions, most urgent first (time,
value, tier); `medspa exceptions` splits exceptions.csv by owner into a table each on the
console (no patient names) and a markdown and HTML page each, refusing bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.loader import load_scenario, save_scenario
from models.results import ExceptionItem, exceptions_frame
from models.scenario import Policies, Scenario
from models.spreadsheet import read_csv, write_csv
from solver.cli import app
from solver.desk.digest import digest_by_owner, owner_slug, read_exceptions, write_digests
from solver.report import SolveResult
from solver.solve import solve
from tests.conftest import (
    DAY,
    HOURS,
    WEEKDAYS,
    booking,
    build,
    patient,
    provider,
    request,
    service,
    week,
)

runner = CliRunner()
WEEK = week(WEEKDAYS, HOURS)
TUE, WED, THU, FRI = "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"
ROTA = {"Monday": "dana", "tue": "lee", "WED": "dana", "thu": "lee", "fri": "sam", THU: "sam"}
"""Dana and Lee take turns, Sam has Fridays and Thursday 2026-12-10 (over Lee's Thursday)."""
NAMES = ("Vera Ip", "Ned New", "Mia Member")


def _clinic(**policies: object) -> Scenario:
    """A week, Mon 2026-12-07 to Fri, where nobody may do filler or peels, the laser needs a
    deposit nobody paid, and Tuesday's botox booking has lost its provider."""
    return build(
        clinic={"horizon": {"start": DAY, "days": 5}, "hours": WEEK, "slot_minutes": 15},
        policies={"escalation_owner": ROTA} | policies,
        services=[
            service("botox", value=400),
            service("filler", name="Dermal filler", value=500),
            service("peel", name="Chemical peel", value=100),
            service("laser", name="Laser", value=300, deposit=50),
        ],
        providers=[
            provider("rn", ["botox", "laser"], WEEK, time_off=[{"date": TUE}]),
        ],
        patients=[
            patient("vip1", "vip", name=NAMES[0]),
            patient("new1", "new", name=NAMES[1]),
            patient("mem1", "member", name=NAMES[2]),
        ],
        requests=[
            request("filler_mon", "new1", "filler", DAY),
            request("peel_tue", "vip1", "peel", TUE),
            request("filler_tue_new", "new1", "filler", TUE),
            request("filler_tue_vip", "vip1", "filler", TUE),
            request("laser_wed", "mem1", "laser", WED),
            request("filler_wed", "new1", "filler", WED),
            request("filler_thu", "new1", "filler", THU),
            request("filler_fri", "new1", "filler", FRI, "2026-12-12"),
        ],
        bookings=[booking("botox_tue", "mem1", "botox", "rn", "inj1", f"{TUE}T10:00")],
    )


@pytest.fixture(scope="module")
def result() -> SolveResult:
    return solve(_clinic(exception_owners={"deposit_unpaid": "billing"}), 5, 1)


def test_the_owner_on_duty_is_the_dates_then_the_weekdays_and_a_rota_survives_a_save(
    tmp_path: Path,
) -> None:
    policies = _clinic().policies
    on = policies.escalation_owner_on
    assert [on(date(2026, 12, day)) for day in range(7, 14)] == [
        "dana",
        "lee",
        "dana",
        "sam",  # Thursday 2026-12-10, by its date
        "sam",
        None,  # Saturday and Sunday: nobody
        None,
    ]
    assert on(date(2026, 12, 17)) == "lee"  # the next Thursday, by its weekday
    assert Policies(escalation_owner="  ").escalation_owner_on(date(2026, 12, 7)) is None
    save_scenario(_clinic(), tmp_path / "clinic.yaml")
    assert load_scenario(tmp_path / "clinic.yaml").policies == policies


def _owners(items: list[ExceptionItem]) -> dict[str, str]:
    return {item.request_id: item.owner for item in items}


def test_the_rota_gives_each_day_to_its_owner_and_a_date_beats_its_weekday(
    result: SolveResult,
) -> None:
    assert _owners(result.exceptions) == {
        "filler_mon": "dana",  # today, and no same-day owner: Monday's owner
        "peel_tue": "lee",
        "filler_tue_new": "lee",
        "filler_tue_vip": "lee",
        "botox_tue": "lee",  # a booking is same-day business: Tuesday's owner
        "filler_wed": "dana",
        "laser_wed": "billing",  # its reason's owner, over Wednesday's
        "filler_thu": "sam",  # 2026-12-10 is Sam's, though Thursdays are Lee's
        "filler_fri": "sam",
    }
    codes = {item.request_id: item.reason_code for item in result.exceptions}
    assert (codes["laser_wed"], codes["botox_tue"]) == ("deposit_unpaid", "booking_conflict")


def test_the_same_day_owner_takes_today_and_bookings_and_the_rota_the_rest() -> None:
    items = solve(_clinic(same_day_owner="desk"), 5, 1).exceptions
    owners = _owners(items)
    assert (owners["filler_mon"], owners["botox_tue"]) == ("desk", "desk")
    assert (owners["filler_tue_vip"], owners["laser_wed"], owners["filler_thu"]) == (
        "lee",
        "dana",  # no per-reason owner now
        "sam",
    )


def test_the_per_reason_owner_wins_even_over_the_same_day_owner() -> None:
    policies = {"same_day_owner": "desk", "exception_owners": {"no_permitted_provider": "ops"}}
    owners = _owners(solve(_clinic(**policies), 5, 1).exceptions)
    assert {owners[f"filler_{day}"] for day in ("mon", "tue_vip", "wed", "thu", "fri")} == {"ops"}
    assert (owners["botox_tue"], owners["laser_wed"]) == ("desk", "dana")


def test_exceptions_come_by_time_then_value_then_tier(result: SolveResult) -> None:
    assert [item.request_id for item in result.exceptions] == [
        "filler_mon",
        "filler_tue_vip",  # Tuesday's requests from its first minute: 500, vip first
        "filler_tue_new",
        "peel_tue",  # 100: the lower value after, vip or not
        "botox_tue",  # the booking at 10:00, after the day's requests
        "filler_wed",  # 500 before the laser's 300
        "laser_wed",
        "filler_thu",
        "filler_fri",
    ]


def test_a_rota_with_nobody_on_a_day_hands_it_to_the_clinic_manager() -> None:
    rota = {day: "lee" for day in ("tue", "wed", "thu", "fri")}
    owners = _owners(solve(_clinic(escalation_owner=rota), 5, 1).exceptions)
    assert owners["filler_mon"] == "clinic manager (set policies.escalation_owner)"
    assert owners["filler_tue_vip"] == "lee"


# --- the digest ---------------------------------------------------------------------------


class _Page(HTMLParser):
    """The tables of an HTML page (rows of cell texts, header row first) and every src or
    href it holds."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.links: list[str] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value or "" for name, value in attrs if name in ("src", "href")]
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _csv_rows(path: Path, owner: str) -> list[list[str]]:
    """exceptions.csv's rows of one owner, as the digest shows them (owner left out)."""
    frame = read_csv(path)
    mine = frame[frame["owner"] == owner].drop(columns="owner")
    columns = ["request_id", *(c for c in mine.columns if c != "request_id")]
    return [list(row) for row in mine[columns].itertuples(index=False)]


def test_each_owner_gets_one_table_of_exactly_their_rows_and_nothing_from_elsewhere(
    result: SolveResult, tmp_path: Path
) -> None:
    write_csv(exceptions_frame(result.exceptions), tmp_path / "exceptions.csv")
    digests = digest_by_owner(read_exceptions(tmp_path / "exceptions.csv"))
    assert [(d.owner, d.slug, len(d.items)) for d in digests] == [
        ("dana", "dana", 2),  # owners in the order of their most urgent exception
        ("lee", "lee", 4),
        ("billing", "billing", 1),
        ("sam", "sam", 2),
    ]
    paths = write_digests(digests, tmp_path)
    folder = tmp_path / "digest"
    assert sorted(p.name for p in paths) == sorted(
        f"{slug}.{suffix}"
        for slug in ("index", "dana", "lee", "billing", "sam")
        for suffix in ("md", "html")
    )
    for digest in digests:
        page = _Page((folder / f"{digest.slug}.html").read_text(encoding="utf-8"))
        assert page.links == []  # no stylesheet, script, picture or link from elsewhere
        [table] = page.tables
        header, *rows = [row for row in table if row]
        shown = [c for c in exceptions_frame([]).columns if c not in ("owner", "request_id")]
        assert header[1:] == shown
        expected = _csv_rows(tmp_path / "exceptions.csv", digest.owner)
        assert rows == expected
        markdown = (folder / f"{digest.slug}.md").read_text(encoding="utf-8")
        for row in expected:
            assert f"| {' | '.join(row)} |" in markdown
    lee = (folder / "lee.html").read_text(encoding="utf-8")
    assert "Vera Ip" in lee and "Mia Member" in lee  # the owner calls the patient
    index = _Page((folder / "index.html").read_text(encoding="utf-8"))
    assert [row[:2] for row in index.tables[0] if row][1:] == [
        ["dana", "2"],
        ["lee", "4"],
        ["billing", "1"],
        ["sam", "2"],
    ]


def test_owner_file_names_are_plain_and_never_shared() -> None:
    assert owner_slug("Front desk (José)") == "front-desk-jose"
    assert owner_slug("***") == "owner"
    item = ExceptionItem(
        owner="", request_id="r", patient_id="p", reason_code="x", suggested_action=""
    )
    same = [item.model_copy(update={"owner": o}) for o in ("Dana", "dana", "Index", "***")]
    assert [d.slug for d in digest_by_owner(same)] == ["dana", "dana-2", "index-2", "owner"]


# --- medspa exceptions ----------------------------------------------------------------------


def _solve(scenario: Path, out: Path) -> None:
    """`medspa solve` of the scenario file into `out`, which must succeed."""
    command = ["solve", str(scenario), "--out", str(out), "--time-limit", "5", "--workers", "1"]
    outcome = runner.invoke(app, [*command, "--quiet"])
    assert outcome.exit_code == 0, outcome.output


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the week of `_clinic` (clinic.yaml, its per-reason owner billing) and
    what `medspa solve` wrote for it (week/)."""
    folder = tmp_path_factory.mktemp("solve")
    save_scenario(_clinic(exception_owners={"deposit_unpaid": "billing"}), folder / "clinic.yaml")
    _solve(folder / "clinic.yaml", folder / "week")
    return folder


def test_the_command_prints_a_table_per_owner_without_names_and_writes_the_pages(
    solved: Path,
) -> None:
    week_dir = solved / "week"
    outcome = runner.invoke(app, ["exceptions", str(week_dir)])
    assert outcome.exit_code == 0, outcome.output
    printed = outcome.output
    owners = [
        line.split(":")[0]
        for line in printed.splitlines()
        if line.rstrip().endswith((": 1", ": 2", ": 4"))
    ]
    assert owners == ["dana", "lee", "billing", "sam"]
    assert "filler_tue_vip" in printed and "collect the deposit, then book" in printed
    assert not any(name in printed for name in NAMES)
    assert "Traceback" not in printed
    assert (week_dir / "digest" / "lee.html").is_file()
    assert "Vera Ip" in (week_dir / "digest" / "lee.md").read_text(encoding="utf-8")
    _solve(solved / "clinic.yaml", week_dir)  # the folder, digest and all, is medspa's
    assert not (week_dir / "digest").exists()  # gone with the old set it was made of


def test_json_tells_each_owner_their_exceptions_without_names(solved: Path, tmp_path: Path) -> None:
    outcome = runner.invoke(
        app, ["exceptions", str(solved / "week"), "--out", str(tmp_path / "mail"), "--json"]
    )
    assert outcome.exit_code == 0, outcome.output
    told = json.loads(outcome.stdout)
    assert told["exceptions"] == 9
    assert [(o["owner"], o["count"]) for o in told["owners"]] == [
        ("dana", 2),
        ("lee", 4),
        ("billing", 1),
        ("sam", 2),
    ]
    assert told["owners"][2]["exceptions"][0]["request_id"] == "laser_wed"
    assert not any(name in outcome.stdout for name in NAMES)
    assert str(tmp_path / "mail" / "digest" / "sam.html") in told["wrote"]
    assert not (solved / "week" / "digest").exists()


def test_an_empty_queue_says_so_and_leaves_only_the_index(tmp_path: Path) -> None:
    write_csv(exceptions_frame([]), tmp_path / "exceptions.csv")
    outcome = runner.invoke(app, ["exceptions", str(tmp_path)])
    assert outcome.exit_code == 0, outcome.output
    assert "the exception queue is empty; nobody has anything to handle" in outcome.output
    assert sorted(p.name for p in (tmp_path / "digest").iterdir()) == [
        ".medspa-outputs.json",
        "index.html",
        "index.md",
    ]
    assert "nobody has anything to handle" in (tmp_path / "digest" / "index.md").read_text()


def _broken(tmp_path: Path, text: str) -> Path:
    (tmp_path / "exceptions.csv").write_text(text, encoding="utf-8")
    return tmp_path


HEADER = ",".join(exceptions_frame([]).columns)


@pytest.mark.parametrize(
    ("folder", "says"),
    [
        (lambda tmp: tmp / "nowhere", "nowhere: folder not found; give the folder"),
        (lambda tmp: tmp, "exceptions.csv: file not found: the folder holds no exception queue"),
        (
            lambda tmp: _broken(tmp, "day,request_id\n2026-12-07,r1\n"),
            "exceptions.csv: line 1 (the header): missing column(s) owner, reason_code",
        ),
        (
            lambda tmp: _broken(tmp, f"{HEADER}\n2026-12-07,,,r1,p1,,,,,,x,,\n"),
            "exceptions.csv: line 2 (id 'r1'): no owner; every row needs them",
        ),
        (lambda tmp: _broken(tmp, '"a,b\n'), "exceptions.csv: not a readable CSV file"),
    ],
)
def test_bad_input_names_the_file_and_writes_nothing(
    tmp_path: Path, folder: Callable[[Path], Path], says: str
) -> None:
    given = folder(tmp_path)
    outcome = runner.invoke(app, ["exceptions", str(given)])
    assert outcome.exit_code == 2
    assert says in outcome.output
    assert "Traceback" not in outcome.output
    assert not (tmp_path / "digest").exists()
