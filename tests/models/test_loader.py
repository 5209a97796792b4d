"""Loading and saving scenario files: the corpus of bad files, YAML/JSON parity, round trips."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from models.loader import ScenarioError, load_scenario, save_scenario, scenario_from_data
from models.times import MINUTES_PER_DAY, WEEKDAYS, format_clock

DATA = Path(__file__).parents[1] / "data"
BAD = DATA / "bad"
GOOD = DATA / "good"
MANIFEST: dict[str, dict[str, str]] = yaml.safe_load(
    (BAD / "expected.yaml").read_text(encoding="utf-8")
)


def rejected(path: Path) -> ScenarioError:
    """The error loading `path` raises (fails the test if it loads)."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_bad_file_is_rejected_with_its_own_message(name: str) -> None:
    path = BAD / name
    error = rejected(path)
    report = error.report()
    expected = MANIFEST[name]
    assert all(line.startswith(f"{path}: ") for line in report.splitlines()), report
    assert len(error.problems) == 1, report
    assert expected["path"] in error.problems[0].where, report
    assert expected["message"] in error.problems[0].message, report
    assert f"{expected['path']}: " in report or not expected["path"]


def test_manifest_lists_exactly_the_bad_files() -> None:
    on_disk = {path.name for path in BAD.iterdir()} - {"expected.yaml"}
    assert on_disk == set(MANIFEST)
    assert len(on_disk) >= 30
    assert all(set(entry) == {"path", "message"} for entry in MANIFEST.values())


SEVERAL_ERRORS = """\
clinic:
  name: Several Errors Spa
  timezone: Mars/Olympus
  horizon: {start: 2026-03-09, days: 0}
  hours: {mon: "09:00-18:00", thrusday: "09:00-18:00"}
services:
  - {id: botox, name: Botox, category: injectable, duration: 30, room_types: [injection]}
patients:
  - {id: p1, tier: gold, favourite_colour: blue}
"""

SEVERAL_CROSS_REFERENCE_ERRORS = """\
clinic:
  name: Several Errors Spa
  timezone: America/New_York
  horizon: {start: 2026-03-09, days: 5}
services:
  - {id: botox, name: Botox, category: treatment, duration: 31, room_types: [injection]}
  - {id: botox, name: Botox again, category: treatment, duration: 30, room_types: [injection]}
patients:
  - {id: p1}
requests:
  - {id: r1, patient: p2, service: filler, earliest: 2026-03-09, latest: 2026-03-13}
"""


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        (
            SEVERAL_ERRORS,
            [
                "clinic.timezone",
                "clinic.horizon.days",
                "clinic.hours.thrusday",
                "services[0] (id 'botox').category",
                "patients[0] (id 'p1').tier",
                "patients[0] (id 'p1').favourite_colour",
            ],
        ),
        (
            SEVERAL_CROSS_REFERENCE_ERRORS,
            [
                "services[1] (id 'botox').id",
                "requests[0] (id 'r1').patient",
                "requests[0] (id 'r1').service",
                "services[0] (id 'botox').duration",
            ],
        ),
    ],
    ids=["field_rules", "cross_references"],
)
def test_every_problem_of_a_file_is_reported_at_once(
    tmp_path: Path, text: str, paths: list[str]
) -> None:
    path = tmp_path / "several_errors.yaml"
    path.write_text(text, encoding="utf-8")
    error = rejected(path)
    assert [problem.where for problem in error.problems] == paths
    assert len(error.report().splitlines()) == len(paths)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    error = rejected(tmp_path / "nowhere.yaml")
    assert error.report() == f"{tmp_path / 'nowhere.yaml'}: file not found; check the path"


def test_dates_load_as_text_then_dates_whatever_the_format() -> None:
    scenario = load_scenario(GOOD / "minimal.yaml")
    assert scenario.clinic.horizon.start == date(2026, 3, 9)
    assert scenario.requests[0].requested_at == datetime(2026, 3, 1, 10, 15)


def test_yaml_and_json_versions_of_a_scenario_are_equal() -> None:
    from_yaml = load_scenario(GOOD / "minimal.yaml")
    from_json = load_scenario(GOOD / "minimal.json")
    assert from_yaml.model_dump() == from_json.model_dump()
    assert len(from_json.requests) == 4


def test_a_file_written_as_clinics_write_loads_and_saves_as_the_canonical_one(
    tmp_path: Path,
) -> None:
    written = load_scenario(GOOD / "written_forms.yaml")
    assert written.model_dump() == load_scenario(GOOD / "minimal.yaml").model_dump()
    save_scenario(written, tmp_path / "written.yaml")
    save_scenario(load_scenario(GOOD / "minimal.yaml"), tmp_path / "minimal.yaml")
    saved = (tmp_path / "written.yaml").read_text(encoding="utf-8")
    assert saved == (tmp_path / "minimal.yaml").read_text(encoding="utf-8")
    assert not [form for form in ("Monday", "VIP", "Treatment", "Waitlist", "9am") if form in saved]


@pytest.mark.parametrize(
    "name", ["minimal.yaml", "minimal.json", "dst_spring.yaml", "written_forms.yaml"]
)
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_save_and_load_round_trip(tmp_path: Path, name: str, suffix: str) -> None:
    scenario = load_scenario(GOOD / name)
    target = tmp_path / f"saved{suffix}"
    save_scenario(scenario, target)
    assert load_scenario(target).model_dump() == scenario.model_dump()
    assert [path.name for path in tmp_path.iterdir()] == [target.name]


