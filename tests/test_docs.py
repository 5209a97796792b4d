"""The README and the docs tell the truth: every shell command of the README runs as written
(in a scratch folder holding the project's scenarios and test data), every event example of
its table re-plans the sample, the quoted error is the real one, and docs/scenario.md names
every field of the scenario file.

The commands and examples run with their search limit cut to SEARCH_CAP seconds: they must run
and write what they say, how good a schedule a longer search finds is the solver tests' part."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from models.scenario import Scenario
from solver.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
SETUP = {"make", "source"}
"""Set-up commands of the README (make demo, make test, activating the venv): not re-run."""
SEARCH_CAP = 1.0
"""The longest search, in seconds, a command or example of the README gets here."""
LIMIT = re.compile(r"(--time-limit[ =]|time_limit=)(\d+(?:\.\d+)?)\b")
"""A search limit in a command line or a Python call."""


def capped(text: str) -> str:
    """`text` with every search limit longer than SEARCH_CAP cut to it (others as written)."""
    return LIMIT.sub(lambda m: f"{m[1]}{min(float(m[2]), SEARCH_CAP):g}", text)


def _blocks(language: str) -> list[str]:
    """The text of the README's fenced blocks of this language ("" for plain ones)."""
    blocks, current, inside = [], [], None
    for line in README.splitlines():
        if line.startswith("```"):
            if inside is None:
                inside, current = line[3:].strip(), []
            else:
                if inside == language:
                    blocks.append("\n".join(current) + "\n")
                inside = None
        elif inside is not None:
            current.append(line)
    return blocks


def shell_commands() -> list[list[str]]:
    """Every command of the README's bash blocks, continuation lines joined, comments left out,
    search limits capped."""
    commands = []
    for block in _blocks("bash"):
        for line in capped(block.replace("\\\n", " ")).splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] not in SETUP:
                commands.append(words)
    return commands


def _run(words: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    program = BIN / words[0]
    command = [str(program) if program.exists() else words[0], *words[1:]]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the sample and the test data, where the README's tour has been run."""
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "scenarios", folder / "scenarios")
    shutil.copytree(ROOT / "tests" / "data", folder / "tests" / "data")
    for words in shell_commands():
        result = _run(words, folder)
        # 1: audit warnings, or no option for the call (the solve decides)
        allowed = {0, 1} if words[:2] in (["medspa", "audit"], ["medspa", "slots"]) else {0}
        assert result.returncode in allowed, f"{shlex.join(words)}:\n{result.stderr}"
    return folder


@pytest.mark.slow
def test_the_tour_runs_as_written_and_writes_what_it_says(scratch: Path) -> None:
    written = re.findall(r"#\s+(out/[\w/]+\.\w+)", README)
    assert written, "the tour names its outputs"
    missing = [path for path in written if not (scratch / path).exists()]
    assert missing == []


@pytest.mark.slow
@pytest.mark.parametrize("code", _blocks("python"), ids=lambda code: code.splitlines()[-1][:40])
def test_each_python_example_runs(scratch: Path, code: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", capped(code)],
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def _event_examples() -> list[str]:
    table = README[README.index("| event | example") :].split("\n\n")[0]
    return [re.findall(r"`([^`]+)`", row.split("|")[2])[0] for row in table.splitlines()[2:]]


@pytest.mark.slow
@pytest.mark.parametrize("event", _event_examples())
def test_each_event_example_re_plans_the_sample(
    scratch: Path, event: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In this process (the tour ran the command line itself): the re-plan and its check."""
    now = re.search(r"at `--now (\S+)`", README)
    assert now is not None
    monkeypatch.chdir(scratch)
    out = f"out/event_{event.split(':')[0]}"
    command = ["reshuffle", "scenarios/sample_clinic.yaml"]
    command += ["--schedule", "out/week/schedule.csv", "--event", event, "--now", now[1]]
    command += ["--out", out, "--time-limit", "0.5", "--workers", "1", "--deterministic"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    checked = CliRunner().invoke(
        app, ["check", f"{out}/scenario.yaml", "--schedule", f"{out}/schedule.csv"]
    )
    assert checked.exit_code == 0, checked.output


def test_the_quoted_error_is_the_real_one(tmp_path: Path) -> None:
    quoted = [
        line
        for block in _blocks("")
        for line in block.splitlines()
        if re.match(r"[\w/.-]+\.(yaml|json): ", line)
    ]
    assert quoted, "the README quotes an error"
    shutil.copytree(ROOT / "tests" / "data", tmp_path / "tests" / "data")
    for line in quoted:
        result = _run(["medspa", "audit", line.split(":")[0]], tmp_path)
        assert result.returncode == 2
        assert " ".join(line.split()) in " ".join((result.stdout + result.stderr).split())


def _models(model: type[BaseModel]) -> set[type[BaseModel]]:
    found = {model}
    for field in model.model_fields.values():
        for inner in re.findall(r"models\.scenario\.(\w+)", str(field.annotation)):
            found |= _models(getattr(sys.modules["models.scenario"], inner))
    return found


def test_docs_scenario_md_names_every_field_of_the_scenario_file() -> None:
    text = (ROOT / "docs" / "scenario.md").read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # the example is not the reference
    named = {word for span in re.findall(r"`([^`]+)`", text) for word in re.findall(r"\w+", span)}
    missing = sorted(
        f"{model.__name__}.{name}"
        for model in _models(Scenario)
        for name in model.model_fields
        if name not in named
    )
    assert missing == []


def test_the_cap_cuts_only_the_longer_search_limits() -> None:
    text = "--time-limit 10 --time-limit=0.5 time_limit=2, time_limit=0.25 --time-limit 0"
    assert (
        capped(text)
        == "--time-limit 1 --time-limit=0.5 time_limit=1, time_limit=0.25 --time-limit 0"
    )
