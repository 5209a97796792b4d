"""The scenario: a clinic's rulebook (clinic, policies, services, people, rooms, machines)
plus the appointment requests and the bookings already on the calendar.

Field-level rules are validated here; rules that tie items together (unknown or duplicate
ids, overlapping hours, times off the slot grid) live in `models.validation` and run when a
`Scenario` is built.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from models import limits
from models.dayparts import DEFAULT_DAY_PARTS, DayPartName, PreferredTime, day_part_key, resolve
from models.findings import excerpt
from models.money import CURRENCY_CODES, DECIMALS, DEFAULT_CURRENCY, money
from models.shapes import DATE_SCHEMA, Day, Moment, ShortForm, Words, _on_the_calendar
from models.times import (
    MINUTES_PER_DAY,
    WEEKDAY_WORDS,
    WEEKDAYS,
    ByWeekday,
    ClinicClock,
    DailyHours,
    Hours,
    RangeList,
    TimeRange,
    Weekday,
    format_clock,
    parse_clock,
    weekday_of,
)

Date = date  # field names `date` below would shadow the type

Category = Literal["consult", "treatment", "follow_up", "touch_up"]
CATEGORIES: tuple[str, ...] = get_args(Category)
Tier = Literal["vip", "member", "returning", "new"]
Source = Literal["new", "waitlist", "reschedule"]
BookingStatus = Literal[
    "confirmed",
    "cancelled",
    "cancelled_late",
    "no_show",
    "declined",
    "offer_expired",
    "hold_expired",
]
RELEASED_STATUSES = frozenset(get_args(BookingStatus)) - {"confirmed"}
"""Statuses of a booking the patient gave up: it no longer holds any time."""
CalendarDetail = Literal["initials", "first_name", "none"]
Channel = Literal["sms", "email"]
CHANNELS: tuple[str, ...] = get_args(Channel)
ChannelWord = Annotated[Channel, Words("channel", Channel, {"text": "sms"})]
"""A message channel: sms (a text; "text" is read as sms) or email."""
WaitlistKey = Literal["displaced", "priority", "tier", "requested_at", "value"]
TIER_WORDS = Words("tier", Tier)
"""Patient tiers in any case ("VIP"), for tier fields and the keys of tier_weights."""
Minutes = Annotated[int, Field(ge=0, le=limits.MAX_SERVICE_MINUTES)]
NoticeHours = Annotated[int, Field(ge=0, le=limits.MAX_NOTICE_HOURS)]
Penalty = Annotated[int, Field(ge=0, le=limits.MAX_PENALTY)]
Money = Annotated[float, Field(ge=0, le=limits.MAX_MONEY, allow_inf_nan=False)]
Identifier = Annotated[
    str,
    Field(min_length=1, max_length=limits.MAX_ID_CHARACTERS, pattern=r"^[A-Za-z0-9_.:\-]+$"),
]

DEFAULT_TIER_WEIGHTS: dict[Tier, int] = {"vip": 4, "member": 3, "returning": 2, "new": 1}

DEFER_CROSS_CHECKS = "defer_cross_checks"
"""Validation context key: the loader runs the cross-reference checks itself."""


class Strict(BaseModel):
    """Base of every scenario item: unknown fields are errors, docstrings describe fields."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Horizon(Strict):
    """The days being scheduled."""

    start: Day
    """First day of the horizon (local date)."""
    days: int = Field(ge=1, le=366)
    """Number of consecutive days, the first included."""


