"""The `medspa` command line: schema, audit, generate, solve, check, explain, reshuffle,
slots, compare, review, exceptions, calendars, batch and demo.

Bad input (a malformed file, an unknown id, an impossible window) prints every problem
with the file and the path inside it, and exits 2; never a traceback. Ctrl-C or SIGTERM
during solve, reshuffle or demo writes the best schedule found so far, or nothing if there is
none yet or on a second signal, and exits 128 + the signal's number (130, 143).
"""

from __future__ import annotations

import difflib
import json
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from models import limits
from models.audit import audit
from models.findings import Finding, excerpt, printable
from models.loader import (
    ScenarioError,
    check_input_size,
    load_scenario,
    save_scenario,
    set_max_input_mb,
    write_atomically,
)
from models.money import money
from models.results import (
    TIME_YEARS,
    Change,
    ExceptionItem,
    ProgressPoint,
    Schedule,
    ScheduleFileError,
    read_changes,
)
from models.scenario import Scenario
from models.times import MINUTES_PER_DAY
from solver.interrupt import Interrupted, Stop
from solver.outputs.folder import (
    DIGEST_FOLDER,
    OutputFolderError,
    file_problem,
    folder_problem,
    why_not,
)

app = typer.Typer(
    help="Schedule optimizer for med spas: check the rulebook, book the week, re-plan the day.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class _Screen(Console):
    """A console that wraps to a terminal's width and, writing to a pipe or a file, never
    wraps (a table prints full cells, a line stays one line); colour only on a terminal."""

    UNWRAPPED = 100_000
    """Columns of a pipe: more than any line the commands print."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.is_terminal else ConsoleDimensions(self.UNWRAPPED, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


out = _Screen()
err = _Screen(stderr=True)

ScenarioArg = Annotated[
    Path, typer.Argument(help="Scenario file (YAML or JSON).", metavar="SCENARIO")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
RunFolder = Annotated[
    Path,
    typer.Argument(
        metavar="DIR",
        help="The folder a solve or re-plan wrote (its schedule.csv, exceptions.csv, and "
        "changes.csv after a re-plan).",
        show_default=False,
    ),
]
IntoOption = Annotated[
    Path | None,
    typer.Option(
        "--out", metavar="OUTDIR", help="Write into OUTDIR (default: DIR).", show_default=False
    ),
]
NowOption = Annotated[
    str | None,
    typer.Option(
        "--now",
        metavar="TIME",
        help="Local time it is made (an offset is converted; default: now).",
    ),
]


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        print(f"medspa {version('medspa-scheduler')}")
        raise typer.Exit()


@app.callback()
def _global_options(
    context: typer.Context,
    _: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    max_input_mb: Annotated[
        int,
        typer.Option(
            "--max-input-mb",
            min=1,
            max=limits.MAX_INPUT_MB_OVERRIDE,
            help="Largest input file (scenario, schedule, events) to read, in MB.",
        ),
    ] = limits.MAX_INPUT_MB,
) -> None:
    """Options of every command: they come before its name, and hold for that command only."""
    set_max_input_mb(max_input_mb)
    context.call_on_close(lambda: set_max_input_mb(limits.MAX_INPUT_MB))


def _said(text: str) -> Text:
    """Text from a file, printed as written: no markup, control characters escaped."""
    return Text(printable(text))


@contextmanager
def _input_errors() -> Iterator[None]:
    """Print input problems (file, path, what, fix) and exit 2."""
    try:
        yield
    except ScenarioError as error:
        for line in error.report().splitlines():
            err.print(line, markup=False, highlight=False, soft_wrap=True)
        err.print(f"{len(error.problems)} problem(s); nothing was written.", style="bold red")
        raise typer.Exit(2) from None


def _load(path: Path) -> Scenario:
    with _input_errors():
        return load_scenario(path)


def _refuse_out(problem: Finding | None, option: str = "--out") -> None:
    """Exit 2 with the problem of the --out path (or of `option`), found before any work (None:
    it is usable)."""
    if problem is not None:
        with _input_errors():
            raise ScenarioError(option, [problem])


@contextmanager
def _writing(out_dir: Path, option: str = "--out") -> Iterator[None]:
    """Report outputs that could not be written (what was there is left as it was), exit 2."""
    with _input_errors():
        try:
            yield
        except OutputFolderError as error:
            raise ScenarioError(option, [error.problem]) from None
        except OSError as error:
            message = (
                f"could not write {excerpt(str(out_dir))} ({why_not(error)}); what was there is "
                f"unchanged; fix that or give {option} another path"
            )
            raise ScenarioError(option, [Finding("cannot_write", "", message)]) from None


OutputFile = Annotated[
    Path | None,
    typer.Option("--output", metavar="FILE", help="Write to this file (default: print it)."),
]
OldOutputFile = Annotated[
    Path | None,
    typer.Option("--out", metavar="FILE", hidden=True, help="The old name of --output."),
]


def _deprecated(note: str) -> None:
    """Say on stderr that a form still works and how to write it from now on."""
    err.print(f"note: {note}", highlight=False, soft_wrap=True)


def _output_file(output: Path | None, old: Path | None, example: str) -> tuple[Path | None, str]:
    """The file to write (None: print) and the option that named it: --output, or --out, its
    name before 0.2 (said on stderr); a file that cannot be written exits 2 before any work."""
    option = "--output"
    if old is not None:
        if output is not None:
            with _input_errors():
                message = "give the file once, as --output FILE (--out is its old name)"
                raise ScenarioError("--out", [Finding("two_outputs", "", message)])
        option, output = "--out", old
        _deprecated(
            "--out FILE is now --output FILE; --out will be refused here from medspa 0.2 "
            "(it names a folder in every other command)"
        )
    if output is not None:
        problem = file_problem(output, example)
        if problem is not None:
            problem = replace(problem, message=problem.message.replace("--out ", f"{option} "))
        _refuse_out(problem, option)
    return output, option


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class _Run:
    """A command that writes into `out_dir`, which Ctrl-C or SIGTERM can stop."""

    out_dir: Path
    stop: Stop = field(default_factory=Stop)
    started: float = field(default_factory=time.perf_counter)
    writing: bool = False


def _write(run: _Run, write: Callable[[Path], list[Path]]) -> list[Path]:
    """Write the outputs into the run's folder, noting meanwhile that the writing is under way
    (what a second signal then leaves there)."""
    run.writing = True
    paths = write(run.out_dir)
    run.writing = False
    return paths


def _signal_words(signum: int | None) -> str:
    return "Ctrl-C" if signum in (None, signal.SIGINT) else signal.Signals(signum).name


def _signal_exit(signum: int | None) -> typer.Exit:
    """Exit 128 + the signal's number, as a shell reports a command a signal ended."""
    return typer.Exit(128 + (signum or signal.SIGINT))


@contextmanager
def _stoppable(out_dir: Path) -> Iterator[_Run]:
    """Run a command under Ctrl-C and SIGTERM: the first stops the search (the command then
    writes the best schedule so far, see `_stopped`); one before a first schedule exists, or a
    second one, ends the command at once with one line, writing nothing."""
    run = _Run(out_dir)
    try:
        with run.stop.on_signals(*STOP_SIGNALS):
            yield run
    except Interrupted as error:
        words = _signal_words(error.signum)
        if not run.stop.has_schedule:
            seconds = time.perf_counter() - run.started
            what = f"{words} after {seconds:.1f} s, before a first schedule was found"
        else:
            what = f"{words} again"
        folder = excerpt(str(out_dir))
        if run.writing:
            kept = f"{folder} holds either its old files or the complete new set"
        else:
            kept = f"nothing was written, {folder} is as it was"
        err.print(
            f"{what}: stopped at once; {kept}.", markup=False, highlight=False, soft_wrap=True
        )
        raise _signal_exit(error.signum) from None


def _stopped(run: _Run, report: Any) -> None:
    """After the outputs are written: if a signal came, say so and exit with its code."""
    stop = run.stop
    if not stop.requested:
        return
    words, folder = _signal_words(stop.signum), excerpt(str(run.out_dir))
    if report.status == "interrupted":
        message = (
            f"{words} {report.interrupted_after:.1f} s into the solve (time limit "
            f"{report.time_limit:g} s): stopped the search; wrote the best schedule found so far "
            f"to {folder} (status interrupted)."
        )
    else:
        message = (
            f"{words} after the search had finished: wrote its complete result to {folder} "
            f"(status {report.status})."
        )
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    raise _signal_exit(stop.signum)


@app.command()
def schema(output: OutputFile = None, old_output: OldOutputFile = None) -> None:
    """Print the JSON Schema of scenario files, for editors that validate YAML/JSON."""
    output, option = _output_file(output, old_output, "scenario.schema.json")
    text = json.dumps(Scenario.model_json_schema(), indent=2)
    if output is None:
        print(text)
    else:
        with _writing(output, option):
            write_atomically(output, text)


def _findings_table(findings: list[Finding]) -> Table:
    table = Table(title="Rulebook audit", show_lines=False)
    for column in ("code", "where", "what to do"):
        table.add_column(column, overflow="fold")
    for finding in findings:
        table.add_row(*(_said(text) for text in (finding.code, finding.where, finding.message)))
    return table


@app.command(name="audit")
def audit_command(scenario_file: ScenarioArg, as_json: JsonFlag = False) -> None:
    """Find hidden or unclear booking rules. Exit 0 clean, 1 with warnings, 2 invalid input."""
    findings = audit(_load(scenario_file))
    if as_json:
        print(json.dumps([f.to_dict() for f in findings], indent=2))
    elif findings:
        out.print(_findings_table(findings))
        out.print(f"{len(findings)} warning(s) in {scenario_file}")
    else:
        out.print(f"{scenario_file}: no rulebook problems found")
    raise typer.Exit(1 if findings else 0)


def _within(low: float, high: float, fix: str) -> Callable[[Any], Any]:
    """An option check: a value outside [low, high] (or not a number at all, nan) is refused
    with the range in words."""

    def check(value: Any) -> Any:
        if value is not None and not low <= value <= high:
            raise typer.BadParameter(f"{excerpt(value)} is out of range; {fix}")
        return value

    return check


def _count(most: int, things: str) -> Callable[[Any], Any]:
    """An option callback for a count of generated things: 1 to `most`."""
    return _within(1, most, f"give 1 to {most:,} {things}")


@app.command()
def generate(
    requests: Annotated[
        int,
        typer.Option(callback=_count(limits.MAX_REQUESTS, "requests"), help="Requests."),
    ] = 150,
    providers: Annotated[
        int,
        typer.Option(callback=_count(limits.MAX_PROVIDERS, "providers"), help="Providers."),
    ] = 6,
    days: Annotated[
        int, typer.Option(callback=_count(366, "days"), help="Days in the horizon.")
    ] = 5,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same clinic.")] = 0,
    rooms: Annotated[
        int | None,
        typer.Option(
            callback=_count(limits.MAX_ROOMS, "rooms"), help="Rooms (default: in proportion)."
        ),
    ] = None,
    output: OutputFile = None,
    old_output: OldOutputFile = None,
) -> None:
    """Generate a synthetic clinic of any size, for tests and benchmarks."""
    from scenarios.generator import generate_scenario

    output, option = _output_file(output, old_output, "clinic.yaml")
    try:
        scenario = generate_scenario(
            requests=requests, providers=providers, days=days, seed=seed, rooms=rooms
        )
    except ValueError as error:  # sizes the generator cannot build, e.g. fewer rooms than types
        raise typer.BadParameter(str(error)) from None
    if output is None:
        import yaml

        from models.loader import scenario_to_data

        print(yaml.safe_dump(scenario_to_data(scenario), sort_keys=False))
    else:
        with _writing(output, option):
            save_scenario(scenario, output)
        size = f"{len(scenario.requests)} requests, {len(scenario.providers)} providers"
        out.print(f"wrote {output}: {size}")


def _progress_printer(progress: Progress, task: Any) -> Callable[[ProgressPoint], None]:
    def update(point: ProgressPoint) -> None:
        figures = f"objective {point.objective:,}  bound {point.bound:,}  gap {point.gap:.2%}"
        progress.update(task, description=f"{figures}  (Ctrl-C: stop, keep the best so far)")

    return update


def _search_params(path: Path | None) -> Any:
    """The --search-params file as SearchParams (None: the defaults), or exit 2."""
    from solver.cpsat.params import SearchParams

    if path is None:
        return None
    with _input_errors():
        return SearchParams.from_toml(path)


def _inputs(
    scenario_file: Path,
    run: _Run,
    search: SearchOptions,
    other_inputs: dict[str, Path | None] | None = None,
) -> tuple[Scenario, dict[str, Any]]:
    """The scenario, the search options (time limit, workers, seed, deterministic, tuning, the
    run's stop) and a usable --out folder, checked before any work (`other_inputs`: more input
    files)."""
    time_limit, workers, seed, deterministic, search_params = search
    inputs = {"scenario": scenario_file, "search parameters": search_params}
    _refuse_out(folder_problem(run.out_dir, inputs | (other_inputs or {})))
    scenario = _load(scenario_file)
    options = {
        "time_limit": time_limit,
        "num_workers": workers,
        "seed": seed,
        "deterministic": deterministic,
        "params": _search_params(search_params),
        "stop": run.stop,
    }
    return scenario, options


STOP_HINT = "Ctrl-C stops it and writes the best schedule found so far"


def _announce_search(time_limit: float) -> Callable[[ProgressPoint], None]:
    """For a log (stderr not a terminal): one line when the search starts."""
    said = False

    def update(point: ProgressPoint) -> None:
        nonlocal said
        if not said:
            said = True
            err.print(
                f"searching for up to {time_limit:g} s; {STOP_HINT}",
                highlight=False,
                soft_wrap=True,
            )

    return update


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:,.0f} s"


