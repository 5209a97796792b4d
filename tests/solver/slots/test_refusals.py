"""A call that cannot be booked at all: the refusal's reason code and the suggested action,
from the API and from the command line (exit 1, both printed)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from models.reason_codes import SUGGESTED_ACTIONS
from models.scenario import Scenario
from solver.cli import app
from solver.slots import ranked
from solver.slots.show import OPTION_COLUMNS, option_row
from solver.slots.why_not import why_not
from tests.conftest import MINI_WEEK, mini_clinic, patient, provider, service
from tests.solver.slots.planted import call_on, monday, saved

runner = CliRunner()


def _clinic() -> Scenario:
    return mini_clinic(
        services=[service("botox"), service("filler"), service("peel", deposit=50)],
        providers=[provider("rn", ["botox", "peel"], MINI_WEEK)],
        patients=[patient("p1"), patient("p2", deposit_on_file=True)],
    )


def test_a_service_nobody_may_perform_is_refused_with_its_action() -> None:
    call = call_on(_clinic(), "p1", "filler")
    assert call.job is None
    answer = ranked(call, max_moves=2)
    assert answer.options == []
    assert answer.refusal is not None
    assert answer.refusal.code == "no_permitted_provider"
    assert answer.refusal.action == SUGGESTED_ACTIONS["no_permitted_provider"]
    assert "filler" in answer.refusal.detail
    # why not then? answers with the same refusal and no verdicts
    told = why_not(call, monday(call.scenario, 10))
    assert told.refusal == answer.refusal and told.verdicts == []


def test_an_unpaid_deposit_is_refused_and_a_paid_one_or_a_card_on_file_is_offered() -> None:
    scenario = _clinic()
    answer = ranked(call_on(scenario, "p1", "peel"))
    assert answer.refusal is not None
    assert answer.refusal.code == "deposit_unpaid"
    assert answer.refusal.action == "collect the deposit, then book"
    assert "deposit of $50.00 not paid" in answer.refusal.detail
    assert ranked(call_on(scenario, "p1", "peel", deposit_paid=True)).options
    assert ranked(call_on(scenario, "p2", "peel")).options


def test_the_command_exits_1_printing_the_code_and_the_suggested_action(tmp_path: Path) -> None:
    scenario_file, schedule_file = saved(_clinic(), tmp_path)
    base = ["slots", str(scenario_file), "--schedule", str(schedule_file), "--patient", "p1"]
    for what, code in (("filler", "no_permitted_provider"), ("peel", "deposit_unpaid")):
        result = runner.invoke(app, [*base, "--service", what])
        assert result.exit_code == 1, result.output
        assert f"no option: {code}: " in result.output
        assert f"suggested: {SUGGESTED_ACTIONS[code]}" in result.output
        assert "Traceback" not in result.output
        asked = runner.invoke(app, [*base, "--service", what, "--at", "2026-12-07T10:00"])
        assert asked.exit_code == 1, asked.output
        assert f"no option: {code}: " in asked.output
    liked = runner.invoke(app, [*base, "--service", "filler", "--prefer-provider", "rn"])
    assert liked.exit_code == 2, liked.output
    assert "'rn' may not do filler, so preferring them changes nothing" in liked.output
    paid = runner.invoke(app, [*base, "--service", "peel", "--deposit-paid"])
    assert paid.exit_code == 0, paid.output
    assert "Options for p1, peel:" in paid.output


def test_with_no_option_take_books_nothing_and_out_writes_the_header_only(tmp_path: Path) -> None:
    scenario_file, schedule_file = saved(_clinic(), tmp_path)
    base = ["slots", str(scenario_file), "--schedule", str(schedule_file), "--patient", "p1"]
    base += ["--service", "filler", "--out", str(tmp_path / "out")]
    result = runner.invoke(app, [*base, "--take", "1"])
    assert result.exit_code == 1, result.output
    assert "no option: no_permitted_provider: " in result.output
    assert "wrote" not in result.output and not (tmp_path / "out").exists()
    result = runner.invoke(app, base)
    assert result.exit_code == 1, result.output
    assert (tmp_path / "out" / "options.csv").read_text().splitlines() == [",".join(OPTION_COLUMNS)]


def test_the_options_columns_are_the_rows_keys() -> None:
    (option,) = ranked(call_on(_clinic(), "p1", "botox"), top=1).options
    assert list(option_row(1, option)) == OPTION_COLUMNS
