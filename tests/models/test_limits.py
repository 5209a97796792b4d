"""The limits of models.limits: what a file may hold (aliases, nesting, size, list lengths,
numbers), each refused as one clear problem at once, while ordinary aliases and merge keys
keep working; and the largest objective the limits allow fits int64 with room to spare."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from models import limits
from models.loader import ScenarioError, load_scenario, scenario_from_data, set_max_input_mb
from models.shapes import DATE_SCHEMA
from solver.cli import app
from tests import conftest as make
from tests.models.test_loader import BAD, GOOD

runner = CliRunner()


def problems_loading(tmp_path: Path, text: str, suffix: str = ".yaml") -> list[tuple[str, str]]:
    """(where, message) of each problem loading `text` as a file (fails if it loads)."""
    path = tmp_path / f"scenario{suffix}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [(problem.where, problem.message) for problem in caught.value.problems]


def as_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False)


# --- aliases and merge keys ---------------------------------------------------------------


def test_a_billion_laughs_in_a_category_is_refused_at_once_naming_the_line() -> None:
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BAD / "alias_billion_laughs.yaml")
    assert time.perf_counter() - started < 1
    [problem] = caught.value.problems
    assert (problem.code, problem.where) == ("too_many_aliases", "line 17, column 12")


def test_aliases_into_a_list_the_model_would_walk_are_bounded_too(tmp_path: Path) -> None:
    laughs = ["a0: &a0 [2026-03-11, 2026-03-11, 2026-03-11, 2026-03-11, 2026-03-11]"]
    laughs += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 5)}]" for i in range(1, 12)]
    text = "x:\n" + "".join(f"  {line}\n" for line in laughs) + "clinic: {closed_dates: *a11}\n"
    [(where, message)] = problems_loading(tmp_path, text)
    assert where.startswith("line ")
    assert f"more than {limits.MAX_ALIAS_NODES:,} values" in message


def test_an_alias_inside_what_it_stands_for_is_refused(tmp_path: Path) -> None:
    [(where, message)] = problems_loading(tmp_path, "clinic: &loop {name: *loop}\n")
    assert where == "line 1, column 22"
    assert "*loop stands for the list or mapping that holds it" in message


WITH_ALIASES = """\
clinic:
  name: Aliased Spa
  timezone: America/New_York
  horizon: {start: 2026-03-09, days: 5}
  hours: &weekdays {mon: "09:00-18:00", tue: "09:00-18:00"}
services:
  - &injectable {id: botox, name: Botox, category: treatment, duration: 30,
                 room_types: [injection]}
  - {<<: *injectable, id: filler, name: Filler, duration: 45}
  - <<: [{value: 100}, *injectable]
    id: peel
    name: Peel
providers:
  - {id: rn_kim, name: Kim, role: rn, services: [botox, filler, peel], weekly: *weekdays}