class Clinic(Strict):
    """The clinic itself: where, when it is open and on which time grid it books."""

    name: str = Field(min_length=1)
    """Name shown on reports."""
    timezone: str
    """IANA timezone of the clinic, e.g. America/New_York; all times are local to it."""
    slot_minutes: int = Field(
        default=5, ge=1, le=60, json_schema_extra={"enum": [m for m in range(1, 61) if 60 % m == 0]}
    )
    """Booking grid in minutes: starts, durations and hours must be multiples of it."""
    horizon: Horizon
    """The days to schedule."""
    hours: ByWeekday[Hours] = Field(default_factory=dict)
    """Opening hours per weekday ("09:00-19:00"); a missing weekday is closed."""
    closed_dates: list[Day] = Field(default_factory=list, max_length=limits.MAX_ENTRIES)
    """Dates the clinic is closed although the weekday is open (holidays)."""
    currency: str = Field(
        default=DEFAULT_CURRENCY, json_schema_extra={"enum": list(CURRENCY_CODES)}
    )
    """ISO 4217 code of the currency of deposits and values, e.g. USD, EUR, GBP."""
    phone: str | None = Field(default=None, min_length=1, max_length=limits.MAX_ID_CHARACTERS)
    """The clinic's phone number, for messages to patients ({{ clinic_phone }})."""

    @field_validator("slot_minutes")
    @classmethod
    def _divides_hour(cls, value: int) -> int:
        if 60 % value:
            raise ValueError(
                f"a {value}-minute grid does not divide an hour; use 5, 10, 15, 30 or 60"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ClinicClock(value, date(2000, 1, 1), 1)
        except Exception as error:
            raise ValueError(
                f"'{value}' is not an IANA timezone; use a name like 'America/New_York'"
            ) from error
        return value

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value in DECIMALS:
            return value
        if value.strip().upper() in DECIMALS:
            raise ValueError(f"write the currency code in capitals: {value.strip().upper()}")
        raise ValueError(
            f"{excerpt(value)} is not an ISO 4217 currency code; write the three letters of the "
            "clinic's currency, e.g. USD, EUR or GBP"
        )

    def money(self, amount: float) -> str:
        """An amount in the clinic's currency, e.g. "$100.00" or "100.00 EUR"."""
        return money(amount, self.currency)

    def clock(self) -> ClinicClock:
        """The converter between clinic minutes and local datetimes for this horizon."""
        return ClinicClock(self.timezone, self.horizon.start, self.horizon.days)


class Reminder(Strict):
    """A message sent to the patient about an appointment: on booking, a number of hours
    before it, or at a local time of day a number of days before its day."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["on_booking"], "properties": {"on_booking": {"const": True}}},
                {"required": ["hours_before"], "properties": {"hours_before": {"type": "integer"}}},
                {"required": ["days_before", "at"]},
            ]
        }
    )

    name: str = Field(min_length=1)
    """What the clinic calls this reminder."""
    on_booking: bool = False
    """Send as soon as the appointment is booked (the confirmation)."""
    hours_before: NoticeHours | None = None
    """Send this many hours before the appointment."""
    days_before: int | None = Field(default=None, ge=0, le=limits.MAX_DAYS_BETWEEN)
    """Send this many days before the appointment's day, at the local time `at`."""
    at: str | None = None
    """Local time of day of a days_before reminder ("09:00", "2pm")."""
    channel: ChannelWord = "sms"
    """sms or email."""
    only_if_unconfirmed: bool = False
    """Send only if the patient has not confirmed the appointment by then."""
    template: str | None = None
    """Message template (Jinja2, e.g. "Hi {{ first_name }}"); without one the reminder cannot
    be sent."""

    @field_validator("at")
    @classmethod
    def _time_of_day(cls, value: str | None) -> str | None:
        if value is None:
            return None
        minute = parse_clock(value)
        if minute >= MINUTES_PER_DAY:
            raise ValueError(f"'{value}' is the end of the day; a reminder goes out at 00:00-23:59")
        return format_clock(minute)

    @model_validator(mode="after")
    def _has_timing(self) -> Reminder:
        timings = [
            name
            for name, given in (
                ("on_booking: true", self.on_booking),
                ("hours_before", self.hours_before is not None),
                ("days_before", self.days_before is not None),
            )
            if given
        ]
        if not timings:
            raise ValueError(
                "a reminder needs on_booking: true, hours_before: N, or days_before: N with "
                "at: HH:MM"
            )
        if len(timings) > 1:
            raise ValueError(f"a reminder has one timing; it has {' and '.join(timings)}, keep one")
        if (self.days_before is None) != (self.at is None):
            raise ValueError(
                "days_before and at go together: days_before: 2, at: '09:00' sends at 9 am two "
                "days before the appointment's day"
            )
        return self

    @property
    def minute_of_day(self) -> int | None:
        """The local minute of day of a days_before reminder."""
        return parse_clock(self.at) if self.at is not None else None


class Notice(Strict):
    """A message the clinic sends when something happens to an appointment."""

    template: str = Field(min_length=1)
    """Message template (Jinja2, e.g. "Hi {{ first_name }}")."""
    channel: ChannelWord = "sms"
    """sms or email."""


def _template_only(value: Any) -> Any:
    """A template alone as a notice on the default channel."""
    return {"template": value} if isinstance(value, str) else value


NoticeTemplate = Annotated[
    Notice | None, ShortForm({"type": "string", "minLength": 1}, _template_only)
]
"""A notice, or its template alone (sent by sms)."""


class Notices(Strict):
    """The messages for what a re-plan or a hold does to an appointment; one left out is not
    sent (the audit says which are missing)."""

    moved: NoticeTemplate = None
    """To a patient whose appointment moved (a new time, provider or room)."""
    cancelled: NoticeTemplate = None
    """To a patient whose appointment the clinic cancelled or could not keep."""
    waitlist_offer: NoticeTemplate = None
    """To a waitlist patient offered a freed slot, with a reply-by time ({{ reply_by }})."""
    deposit_request: NoticeTemplate = None
    """To a patient whose appointment is held until the deposit is paid ({{ pay_by }})."""


NOTICE_KINDS: tuple[str, ...] = tuple(Notices.model_fields)
"""The notices by their names in policies.notices."""


class MessageLengths(Strict):
    """The longest message, in characters, a channel sends."""

    sms: int = Field(default=320, ge=1, le=10_000)
    """A text: 160 characters is one segment; 320 two."""
    email: int = Field(default=5_000, ge=1, le=100_000)
    """An email's text."""


class Penalties(Strict):
    """Weights of the soft rules, in priority-minutes (one booked minute of a weight-1 patient)."""

    preferred_provider: Penalty = 10
    """Booked with someone other than the patient's preferred provider."""
    preferred_time: Penalty = 5
    """Booked outside every preferred time range of the request."""
    over_daily_bookings: Penalty = 60
    """Each booking beyond a provider's max_bookings_per_day."""
    non_preferred_service: Penalty = 2
    """A provider with preferred services booked for another service."""
    moved_booking: Penalty = 30
    """An existing unlocked booking moved to another time."""
    idle_slot: Penalty = 1
    """Each idle slot between a provider's first and last appointment of a day."""


PENALTY_NAMES: tuple[str, ...] = tuple(Penalties.model_fields)
"""The soft rules, by the names used in policies.penalties, kpis.json and the objective terms."""


Rota = dict[Weekday | date, str]
"""Who is on duty: an owner per weekday (every week) and per date (that day only)."""

_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_OWNER_SCHEMA = {"type": "string", "minLength": 1, "pattern": r"\S"}


def _owner(value: Any, where: str) -> str:
    """An owner as written: a role or a name, not blank."""
    if not isinstance(value, str) or not value.strip():
        shown = "nothing" if value is None else excerpt(value)
        raise ValueError(
            f"{where} names no owner (got {shown}); name the role or person, e.g. 'front_desk_lead'"
        )
    return value


def _rota_day(key: Any) -> Weekday | date:
    """A day of a rota: a weekday by any of its names, or a date YYYY-MM-DD."""
    if isinstance(key, date) and not isinstance(key, datetime):
        return _on_the_calendar(key)
    word = WEEKDAY_WORDS.read(key)
    if word in WEEKDAYS:
        return word
    if not isinstance(key, str) or not _ISO_DATE.match(key):
        raise ValueError(
            f"{excerpt(str(key))} is neither a weekday (mon ... sun, or Monday ... Sunday) nor "
            "a date YYYY-MM-DD; write the day as one of those"
        )
    try:
        day = date.fromisoformat(key)
    except ValueError:
        message = f"{excerpt(key)} is not a date on the calendar; check the month and day"
        raise ValueError(message) from None
    return _on_the_calendar(day)


def _name_or_rota(value: Any) -> str | Rota | None:
    """policies.escalation_owner: one owner, or a rota of owners by weekday and date (a date's
    owner stands in for its weekday's); the errors name the day as written."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise ValueError(
            f"{excerpt(value)} is neither an owner nor a rota; write a name, or a mapping of "
            "weekdays and dates to names, e.g. {mon: dana, 2026-12-24: sam}"
        )
    rota: Rota = {}
    written: dict[Weekday | date, Any] = {}
    for key, owner in value.items():
        day = _rota_day(key)
        first = written.setdefault(day, key)
        if first != key:
            raise ValueError(f"{excerpt(str(first))} and {excerpt(str(key))} are one day; keep one")
        rota[day] = _owner(owner, f"the rota's {excerpt(str(key))}")
    return rota


def _rota_data(value: str | Rota | None) -> str | dict[str, str] | None:
    """The owner or rota as a file writes it: a rota's dates as YYYY-MM-DD."""
    if isinstance(value, dict):
        return {day if isinstance(day, str) else day.isoformat(): o for day, o in value.items()}
    return value


_ROTA_SCHEMA = {
    "type": "object",
    "propertyNames": {
        "type": "string",
        "anyOf": [{"pattern": WEEKDAY_WORDS.pattern}, DATE_SCHEMA],
    },
    "additionalProperties": _OWNER_SCHEMA,
}
OwnerOrRota = Annotated[
    str | Rota | None,
    PlainValidator(_name_or_rota),
    PlainSerializer(_rota_data),
    WithJsonSchema({"anyOf": [{"type": "string"}, _ROTA_SCHEMA, {"type": "null"}]}),
]
"""One owner, or who is on duty by weekday and date."""
Owner = Annotated[
    str,
    PlainValidator(lambda value: _owner(value, "it")),
    WithJsonSchema(_OWNER_SCHEMA),
]
"""A role or a person, not blank."""


class Policies(Strict):
    """The clinic's booking policy: owners of exceptions, deposits, waitlist order, weights."""

    escalation_owner: OwnerOrRota = None
    """Who handles requests the optimizer cannot book (a role or a name), or a duty rota:
    an owner per weekday and per date, e.g. {mon: dana, fri: sam, 2026-12-24: sam}; a date
    beats its weekday."""
    exception_owners: dict[Identifier, Owner] = Field(
        default_factory=dict, max_length=limits.MAX_ENTRIES
    )
    """Who handles an exception of a reason code, over every other owner, e.g.
    {deposit_unpaid: billing} (the codes: docs/reasons.md)."""
    same_day_owner: str | None = None
    """Who handles same-day changes: cancellations, no-shows, a provider out, and the
    exceptions of the day itself (a re-plan's day, a solve's first day) and of bookings."""
    consult_valid_days: int = Field(default=365, ge=1, le=limits.MAX_DAYS_BETWEEN)
    """How long a consultation stays valid for treatments that require one."""
    deposit_deadline_hours: NoticeHours = 48
    """Deposit must be paid this many hours before the appointment."""
    cancellation_notice_hours: NoticeHours = 24
    """A cancellation with less notice is late (fee policy)."""
    waitlist_order: list[Annotated[WaitlistKey, Words("waitlist key", WaitlistKey)]] = Field(
        default_factory=list, max_length=len(get_args(WaitlistKey))
    )
    """Who gets freed time first, e.g. [displaced, priority, requested_at]."""
    tier_weights: Annotated[
        dict[
            Annotated[Tier, TIER_WORDS],
            Annotated[int, Field(ge=1, le=limits.MAX_TIER_WEIGHT)],
        ],
        TIER_WORDS.keys,
    ] = Field(default_factory=lambda: dict(DEFAULT_TIER_WEIGHTS))
    """Weight of one booked minute per patient tier; tiers left out keep their default."""
    max_moves_same_day: int = Field(default=3, ge=0, le=limits.MAX_BOOKINGS)
    """At most this many confirmed patients moved by one same-day change."""
    reminders: list[Reminder] = Field(default_factory=list, max_length=limits.MAX_RANGES)
    """Reminder messages and when they go out."""
    quiet_hours: DailyHours | None = None
    """No messages to patients in this range, every day; "21:00-08:00" runs overnight."""
    notices: Notices = Field(default_factory=Notices)
    """Messages for moved and cancelled appointments, waitlist offers and deposit holds."""
    message_lengths: MessageLengths = Field(default_factory=MessageLengths)
    """The longest message per channel; a longer rendered template is an audit finding."""
    waitlist_reply_minutes: int = Field(default=120, ge=5, le=limits.MAX_NOTICE_HOURS * 60)
    """How long a waitlist patient has to take an offered slot before it goes to the next."""
    deposit_holds: bool = False
    """Book a request whose deposit is unpaid as held, with a pay-by time
    deposit_deadline_hours before the appointment; unpaid by then, a re-plan releases it to
    the waitlist. Off: such a request goes to the exception queue."""
    calendar_detail: Annotated[CalendarDetail, Words("calendar detail", CalendarDetail)] = (
        "initials"
    )
    """What a calendar feed shows of a patient: initials, first_name, or none."""
    penalties: Penalties = Field(default_factory=Penalties)
    """Weights of the soft rules."""
    day_parts: dict[DayPartName, RangeList] = Field(
        default_factory=dict,
        max_length=limits.MAX_RANGES,
        json_schema_extra={"additionalProperties": False},
    )
    """Named times of day that requests may prefer, each a range or a list of ranges, e.g.
    {morning: "09:00-12:00"}; they replace or add to the default day parts: morning
    (00:00-12:00), afternoon (12:00-17:00), evening (17:00-24:00), am (00:00-12:00) and pm
    (12:00-24:00)."""

    @field_validator("reminders")
    @classmethod
    def _reminders_named_once(cls, value: list[Reminder]) -> list[Reminder]:
        seen: set[str] = set()
        for reminder in value:
            if reminder.name in seen:
                raise ValueError(
                    f"two reminders are named '{reminder.name}'; a message is known by its "
                    "reminder's name (messages.csv's message_id), so give each its own"
                )
            seen.add(reminder.name)
        return value

    @field_validator("day_parts")
    @classmethod
    def _named_once(cls, value: dict[str, list[TimeRange]]) -> dict[str, list[TimeRange]]:
        seen: dict[str, str] = {}
        for name, ranges in value.items():
            if not ranges:
                raise ValueError(f"day part '{name}' has no time; give it a range 'HH:MM-HH:MM'")
            first = seen.setdefault(day_part_key(name), name)
            if first != name:
                raise ValueError(
                    f"day parts '{first}' and '{name}' are one name (case does not count); keep one"
                )
        return value

    def escalation_owner_on(self, day: date) -> str | None:
        """The escalation owner on duty on `day`: the one owner, else the rota's owner of the
        date, else of its weekday; None when nobody is (a blank name is nobody)."""
        owner = self.escalation_owner
        if isinstance(owner, dict):
            owner = owner.get(day) or owner.get(weekday_of(day))
        return owner if owner and owner.strip() else None

    def day_part_ranges(self) -> dict[str, tuple[TimeRange, ...]]:
        """Every day part by day_part_key: the defaults, replaced or added to by day_parts."""
        written = {day_part_key(name): tuple(ranges) for name, ranges in self.day_parts.items()}
        return DEFAULT_DAY_PARTS | written

    @field_validator("tier_weights")
    @classmethod
    def _with_defaults(cls, value: dict[Tier, int]) -> dict[Tier, int]:
        return {**DEFAULT_TIER_WEIGHTS, **value}


class Service(Strict):
    """One item of the service menu.

    An appointment is ``duration`` hands-on minutes, then ``processing`` minutes in which
    the provider is free but the room and machines stay held (numbing, a body-contouring
    cycle), then ``finish`` hands-on minutes, then ``buffer_after`` minutes of room turnover.
    """

    id: Identifier
    """Unique service id used by providers, requests and bookings."""
    name: str = Field(min_length=1)
    """Name on the menu."""
    category: Annotated[Category, Words("category", Category)]
    """consult, treatment, follow_up or touch_up."""
    group: str | None = Field(default=None, min_length=1, max_length=limits.MAX_ID_CHARACTERS)
    """The clinic's group of services on the pictures (injectables, laser, facial, body,
    consult, ...); left out, consult for a consultation, else the first room type."""
    duration: int = Field(gt=0, le=limits.MAX_SERVICE_MINUTES)
    """Hands-on minutes at the start of the appointment."""
    processing: Minutes = 0
    """Minutes after the hands-on part when the provider is free but the room is held."""
    finish: Minutes = 0
    """Hands-on minutes after processing (e.g. removing an applicator)."""
    buffer_after: Minutes = 0
    """Room turnover minutes after the appointment."""
    room_types: list[Identifier] = Field(min_length=1, max_length=limits.MAX_ENTRIES)
    """Room types the service can take place in (any one of them)."""
    equipment: dict[str, Annotated[int, Field(ge=1, le=limits.MAX_UNITS)]] = Field(
        default_factory=dict, max_length=limits.MAX_ENTRIES
    )
    """Machines held for the whole appointment, as {equipment id: units}."""
    requires_consult: bool = False
    """A valid consultation that qualifies this service must come first."""
    qualifies: list[Identifier] | None = Field(default=None, max_length=limits.MAX_ENTRIES)
    """Consultations only: the services (ids) and categories this consultation qualifies;
    left out, it qualifies every service that requires a consult."""
    deposit: Money = 0
    """Deposit required to book (0 = none)."""
    value: Money = 0
    """Price, used for value KPIs."""
    min_days_between: int | None = Field(default=None, ge=1, le=limits.MAX_DAYS_BETWEEN)
    """Series spacing: days between two appointments of this service for one patient."""

    @model_validator(mode="after")
    def _finish_needs_processing(self) -> Service:
        if self.finish and not self.processing:
            raise ValueError("finish minutes only make sense after processing minutes; add both")
        return self

    @model_validator(mode="after")
    def _only_consults_qualify(self) -> Service:
        if self.qualifies is not None and self.category != "consult":
            raise ValueError(
                f"qualifies says what a consultation qualifies, but this service is a "
                f"{self.category}; remove qualifies, or make the category consult if the "
                "service is a consultation"
            )
        return self

    def qualifies_for(self, service: Service) -> bool:
        """Whether this consultation qualifies `service`: by its id or category in
        `qualifies`, or every service when `qualifies` is left out."""
        if self.category != "consult":
            return False
        listed = self.qualifies
        return listed is None or service.id in listed or service.category in listed

    @property
    def group_name(self) -> str:
        """The group as written, or as derived when left out: consult for a consultation,
        else the first room type."""
        if self.group is not None:
            return self.group
        return "consult" if self.category == "consult" else self.room_types[0]

    @property
    def length(self) -> int:
        """Minutes the patient is in the room: hands-on, processing and finish."""
        return self.duration + self.processing + self.finish

    @property
    def hands_on_minutes(self) -> int:
        """Minutes the provider works on the patient: before and after processing."""
        return self.duration + self.finish

    def hands_on(self, start: int) -> list[tuple[int, int]]:
        """The [start, end) minutes the provider is busy for an appointment starting at `start`."""
        parts = [(start, start + self.duration)]
        if self.finish:
            parts.append((start + self.length - self.finish, start + self.length))
        return parts


class TimeOff(Strict):
    """An absence: a whole day, several days, or part of a day."""

    date: Day
    """First day of the absence."""
    until: Day | None = None
    """Last day of a multi-day absence (inclusive)."""
    hours: Hours | None = None
    """Part of each day away ("12:00-15:00"); none = the whole day."""

    @model_validator(mode="after")
    def _ordered(self) -> TimeOff:
        if self.until is not None and self.until < self.date:
            raise ValueError(
                f"until {self.until} is before date {self.date}; until is the last day away, "
                "on or after date"
            )
        return self

    def covers(self, day: Date) -> bool:
        """Whether the absence touches `day`."""
        return self.date <= day <= (self.until or self.date)


def _whole_day(value: Any) -> Any:
    """A date alone as the absence of that whole day."""
    return {"date": value} if isinstance(value, str | date) else value


class ProviderPreferences(Strict):
    """Soft wishes of a provider; breaking them costs penalty points."""

    max_bookings_per_day: int | None = Field(default=None, ge=1, le=limits.MAX_DAILY_BOOKINGS)
    """Rather no more appointments than this per day."""
    preferred_services: list[str] = Field(default_factory=list, max_length=limits.MAX_ENTRIES)
    """Services the provider would rather do."""


class Provider(Strict):
    """Someone who performs services."""

    id: Identifier
    """Unique provider id."""
    name: str = Field(min_length=1)
    """Name shown to patients and on the schedule."""
    role: str = Field(min_length=1)
    """Role, e.g. medical_director, nurse_practitioner, rn_injector, aesthetician."""
    services: list[str] = Field(default_factory=list, max_length=limits.MAX_ENTRIES)
    """Services this person is permitted to perform."""
    license_expires: Day | None = None
    """Licence expiry date; no bookings on or after it."""
    weekly: ByWeekday[RangeList] = Field(default_factory=dict)
    """Working hours per weekday as ranges; gaps between ranges are breaks."""
    time_off: list[Annotated[TimeOff, ShortForm(DATE_SCHEMA, _whole_day)]] = Field(
        default_factory=list, max_length=limits.MAX_ENTRIES
    )
    """Absences: dates, date ranges or partial days."""
    preferences: ProviderPreferences = Field(default_factory=ProviderPreferences)
    """Soft preferences."""


class OutOfService(Strict):
    """A span of local time in which a room, or one unit of a machine, cannot be used."""

    start: Moment
    """From (local wall-clock time of the clinic)."""
    end: Moment
    """Until (exclusive)."""

    @model_validator(mode="after")
    def _ordered(self) -> OutOfService:
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError(
                f"start {self.start.isoformat(timespec='minutes')} and end "
                f"{self.end.isoformat(timespec='minutes')} are written differently, one with a "
                "UTC offset and one without; write both as clinic time (without an offset), "
                "or both with their offset"
            )
        if self.end <= self.start:
            raise ValueError(
                f"ends at {self.end}, not after its start {self.start}; a span across "
                "midnight ends on the next date"
            )
        return self


class Room(Strict):
    """A treatment room."""

    id: Identifier
    """Unique room id."""
    type: Identifier
    """Room type that services ask for, e.g. injection, laser, facial, body."""
    name: str | None = None
    """Name shown on the schedule."""
    out_of_service: list[OutOfService] = Field(default_factory=list, max_length=limits.MAX_ENTRIES)
    """Spans in which the room cannot be used (repairs, deep cleaning)."""


class Equipment(Strict):
    """A kind of machine and how many units the clinic has."""

    id: Identifier
    """Unique equipment id that services refer to."""
    name: str = Field(min_length=1)
    """Name of the machine."""
    count: int = Field(ge=0, le=limits.MAX_UNITS)
    """Units available (0 = out of service)."""
    out_of_service: list[OutOfService] = Field(default_factory=list, max_length=limits.MAX_ENTRIES)
    """Spans in which one unit is out of service (each span takes one unit)."""


class HistoryItem(Strict):
    """A past appointment of a patient."""

    service: str
    """Service id."""
    date: Day
    """Day of the appointment."""


class Patient(Strict):
    """A patient of the clinic."""

    id: Identifier
    """Unique patient id."""
    name: str | None = None
    """Name (optional; ids are enough for scheduling)."""
    tier: Annotated[Tier, TIER_WORDS] = "new"
    """vip, member, returning or new: sets the weight of their booked minutes."""
    last_consult: Day | None = None
    """Date of the last consultation. Which one it was comes from a consult service in the
    history on that date; without one it qualifies every service."""
    deposit_on_file: bool = False
    """A card on file covers deposits."""
    phone: str | None = Field(default=None, min_length=1, max_length=limits.MAX_ID_CHARACTERS)
    """Mobile number for texts (never printed, never on a calendar)."""
    email: str | None = Field(default=None, min_length=1, max_length=limits.MAX_ID_CHARACTERS)
    """Email address (never printed, never on a calendar)."""
    opt_out: list[ChannelWord] = Field(default_factory=list, max_length=len(CHANNELS))
    """Channels the patient asked not to be messaged on (sms, email)."""
    history: list[HistoryItem] = Field(default_factory=list, max_length=limits.MAX_ENTRIES)
    """Past appointments, for series spacing; a consult service here is a consultation on
    file from its date."""

    @property
    def first_name(self) -> str:
        """The first word of the name ("" without one)."""
        words = (self.name or "").split()
        return words[0] if words else ""

    def reachable_on(self, channel: str) -> bool:
        """Whether messages on `channel` may go to this patient: not opted out, and with
        contact details on file, one for this channel (without any, the clinic's messaging
        system holds them)."""
        if channel in self.opt_out:
            return False
        if self.phone is None and self.email is None:
            return True
        return (self.phone if channel == "sms" else self.email) is not None


class Request(Strict):
    """A patient asking for a service within a window of days."""

    id: Identifier
    """Unique request id."""
    patient: str
    """Patient id."""
    service: str
    """Service id."""
    earliest: Day
    """First acceptable day."""
    latest: Day
    """Last acceptable day (inclusive)."""
    required_provider: str | None = None
    """Only this provider (hard rule)."""
    preferred_provider: str | None = None
    """This provider if possible (soft rule)."""
    preferred_times: list[PreferredTime] = Field(default_factory=list, max_length=limits.MAX_RANGES)
    """Preferred times of day (soft rule): ranges ("15:00-19:00") or day parts (morning,
    afternoon, evening, am, pm, or a name of policies.day_parts)."""
    priority: int | None = Field(default=None, ge=1, le=limits.MAX_PRIORITY)
    """Weight override; without it the patient's tier weight applies."""
    deposit_paid: bool = False
    """Deposit already paid for this request."""
    source: Annotated[Source, Words("source", Source)] = "new"
    """new, waitlist or reschedule."""
    requested_at: Moment | None = None
    """When the patient asked; earlier asks go first on ties."""
    visit: Identifier | None = None
    """Requests sharing a visit id are booked all or none on one day, in file order, back to
    back: each starts when the one before ends, or at the latest when its room turnover ends."""

    _preferred_ranges: tuple[TimeRange, ...] = PrivateAttr(default=())

    def model_post_init(self, context: Any, /) -> None:
        self.resolve_day_parts(DEFAULT_DAY_PARTS)

    def resolve_day_parts(self, parts: dict[str, tuple[TimeRange, ...]]) -> None:
        """Turn the preferred times into ranges, day parts as `parts` define them (the
        scenario's do this when it is validated; a request alone knows the defaults)."""
        self._preferred_ranges = resolve(self.preferred_times, parts)

    @property
    def preferred_ranges(self) -> tuple[TimeRange, ...]:
        """The preferred times as ranges, day parts resolved."""
        return self._preferred_ranges

    @model_validator(mode="after")
    def _window_ordered(self) -> Request:
        if self.latest < self.earliest:
            raise ValueError(
                f"earliest {self.earliest} is after latest {self.latest}; make earliest <= latest"
            )
        return self


class Booking(Strict):
    """An appointment already on the calendar."""

    id: Identifier
    """Unique booking id."""
    patient: str
    """Patient id."""
    service: str
    """Service id."""
    provider: str
    """Provider id."""
    room: str
    """Room id."""
    start: Moment
    """Start, local wall-clock time of the clinic (an offset, if given, is converted)."""
    locked: bool = True
    """True = stays exactly where it is; false = may move within its day, at a cost."""
    status: Annotated[BookingStatus, Words("status", BookingStatus)] = "confirmed"
    """confirmed (on the calendar), or cancelled / cancelled_late / no_show / declined (a
    waitlist offer turned down) / offer_expired (an offer unanswered by reply_by) /
    hold_expired (deposit unpaid by pay_by): then it no longer holds any time."""
    visit: Identifier | None = None
    """Bookings sharing a visit id are one visit, back to back: a re-plan moves them together
    or hands them to a person together, never one without the other."""
    confirmed: bool = False
    """The patient confirmed they will come (a reminder's only_if_unconfirmed then stays
    unsent)."""
    from_waitlist: bool = False
    """Booked from the waitlist (a re-plan's state scenario writes it): until they confirm,
    the patient may turn the slot down with a decline event."""
    pay_by: Moment | None = None
    """Held for an unpaid deposit until this time (local); unpaid by then, a re-plan releases
    it to the waitlist."""
    reply_by: Moment | None = None
    """A waitlist offer not yet answered (local): unconfirmed by then, a re-plan releases it
    (offer_expired) to the next on the waitlist."""
    sequence: int = Field(default=0, ge=0, le=limits.MAX_BOOKINGS)
    """How many times the booking changed on the calendar (the calendars' SEQUENCE); a
    re-plan counts it up when it moves or cancels the booking."""


class Scenario(Strict):
    """A clinic's rulebook and the requests to schedule."""

    clinic: Clinic
    """The clinic, its hours and horizon."""
    policies: Policies = Field(default_factory=Policies)
    """Booking policy."""
    services: list[Service] = Field(default_factory=list, max_length=limits.MAX_SERVICES)
    """Service menu."""
    providers: list[Provider] = Field(default_factory=list, max_length=limits.MAX_PROVIDERS)
    """Providers and their permissions and hours."""
    rooms: list[Room] = Field(default_factory=list, max_length=limits.MAX_ROOMS)
    """Treatment rooms."""
    equipment: list[Equipment] = Field(default_factory=list, max_length=limits.MAX_MACHINES)
    """Machines."""
    patients: list[Patient] = Field(default_factory=list, max_length=limits.MAX_PATIENTS)
    """Patients."""
    requests: list[Request] = Field(default_factory=list, max_length=limits.MAX_REQUESTS)
    """Appointment requests to schedule."""
    bookings: list[Booking] = Field(default_factory=list, max_length=limits.MAX_BOOKINGS)
    """Appointments already on the calendar."""

    _indexes: dict[str, dict[str, Any]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _resolve_day_parts(self) -> Scenario:
        parts = self.policies.day_part_ranges()
        for request in self.requests:
            request.resolve_day_parts(parts)
        return self

    @model_validator(mode="after")
    def _cross_references(self, info: ValidationInfo) -> Scenario:
        if info.context and info.context.get(DEFER_CROSS_CHECKS):
            return self
        from models.validation import cross_reference_problems

        problems = cross_reference_problems(self)
        if problems:
            raise ValueError("; ".join(str(problem) for problem in problems))
        return self

    def service(self, service_id: str) -> Service:
        """The service with this id."""
        return self._index("services")[service_id]

    def provider(self, provider_id: str) -> Provider:
        """The provider with this id."""
        return self._index("providers")[provider_id]

    def patient(self, patient_id: str) -> Patient:
        """The patient with this id."""
        return self._index("patients")[patient_id]

    def weight_of(self, request: Request) -> int:
        """Weight of one booked minute of a request: its priority, else its patient's tier
        weight."""
        if request.priority is not None:
            return request.priority
        return self.policies.tier_weights.get(self.patient(request.patient).tier, 1)

    def _index(self, field: str) -> dict[str, Any]:
        if field not in self._indexes:
            self._indexes[field] = {item.id: item for item in getattr(self, field)}
        return self._indexes[field]
