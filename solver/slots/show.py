"""A call's answer as the desk reads it: the options as rows (for the terminal, options.csv
and JSON) and the why-not verdicts as data."""

from __future__ import annotations

from typing import Any

from solver.slots.options import Move, Option, Recommendation
from solver.slots.why_not import WhyNot


def move_text(move: Move) -> str:
    """'r_122 10:45 -> 10:00 in facial_2'."""
    room = f" in {move.to_room}" if move.to_room != move.from_room else ""
    return f"{move.booking_id} {move.from_start:%H:%M} -> {move.to_start:%H:%M}{room}"


OPTION_COLUMNS = [
    *("rank", "date", "weekday", "start", "end", "provider_id", "room_id", "equipment"),
    *("change", "why", "moves"),
]
"""The columns of options.csv, as `option_row` fills them."""


def option_row(rank: int, option: Option) -> dict[str, Any]:
    """One option as a flat row (options.csv, the terminal table)."""
    return {
        "rank": rank,
        "date": option.start.date().isoformat(),
        "weekday": f"{option.start:%a}",
        "start": option.start.isoformat(),
        "end": option.end.isoformat(),
        "provider_id": option.provider_id,
        "room_id": option.room_id,
        "equipment": option.equipment,
        "change": option.change,
        "why": option.why,
        "moves": "; ".join(move_text(m) for m in option.moves),
    }


def recommendation_data(recommendation: Recommendation) -> dict[str, Any]:
    """The answer as JSON data: the request, the options best first (each term and move
    itemised), or the refusal."""
    request = recommendation.call.request
    refusal = recommendation.refusal
    return {
        "request": request.model_dump(mode="json", exclude_defaults=True),
        "options": [
            {
                **option_row(rank, option),
                "terms": option.terms,
                "moves": [
                    {
                        "booking_id": m.booking_id,
                        "patient_id": m.patient_id,
                        "service_id": m.service_id,
                        "provider_id": m.provider_id,
                        "from_start": m.from_start.isoformat(),
                        "to_start": m.to_start.isoformat(),
                        "from_room": m.from_room,
                        "to_room": m.to_room,
                    }
                    for m in option.moves
                ],
            }
            for rank, option in enumerate(recommendation.options, 1)
        ],
        "refusal": None if refusal is None else vars(refusal),
    }


def why_not_data(answer: WhyNot) -> dict[str, Any]:
    """The why-not answer as JSON data."""
    return {
        "at": answer.at.isoformat(),
        "refusal": None if answer.refusal is None else vars(answer.refusal),
        "verdicts": [
            {
                "provider_id": v.provider_id,
                "rule": v.rule,
                "words": v.words,
                "blocking": v.blocking,
                "smallest_set_to_move": v.smallest,
                "change_if_booked": v.option.change if v.option else None,
            }
            for v in answer.verdicts
        ],
    }