"""


def test_ordinary_aliases_and_merge_keys_load_and_a_key_after_a_merge_overrides(
    tmp_path: Path,
) -> None:
    path = tmp_path / "aliased.yaml"
    path.write_text(WITH_ALIASES, encoding="utf-8")
    scenario = load_scenario(path)
    botox, filler, peel = scenario.services
    assert (filler.id, filler.name, filler.duration, filler.room_types) == (
        "filler",
        "Filler",
        45,
        ["injection"],
    )
    assert (peel.duration, peel.value) == (30, 100)  # the first merged mapping wins
    assert botox.duration == 30  # the merge left what it merged alone
    weekly = {
        day: [str(hours) for hours in ranges]
        for day, ranges in scenario.providers[0].weekly.items()
    }
    assert weekly == {"mon": ["09:00-18:00"], "tue": ["09:00-18:00"]}


def test_a_key_written_twice_by_hand_next_to_a_merge_is_still_an_error(tmp_path: Path) -> None:
    text = WITH_ALIASES.replace("duration: 45}", "duration: 45, duration: 50}")
    [(where, message)] = problems_loading(tmp_path, text)
    assert where == "line 9, column 63"
    assert message == "invalid YAML: key 'duration' appears twice in one mapping; keep one"


# --- nesting ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["nested_too_deep.yaml", "nested_too_deep.json"])
def test_deep_nesting_is_one_problem_at_its_line_not_a_recursion_error(name: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BAD / name)
    [problem] = caught.value.problems
    assert problem.code == "too_deep"
    assert f"nested more than {limits.MAX_DEPTH} deep" in problem.message


def test_nesting_up_to_the_limit_is_read_and_aliases_count_their_depth(tmp_path: Path) -> None:
    inner = limits.MAX_DEPTH - 2  # the top mapping and its key's value hold the rest
    text = "clinic: " + "[" * inner + "]" * inner + "\n"
    [(where, _)] = problems_loading(tmp_path, text)
    assert where == "clinic"  # read; refused only for not being a clinic
    deep = "[" * (limits.MAX_DEPTH - 3) + "]" * (limits.MAX_DEPTH - 3)
    [(where, message)] = problems_loading(tmp_path, f"x: &deep {deep}\nclinic: [[[*deep]]]\n")
    assert (where, message[:30]) == ("line 2, column 12", "lists and mappings are nested ")


def test_brackets_inside_json_text_do_not_count_as_nesting(tmp_path: Path) -> None:
    data = yaml.safe_load((GOOD / "minimal.json").read_text(encoding="utf-8"))
    data["clinic"]["name"] = "[" * 1000 + '"{' * 100
    path = tmp_path / "brackets.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_scenario(path).clinic.name == data["clinic"]["name"]


# --- tags ---------------------------------------------------------------------------------


def test_a_timestamp_tag_is_read_like_any_other_time(tmp_path: Path) -> None:
    text = (GOOD / "minimal.yaml").read_text(encoding="utf-8")
    tagged = text.replace(
        "requested_at: 2026-03-01T10:15:00", "requested_at: !!timestamp 2026-03-01 10:15"
    )
    path = tmp_path / "tagged.yaml"
    path.write_text(tagged, encoding="utf-8")
    assert load_scenario(path).requests[0] == load_scenario(GOOD / "minimal.yaml").requests[0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!float thirty", "'thirty' is not a valid !!float; correct the value or remove the tag"),
        ("!!bool maybe", "'maybe' is not a valid !!bool"),
        ("!spa 30", "the tag '!spa' means nothing in a scenario file; remove it"),
        ("!!python/name:os.system", "means nothing in a scenario file; remove it"),
    ],
)
def test_a_tag_that_does_not_fit_is_invalid_yaml_at_its_line(
    tmp_path: Path, value: str, message: str
) -> None:
    [(where, text)] = problems_loading(tmp_path, f"clinic:\n  name: {value}\n")
    assert where == "line 2, column 9"
    assert text == f"invalid YAML: {message}" or message in text


# --- file size ----------------------------------------------------------------------------


@pytest.fixture
def one_mb_limit() -> Iterator[None]:
    set_max_input_mb(1)
    yield
    set_max_input_mb(limits.MAX_INPUT_MB)


def big_scenario(tmp_path: Path) -> Path:
    """A valid scenario file of about 1.2 MB (its clinic's name is long)."""
    data = yaml.safe_load((GOOD / "minimal.yaml").read_text(encoding="utf-8"))
    data["policies"]["escalation_owner"] = "x" * 1_200_000
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(data, width=10**7), encoding="utf-8")
    return path


@pytest.mark.usefixtures("one_mb_limit")
def test_a_file_beyond_the_size_limit_is_refused_with_its_size_the_limit_and_the_override(
    tmp_path: Path,
) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(big_scenario(tmp_path))
    [problem] = caught.value.problems
    assert problem.code == "file_too_large"
    assert problem.message == (
        "the file is 1.2 MB, larger than the 1 MB an input file may be; if it is meant to be "
        "this large, raise the limit with `medspa --max-input-mb 2 ...`"
    )


