"""`python -m benchmarks.slots`: how fast the front desk's question is answered.

Each clinic (the sample week, and a generated clinic of 1,000 requests) is solved once; then
many random calls (a patient of the clinic, a service, the whole week or a day or two, now and
then a preferred provider) are asked twice from the same schedule: `recommend` with the top 5
and no moves, and with up to 2 moves. Latency is wall-clock time of the Python call, from
opening the call (the state of the calendar) to the ranked options, as a desk application
calling the library sees it (a `medspa slots` process adds Python's start-up and the imports,
about a second, and the schedule's check). For some of the calls `reshuffle --event
new_request` books the same request too: the first option's objective change is compared with
that of booking the request where the re-plan put it (when that time is free as the calendar
stands; otherwise with the first option with moves).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.report import machine_description
from benchmarks.runner import clinic_size
from checker import check_schedule
from models.events import NewRequest
from models.loader import load_scenario
from models.results import Schedule
from models.scenario import Request, Scenario
from models.spreadsheet import write_csv
from models.writing import write_atomically
from scenarios.generator import generate_scenario
from solver.outputs.plots import save_figure
from solver.replan import reshuffle
from solver.slots import call_request, open_call, ranked
from solver.slots.take import take
from solver.slots.why_not import why_not
from solver.solve import solve

TARGETS = {
    ("sample", 0): 0.2,
    ("sample", 2): 1.0,
    ("generated_1000", 0): 0.5,
    ("generated_1000", 2): 2.0,
}
"""p95 latency targets in seconds, by clinic and moves."""
SAMPLE = Path("scenarios/sample_clinic.yaml")


@dataclass
class Ask:
    """One call asked with a number of moves."""

    clinic: str
    call: int
    patient: str
    service: str
    window_days: int
    moves: int
    eligible: bool
    """The request may be booked (else the call is answered by its refusal, at once)."""
    latency: float
    options: int
    first_change: int | None
    first_moves: int
    refusal: str
    checker_ok: bool
    reshuffle: str = ""
    """Where reshuffle booked the same call: free, moved (bookings moved for it), none, or
    empty when not asked."""
    reshuffle_change: int | None = None
    """The change of booking the request alone where reshuffle put it, when that was free."""


def _calls(scenario: Scenario, schedule: Schedule, count: int, seed: int) -> list[Request]:
    rng = random.Random(seed)
    clock = scenario.clinic.clock()
    calls = []
    for _ in range(count):
        service = rng.choice(scenario.services)
        first = rng.randrange(clock.num_days)
        span = rng.choice([clock.num_days, 1, 2])
        last = min(clock.num_days - 1, first + span - 1) if span < clock.num_days else None
        able = [p.id for p in scenario.providers if service.id in p.services]
        preferred = rng.choice(able) if able and rng.random() < 0.3 else None
        calls.append(
            call_request(
                scenario,
                schedule,
                rng.choice(scenario.patients).id,
                service.id,
                earliest=None if last is None else clock.day(first),
                latest=None if last is None else clock.day(last),
                preferred_provider=preferred,
            )
        )
    return calls


def run(
    name: str, scenario: Scenario, night_limit: float, calls: int, compared: int, seed: int
) -> list[Ask]:
    """Solve the clinic, then ask `calls` random calls with 0 and 2 moves (the first
    `compared` of them also through reshuffle)."""
    night = solve(scenario, time_limit=night_limit, num_workers=2, seed=seed)
    schedule = night.schedule
    print(f"{name}: {len(schedule.booked())} booked")
    asks = []
    for index, request in enumerate(_calls(scenario, schedule, calls, seed)):
        for moves in (0, 2):
            started = time.perf_counter()
            answer = ranked(open_call(scenario, schedule, request), 5, moves)
            latency = time.perf_counter() - started
            first = answer.options[0] if answer.options else None
            ask = Ask(
                clinic=name,
                call=index,
                patient=request.patient,
                service=request.service,
                window_days=(request.latest - request.earliest).days + 1,
                moves=moves,
                eligible=answer.call.job is not None,
                latency=round(latency, 4),
                options=len(answer.options),
                first_change=None if first is None else first.change,
                first_moves=0 if first is None else len(first.moves),
                refusal="" if answer.refusal is None else answer.refusal.code,
                checker_ok=all(
                    not check_schedule(t.state, t.schedule)
                    for t in (take(answer.call, o) for o in answer.options[:2])
                ),
            )
            if index < compared and moves == 0:
                ask.reshuffle, ask.reshuffle_change = _reshuffle(scenario, schedule, request)
            asks.append(ask)
        print(
            f"{index:4d} {request.service:>22} {asks[-2].latency:6.3f} s {asks[-1].latency:6.3f} s"
        )
    return asks


def _reshuffle(scenario: Scenario, schedule: Schedule, request: Request) -> tuple[str, int | None]:
    """Where a re-plan with the new_request event books the request ("free": at a time free
    as the calendar stands; "moved": only with bookings moved; "none": not at all), and for a
    free time the objective change of booking the request there alone."""
    clock = scenario.clinic.clock()
    now, last = clock.local(0) + timedelta(minutes=1), clock.day(clock.num_days - 1)
    event = NewRequest(request=request)
    result = reshuffle(scenario, schedule, [event], now, time_limit=1.0, through=last)
    row = next(r for r in result.schedule.appointments if r.request_id == request.id)
    if row.status != "booked" or row.start is None:
        return "none", None
    verdict = why_not(open_call(scenario, schedule, request), row.start, row.provider_id)
    option = verdict.verdicts[0].option
    return ("free", option.change) if option is not None else ("moved", None)


def summary(asks: list[Ask]) -> list[dict[str, Any]]:
    """Per clinic and moves: latency percentiles, options, the comparison with reshuffle."""
    rows = []
    frame = pd.DataFrame([asdict(a) for a in asks])
    for (clinic, moves), group in frame.groupby(["clinic", "moves"], sort=False):
        latencies = sorted(group[group["eligible"]]["latency"]) or [0.0]
        p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
        both = group.dropna(subset=["reshuffle_change"])
        ahead = both[both["first_change"].fillna(-(10**12)) >= both["reshuffle_change"]]
        asked = group[group["reshuffle"] != ""]
        rows.append(
            {
                "clinic": clinic,
                "moves": moves,
                "calls": len(group),
                "eligible": int(group["eligible"].sum()),
                "p50_s": round(statistics.median(latencies), 4),
                "p95_s": round(p95, 4),
                "max_s": round(latencies[-1], 4),
                "target_p95_s": TARGETS.get((str(clinic), int(str(moves)))),
                "with_options": int((group["options"] > 0).sum()),
                "first_needs_moves": int((group["first_moves"] > 0).sum()),
                "checker_ok": bool(group["checker_ok"].all()),
                "reshuffle_asked": len(asked),
                "reshuffle_free_time": len(both),
                "reshuffle_moved_bookings": int((asked["reshuffle"] == "moved").sum()),
                "reshuffle_not_booked": int((asked["reshuffle"] == "none").sum()),
                "first_at_least_as_good": len(ahead),
            }
        )
    return rows


def write(asks: list[Ask], out: Path, setup: str) -> list[Path]:
    """slots.csv (every call), slots.md (the table) and slots_latency.png under `out`."""
    import matplotlib.pyplot as plt

    frame = pd.DataFrame([asdict(a) for a in asks])
    rows = summary(asks)
    write_csv(frame, out / "slots.csv")
    head = [
        "clinic",
        "moves",
        "calls",
        "p50_s",
        "p95_s",
        "max_s",
        "target_p95_s",
        "met",
        "with_options",
        "checker_ok",
    ]
    lines = [
        "# The front desk's question: ranked slots for one call",
        "",
        f"Machine: {machine_description()}",
        "",
        setup,
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for row in rows:
        target = row["target_p95_s"]
        met = "" if target is None else ("yes" if float(row["p95_s"]) <= float(target) else "no")
        cells = {**row, "met": met, "target_p95_s": "" if target is None else target}
        lines.append("| " + " | ".join(str(cells[c]) for c in head) + " |")
    lines += [
        "",
        "Against `reshuffle --event new_request` for the same call (1 s re-plan of the whole "
        "week, `--through` its last day), compared with the first option without moves:",
        "",
        "| clinic | asked | re-plan booked it at a free time | first option at least as good |"
        " re-plan moved bookings for it | re-plan did not book it |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["moves"] == 0:
            lines.append(
                f"| {row['clinic']} | {row['reshuffle_asked']} | {row['reshuffle_free_time']} | "
                f"{row['first_at_least_as_good']} | {row['reshuffle_moved_bookings']} | "
                f"{row['reshuffle_not_booked']} |"
            )
    paths = [out / "slots.csv", out / "slots.md", out / "slots_latency.png"]
    write_atomically(paths[1], "\n".join(lines) + "\n")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained", sharey=True)
    for ax, clinic in zip(axes, dict.fromkeys(frame["clinic"]), strict=False):
        for moves, colour in ((0, "#4c72b0"), (2, "#dd8452")):
            data = frame[(frame["clinic"] == clinic) & (frame["moves"] == moves)]["latency"] * 1000
            ax.hist(data, bins=30, alpha=0.7, color=colour, label=f"{moves} moves")
            target = TARGETS.get((clinic, moves))
            if target is not None:
                ax.axvline(target * 1000, color=colour, linestyle="--")
        ax.set_title(clinic)
        ax.set_xlabel("latency (ms); dashed: p95 target")
        ax.legend()
    axes[0].set_ylabel("calls")
    save_figure(fig, paths[2])
    return paths


def main() -> None:
    """Command line of the slots benchmark."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.slots", description=__doc__)
    parser.add_argument("--calls", type=int, default=200, help="random calls per clinic")
    parser.add_argument("--compared", type=int, default=30, help="of them, also re-planned")
    parser.add_argument("--night-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    providers, days = clinic_size(1000)
    clinics = {
        "sample": load_scenario(SAMPLE),
        "generated_1000": generate_scenario(1000, providers, days, seed=args.seed),
    }
    asks = []
    for name, scenario in clinics.items():
        asks += run(name, scenario, args.night_limit, args.calls, args.compared, args.seed)
    setup = (
        f"{args.calls} random calls per clinic (seed {args.seed}), each asked with 0 and 2 moves, "
        f"top 5, from the schedule of a {args.night_limit:g} s solve (2 workers); generated_1000: "
        f"1,000 requests, {providers} providers, {days} days. Latency: the Python call "
        "(open_call + ranked), wall clock; percentiles over the eligible calls (a call the "
        "rules refuse is answered at once)."
    )
    for path in write(asks, args.out, setup):
        print(path)


if __name__ == "__main__":
    main()
