"""Same-day events as data: what happened to the calendar, to be re-planned around.

Times are the clinic's local wall-clock times (an offset, if given, is converted). On the
command line an event is written `kind:target,key=value,...`, for example
`cancel:q17`, `provider_out:rn_kim,from=2026-12-08T12:00,to=2026-12-08T19:00`,
`running_late:md_lee,minutes=20`, `room_down:laser_1,from=...,to=...`,
`new_request:patient=p4,service=botox,earliest=2026-12-08,latest=2026-12-09`,
`reschedule:q21,earliest=2026-12-09,latest=2026-12-10`, `deposit_paid:q9`, and the patient's
replies `confirm:q17` and `decline:q21`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from models.findings import excerpt
from models.scenario import Request
from models.times import MINUTES_PER_DAY

MAX_EVENTS = 1_000
"""Events in one re-plan: a busy day brings tens; a thousand keeps a re-plan quick."""
_EVENT_QUOTE = 120
"""Characters of an event's text quoted back: one event line holds several values."""


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Cancel(_Event):
    """A patient cancels a booked appointment (late if inside the cancellation notice)."""

    kind: Literal["cancel"] = "cancel"
    booking: str
    """Id of the booked row (request or booking id in schedule.csv)."""
    at: datetime | None = None
    """When the patient called; defaults to the re-plan's "now"."""


class NoShow(_Event):
    """A patient did not come; the rest of their slot is free."""

    kind: Literal["no_show"] = "no_show"
    booking: str
    """Id of the booked row."""


class ProviderOut(_Event):
    """A provider is unavailable (sick, called away) for a span of time."""

    kind: Literal["provider_out"] = "provider_out"
    provider: str
    """Provider id."""
    start: datetime | None = Field(default=None, alias="from")
    """From when; defaults to "now"."""
    end: datetime | None = Field(default=None, alias="to")
    """Until when; defaults to the end of that day."""


class RunningLate(_Event):
    """A provider runs late: nothing new can start with them for some minutes from now."""

    kind: Literal["running_late"] = "running_late"
    provider: str
    """Provider id."""
    minutes: int = Field(gt=0)
    """How late, in minutes (at most a day)."""

    @field_validator("minutes")
    @classmethod
    def _within_a_day(cls, minutes: int) -> int:
        if minutes > MINUTES_PER_DAY:
            raise ValueError(
                f"{minutes:,} minutes is more than a day; running late is at most "
                f"{MINUTES_PER_DAY:,} minutes, for a longer absence use provider_out with from "
                "and to"
            )
        return minutes


class RoomOrMachineDown(_Event):
    """A room, or one unit of a machine, is out of service for a span of time."""

    kind: Literal["room_down", "machine_down", "room_or_machine_down"] = "room_or_machine_down"
    id: str
    """Room id or equipment id."""
    start: datetime | None = Field(default=None, alias="from")
    """From when; defaults to "now"."""
    end: datetime | None = Field(default=None, alias="to")
    """Until when; defaults to the end of that day."""


class NewRequest(_Event):
    """A new request to fit in (a walk-in, a phone call)."""

    kind: Literal["new_request"] = "new_request"
    request: Request
    """The request, as in a scenario file."""

    @model_validator(mode="before")
    @classmethod
    def _flat_fields(cls, value: Any) -> Any:
        if isinstance(value, dict) and "request" not in value:
            fields = {k: v for k, v in value.items() if k != "kind"}
            fields.setdefault(
                "id", f"new_{fields.get('patient', 'patient')}_{fields.get('service', '')}"
            )
            return {"kind": "new_request", "request": fields}
        return value


class Reschedule(_Event):
    """A patient asks to move a booked appointment into a new window of days."""

    kind: Literal["reschedule"] = "reschedule"
    booking: str
    """Id of the booked row."""
    earliest: date
    """First acceptable day."""
    latest: date
    """Last acceptable day."""


class Confirm(_Event):
    """The patient confirmed a booked appointment (replied C): it stays where it is, marked
    confirmed."""

    kind: Literal["confirm"] = "confirm"
    booking: str
    """Id of the booked row."""


class Decline(_Event):
    """A waitlist patient turned down the slot they were offered: it is released, without a
    fee, to the next on the waitlist."""

    kind: Literal["decline"] = "decline"
    booking: str
    """Id of the booked row (a waitlist request's, or a booking a re-plan made from the
    waitlist)."""


class DepositPaid(_Event):
    """A patient paid the deposit of a booked appointment: held, it stays, no longer held (an
    appointment not held stays as it is)."""

    kind: Literal["deposit_paid"] = "deposit_paid"
    booking: str
    """Id of the booked row (held: it has a pay_by in schedule.csv)."""


Event = Annotated[
    Cancel
    | NoShow
    | ProviderOut
    | RunningLate
    | RoomOrMachineDown
    | NewRequest
    | Reschedule
    | DepositPaid
    | Confirm
    | Decline,
    Field(discriminator="kind"),
]
EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(list[Event])
_TARGET = {
    "cancel": "booking",
    "no_show": "booking",
    "reschedule": "booking",
    "confirm": "booking",
    "decline": "booking",
    "deposit_paid": "booking",
    "provider_out": "provider",
    "running_late": "provider",
    "room_down": "id",
    "machine_down": "id",
    "room_or_machine_down": "id",
}


EVENT_KINDS = frozenset([*_TARGET, "new_request"])
"""Every event kind."""


def problem_text(detail: ErrorDetails) -> str:
    """What is wrong with one field of an event, quoting at most an excerpt of the value."""
    message = detail["msg"].removeprefix("Value error, ")
    quoted = detail["type"] not in {"missing", "extra_forbidden", "value_error"}
    if quoted and not isinstance(detail["input"], dict | list):
        message = f"{message} (got {excerpt(detail['input'])})"
    return message


def parse_event(text: str) -> Any:
    """An event from its command-line form `kind:target,key=value,...`; ValueError if malformed."""
    kind, _, rest = text.partition(":")
    kind = kind.strip()
    event = excerpt(text, _EVENT_QUOTE)
    if kind not in EVENT_KINDS:
        kinds = ", ".join(sorted(EVENT_KINDS))
        raise ValueError(f"event {event}: unknown kind {excerpt(kind)}; use one of {kinds}")
    fields: dict[str, Any] = {"kind": kind}
    for position, part in enumerate(p for p in rest.split(",") if p.strip()):
        key, sep, value = part.partition("=")
        if sep:
            fields[key.strip()] = value.strip()
        elif position == 0 and kind in _TARGET:
            fields[_TARGET[kind]] = key.strip()
        else:
            raise ValueError(f"{excerpt(part)} in {event} is not key=value")
    try:
        return EVENT_ADAPTER.validate_python([fields])[0]
    except ValidationError as error:
        detail = error.errors()[0]
        where = ".".join(str(p) for p in detail["loc"][2:]) or kind
        raise ValueError(f"event {event}: {where}: {problem_text(detail)}") from None