def test_the_size_limit_applies_to_a_pipe_whose_size_is_not_known(
    tmp_path: Path, one_mb_limit: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_scenario(tmp_path)
    monkeypatch.setattr(Path, "stat", lambda self, **_: type("S", (), {"st_size": 0})())
    with pytest.raises(ScenarioError, match="larger than the 1 MB"):
        load_scenario(path)


def test_max_input_mb_raises_the_limit_of_every_file_a_command_reads(tmp_path: Path) -> None:
    path = big_scenario(tmp_path)
    refused = runner.invoke(app, ["--max-input-mb", "1", "audit", str(path)])
    assert refused.exit_code == 2
    assert "raise the limit with `medspa --max-input-mb 2 ...`" in refused.output
    assert runner.invoke(app, ["--max-input-mb", "2", "audit", str(path)]).exit_code == 1
    schedule = tmp_path / "schedule.csv"
    schedule.write_text("x" * 1_500_000, encoding="utf-8")
    minimal = str(GOOD / "minimal.yaml")
    checked = runner.invoke(
        app, ["--max-input-mb", "1", "check", minimal, "--schedule", str(schedule)]
    )
    assert checked.exit_code == 2
    assert f"{schedule}: the file is 1.5 MB, larger than the 1 MB" in checked.output
    assert "Traceback" not in refused.output + checked.output


def test_max_input_mb_holds_for_an_events_file(tmp_path: Path) -> None:
    from solver.solve import solve

    schedule = tmp_path / "schedule.csv"
    result = solve(load_scenario(GOOD / "minimal.yaml"), time_limit=1, num_workers=1)
    result.frame.to_csv(schedule, index=False)
    events = tmp_path / "events.yaml"
    events.write_text("#" * 1_500_000, encoding="utf-8")
    options = ["--schedule", str(schedule), "--events", str(events), "--now", "2026-03-09T08:00"]
    command = ["reshuffle", str(GOOD / "minimal.yaml"), *options, "--out", str(tmp_path / "out")]
    replanned = runner.invoke(app, ["--max-input-mb", "1", *command])
    assert replanned.exit_code == 2, replanned.output
    assert f"{events}: the file is 1.5 MB, larger than the 1 MB" in replanned.output
    assert runner.invoke(app, command).exit_code == 0


# --- list lengths and the number of problems ----------------------------------------------


def test_a_list_beyond_its_limit_is_one_problem_with_the_limit(tmp_path: Path) -> None:
    data = make.clinic_data(requests=[{}] * (limits.MAX_REQUESTS + 1))
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(data)
    [problem] = caught.value.problems
    assert (problem.code, problem.where) == ("too_long", "requests")
    assert problem.message == (
        "holds 20,001 items, more than the 20,000 it may hold; remove some (or split the "
        "scenario into smaller ones)"
    )


def test_at_most_max_problems_are_listed_and_a_count_stands_for_the_rest() -> None:
    data = make.clinic_data(policies={"tier_weights": {f"gold{i}": 1 for i in range(200_000)}})
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(data)
    problems = caught.value.problems
    assert len(problems) == limits.MAX_PROBLEMS + 1
    assert problems[-1].message == (
        "199,900 more problems are not listed; fix these and check the file again"
    )
    assert len(caught.value.report()) < 30_000


# --- dates --------------------------------------------------------------------------------


def test_the_schema_pattern_of_dates_says_the_years_of_the_limits() -> None:
    import re

    pattern = DATE_SCHEMA["pattern"]
    for day in (limits.FIRST_DATE, limits.LAST_DATE):
        assert re.match(pattern, day.isoformat())
    assert not re.match(pattern, f"{limits.FIRST_DATE.year - 1}-12-31")
    assert not re.match(pattern, f"{limits.LAST_DATE.year + 1}-01-01")


# --- numbers: the objective stays far inside int64 -----------------------------------------


def test_displaced_patients_of_a_re_plan_keep_a_priority_the_limits_allow() -> None:
    from solver.replan.state import DISPLACED_PRIORITY_FACTOR

    assert DISPLACED_PRIORITY_FACTOR * limits.MAX_TIER_WEIGHT <= limits.MAX_PRIORITY


def test_the_largest_objective_the_limits_allow_fits_int64_many_times_over() -> None:
    """Every coefficient of the CP-SAT objective times the largest value of its variable
    (solver/cpsat/model.py), at the limits: CP-SAT refuses a model whose objective could
    overflow, and the solve would silently keep the front desk's schedule."""
    jobs = limits.MAX_REQUESTS + limits.MAX_BOOKINGS
    provider_days = limits.MAX_PROVIDERS * 366
    choices = jobs * provider_days  # one choice variable per job, provider and day at most
    slots = 366 * 1440 + 1  # the idle-slot variables' domain on a 1-minute grid
    longest = 3 * limits.MAX_SERVICE_MINUTES  # duration, processing and finish
    booked = limits.MAX_REQUESTS * limits.MAX_PRIORITY * longest
    per_choice = 3 * limits.MAX_PENALTY  # preferred provider and service, over daily bookings
    per_job = 2 * limits.MAX_PENALTY  # preferred time, moved booking
    idle = provider_days * slots * limits.MAX_PENALTY
    largest = booked + choices * per_choice + jobs * per_job + idle
    assert largest * 32 < 2**63


@pytest.mark.slow
def test_a_clinic_at_the_limits_is_solved_by_the_model_and_its_objective_checks_out() -> None:
    from checker import recompute_objective
    from models.scenario import PENALTY_NAMES
    from solver.solve import solve

    penalties = dict.fromkeys(PENALTY_NAMES, limits.MAX_PENALTY)
    scenario = make.build(
        clinic={"slot_minutes": 60, "hours": {"mon": "00:00-24:00"}},
        policies={"tier_weights": {"vip": limits.MAX_TIER_WEIGHT}, "penalties": penalties},
        services=[
            make.service("day", 480, processing=480, finish=480, value=limits.MAX_MONEY),
            make.service("botox", 60),
        ],
        providers=[
            make.provider("rn", ["day", "botox"], {"mon": "00:00-24:00"}),
            make.provider("np", ["botox"], {"mon": "00:00-24:00"}),
        ],
        rooms=[make.room("inj1", "injection"), make.room("inj2", "injection")],
        patients=[make.patient("p1", "vip"), make.patient("p2"), make.patient("p3")],
        requests=[
            make.request("r1", "p1", "day", priority=limits.MAX_PRIORITY),
            make.request("r2", "p2", "botox", preferred_provider="np"),
            make.request("r3", "p3", "botox", preferred_provider="np", preferred_times=["morning"]),
        ],
    )
    result = solve(scenario, time_limit=10, num_workers=1, seed=0)
    assert result.report.status == "optimal", result.report.notes
    idle = 8  # rn's slots of processing, between the hands-on parts of r1
    assert (
        result.report.objective == limits.MAX_PRIORITY * 1440 + 2 * 60 - idle * limits.MAX_PENALTY
    )
    assert recompute_objective(scenario, result.schedule).total == result.report.objective


def test_docs_scenario_md_states_the_limits() -> None:
    text = (Path(__file__).parents[2] / "docs" / "scenario.md").read_text(encoding="utf-8")
    table = text[text.index("## limits") :]
    numbers = [
        limits.MAX_INPUT_MB,
        limits.MAX_INPUT_MB_OVERRIDE,
        limits.MAX_DEPTH,
        limits.MAX_ALIAS_NODES,
        limits.MAX_REQUESTS,
        limits.MAX_PATIENTS,
        limits.MAX_SERVICES,
        limits.MAX_ENTRIES,
        limits.MAX_RANGES,
        limits.MAX_ID_CHARACTERS,
        limits.MAX_SERVICE_MINUTES,
        limits.MAX_NOTICE_HOURS,
        limits.MAX_DAYS_BETWEEN,
        limits.MAX_TIER_WEIGHT,
        limits.MAX_PRIORITY,
        limits.MAX_PENALTY,
        limits.MAX_UNITS,
        limits.MAX_DAILY_BOOKINGS,
        limits.MAX_MONEY,
        limits.MAX_PROBLEMS,
    ]
    assert [n for n in numbers if f"{n:,}" not in table] == []
    assert f"{limits.FIRST_DATE} to {limits.LAST_DATE}" in table


def test_max_input_mb_holds_for_its_command_only(tmp_path: Path) -> None:
    path = big_scenario(tmp_path)
    assert runner.invoke(app, ["--max-input-mb", "1", "audit", str(path)]).exit_code == 2
    assert load_scenario(path).clinic.name == "Minimal Med Spa"


@pytest.mark.parametrize(
    ("option", "limit"),
    [
        ("--requests", limits.MAX_REQUESTS),
        ("--providers", limits.MAX_PROVIDERS),
        ("--rooms", limits.MAX_ROOMS),
    ],
)
def test_generate_refuses_a_clinic_beyond_the_limits_before_building_it(
    option: str, limit: int
) -> None:
    result = runner.invoke(app, ["generate", option, str(limit + 1)])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
