"""SearchParams: the defaults, a TOML file's overrides, and every bad entry reported as a
ScenarioError naming its key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from models.loader import ScenarioError
from solver.cpsat.params import SearchParams

DEFAULTS = {
    "bound_share": 0.1,
    "stall_share": 0.25,
    "stall_seconds": 5.0,
    "first_bound_share": 0.1,
    "first_bound_seconds": 0.5,
    "stall_step": 0.001,
    "seconds_per_deterministic_unit": 4.0,
    "piece_seconds": 0.1,
    "first_piece_size": 24,
    "smallest_piece_size": 8,
    "grow_by": 4,
    "shrink_factor": 0.8,
    "explore_share": 0.2,
    "reward_memory": 0.8,
    "waiting_per_provider_day": 12,
    "lp_seconds": 60.0,
}


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tuning.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list[tuple[str, str, str]]:
    with pytest.raises(ScenarioError) as caught:
        SearchParams.from_toml(path)
    assert caught.value.source == str(path)
    return [(p.code, p.where, p.message) for p in caught.value.problems]


def test_the_defaults_are_the_benchmarked_ones() -> None:
    assert dataclasses.asdict(SearchParams()) == DEFAULTS


def test_a_file_changes_only_what_it_lists(tmp_path: Path) -> None:
    path = _toml(tmp_path, "piece_seconds = 0.5\nfirst_piece_size = 32\nstall_seconds = 2\n")
    params = SearchParams.from_toml(path)
    changed = {"piece_seconds": 0.5, "first_piece_size": 32, "stall_seconds": 2}
    assert dataclasses.asdict(params) == DEFAULTS | changed
    assert SearchParams.from_toml(_toml(tmp_path, "")) == SearchParams()


def test_an_unknown_key_is_named_with_the_known_ones(tmp_path: Path) -> None:
    ((code, where, message),) = _problems(_toml(tmp_path, "piece_secs = 0.5\n"))
    assert (code, where) == ("unknown_field", "piece_secs")
    assert "piece_seconds" in message


@pytest.mark.parametrize(
    ("line", "key", "hint"),
    [
        ('piece_seconds = "fast"', "piece_seconds", "write a number"),
        ("lp_seconds = true", "lp_seconds", "write a number"),
        ("grow_by = [1, 2]", "grow_by", "write a number"),
        ("first_piece_size = 2.5", "first_piece_size", "write a whole number"),
    ],
)
def test_a_value_that_is_not_a_number_of_the_right_kind_is_named(
    tmp_path: Path, line: str, key: str, hint: str
) -> None:
    ((code, where, message),) = _problems(_toml(tmp_path, line + "\n"))
    assert (code, where) == ("invalid_value", key)
    assert message.startswith(hint)


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("piece_seconds = 0", "piece_seconds"),
        ("smallest_piece_size = -3", "smallest_piece_size"),
        ("explore_share = 1.5", "explore_share"),
        ("stall_step = 2", "stall_step"),
    ],
)
def test_an_out_of_range_value_is_named(tmp_path: Path, line: str, key: str) -> None:
    path = _toml(tmp_path, line + "\n")
    ((code, where, message),) = _problems(path)
    assert (code, where) == ("invalid_value", key)
    assert message.startswith(("must be more than 0", "is a share"))
    with pytest.raises(ScenarioError, match=key):
        SearchParams.from_toml(path)


def test_every_bad_entry_is_reported_at_once(tmp_path: Path) -> None:
    path = _toml(tmp_path, 'nope = 1\ngrow_by = "x"\npiece_seconds = 1\n')
    assert [where for _, where, _ in _problems(path)] == ["nope", "grow_by"]


def test_a_missing_or_unreadable_file_is_a_scenario_error(tmp_path: Path) -> None:
    assert [code for code, _, _ in _problems(tmp_path / "absent.toml")] == ["file_not_found"]
    assert [code for code, _, _ in _problems(_toml(tmp_path, "piece_seconds = \n"))] == [
        "invalid_toml"
    ]


def test_an_out_of_range_value_in_a_file_names_its_parameter(tmp_path: Path) -> None:
    path = _toml(tmp_path, "grow_by = 0\nshrink_factor = 2.0\npiece_seconds = 0.5\n")
    assert _problems(path) == [
        ("invalid_value", "grow_by", "must be more than 0 (got 0)"),
        ("invalid_value", "shrink_factor", "is a share: at most 1 (got 2.0)"),
    ]


def test_building_out_of_range_parameters_directly_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="grow_by must be more than 0") as caught:
        SearchParams(grow_by=0, shrink_factor=2.0)
    assert "shrink_factor is a share" in str(caught.value)
