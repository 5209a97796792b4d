"""Day parts: a request's preferred times written as 'morning', resolved to ranges once when
the scenario is validated, the defaults redefined or added to in policies.day_parts."""

from __future__ import annotations

from typing import Any

import pytest

from models.loader import ScenarioError, scenario_from_data
from models.scenario import Request, Scenario
from tests.conftest import build, clinic_data, request


def with_preferred(times: list[Any], **policies: Any) -> Scenario:
    """The default clinic with one request preferring `times`, under these policies."""
    return build(policies=policies, requests=[request("r1", "p0", "botox", preferred_times=times)])


def ranges(scenario: Scenario) -> list[str]:
    return [str(r) for r in scenario.requests[0].preferred_ranges]


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        (["morning"], ["00:00-12:00"]),
        (["Afternoon"], ["12:00-17:00"]),
        ([" EVENING "], ["17:00-24:00"]),
        (["am", "PM"], ["00:00-12:00", "12:00-24:00"]),
        (["09:00-10:00", "evening"], ["09:00-10:00", "17:00-24:00"]),
    ],
)
def test_default_day_parts_ignore_case_and_spaces(times: list[str], expected: list[str]) -> None:
    assert ranges(with_preferred(times)) == expected


def test_the_clinic_redefines_a_day_part_and_adds_its_own() -> None:
    scenario = with_preferred(
        ["Morning", "lunch", "afternoon"],
        day_parts={"morning": "09:00-11:00", "Lunch": ["11:30-12:00", "12:30-13:30"]},
    )
    assert ranges(scenario) == ["09:00-11:00", "11:30-12:00", "12:30-13:30", "12:00-17:00"]


def test_what_the_clinic_wrote_is_kept_and_reloads_to_the_same_ranges() -> None:
    scenario = with_preferred(["Lunch", "09:00-10:00"], day_parts={"lunch": "12:00-13:00"})
    data = scenario.model_dump(mode="json")
    assert data["requests"][0]["preferred_times"] == ["Lunch", "09:00-10:00"]
    assert data["policies"]["day_parts"] == {"lunch": ["12:00-13:00"]}
    again = scenario_from_data(data)
    assert again.requests[0].preferred_ranges == scenario.requests[0].preferred_ranges


def test_a_request_alone_knows_the_default_day_parts() -> None:
    alone = Request.model_validate(request("r1", "p0", "botox", preferred_times=["pm"]))
    assert [str(r) for r in alone.preferred_ranges] == ["12:00-24:00"]


def problems(**sections: Any) -> list[tuple[str, str]]:
    """(where, message) of every problem loading the default clinic with these sections."""
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(clinic_data(**sections))
    return [(p.where, p.message) for p in caught.value.problems]


def test_an_unknown_day_part_names_the_item_the_known_parts_and_how_to_define_it() -> None:
    [(where, message)] = problems(
        policies={"day_parts": {"lunch": "12:00-13:00"}},
        requests=[request("r1", "p0", "botox", preferred_times=["morning", "Brunch"])],
    )
    assert where == "requests[0] (id 'r1').preferred_times[1]"
    assert message == (
        "unknown day part 'Brunch'; write a time range 'HH:MM-HH:MM', one of the day parts "
        "(afternoon, am, evening, lunch, morning, pm), or define it in policies.day_parts as "
        "brunch: 'HH:MM-HH:MM'"
    )


@pytest.mark.parametrize(
    ("times", "message"),
    [
        (["9am"], "'9am' is neither a time range ('HH:MM-HH:MM' or '9am-12pm') nor a day part"),
        ([9], "9 is neither a time range"),
        (["morn!ng"], "'morn!ng' is not a day part name; start it with a letter"),
        (["12:00-09:00"], "'12:00-09:00' ends before it starts"),
        (["09:00-25:00"], "'25:00' is not a time of day"),
    ],
)
def test_a_preferred_time_that_is_neither_range_nor_name_is_refused(
    times: list[Any], message: str
) -> None:
    [(where, found)] = problems(requests=[request("r1", "p0", "botox", preferred_times=times)])
    assert where == "requests[0] (id 'r1').preferred_times[0]"
    assert message in found


@pytest.mark.parametrize(
    ("day_parts", "where", "message"),
    [
        ({"lunch": []}, "policies.day_parts", "day part 'lunch' has no time"),
        (
            {"Lunch": "12:00-13:00", "lunch": "12:00-14:00"},
            "policies.day_parts",
            "day parts 'Lunch' and 'lunch' are one name (case does not count); keep one",
        ),
        ({"12-1": "12:00-13:00"}, "policies.day_parts.12-1", "'12-1' is not a day part name"),
        ({"lunch": "13:00-12:00"}, "policies.day_parts.lunch[0]", "ends before it starts"),
        ({"lunch": 12}, "policies.day_parts.lunch", "12 is not a time range; write it as"),
    ],
)
def test_bad_day_part_definitions_are_refused(
    day_parts: dict[str, Any], where: str, message: str
) -> None:
    [(found_where, found)] = problems(policies={"day_parts": day_parts})
    assert found_where == where
    assert message in found


@pytest.mark.parametrize("name", ["x" * 3000, "9" + "x" * 3000, "x" * 2000 + "!"])
def test_a_long_day_part_name_is_refused_quoting_only_an_excerpt(name: str) -> None:
    data = clinic_data(requests=[request("r1", "p1", "botox", preferred_times=[name])])
    with pytest.raises(ScenarioError) as error:
        scenario_from_data(data)
    assert max(len(line) for line in error.value.report().splitlines()) < 400