def elapsed_of(elapsed: float, limit: float, deterministic: bool = False) -> str:
    """How far the search is: "12 s of 30 s" (deterministic: the limit is CP-SAT work at the
    reference machine's pace, so the wall clock may run past it)."""
    if deterministic:
        return f"{_seconds(elapsed)}, limit {_seconds(limit)} of work"
    return f"{_seconds(elapsed)} of {_seconds(limit)}"


class _ElapsedOf(ProgressColumn):
    """The progress column of a search: its elapsed time of the time limit."""

    def __init__(self, limit: float, deterministic: bool) -> None:
        super().__init__()
        self.limit, self.deterministic = limit, deterministic

    def render(self, task: Task) -> Text:
        return Text(elapsed_of(task.elapsed or 0.0, self.limit, self.deterministic))


def _solve_with_progress(scenario: Scenario, options: dict[str, Any], quiet: bool) -> Any:
    from solver.solve import solve

    if quiet:
        return solve(scenario, **options)
    if not sys.stderr.isatty():
        return solve(scenario, on_progress=_announce_search(options["time_limit"]), **options)
    clock = _ElapsedOf(options["time_limit"], options["deterministic"])
    columns = (TextColumn("{task.description}"), BarColumn(), clock)
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("searching…", total=None)
        return solve(scenario, on_progress=_progress_printer(progress, task), **options)


