"""The JSON Schema of `medspa schema` describes the files the loader accepts: every good file,
the sample, generated clinics and what the project writes validate against it, and every bad
file the loader rejects for its shape fails it. Files rejected for how their values relate to
each other (or to the world) may pass it; they are listed below, each with its reason."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from models.loader import ScenarioError, load_scenario, read_data, scenario_to_data
from models.scenario import Scenario
from models.times import RANGE_SCHEMA, parse_clock
from scenarios.generator import generate_scenario
from tests.models.test_loader import BAD, GOOD, MANIFEST

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Scenario.model_json_schema()
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)

ACCEPTED = sorted([*GOOD.iterdir(), *(ROOT / "scenarios").glob("*.yaml")])

NOT_DATA = {
    "duplicate_json_key.json": "a key written twice is gone once the file is parsed",
    "duplicate_yaml_key.yaml": "a key written twice is gone once the file is parsed",
    "json_syntax_error.json": "not JSON",
    "yaml_syntax_error.yaml": "not YAML",
    "not_utf8.yaml": "not text",
    "alias_billion_laughs.yaml": "aliases beyond the limit are refused while reading",
    "nested_too_deep.yaml": "nesting beyond the limit is refused while reading",
    "nested_too_deep.json": "nesting beyond the limit is refused while reading",
    "int_tag_on_text.yaml": "a YAML tag on a value it does not fit",
}
"""Bad files that never become data to hold against a schema."""

_ORDER = "the order of two values of one item"
_ID = "an id that must be defined elsewhere in the file"
_UNIQUE = "ids unique across items"
_GRID = "times and minutes against clinic.slot_minutes"
_HORIZON = "dates against clinic.horizon"
BEYOND_SHAPE = {
    "booking_outside_horizon.yaml": _HORIZON,
    "request_outside_horizon.yaml": _HORIZON,
    "duplicate_patient_id.yaml": _UNIQUE,
    "duplicate_provider_id.yaml": _UNIQUE,
    "duplicate_request_and_booking_id.yaml": _UNIQUE,
    "duplicate_service_id.json": _UNIQUE,
    "earliest_after_latest.yaml": _ORDER,
    "time_off_until_before_date.yaml": _ORDER,
    "out_of_service_backwards.yaml": _ORDER,
    "weekly_range_ends_before_start.yaml": "the order of a range's two times",
    "quiet_hours_equal_ends.yaml": "quiet hours whose two times are equal",
    "duplicate_weekday.yaml": "two keys naming one weekday (mon and Monday)",
    "finish_without_processing.yaml": "a field allowed only when another is set",
    "off_grid_booking_start.yaml": _GRID,
    "booking_start_seconds.yaml": _GRID,
    "booking_in_clock_gap.yaml": "local times against the clinic's daylight-saving changes",
    "out_of_service_mixed_offsets.yaml": "how two times of one span are written",
    "off_grid_buffer.yaml": _GRID,
    "off_grid_duration.yaml": _GRID,
    "off_grid_hours.yaml": _GRID,
    "off_grid_time_off_hours.yaml": _GRID,
    "off_grid_weekly_hours.yaml": _GRID,
    "weekly_ranges_overlap.yaml": "ranges of one day against each other",
    "visit_two_patients.yaml": "the patients of requests sharing a visit id",
    "qualifies_on_a_treatment.yaml": "a field allowed only on a consult service",
    "qualifies_unknown_service.yaml": "the ids and categories of the file's own services",
    "preferred_provider_unknown.yaml": _ID,
    "required_provider_unknown.yaml": _ID,
    "unknown_equipment_in_service.yaml": _ID,
    "unknown_patient_in_booking.yaml": _ID,
    "unknown_patient_in_request.yaml": _ID,
    "unknown_preferred_service.json": _ID,
    "unknown_provider_in_booking.yaml": _ID,
    "unknown_room_in_booking.yaml": _ID,
    "unknown_service_in_booking.yaml": _ID,
    "unknown_service_in_history.yaml": _ID,
    "unknown_service_in_provider.yaml": _ID,
    "unknown_service_in_request.yaml": _ID,
    "unknown_day_part.yaml": "a day part the file's own policies.day_parts may define",
    "unknown_timezone.yaml": "a name of the IANA timezone database",
}
"""Bad files the loader rejects for more than their shape, and the check they fail."""

SHAPE_ONLY = sorted(set(MANIFEST) - set(NOT_DATA) - set(BEYOND_SHAPE))


def schema_errors(data: Any) -> list[str]:
    """Each place where `data` breaks the schema, as 'path: what'."""
    return [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        for error in VALIDATOR.iter_errors(data)
    ]


def test_the_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", ACCEPTED, ids=lambda path: path.name)
def test_every_file_the_loader_accepts_validates(path: Path) -> None:
    scenario = load_scenario(path)
    assert schema_errors(read_data(path)) == []
    assert schema_errors(scenario_to_data(scenario)) == []  # what save_scenario writes
    assert schema_errors(scenario.model_dump(mode="json")) == []  # a re-plan's state


@pytest.mark.parametrize(("requests", "providers", "seed"), [(40, 3, 0), (150, 6, 1), (400, 9, 2)])
def test_generated_clinics_validate(requests: int, providers: int, seed: int) -> None:
    scenario = generate_scenario(requests, providers, seed=seed)
    assert schema_errors(scenario.model_dump(mode="json")) == []
    assert schema_errors(scenario_to_data(scenario)) == []


@pytest.mark.parametrize("name", SHAPE_ONLY)
def test_a_file_rejected_for_its_shape_fails_the_schema(name: str) -> None:
    with pytest.raises(ScenarioError):
        load_scenario(BAD / name)
    assert schema_errors(read_data(BAD / name)) != []


@pytest.mark.parametrize("name", sorted(BEYOND_SHAPE))
def test_a_file_rejected_beyond_its_shape_is_listed_because_it_passes(name: str) -> None:
    with pytest.raises(ScenarioError):
        load_scenario(BAD / name)
    assert schema_errors(read_data(BAD / name)) == [], "it fails the schema: not a listed one"


@pytest.mark.parametrize("name", sorted(NOT_DATA))
def test_a_file_that_is_not_data_is_refused_before_any_schema(name: str) -> None:
    with pytest.raises(ScenarioError):
        read_data(BAD / name)


def test_the_lists_name_bad_files_only_and_leave_shapes_to_check() -> None:
    assert set(NOT_DATA) | set(BEYOND_SHAPE) <= set(MANIFEST)
    assert len(SHAPE_ONLY) >= 25


_CLOCKISH = st.from_regex(r"\A ?[0-9]{1,3}(:[0-9]{1,3})? ?([AaPp]\.?[Mm]\.?)? ?\Z")
"""Text like times of day, both kinds: "09:30", "9:5", "9am", "13 PM", "12:60p.m."."""


@given(_CLOCKISH, _CLOCKISH)
def test_the_range_pattern_accepts_the_times_the_loader_reads(first: str, second: str) -> None:
    def readable(text: str) -> bool:
        try:
            parse_clock(text)
        except ValueError:
            return False
        return True

    matches = re.match(RANGE_SCHEMA["pattern"], f"{first}-{second}") is not None
    assert matches == (readable(first) and readable(second))