def test_names_with_unicode_line_breaks_survive_saving_as_yaml(tmp_path: Path) -> None:
    data = yaml.safe_load((GOOD / "minimal.yaml").read_text(encoding="utf-8"))
    data["clinic"]["name"] = "Clínica\x85Estética\u2028Sur"
    scenario = scenario_from_data(data)
    save_scenario(scenario, tmp_path / "saved.yaml")
    assert load_scenario(tmp_path / "saved.yaml").clinic.name == "Clínica\x85Estética\u2028Sur"


# --- generated scenarios -----------------------------------------------------------------

IDS = st.from_regex(r"[A-Za-z0-9_.:\-]{1,10}", fullmatch=True)
NAMES = st.text(min_size=1, max_size=12)
TIMEZONES = st.sampled_from(["America/New_York", "Europe/Berlin", "Australia/Sydney", "UTC"])
GRIDS = st.sampled_from([5, 10, 15, 30, 60])


@st.composite
def day_ranges(draw: st.DrawFn, grid: int) -> list[str]:
    """Non-overlapping "HH:MM-HH:MM" ranges of one day on the booking grid."""
    slots = MINUTES_PER_DAY // grid
    cuts = draw(st.lists(st.integers(0, slots), min_size=2, max_size=6, unique=True))
    cuts = sorted(cuts)[: len(cuts) // 2 * 2]
    return [
        f"{format_clock(start * grid)}-{format_clock(end * grid)}"
        for start, end in zip(cuts[::2], cuts[1::2], strict=True)
    ]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Plain data of a small valid scenario."""
    grid = draw(GRIDS)
    first = draw(st.dates(date(2026, 1, 1), date(2027, 12, 31)))
    days = draw(st.integers(1, 14))
    ids = draw(st.lists(IDS, min_size=12, max_size=12, unique=True))
    room_types, service_ids, people, patients = ids[:2], ids[2:5], ids[5:7], ids[7:9]
    services = [
        {
            "id": service_id,
            "name": draw(NAMES),
            "category": draw(st.sampled_from(["consult", "treatment", "follow_up", "touch_up"])),
            "duration": grid * draw(st.integers(1, 6)),
            "room_types": draw(st.lists(st.sampled_from(room_types), min_size=1, unique=True)),
            "value": draw(st.floats(0, 2000, allow_nan=False)),
        }
        for service_id in service_ids
    ]
    providers = [
        {
            "id": person,
            "name": draw(NAMES),
            "role": draw(st.sampled_from(["rn_injector", "aesthetician", "medical_director"])),
            "services": draw(st.lists(st.sampled_from(service_ids), unique=True)),
            "weekly": {
                day: draw(day_ranges(grid))
                for day in draw(st.lists(st.sampled_from(WEEKDAYS), unique=True))
            },
        }
        for person in people
    ]
    requests = []
    for number, request_id in enumerate(ids[9:]):
        earliest, latest = sorted(draw(st.lists(st.integers(0, days - 1), min_size=2, max_size=2)))
        requests.append(
            {
                "id": request_id,
                "patient": patients[number % 2],
                "service": draw(st.sampled_from(service_ids)),
                "earliest": str(first + timedelta(days=earliest)),
                "latest": str(first + timedelta(days=latest)),
                "preferred_provider": draw(st.sampled_from([None, *people])),
                "priority": draw(st.none() | st.integers(1, 10)),
            }
        )
    return {
        "clinic": {
            "name": draw(NAMES),
            "timezone": draw(TIMEZONES),
            "slot_minutes": grid,
            "horizon": {"start": str(first), "days": days},
        },
        "services": services,
        "providers": providers,
        "rooms": [{"id": f"room_{kind}", "type": kind} for kind in room_types],
        "patients": [
            {"id": patient, "tier": draw(st.sampled_from(["vip", "member", "returning", "new"]))}
            for patient in patients
        ],
        "requests": requests,
    }


@settings(max_examples=40, deadline=None)
@given(data=scenarios())
def test_generated_scenarios_round_trip_through_files(data: dict[str, Any]) -> None:
    scenario = scenario_from_data(data)
    with tempfile.TemporaryDirectory() as folder:
        for suffix in (".yaml", ".json"):
            path = Path(folder) / f"scenario{suffix}"
            save_scenario(scenario, path)
            assert load_scenario(path).model_dump() == scenario.model_dump()


def test_quiet_hours_across_midnight_keep_their_meaning_through_saving(tmp_path: Path) -> None:
    scenario = load_scenario(GOOD / "minimal.yaml")
    quiet = scenario.policies.quiet_hours
    assert quiet is not None and str(quiet) == "21:00-08:00"
    assert [quiet.covers(hour * 60) for hour in (23, 0, 7, 8, 12, 20)] == [True] * 3 + [False] * 3
    save_scenario(scenario, tmp_path / "saved.yaml")
    assert load_scenario(tmp_path / "saved.yaml").policies.quiet_hours == quiet


def test_messages_quote_a_short_excerpt_and_escape_control_characters() -> None:
    from models.findings import Finding, excerpt

    assert excerpt("a" * 5_000_000) == f"'{'a' * 60}… (5,000,000 characters)'"
    assert excerpt(list(range(200_000))) == "a list of 200,000 items"
    assert str(Finding("x", "requests[0]", "id 'a\nforged: line'")).count("\n") == 0