def _kpi_table(figures: dict[str, Any]) -> Table:
    table = Table(title=_said(f"{figures['clinic']}: week of {figures['horizon']['start']}"))
    table.add_column("figure")
    table.add_column("value", justify="right")
    requests, objective = figures["requests"], figures["objective"]
    solver_figures = figures["solver"]
    rows = [
        ("requests booked", f"{requests['booked']} of {requests['total']}"),
        ("unscheduled / escalated", f"{requests['unscheduled']} / {requests['escalated']}"),
        (
            "existing bookings kept / moved",
            f"{figures['bookings']['kept']} / {figures['bookings']['moved']}",
        ),
        (
            "waitlist served",
            f"{figures['waitlist']['served']} of {figures['waitlist']['requests']}",
        ),
        ("objective (optimizer)", f"{objective['total']:,}"),
        ("objective (front desk greedy)", f"{objective['greedy']:,}"),
        ("proven bound / gap", f"{objective['bound']:,} / {objective['gap']:.2%}"),
        ("status / wall time", f"{solver_figures['status']} / {solver_figures['wall_time']:.1f} s"),
    ]
    revenue, utilization = figures["revenue"], figures["utilization"]
    rows += [
        (
            "revenue booked / left unbooked",
            f"{money(revenue['booked'], revenue['currency'])} / "
            f"{money(revenue['unbooked'], revenue['currency'])}",
        ),
        ("provider utilization (hands-on / available)", f"{utilization['overall']:.0%}"),
        *(
            (
                f"booked share, {tier}",
                f"{tier_figures['booked']:.0f} of {tier_figures['requests']:.0f}",
            )
            for tier, tier_figures in figures["booked_by_tier"].items()
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def _wrote(paths: list[Path]) -> dict[str, list[str]]:
    """The files written, as --json tells them."""
    return {"wrote": [str(path) for path in paths]}


def _run_solve(
    scenario: Scenario, run: _Run, options: dict[str, Any], quiet: bool, as_json: bool = False
) -> None:
    """Solve, write the outputs and show the key figures (--json: the KPIs and the files
    written); exit after a signal."""
    from solver.outputs.files import write_outputs
    from solver.outputs.kpis import kpis

    result = _solve_with_progress(scenario, options, quiet)
    for note in result.report.notes:
        err.print(_said(f"note: {note}"), soft_wrap=True)
    figures = kpis(result)
    with _writing(run.out_dir):
        paths = _write(run, lambda folder: write_outputs(result, figures, folder))
    if as_json:
        print(json.dumps(figures | _wrote(paths), indent=2))
    else:
        out.print(_kpi_table(figures))
        out.print("wrote " + ", ".join(str(p) for p in paths))
    for warning in figures["warnings"]:
        err.print(_said(f"warning: {Finding(**warning)}"), soft_wrap=True)
    _stopped(run, result.report)


MAX_TIME_LIMIT = 86_400.0
"""A nightly solve runs for minutes; a day keeps a mistyped (or infinite) limit from running
for ever."""
MAX_WORKERS = 64
"""CP-SAT gains little beyond a few dozen workers, and each holds its own copy of the model."""
SEED_RANGE = (-(2**31), 2**31 - 1)
"""CP-SAT's random seed is a 32-bit whole number."""
OutOption = Annotated[
    Path, typer.Option("--out", metavar="DIR", help="Folder for the output files.")
]
TimeLimit = Annotated[
    float,
    typer.Option(
        "--time-limit",
        callback=_within(
            0.1,
            MAX_TIME_LIMIT,
            f"give a number of seconds from 0.1 to {MAX_TIME_LIMIT:,.0f} (24 hours)",
        ),
        help="Search time in wall-clock seconds, any workers (at most 24 hours).",
    ),
]
Workers = Annotated[
    int,
    typer.Option(
        "--workers",
        callback=_within(1, MAX_WORKERS, f"give 1 to {MAX_WORKERS} workers"),
        help=f"Search workers (cores), 1 to {MAX_WORKERS}.",
    ),
]
Seed = Annotated[
    int,
    typer.Option(
        "--seed",
        callback=_within(
            *SEED_RANGE,
            f"the search takes a whole number from {SEED_RANGE[0]:,} to {SEED_RANGE[1]:,}",
        ),
        help="Random seed of the search.",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", help="No progress display.")]
ParamsOption = Annotated[
    Path | None,
    typer.Option("--search-params", help="TOML file of search tuning (solver/cpsat/params.py)."),
]
Deterministic = Annotated[
    bool,
    typer.Option(
        "--deterministic",
        help="Repeatable run: one worker, and --time-limit counted in CP-SAT work units at the "
        "reference machine's pace, so a seed gives the same schedule on any machine (its "
        "wall-clock time then varies).",
    ),
]
SearchOptions = tuple[float, int, int, bool, Path | None]


@app.command(name="solve")
def solve_command(
    scenario_file: ScenarioArg,
    out_dir: OutOption,
    time_limit: TimeLimit = 10.0,
    workers: Workers = 2,
    seed: Seed = 0,
    quiet: Quiet = False,
    search_params: ParamsOption = None,
    deterministic: Deterministic = False,
    as_json: JsonFlag = False,
) -> None:
    """Book the horizon: writes schedule.csv, kpis.json, exceptions.csv and gantt.png.
    Ctrl-C (or SIGTERM) stops the search and writes the best schedule found so far."""
    search = (time_limit, workers, seed, deterministic, search_params)
    with _stoppable(out_dir) as run:
        scenario, options = _inputs(scenario_file, run, search)
        _run_solve(scenario, run, options, quiet, as_json)


def _read_schedule(path: Path) -> Schedule:
    schedule: Schedule = _read_table(path, Schedule.read_csv, "schedule.csv", "medspa solve")
    return schedule


def _read_changes(path: Path) -> list[Change] | None:
    """A re-plan's changes.csv; None when the folder has none (a solve's folder)."""
    if not path.exists():
        return None
    changes: list[Change] = _read_table(path, read_changes, "changes.csv", "medspa reshuffle")
    return changes


def _read_table(path: Path, read: Callable[[Path], Any], table: str, writer: str) -> Any:
    """A schedule.csv or changes.csv (`table`) as `read` gives it, or exit 2 naming every bad
    cell; `writer` is the command that writes such a file."""
    check_input_size(path)
    try:
        return read(path)
    except ScheduleFileError as error:
        fix = f"; write it with `{writer}` or keep the columns and values it writes"
        raise ScenarioError(
            str(path), [Finding("unreadable_schedule", "", p + fix) for p in error.problems]
        ) from None
    except FileNotFoundError:
        problem = Finding("file_not_found", "", "file not found; check the path")
    except Exception as error:  # pandas and pydantic raise many kinds for a broken CSV
        first_line = (str(error) or type(error).__name__).splitlines()[0]
        problem = Finding(
            "unreadable_schedule",
            "",
            f"not a readable {table} ({first_line}); write it with `{writer}`",
        )
    raise ScenarioError(str(path), [problem])


ScheduleOption = Annotated[
    Path | None,
    typer.Option("--schedule", metavar="FILE", help="The schedule.csv it is about."),
]
OldScheduleArg = Annotated[
    Path | None,
    typer.Argument(
        metavar="SCHEDULE",
        show_default=False,
        help="The old place of --schedule FILE, kept until medspa 0.2.",
    ),
]


def _schedule_file(option: Path | None, positional: Path | None) -> Path:
    """The --schedule file, or the one given after the scenario as before 0.2 (said on stderr);
    exit 2 with neither or both."""
    if positional is None and option is not None:
        return option
    with _input_errors():
        if option is not None:
            message = "give the schedule once, as --schedule FILE"
            raise ScenarioError("--schedule", [Finding("two_schedules", "", message)])
        if positional is None:
            message = "give the schedule as --schedule FILE, e.g. out/schedule.csv"
            raise ScenarioError("--schedule", [Finding("no_schedule", "", message)])
    _deprecated(
        "the schedule is now given as --schedule FILE, as in every command; after the "
        "scenario it will be refused from medspa 0.2"
    )
    return positional


@app.command()
def check(
    scenario_file: ScenarioArg,
    old_schedule: OldScheduleArg = None,
    schedule_option: ScheduleOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Validate a schedule against every hard rule. Exit 0 valid, 1 violations, 2 bad input."""
    from checker import check_schedule

    schedule_file = _schedule_file(schedule_option, old_schedule)
    scenario = _load(scenario_file)
    with _input_errors():
        schedule = _read_schedule(schedule_file)
    violations = check_schedule(scenario, schedule)
    if as_json:
        print(json.dumps([v.to_dict() for v in violations], indent=2))
    else:
        for violation in violations:
            line = Text(violation.code, style="red")
            out.print(line.append(_said(f" {violation.where}: {violation.message}")))
        verdict = f"{len(violations)} violation(s)" if violations else "every hard rule holds"
        out.print(f"{schedule_file}: {verdict}")
    raise typer.Exit(1 if violations else 0)


@app.command()
def review(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="SCENARIO CALENDAR.csv, one pair per week: the week's scenario and the "
            "clinic's own calendar of it (the columns of schedule.csv).",
            metavar="SCENARIO CALENDAR.csv",
            show_default=False,
        ),
    ],
    out_dir: OutOption,
    time_limit: TimeLimit = 10.0,
    workers: Workers = 2,
    seed: Seed = 0,
    deterministic: Deterministic = False,
    as_json: JsonFlag = False,
) -> None:
    """Review the clinic's own calendar: every rule it breaks, by rule; its KPIs and idle
    gaps; and what the optimizer books in the same week from the same requests (the value
    left on the table). Writes review.md, review.html and the plots. Exit 0 when written
    (broken rules are in the report), 2 bad input."""
    from solver.outputs.review_report import write_review
    from solver.whatif.review import foreign_rows, review_weeks

    pairs = _review_pairs(files)
    inputs = {
        f"{what} {n}": path
        for n, pair in enumerate(pairs, 1)
        for what, path in zip(("scenario", "calendar"), pair, strict=True)
    }
    with _stoppable(out_dir) as run:
        _refuse_out(folder_problem(out_dir, inputs))
        weeks, labels = [], []
        for n, (scenario_file, calendar_file) in enumerate(pairs, 1):
            scenario = _load(scenario_file)
            with _input_errors():
                calendar = _read_schedule(calendar_file)
                problems = foreign_rows(scenario, calendar)
                if problems:
                    raise ScenarioError(str(calendar_file), problems)
            weeks.append((scenario, calendar))
            labels.append(f"{n}. {calendar_file.name} (week of {scenario.clinic.horizon.start})")
        units = ", counted in CP-SAT work units" if deterministic else ""
        err.print(
            f"solving {len(weeks)} week(s), time limit {time_limit:g} s each{units}; {STOP_HINT}",
            highlight=False,
            soft_wrap=True,
        )
        reviews = review_weeks(
            weeks,
            time_limit,
            seed,
            deterministic,
            num_workers=workers,
            labels=labels,
            stop=run.stop,
        )
        with _writing(out_dir):
            paths = _write(run, lambda folder: write_review(reviews, folder))
        if as_json:
            weeks_data = [_review_data(week) for week in reviews]
            print(json.dumps({"weeks": weeks_data} | _wrote(paths), indent=2))
        else:
            for week in reviews:
                _show_review(week)
            out.print("wrote " + ", ".join(str(p) for p in paths))
        _stopped(run, reviews[-1].optimized.report)


def _review_pairs(files: list[Path]) -> list[tuple[Path, Path]]:
    """The SCENARIO CALENDAR pairs of `medspa review`, or exit 2 for an odd count."""
    if len(files) % 2:
        message = (
            f"{len(files)} file(s) given; give them in pairs, each week's scenario followed by "
            f"its calendar: SCENARIO CALENDAR.csv [SCENARIO CALENDAR.csv ...] (the calendar of "
            f"{excerpt(str(files[-1]))} is missing)"
        )
        with _input_errors():
            raise ScenarioError("review", [Finding("unpaired_files", "", message)])
    return list(zip(files[::2], files[1::2], strict=True))


def _review_data(week: Any) -> dict[str, Any]:
    """What --json tells of one week's review: the rows breaking each rule and the value left
    on the table."""
    broken = {code: [f.where for f in found] for code, found in week.violations.items()}
    value = week.value_table().astype(float).to_dict(orient="index")
    return {"week": week.label, "broken_rules": broken, "value": value}


def _show_review(week: Any) -> None:
    """Rules broken by rule, and the value left on the table, of one week."""
    out.print(_said(week.label), style="bold")
    if week.violations:
        for code, found in week.violations.items():
            rows = ", ".join(sorted({f.where for f in found if f.where}))
            out.print(_said(f"  {code}: {len(found)} ({rows})"), soft_wrap=True)
    else:
        out.print("  every hard rule holds")
    table = Table(title="value left on the table")
    for column in ("figure", "calendar", "optimizer", "left on the table"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for figure, row in week.value_table().iterrows():
        table.add_row(str(figure), *(f"{value:,.0f}" for value in row))
    out.print(table)


@app.command(name="compare")
def compare_command(
    scenario_files: Annotated[
        list[Path],
        typer.Argument(
            help="The base scenario, then each variant (YAML or JSON).", metavar="SCENARIO"
        ),
    ],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", metavar="DIR", help="Folder for compare.csv and compare.md."),
    ] = None,
    time_limit: TimeLimit = 10.0,
    workers: Workers = 1,
    seed: Seed = 0,
    deterministic: Deterministic = False,
    quiet: Quiet = False,
    as_json: JsonFlag = False,
) -> None:
    """Solve scenario files side by side (same seed, in parallel on the cores) and print their
    key figures, a column per file: booked, revenue by tier, utilization, waitlist, exceptions
    by reason, objective and gap. Ctrl-C stops it, writing nothing."""
    from solver.whatif.compare import compare, markdown_table, text_table, unique_names
    from solver.whatif.variants import Variant

    with _input_errors():
        if len(scenario_files) < 2:
            message = "give the base scenario and at least one variant to compare it with"
            raise ScenarioError("compare", [Finding("nothing_to_compare", "", message)])
        if out_dir is not None:
            inputs = {f"scenario file {i}": path for i, path in enumerate(scenario_files, 1)}
            _refuse_out(folder_problem(out_dir, inputs))
        scenarios = [load_scenario(path) for path in scenario_files]
    names = unique_names([path.stem for path in scenario_files])
    variants = [Variant.of(s, name) for s, name in zip(scenarios, names, strict=True)]
    try:
        with _compare_progress(len(variants), time_limit, quiet) as on_progress:
            frame = compare(variants, time_limit, workers, seed, deterministic, None, on_progress)
    except KeyboardInterrupt:
        err.print("Ctrl-C: stopped the comparison; nothing was written.", highlight=False)
        raise _signal_exit(signal.SIGINT) from None
    if out_dir is not None:
        from models.spreadsheet import write_csv
        from solver.outputs.folder import write_set

        writers = {
            "compare.csv": lambda path: write_csv(frame.reset_index(), path),
            "compare.md": lambda path: write_atomically(path, markdown_table(frame)),
        }
        with _writing(out_dir):
            paths = write_set(out_dir, writers, "compare")
    if as_json:
        columns = frame.astype(object).where(frame.notna(), None)
        print(json.dumps([{"variant": n, **columns[n].to_dict()} for n in frame], indent=2))
    else:
        print(text_table(frame))
    if out_dir is not None and not as_json:
        out.print(_said("wrote " + ", ".join(str(p) for p in paths)), soft_wrap=True)


@contextmanager
def _compare_progress(
    total: int, time_limit: float, quiet: bool
) -> Iterator[Callable[[str, int, int], None] | None]:
    """The progress of a comparison on stderr: a bar on a terminal, else one line."""
    if quiet:
        yield None
        return
    if not sys.stderr.isatty():
        err.print(f"solving {total} scenarios, up to {time_limit:g} s each", highlight=False)
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(f"solving {total} scenarios…", total=total)

        def solved(name: str, done: int, total: int) -> None:
            progress.update(task, completed=done, description=escape(printable(f"solved {name}")))

        yield solved


DIGEST_COLUMNS = ("request_id", "window", "service_name", "value", "reason_code", "detail")
"""The columns of an owner's exceptions on the console (no patient names), then the action."""


@app.command(name="exceptions")
def exceptions_command(
    folder: RunFolder,
    out_dir: IntoOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The exception queue by owner: a table per owner, and per owner a page to send them
    (OUTDIR/digest/OWNER.md and .html). Exit 0, or 2 on bad input."""
    from solver.desk.digest import digest_by_owner, write_digests

    source, digest_dir = folder / "exceptions.csv", (out_dir or folder) / DIGEST_FOLDER
    with _input_errors():
        items = _read_exceptions(source)
    _refuse_out(folder_problem(digest_dir, {"exceptions": source}))
    digests = digest_by_owner(items)
    with _writing(digest_dir):
        paths = write_digests(digests, out_dir or folder)
    if as_json:
        owners = [
            {
                "owner": d.owner,
                "count": len(d.items),
                "exceptions": [i.model_dump(exclude={"owner", "patient_name"}) for i in d.items],
            }
            for d in digests
        ]
        print(json.dumps({"exceptions": len(items), "owners": owners} | _wrote(paths), indent=2))
        return
    if not digests:
        out.print(_said(f"{source}: the exception queue is empty; nobody has anything to handle."))
    for digest in digests:
        table = Table(title=_said(f"{digest.owner}: {len(digest.items)}"), title_justify="left")
        for column in (*DIGEST_COLUMNS, "suggested_action"):
            table.add_column(column.replace("_", " "), overflow="fold")
        for item in digest.items:
            table.add_row(
                *(_said(getattr(item, column)) for column in DIGEST_COLUMNS),
                _said(item.suggested_action),
            )
        out.print(table)
    out.print(_said(f"wrote {len(paths)} page(s) to {digest_dir}"))


def _read_exceptions(path: Path) -> list[ExceptionItem]:
    """The exceptions of an exceptions.csv file; ScenarioError naming the file and the fix."""
    from solver.desk.digest import ExceptionsFileError, read_exceptions

    fix = "give the folder `medspa solve --out DIR` or `medspa reshuffle --out DIR` wrote"
    if not path.parent.is_dir():
        problem = "not a folder" if path.parent.exists() else "folder not found"
        raise ScenarioError(str(path.parent), [Finding("not_a_folder", "", f"{problem}; {fix}")])
    check_input_size(path)
    try:
        return read_exceptions(path)
    except FileNotFoundError:
        message = f"file not found: the folder holds no exception queue; {fix}"
        raise ScenarioError(str(path), [Finding("file_not_found", "", message)]) from None
    except OSError as error:
        message = f"could not read it ({why_not(error)}); {fix}"
        raise ScenarioError(str(path), [Finding("unreadable_exceptions", "", message)]) from None
    except ExceptionsFileError as error:
        fix = "; write it with `medspa solve` or keep the columns it writes"
        problems = [Finding("unreadable_exceptions", "", p + fix) for p in error.problems]
        raise ScenarioError(str(path), problems) from None


def _run_files(folder: Path) -> tuple[Path, Path]:
    """The schedule.csv and changes.csv of a solve's or re-plan's folder (changes.csv may be
    missing), or exit 2 when the folder or its schedule.csv is not there."""
    schedule_file, changes_file = folder / "schedule.csv", folder / "changes.csv"
    if not folder.is_dir() or not schedule_file.is_file():
        what = "is not a folder" if not folder.is_dir() else "holds no schedule.csv"
        message = (
            f"{what}; give the folder `medspa solve --out` or `medspa reshuffle --out` wrote "
            "(it holds schedule.csv, and changes.csv after a re-plan)"
        )
        with _input_errors():
            raise ScenarioError(str(folder), [Finding("not_a_schedule_folder", "", message)])
    return schedule_file, changes_file


@app.command()
def calendars(
    scenario_file: ScenarioArg,
    folder: RunFolder,
    out_dir: IntoOption = None,
    now: NowOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Write a calendar feed (.ics) per provider and per room into DIR/calendars."""
    from solver.desk.calendars import CALENDARS_FOLDER, calendar_feeds, feed_counts, write_calendars

    schedule_file, changes_file = _run_files(folder)
    target = (out_dir or folder) / CALENDARS_FOLDER
    inputs = {"scenario": scenario_file, "schedule": schedule_file, "change list": changes_file}
    _refuse_out(folder_problem(target, inputs))
    scenario = _load(scenario_file)
    with _input_errors():
        schedule = _read_schedule(schedule_file)
        changes = _read_changes(changes_file)
        stamp = _desk_time(now, scenario)
        try:
            feeds = calendar_feeds(scenario, schedule, changes, stamp)
        except ScenarioError as error:
            source = schedule_file if error.source == "schedule" else changes_file
            raise ScenarioError(str(source), error.problems) from None
    with _writing(target):
        paths = write_calendars(feeds, out_dir or folder)
    counts = feed_counts(feeds)
    if as_json:
        print(json.dumps({"feeds": counts} | _wrote(paths), indent=2))
        return
    for kind, figures in counts.items():
        out.print(
            f"{kind} feeds: {figures['feeds']}, {figures['events']} event(s) "
            f"({figures['tentative']} tentative, {figures['cancelled']} cancelled)"
        )
    out.print(_said(f"wrote {len(paths)} feed(s) to {target}"))


def main() -> None:
    """Entry point of the console script: the last line of defence against a traceback."""
    try:
        app()
    except Exception as error:
        err.print(
            f"internal error ({type(error).__name__}: {error}); nothing was written. "
            "Please report it with the scenario file.",
            markup=False,
            soft_wrap=True,
        )
        sys.exit(3)


def _events(texts: list[str], events_file: Path | None) -> list[Any]:
    from models.events import EVENT_ADAPTER, EVENT_KINDS, MAX_EVENTS, parse_event, problem_text
    from models.loader import read_data

    written = [] if events_file is None else read_data(events_file) or []
    count = len(texts) + (len(written) if isinstance(written, list) else 0)
    if count > MAX_EVENTS:
        message = (
            f"{count:,} events; a re-plan takes at most {MAX_EVENTS:,}, so re-plan them in "
            "steps, each from the schedule the one before wrote"
        )
        raise ScenarioError("events", [Finding("too_many_events", "", message)])
    problems = []
    events = []
    for text in texts:
        try:
            events.append(parse_event(text))
        except ValueError as error:
            problems.append(Finding("invalid_event", "--event", str(error)))
    try:
        events += EVENT_ADAPTER.validate_python(written)
    except ValidationError as error:
        for detail in error.errors():
            path = "events" + "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}"
                for part in detail["loc"]
                if part not in EVENT_KINDS
            )
            problems.append(
                Finding("invalid_event", f"{events_file}: {path}", problem_text(detail))
            )
    if problems:
        raise ScenarioError("events", problems)
    return events


def _clock_time(text: str | None, scenario: Scenario, option: str) -> datetime:
    """A local time given as `option` (clinic time unless it has an offset), or this
    computer's clock."""
    zone = scenario.clinic.clock().zone
    if text is None:
        return datetime.now(zone)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        message = (
            f"{excerpt(text)} is not a time; write it as YYYY-MM-DDTHH:MM, e.g. 2026-12-08T10:00"
        )
        raise ScenarioError(option, [Finding("invalid_time", "", message)]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _desk_time(text: str | None, scenario: Scenario) -> datetime:
    """The --now of notify and calendars: any time a clock can hold, not only the horizon's
    (a week's messages are planned before it begins)."""
    moment = _clock_time(text, scenario, "--now")
    if not TIME_YEARS[0] <= moment.year <= TIME_YEARS[1]:
        message = (
            f"{excerpt(text or '')} is out of range (year {moment.year}); give a time near the "
            "schedule's days"
        )
        raise ScenarioError("--now", [Finding("invalid_time", "", message)])
    return moment


def _moment(text: str | None, scenario: Scenario) -> datetime:
    """The re-plan's now: --now (clinic time unless it has an offset) or this computer's clock,
    within the scenario's horizon."""
    from solver.replan.events import horizon_minute, horizon_text

    clock = scenario.clinic.clock()
    moment = _clock_time(text, scenario, "--now")
    if text is None:
        given = f"now ({moment:%Y-%m-%d %H:%M} by this computer's clock)"
        fix = "give the time of the change with --now"
    else:
        given, fix = excerpt(text), "give a time within it"
    if horizon_minute(clock, moment) is None:
        message = (
            f"{given} lies outside the scenario's horizon, {horizon_text(clock)}, so no event "
            f"could apply; {fix}, e.g. --now {clock.first_day}T10:00, or re-plan with the "
            "scenario of that week"
        )
        raise ScenarioError("--now", [Finding("now_outside_horizon", "", message)])
    return moment


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        message = f"{excerpt(text)} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-09"
        raise ScenarioError(option, [Finding("invalid_date", "", message)]) from None


def _check_through(last_day: date | None, scenario: Scenario, moment: datetime) -> None:
    """--through lies from the day of the re-plan's now to the horizon's last day."""
    if last_day is None:
        return
    clock = scenario.clinic.clock()
    today = clock.day(clock.minute(moment) // MINUTES_PER_DAY)
    last = clock.day(clock.num_days - 1)
    if not today <= last_day <= last:
        message = (
            f"{last_day} is not a day the re-plan can open; give a date from {today} "
            f"(the day of --now) to {last} (the last day of the horizon)"
        )
        raise ScenarioError("--through", [Finding("through_outside_horizon", "", message)])


def _fits(scenario: Scenario, schedule: Schedule, source: Path) -> None:
    """The schedule to re-plan belongs to the scenario and keeps every rule, or exit 2."""
    from checker import check_schedule

    violations = check_schedule(scenario, schedule)
    if violations:
        problems = [Finding(v.code, v.where, f"{v.code}: {v.message}") for v in violations[:20]]
        fix = "re-plan a schedule written for this scenario (medspa solve or reshuffle)"
        problems.append(
            Finding("schedule_breaks_rules", "", f"{len(violations)} rule(s) broken; {fix}")
        )
        raise ScenarioError(str(source), problems)


@app.command()
def reshuffle(
    scenario_file: ScenarioArg,
    schedule_file: Annotated[Path, typer.Option("--schedule", help="The current schedule.csv.")],
    out_dir: OutOption,
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event",
            metavar="EVENT",
            help="kind:target,key=value,... e.g. cancel:q17 (repeatable).",
        ),
    ] = None,
    events_file: Annotated[
        Path | None, typer.Option("--events", help="YAML/JSON list of events.")
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="Local time of the change (default: now).")
    ] = None,
    through: Annotated[
        str | None,
        typer.Option(
            "--through",
            help="Also re-plan every day up to this date (YYYY-MM-DD); by default only the "
            "days the events touch and the rest of today.",
        ),
    ] = None,
    time_limit: TimeLimit = 1.0,
    workers: Workers = 2,
    seed: Seed = 0,
    search_params: ParamsOption = None,
    deterministic: Deterministic = False,
    as_json: JsonFlag = False,
) -> None:
    """Re-plan after same-day events; writes the new schedule, changes.csv and the day's Gantt."""
    from solver.outputs.files import write_reshuffle_outputs
    from solver.replan import EventError
    from solver.replan import reshuffle as replan

    search = (time_limit, workers, seed, deterministic, search_params)
    inputs = {"schedule": schedule_file, "events file": events_file}
    with _stoppable(out_dir) as run:
        scenario, options = _inputs(scenario_file, run, search, inputs)
        with _input_errors():
            schedule = _read_schedule(schedule_file)
            _fits(scenario, schedule, schedule_file)
            events = _events(event or [], events_file)
            last_day = None if through is None else _date(through, "--through")
            moment = _moment(now, scenario)
            _check_through(last_day, scenario, moment)
            try:
                result = replan(scenario, schedule, events, moment, through=last_day, **options)
            except EventError as error:
                raise ScenarioError("events", [Finding("invalid_event", "", str(error))]) from None
        with _writing(out_dir):
            paths = _write(
                run,
                lambda folder: write_reshuffle_outputs(
                    result, (scenario, schedule), folder, moment
                ),
            )
        if as_json:
            print(json.dumps(_replan_data(result, moment) | _wrote(paths), indent=2))
        else:
            _show_replan(result, moment, paths)
        _stopped(run, result.report)


def _replan_data(result: Any, moment: datetime) -> dict[str, Any]:
    """What --json tells of a re-plan: the change list, the days re-planned, the value filled."""
    return {
        "now": moment.isoformat(),
        "status": result.report.status,
        "changes": [change.model_dump(mode="json") for change in result.changes],
        "days": [day.isoformat() for day in result.days],
        "value_filled": result.value_filled,
    }


def _show_replan(result: Any, moment: datetime, paths: list[Path]) -> None:
    """The change list, the days re-planned and the value filled."""
    table = Table(title=f"Re-plan at {moment:%Y-%m-%d %H:%M}")
    for column in ("change", "who", "from", "to", "call"):
        table.add_column(column)
    for change in result.changes:
        before = f"{change.from_start[5:16]} {change.from_provider}".replace("T", " ").strip()
        after = f"{change.to_start[5:16]} {change.to_provider}".replace("T", " ").strip()
        call = "call" if change.call_patient else ""
        table.add_row(change.change, change.request_id, before, after, call)
    out.print(table)
    opened = ", ".join(f"{when:%a %Y-%m-%d}" for when in result.days)
    out.print(f"re-planned: {opened} (--through DATE re-plans more days)")
    out.print(f"value filled from the waitlist: {result.value_filled:,} priority-minutes")
    out.print("wrote " + ", ".join(str(p) for p in paths))


@app.command()
def explain(
    scenario_file: ScenarioArg,
    ids: Annotated[
        list[str],
        typer.Argument(
            metavar="REQUEST_ID",
            help="A request or booking id of the schedule (before 0.2: SCHEDULE REQUEST_ID).",
            show_default=False,
        ),
    ],
    schedule_option: ScheduleOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Tell why one request is booked where it is, or why not: eligibility per provider and
    every start tried, with what rules it out or what booking it would cost."""
    from solver.explain import story

    if len(ids) > 2:
        with _input_errors():
            message = f"{len(ids)} ids given; give one request or booking id"
            raise ScenarioError("explain", [Finding("one_id", "", message)])
    request_id = ids[-1]
    schedule_file = _schedule_file(schedule_option, Path(ids[0]) if len(ids) == 2 else None)
    scenario = _load(scenario_file)
    with _input_errors():
        schedule = _read_schedule(schedule_file)
        _fits(scenario, schedule, schedule_file)
        known = [row.request_id for row in schedule.appointments]
        if request_id not in known:
            close = difflib.get_close_matches(request_id, known, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else "use an id of its request_id"
            message = f"no request or booking {excerpt(request_id)} in this schedule; {hint}"
            raise ScenarioError(str(schedule_file), [Finding("unknown_id", "", message)])
    lines = story(scenario, schedule, request_id)
    if as_json:
        print(json.dumps({"request_id": request_id, "story": lines}, indent=2))
    else:
        for line in lines:
            out.print(_said(line), soft_wrap=True)


MAX_TOP = 50
"""More options than a coordinator reads out on the phone."""
MAX_MOVES = 3
"""Each move is another patient to call; more than three is a re-plan (reshuffle)."""
DateOption = Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: the horizon's ends).")]


@app.command()
def slots(
    scenario_file: ScenarioArg,
    schedule_file: Annotated[Path, typer.Option("--schedule", help="The current schedule.csv.")],
    patient: Annotated[str, typer.Option("--patient", help="The caller's patient id.")],
    service: Annotated[str, typer.Option("--service", help="The service id asked for.")],
    earliest: DateOption = None,
    latest: DateOption = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Only this provider (the patient insists).")
    ] = None,
    prefer_provider: Annotated[
        str | None, typer.Option("--prefer-provider", help="This provider if possible.")
    ] = None,
    deposit_paid: Annotated[
        bool, typer.Option("--deposit-paid", help="The patient has paid the service's deposit.")
    ] = False,
    prefer_time: Annotated[
        list[str] | None,
        typer.Option(
            "--prefer-time",
            metavar="TIME",
            help="A preferred time: 15:00-19:00 or morning (repeatable).",
        ),
    ] = None,
    top: Annotated[
        int,
        typer.Option(callback=_within(1, MAX_TOP, f"give 1 to {MAX_TOP}"), help="Options shown."),
    ] = 5,
    moves: Annotated[
        int,
        typer.Option(
            callback=_within(0, MAX_MOVES, f"give 0 to {MAX_MOVES} moves"),
            help=f"Also offer times that moving up to this many bookings frees (0 to {MAX_MOVES}).",
        ),
    ] = 0,
    now: Annotated[
        str | None,
        typer.Option(help="Local time of the call (default: now); nothing earlier is offered."),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Why not then? A local time, e.g. 2026-12-08T14:00.")
    ] = None,
    take: Annotated[
        int | None, typer.Option("--take", help="Book option N; writes the new schedule to --out.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Folder for options.csv, or with --take the new schedule.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Where one phone call fits best: the ranked options for a request in the schedule, what
    each changes and the bookings it moves; --at tells why a time is not offered; --take books
    an option. Read-only unless --out. Exit 0 with options, 1 with none, 2 bad input."""
    from solver.outputs.files import write_options, write_taken_outputs
    from solver.slots import CallError, call_request, open_call, ranked
    from solver.slots.show import option_row, recommendation_data, why_not_data
    from solver.slots.take import take as book
    from solver.slots.why_not import why_not

    with _input_errors():
        if take is not None and (out_dir is None or at is not None):
            fix = "give --out DIR for the new schedule" if out_dir is None else "leave out --at"
            raise ScenarioError("--take", [Finding("take_needs_out", "", fix)])
        if out_dir is not None:
            inputs = {"scenario": scenario_file, "schedule": schedule_file}
            _refuse_out(folder_problem(out_dir, inputs))
        scenario = _load(scenario_file)
        schedule = _read_schedule(schedule_file)
        _fits(scenario, schedule, schedule_file)
        moment = _clock_time(now, scenario, "--now")
        asked = None if at is None else _clock_time(at, scenario, "--at")
        try:
            request = call_request(
                scenario,
                schedule,
                patient,
                service,
                earliest=None if earliest is None else _date(earliest, "--earliest"),
                latest=None if latest is None else _date(latest, "--latest"),
                provider=provider,
                preferred_provider=prefer_provider,
                preferred_times=prefer_time or [],
                deposit_paid=deposit_paid,
            )
            call = open_call(scenario, schedule, request, moment)
        except CallError as error:
            raise ScenarioError("call", [Finding("invalid_call", "", str(error))]) from None
    if asked is not None:
        verdicts = why_not(call, asked, provider)
        if as_json:
            print(json.dumps(why_not_data(verdicts), indent=2))
        else:
            _show_refusal(verdicts.refusal)
            for verdict in verdicts.verdicts:
                when = f"{verdicts.at:%a %Y-%m-%d %H:%M}"
                out.print(_said(f"{when} with {verdict.provider_id}: {verdict.words}"))
        raise typer.Exit(1 if verdicts.refusal else 0)  # 1: the request cannot be booked at all
    answer = ranked(call, top, moves)
    rows = [option_row(rank, option) for rank, option in enumerate(answer.options, 1)]
    paths: list[Path] = []
    if take is not None and answer.options:  # with none, the refusal is told and nothing written
        if not 1 <= take <= len(answer.options):
            message = (
                f"there are {len(answer.options)} option(s); give --take 1 to {len(answer.options)}"
            )
            with _input_errors():
                raise ScenarioError("--take", [Finding("no_such_option", "", message)])
        taken = book(call, answer.options[take - 1])
        assert out_dir is not None
        with _writing(out_dir):
            paths = write_taken_outputs(taken, (scenario, schedule), out_dir, call.moment)
        rows = rows[take - 1 : take]
    elif out_dir is not None and take is None:
        with _writing(out_dir):
            paths = write_options(rows, out_dir)
    if as_json:
        booked = take if paths and take is not None else None
        wrote = {"taken": booked, "wrote": [str(p) for p in paths]}
        print(json.dumps(recommendation_data(answer) | wrote, indent=2))
    else:
        _show_refusal(answer.refusal)
        if rows:
            _show_options(request, rows, "Booked" if take else "Options")
    if paths and not as_json:
        out.print("wrote " + ", ".join(str(p) for p in paths))
    raise typer.Exit(0 if answer.options else 1)


def _show_refusal(refusal: Any) -> None:
    if refusal is not None:
        out.print(_said(f"no option: {refusal.code}: {refusal.detail}"), soft_wrap=True)
        out.print(_said(f"suggested: {refusal.action}"), soft_wrap=True)


def _show_options(request: Any, rows: list[dict[str, Any]], title: str) -> None:
    """One line per option (when, who, where, the change and why), its moves below it."""
    out.print(_said(f"{title} for {request.patient}, {request.service}:"))
    for row in rows:
        when = f"{row['weekday']} {row['date']} {row['start'][11:16]}-{row['end'][11:16]}"
        line = f"{row['rank']:>2}. {when}  {row['provider_id']}  {row['room_id']}"
        out.print(_said(f"{line}  {row['change']:+} ({row['why']})"), soft_wrap=True)
        for move in filter(None, row["moves"].split("; ")):
            out.print(_said(f"      moves {move}"), soft_wrap=True)


@app.command()
def demo(
    scenario_file: ScenarioArg,
    out_dir: OutOption = Path("out/sample"),
    time_limit: TimeLimit = 10.0,
    workers: Workers = 2,
    seed: Seed = 0,
    search_params: ParamsOption = None,
    deterministic: Deterministic = False,
) -> None:
    """The five-minute tour: audit the rulebook, solve, check the schedule, show the KPIs,
    plan the messages to patients (from now) and write the staff's calendar feeds."""
    from checker import check_schedule

    search = (time_limit, workers, seed, deterministic, search_params)
    with _stoppable(out_dir) as run:
        scenario, options = _inputs(scenario_file, run, search)
        findings = audit(scenario)
        counts = ", ".join(
            f"{len(getattr(scenario, part))} {part}"
            for part in ("providers", "services", "rooms", "requests", "bookings")
        )
        out.print(_said(f"{scenario.clinic.name}: {counts}"))
        if findings:
            out.print(_findings_table(findings))
        _run_solve(scenario, run, options, False)
    violations = check_schedule(scenario, Schedule.read_csv(out_dir / "schedule.csv"))
    verdict = "passes every hard rule" if not violations else f"has {len(violations)} violation(s)!"
    out.print(f"independent checker: {out_dir / 'schedule.csv'} {verdict}")
    if violations:
        raise typer.Exit(1)
    from solver.desk.notify import notify

    notify(scenario_file, out_dir)
    calendars(scenario_file, out_dir)


from solver.batch import command as _batch_command  # noqa: E402, F401  (registers `medspa batch`)
from solver.desk import notify as _notify_command  # noqa: E402, F401  (registers `medspa notify`)
