"""`medspa notify`: the messages to patients a solve's or re-plan's folder calls for
(registered on the app of solver/cli.py).

Exit codes: 0 the plan was written, 2 bad input (scenario, schedule, changes, --now, --out).
The console shows counts only: never a message's text, a patient's name or contact details.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.table import Table

from models.spreadsheet import write_csv
from solver.cli import (
    IntoOption,
    JsonFlag,
    NowOption,
    RunFolder,
    ScenarioArg,
    _desk_time,
    _fits,
    _input_errors,
    _load,
    _read_changes,
    _read_schedule,
    _refuse_out,
    _run_files,
    _said,
    _writing,
    _wrote,
    app,
    out,
)
from solver.desk.messages import MessagePlan, message_plan
from solver.outputs.folder import Writer, add_to_set, folder_problem, write_set


@app.command()
def notify(
    scenario_file: ScenarioArg,
    folder: RunFolder,
    now: NowOption = None,
    out_dir: IntoOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Plan the messages to patients: confirmations, reminders, and a re-plan's moved,
    cancelled and waitlist notices and deposit requests, with quiet hours kept. Writes
    messages.csv (what goes when, with its text) and messages_skipped.csv (what does not
    go, and why); prints counts only."""
    schedule_file, changes_file = _run_files(folder)
    target = folder if out_dir is None else out_dir
    beside = _same_folder(target, folder)
    inputs = {} if beside else {"scenario": scenario_file, "schedule": schedule_file}
    _refuse_out(folder_problem(target, inputs), "--out" if out_dir is not None else "DIR")
    scenario = _load(scenario_file)
    with _input_errors():
        schedule = _read_schedule(schedule_file)
        _fits(scenario, schedule, schedule_file)
        changes = _read_changes(changes_file)
        moment = _desk_time(now, scenario)
    plan = message_plan(scenario, schedule, moment, changes)
    writers: dict[str, Writer] = {
        "messages.csv": lambda path: write_csv(plan.messages, path),
        "messages_skipped.csv": lambda path: write_csv(plan.skipped, path),
    }
    with _writing(target):
        paths = add_to_set(target, writers) if beside else write_set(target, writers, "notify")
    figures = _figures(plan)
    if as_json:
        print(json.dumps({"now": moment.isoformat()} | figures | _wrote(paths), indent=2))
    else:
        _show(plan, figures, moment)
        out.print("wrote " + ", ".join(str(path) for path in paths))


def _same_folder(first: Path, second: Path) -> bool:
    return os.path.realpath(first) == os.path.realpath(second)


def _figures(plan: MessagePlan) -> dict[str, Any]:
    """Messages by kind and channel, skipped by reason: counts, never text or names."""
    messages, skipped = plan.messages, plan.skipped
    by_kind: dict[str, dict[str, int]] = {}
    pairs = zip(messages["kind"], messages["channel"], strict=True)
    for (kind, channel), count in Counter(pairs).items():
        by_kind.setdefault(kind, {})[channel] = count
    return {
        "messages": len(messages),
        "by_kind": dict(sorted(by_kind.items())),
        "skipped": len(skipped),
        "skipped_by_reason": dict(Counter(skipped["reason"]).most_common()),
    }


def _show(plan: MessagePlan, figures: dict[str, Any], moment: datetime) -> None:
    out.print(f"Messages planned at {moment:%Y-%m-%d %H:%M}")
    table = Table()
    for column in ("kind", "sms", "email"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, channels in figures["by_kind"].items():
        table.add_row(kind, *(str(channels.get(channel, 0)) for channel in ("sms", "email")))
    out.print(table)
    first = plan.messages["send_at"].min() if len(plan.messages) else None
    when = f", the first at {first:%a %Y-%m-%d %H:%M}" if first is not None else ""
    out.print(f"{figures['messages']} message(s) to send{when}")
    out.print(f"{figures['skipped']} not sent:")
    for reason, count in figures["skipped_by_reason"].items():
        out.print(_said(f"  {count:>5}  {reason}"))
