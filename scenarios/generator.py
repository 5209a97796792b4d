"""Seeded generator of synthetic med-spa clinics of any size.

`generate_scenario` builds a valid clinic with the proportions of DOMAIN.md: a role mix of
about one medical director per ten providers, permissions per person (mostly from the
role), the service catalogue of the sample clinic, rooms and machines in proportion, a
realistic patient tier mix and more requested hands-on time than the providers are
staffed for, so the question is who gets the time. The same seed always gives the same
clinic; only ``random.Random(seed)`` is used, never the global random state.

`demand_ratio` measures that pressure for any scenario: requested hands-on minutes over
the minutes providers are at work.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from models.scenario import (
    Booking,
    Clinic,
    Equipment,
    HistoryItem,
    Patient,
    Policies,
    Provider,
    ProviderPreferences,
    Request,
    Room,
    Scenario,
    Service,
    Source,
    Tier,
    TimeOff,
)
from models.times import MINUTES_PER_DAY, WEEKDAYS, TimeRange, Weekday, weekday_of

_Key = TypeVar("_Key", bound=str)

DEFAULT_START = date(2026, 12, 7)
"""First day of a generated horizon: the next Monday after 2026-12-01."""

CLINIC_HOURS: dict[Weekday, str] = {
    "mon": "09:00-19:00",
    "tue": "09:00-19:00",
    "wed": "09:00-19:00",
    "thu": "09:00-19:00",
    "fri": "09:00-19:00",
    "sat": "09:00-15:00",
}

POLICIES: dict[str, Any] = {
    "escalation_owner": "front_desk_lead",
    "same_day_owner": "clinic_manager",
    "consult_valid_days": 365,
    "deposit_deadline_hours": 48,
    "cancellation_notice_hours": 24,
    "waitlist_order": ["displaced", "priority", "requested_at"],
    "tier_weights": {"vip": 4, "member": 3, "returning": 2, "new": 1},
    "max_moves_same_day": 3,
    "reminders": [
        {
            "name": "confirmation",
            "on_booking": True,
            "template": "Hi {{ first_name }}, your {{ service }} with {{ provider }} is booked "
            "for {{ start }}.",
        },
        {
            "name": "two_days_before",
            "hours_before": 48,
            "template": "Reminder: {{ service }} on {{ start }}. Reply C to confirm or call to "
            "move it.",
        },
        {
            "name": "two_hours_before",
            "hours_before": 2,
            "template": "See you soon: {{ service }} at {{ time }} with {{ provider }}.",
        },
    ],
    "quiet_hours": "21:00-24:00",
    "notices": {
        "moved": "Your {{ service }} moved from {{ old_start }} to {{ start }}.",
        "cancelled": "We had to cancel your {{ service }} on {{ start }}; please call us.",
        "waitlist_offer": "A {{ service }} slot opened on {{ start }}: reply YES by {{ reply_by }}",
    },
    "day_parts": {
        "morning": "09:00-12:00",
        "late_afternoon": "15:00-19:00",
        "after_work": "17:00-19:00",
    },
}

_INJECTION = ["injection"]
SERVICE_CATALOGUE: tuple[dict[str, Any], ...] = (
    # consultations
    {"id": "consult_injectables", "name": "Injectables consultation", "category": "consult",
     "duration": 30, "buffer_after": 5, "room_types": _INJECTION, "value": 75},
    {"id": "consult_body", "name": "Body contouring consultation", "category": "consult",
     "duration": 20, "buffer_after": 5, "room_types": ["body", "injection"], "value": 50},
    {"id": "consult_skin", "name": "Skin and laser consultation", "category": "consult",
     "duration": 20, "buffer_after": 5, "room_types": ["facial", "laser"], "value": 50},
    # injectables
    {"id": "botox", "name": "Neuromodulator (Botox/Dysport)", "category": "treatment",
     "group": "injectables",
     "duration": 20, "buffer_after": 10, "room_types": _INJECTION, "value": 450},
    {"id": "filler_cheek", "name": "Dermal filler, cheeks and jaw", "category": "treatment",
     "group": "injectables",
     "duration": 45, "buffer_after": 10, "room_types": _INJECTION, "requires_consult": True,
     "deposit": 100, "value": 850},
    {"id": "filler_lip", "name": "Lip filler with numbing", "category": "treatment",
     "group": "injectables",
     "duration": 5, "processing": 20, "finish": 30, "buffer_after": 10,
     "room_types": _INJECTION, "requires_consult": True, "deposit": 100, "value": 700},
    {"id": "biostimulator", "name": "Biostimulator (Sculptra)", "category": "treatment",
     "group": "injectables",
     "duration": 45, "buffer_after": 10, "room_types": _INJECTION, "requires_consult": True,
     "deposit": 150, "value": 950, "min_days_between": 42},
    # body contouring: the provider places and removes the applicator, the machine runs
    {"id": "body_contouring", "name": "Body contouring cycle (CoolSculpting-type)",
     "category": "treatment", "duration": 15, "processing": 45, "finish": 10,
     "buffer_after": 15, "room_types": ["body"], "equipment": {"body_device": 1},
     "requires_consult": True, "deposit": 200, "value": 800},
    # skin
    {"id": "microneedling", "name": "Microneedling with numbing", "category": "treatment",
     "duration": 5, "processing": 25, "finish": 60, "buffer_after": 10,
     "room_types": ["facial"], "value": 375, "min_days_between": 28},
    {"id": "hydrafacial", "name": "HydraFacial", "category": "treatment", "duration": 45,
     "buffer_after": 10, "room_types": ["facial"], "equipment": {"hydrafacial": 1},
     "value": 225},
    {"id": "chemical_peel", "name": "Chemical peel", "category": "treatment", "duration": 30,
     "buffer_after": 10, "room_types": ["facial"], "value": 175, "min_days_between": 28},
    # lasers on the shared laser platform
    {"id": "laser_hair_small", "name": "Laser hair removal, small area",
     "category": "treatment", "duration": 15, "buffer_after": 5, "room_types": ["laser"],
     "equipment": {"laser_platform": 1}, "value": 150, "min_days_between": 28},
    {"id": "laser_hair_large", "name": "Laser hair removal, large area",
     "category": "treatment", "duration": 45, "buffer_after": 10, "room_types": ["laser"],
     "equipment": {"laser_platform": 1}, "value": 350, "min_days_between": 42},
    {"id": "ipl_photofacial", "name": "IPL photofacial", "category": "treatment",
     "duration": 30, "buffer_after": 10, "room_types": ["laser", "facial"],
     "equipment": {"laser_platform": 1}, "value": 400, "min_days_between": 21},
    # after care
    {"id": "follow_up", "name": "Post-treatment follow-up", "category": "follow_up",
     "group": "follow-up",
     "duration": 15, "buffer_after": 5, "room_types": ["injection", "facial"], "value": 0},
    {"id": "body_check", "name": "Body contouring check-in", "category": "follow_up",
     "duration": 15, "buffer_after": 5, "room_types": ["body", "injection"], "value": 0},
    {"id": "botox_touch_up", "name": "Neuromodulator touch-up", "category": "touch_up",
     "group": "injectables",
     "duration": 15, "buffer_after": 5, "room_types": _INJECTION, "value": 0,
     "min_days_between": 14},
    {"id": "filler_touch_up", "name": "Filler touch-up", "category": "touch_up",
     "group": "injectables",
     "duration": 15, "buffer_after": 10, "room_types": _INJECTION, "value": 150,
     "min_days_between": 14},
)  # fmt: skip
"""The service menu of every generated clinic (the sample clinic uses the same one)."""

DEMAND_WEIGHTS: dict[str, int] = {
    "consult_injectables": 3, "consult_body": 1, "consult_skin": 2, "botox": 16,
    "filler_cheek": 6, "filler_lip": 6, "biostimulator": 3, "body_contouring": 4,
    "microneedling": 5, "hydrafacial": 8, "chemical_peel": 4, "laser_hair_small": 7,
    "laser_hair_large": 5, "ipl_photofacial": 5, "follow_up": 4, "body_check": 1,
    "botox_touch_up": 4, "filler_touch_up": 2,
}  # fmt: skip
"""How often each service is asked for."""

CONSULT_FOR: dict[str, str] = {
    "filler_cheek": "consult_injectables",
    "filler_lip": "consult_injectables",
    "biostimulator": "consult_injectables",
    "body_contouring": "consult_body",
}
"""The consultation a new patient books together with a treatment that requires one."""

ROUTED_CONSULTS: dict[str, list[str]] = {
    consult: sorted(s for s, c in CONSULT_FOR.items() if c == consult)
    for consult in sorted(set(CONSULT_FOR.values()))
}
"""With `consult_routing`, what each consultation qualifies (the treatments of CONSULT_FOR);
consult_skin keeps qualifying every service."""

AFTERCARE: dict[str, tuple[str, ...]] = {
    "follow_up": ("filler_cheek", "filler_lip", "microneedling", "chemical_peel"),
    "body_check": ("body_contouring",),
    "botox_touch_up": ("botox",),
    "filler_touch_up": ("filler_cheek", "filler_lip"),
}
"""Follow-ups and touch-ups, and the treatments they come after (about two weeks later)."""

ADD_ONS: dict[str, str] = {"hydrafacial": "chemical_peel"}
"""A second service some patients add to the same visit."""

EXISTING_BOOKING_WEIGHTS: dict[str, int] = {
    "botox": 5,
    "hydrafacial": 3,
    "consult_injectables": 2,
    "consult_skin": 1,
}
"""Services of bookings already on the calendar (no consult, deposit or series rule)."""

_CONSULTS = ("consult_injectables", "consult_body", "consult_skin")
_INJECTABLES = ("botox", "botox_touch_up", "filler_cheek", "filler_lip", "filler_touch_up")
_LASERS = ("laser_hair_small", "laser_hair_large", "ipl_photofacial")
_BODY = ("body_contouring", "body_check")
_SKIN = ("hydrafacial", "chemical_peel", "microneedling", "consult_skin")
ROLE_SERVICES: dict[str, tuple[str, ...]] = {
    "medical_director": (*_CONSULTS, *_INJECTABLES, "biostimulator", *_LASERS, "follow_up"),
    "nurse_practitioner": (
        *_CONSULTS,
        *_INJECTABLES,
        "biostimulator",
        *_LASERS,
        *_BODY,
        "follow_up",
    ),
    "rn_injector": (*_INJECTABLES, *_LASERS, *_BODY, "follow_up"),
    "aesthetician": (*_SKIN, "laser_hair_small", "laser_hair_large", "follow_up"),
    "laser_technician": (*_LASERS, *_BODY),
}
"""What each role usually may do (DOMAIN.md); permissions are then set per person."""

NOT_SIGNED_OFF: dict[str, tuple[float, tuple[str, ...]]] = {
    "rn_injector": (0.35, ("filler_cheek", "filler_lip", "filler_touch_up")),
    "aesthetician": (0.25, ("laser_hair_small", "laser_hair_large")),
}
"""Share of people of a role not yet signed off for some of the role's services."""

ROLE_PATTERN: tuple[str, ...] = (
    "nurse_practitioner",
    "aesthetician",
    "rn_injector",
    "laser_technician",
    "rn_injector",
    "medical_director",
    "aesthetician",
    "rn_injector",
    "nurse_practitioner",
    "aesthetician",
)
"""Roles of providers 1, 2, 3, ... (repeating): about one medical director per ten."""

ROLE_TITLES: dict[str, tuple[str, str]] = {
    "medical_director": ("md", "Dr. {name}"),
    "nurse_practitioner": ("np", "{name}, NP"),
    "rn_injector": ("rn", "{name}, RN"),
    "aesthetician": ("aes", "{name}"),
    "laser_technician": ("laser", "{name}"),
}
"""Id prefix and display name of each role."""

FIRST_NAMES = ("Amara", "Grace", "Ravi", "Sofia", "Jordan", "Elena", "Mia", "Noah", "Priya",
               "Lucas", "Hana", "Omar", "Chloe", "Mateo", "Zoe", "Isaac")  # fmt: skip
LAST_NAMES = ("Okafor", "Chen", "Patel", "Morgan", "Brooks", "Reyes", "Lee", "Kim", "Silva",
              "Nguyen", "Haddad", "Novak", "Rossi", "Weber", "Costa", "Ali")  # fmt: skip

ROOM_MIX: dict[str, float] = {"injection": 0.35, "facial": 0.25, "laser": 0.25, "body": 0.15}
"""Share of rooms of each type; every type gets at least one room."""
ROOMS_PER_PROVIDER = 0.8

MACHINES: tuple[tuple[str, str, str, float], ...] = (
    ("laser_platform", "Laser platform (hair removal and IPL)", "laser", 1.0),
    ("hydrafacial", "HydraFacial device", "facial", 0.5),
    ("body_device", "Cryolipolysis body contouring device", "body", 1.0),
)
"""Machine id, name, the room type it serves and units per room of that type."""

TIER_MIX: dict[Tier, float] = {"vip": 0.10, "member": 0.25, "returning": 0.40, "new": 0.25}
PATIENTS_PER_REQUEST = 0.6
DEPOSIT_ON_FILE: dict[Tier, float] = {"vip": 0.7, "member": 0.6, "returning": 0.25, "new": 0.0}
VALID_CONSULT_SHARE = 0.85
"""Share of known patients with a consultation of the last year (some more are expired)."""
EXPIRED_CONSULT_SHARE = 0.10

RATIO_RANGE = (1.25, 1.4)
"""Requested hands-on minutes over staffed minutes, drawn per clinic."""
MAX_WINDOW_DAYS = 5
CONSULT_BOOKED_SHARE = 0.85
"""New patients who ask for the consultation too (the rest go to the exception queue)."""
ADD_ON_SHARE = 0.3
DEPOSIT_PAID_SHARE = 0.85
SERIES_HISTORY_SHARE = 0.7
REQUIRED_PROVIDER_SHARE = 0.04
PREFERRED_PROVIDER_SHARE = 0.30
PREFERRED_TIMES = ("morning", "12:00-15:00", "late_afternoon", "after_work")
"""What requests prefer: a range, or a day part of POLICIES (morning there is the opening hours
before noon)."""
PREFERRED_TIME_SHARE = 0.30
SOURCE_MIX: dict[Source, float] = {"new": 0.85, "waitlist": 0.12, "reschedule": 0.03}
PRIORITY_OVERRIDE, PRIORITY_OVERRIDE_SHARE = 5, 0.02
BOOKINGS_PER_REQUEST = 0.1
UNLOCKED_SHARE = 0.2

FULL_SHIFT = 480
"""Hands-on minutes of a full working day; people work more days before longer ones."""
SHORTEST_SHIFT = 120
SHIFT_STEP = 15
LUNCH = 30
LONGEST_WITHOUT_LUNCH = 300
FULL_DAY_OFF_SHARE = 0.2
PARTIAL_OFF_SHARE = 0.35
PARTIAL_OFF_MINUTES = (60, 90, 120)


def generate_scenario(
    requests: int = 150,
    providers: int = 6,
    days: int = 5,
    seed: int = 0,
    rooms: int | None = None,
    start: date | None = None,
    consult_routing: bool = False,
) -> Scenario:
    """A synthetic clinic with this many requests, providers and days, the same for a seed.

    Parameters
    ----------
    requests, providers, days
        Size of the clinic: appointment requests, providers and days of the horizon.
    seed
        Random seed; the same arguments always give the same scenario.
    rooms
        Number of rooms; default about 0.8 per provider, at least one of each type.
    start
        First day of the horizon; default Monday 2026-12-07.
    consult_routing
        Consultations qualify only their treatments (ROUTED_CONSULTS); the rest of the clinic
        is the same as without.
    """
    room_count = (
        max(len(ROOM_MIX), round(providers * ROOMS_PER_PROVIDER)) if rooms is None else rooms
    )
    _check_sizes(requests=requests, providers=providers, days=days, rooms=room_count)
    rng = random.Random(seed)
    clinic = Clinic.model_validate(
        {
            "name": f"Generated med spa (seed {seed})",
            "timezone": "America/New_York",
            "horizon": {"start": start or DEFAULT_START, "days": days},
            "hours": CLINIC_HOURS,
        }
    )
    draft = _Draft(rng, clinic, _providers(rng, providers, clinic.horizon.start))
    draft.patients = _patients(rng, max(1, round(requests * PATIENTS_PER_REQUEST)), draft.start)
    _add_requests(draft, requests)
    _set_hours(draft, requested_minutes(draft.requests, draft.services) / rng.uniform(*RATIO_RANGE))
    room_list = _rooms(room_count)
    machines = _machines(room_list)
    bookings = _place_bookings(draft, room_list, machines, round(requests * BOOKINGS_PER_REQUEST))
    services = list(draft.services.values())
    if consult_routing:
        services = [
            s.model_copy(update={"qualifies": ROUTED_CONSULTS[s.id]})
            if s.id in ROUTED_CONSULTS
            else s
            for s in services
        ]
    return Scenario(
        clinic=clinic,
        policies=Policies.model_validate(POLICIES),
        services=services,
        providers=draft.providers,
        rooms=room_list,
        equipment=machines,
        patients=draft.patients,
        requests=draft.requests,
        bookings=bookings,
    )


def _check_sizes(**sizes: int) -> None:
    least = {"requests": 1, "providers": 1, "days": 1, "rooms": len(ROOM_MIX)}
    for name, value in sizes.items():
        if value < least[name]:
            why = f", one per room type ({', '.join(ROOM_MIX)})" if name == "rooms" else ""
            raise ValueError(f"{name} must be at least {least[name]}{why}; got {value}")


@dataclass
class _Draft:
    """The clinic being generated: its people and requests so far."""

    rng: random.Random
    clinic: Clinic
    providers: list[Provider]
    services: dict[str, Service] = field(init=False)
    staff_for: dict[str, list[Provider]] = field(init=False)
    open_days: list[int] = field(init=False)
    """Day indexes of the horizon on which the clinic is open."""
    patients: list[Patient] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.services = {item["id"]: Service.model_validate(item) for item in SERVICE_CATALOGUE}
        self.staff_for = {
            service_id: [p for p in self.providers if service_id in p.services]
            for service_id in self.services
        }
        days = self.clinic.clock().days()
        self.open_days = [i for i, day in enumerate(days) if _opening(self.clinic, day)]
        if not self.open_days:
            raise ValueError(
                f"the clinic is closed on every day of the horizon from {days[0]}; "
                "start on a weekday or add days"
            )

    @property
    def start(self) -> date:
        """First day of the horizon."""
        return self.clinic.horizon.start


# --- providers -------------------------------------------------------------------------


def _providers(rng: random.Random, count: int, start: date) -> list[Provider]:
    return [_provider(rng, index, count, start) for index in range(count)]


def _provider(rng: random.Random, index: int, total: int, start: date) -> Provider:
    role = ROLE_PATTERN[index % len(ROLE_PATTERN)]
    prefix, title = ROLE_TITLES[role]
    permitted = list(ROLE_SERVICES[role])
    share, withheld = NOT_SIGNED_OFF.get(role, (0.0, ()))
    if rng.random() < share:
        permitted = [s for s in permitted if s not in withheld]
    first, rounds = index % len(FIRST_NAMES), index // len(FIRST_NAMES)
    name = f"{FIRST_NAMES[first]} {LAST_NAMES[(first + rounds) % len(LAST_NAMES)]}"
    preferences = ProviderPreferences(
        max_bookings_per_day=rng.randint(8, 14) if rng.random() < 0.5 else None,
        preferred_services=rng.sample(permitted, k=2) if rng.random() < 0.4 else [],
    )
    return Provider(
        id=_numbered(prefix, index + 1, total),
        name=title.format(name=name),
        role=role,
        services=permitted,
        license_expires=start + timedelta(days=rng.randint(200, 1000)),
        preferences=preferences,
    )


def _numbered(prefix: str, number: int, total: int) -> str:
    return f"{prefix}_{number:0{max(2, len(str(total)))}d}"


def _set_hours(draft: _Draft, staffed_target: float) -> None:
    """Weekly hours and time off so the providers are at work about `staffed_target` minutes."""
    shares = [draft.rng.uniform(0.7, 1.3) for _ in draft.providers]
    weekdays = _open_weekdays(draft.clinic)
    for index, provider in enumerate(draft.providers):
        own_target = staffed_target * shares[index] / sum(shares)
        _plan_week(draft, provider, own_target, _weekday_order(draft.clinic, weekdays, index))


def _open_weekdays(clinic: Clinic) -> list[tuple[Weekday, list[date]]]:
    dates: dict[Weekday, list[date]] = defaultdict(list)
    for day in clinic.clock().days():
        if _opening(clinic, day):
            dates[weekday_of(day)].append(day)
    return [(weekday, dates[weekday]) for weekday in WEEKDAYS if weekday in dates]


def _weekday_order(
    clinic: Clinic, weekdays: list[tuple[Weekday, list[date]]], index: int
) -> list[tuple[Weekday, list[date]]]:
    """Weekdays in the order provider `index` takes them on: full days first, rotated so
    providers spread over the week, then short days (a short Saturday)."""
    full = [pair for pair in weekdays if clinic.hours[pair[0]].minutes >= FULL_SHIFT + LUNCH]
    short = [pair for pair in weekdays if pair not in full]
    rotation = index % len(full) if full else 0
    return full[rotation:] + full[:rotation] + short


def _plan_week(
    draft: _Draft, provider: Provider, minutes: float, weekdays: list[tuple[Weekday, list[date]]]
) -> None:
    rng = draft.rng
    chosen = _working_weekdays(minutes, weekdays)
    dates = sorted(day for _, days in chosen for day in days)
    full_off = rng.choice(dates) if len(dates) >= 3 and rng.random() < FULL_DAY_OFF_SHARE else None
    working = [day for day in dates if day != full_off]
    partial = rng.choice(PARTIAL_OFF_MINUTES) if rng.random() < PARTIAL_OFF_SHARE else 0
    shift = _to_step((minutes + partial) / len(working))
    if partial > shift / 2:
        partial, shift = 0, _to_step(minutes / len(working))
    provider.weekly = {
        weekday: _shift(shift, draft.clinic.hours[weekday], late=rng.random() < 0.5)
        for weekday, _ in sorted(chosen, key=lambda pair: WEEKDAYS.index(pair[0]))
    }
    provider.time_off = [TimeOff(date=full_off)] if full_off else []
    if partial:
        provider.time_off.append(_leaves_early(provider, rng.choice(working), partial))


def _working_weekdays(
    minutes: float, weekdays: list[tuple[Weekday, list[date]]]
) -> list[tuple[Weekday, list[date]]]:
    """The fewest weekdays on which `minutes` fit in shifts of at most FULL_SHIFT."""
    for count in range(1, len(weekdays) + 1):
        if minutes <= FULL_SHIFT * sum(len(days) for _, days in weekdays[:count]):
            return weekdays[:count]
    return weekdays


def _to_step(minutes: float) -> int:
    return max(SHORTEST_SHIFT, round(minutes / SHIFT_STEP) * SHIFT_STEP)


def _shift(minutes: int, opening: TimeRange, late: bool) -> list[TimeRange]:
    """Working ranges of one day: early shifts start at opening, late ones end at closing."""
    longest = opening.minutes
    if longest > LONGEST_WITHOUT_LUNCH + LUNCH:
        longest -= LUNCH
    minutes = min(minutes, longest)
    lunch = LUNCH if minutes > LONGEST_WITHOUT_LUNCH else 0
    start = opening.end - minutes - lunch if late else opening.start
    if not lunch:
        return [TimeRange(start=start, end=start + minutes)]
    morning = minutes // 2 // SHIFT_STEP * SHIFT_STEP
    return [
        TimeRange(start=start, end=start + morning),
        TimeRange(start=start + morning + lunch, end=start + minutes + lunch),
    ]


def _leaves_early(provider: Provider, day: date, minutes: int) -> TimeOff:
    last = provider.weekly[weekday_of(day)][-1]
    away = TimeRange(start=max(last.start, last.end - minutes), end=last.end)
    return TimeOff(date=day, hours=away)


# --- rooms and machines ----------------------------------------------------------------


def _rooms(count: int) -> list[Room]:
    """`count` rooms, one of each type first, the rest shared out by ROOM_MIX."""
    extra = _apportion(ROOM_MIX, count - len(ROOM_MIX))
    return [
        Room(id=f"{kind}_{n}", type=kind, name=f"{kind.capitalize()} room {n}")
        for kind in ROOM_MIX
        for n in range(1, extra[kind] + 2)
    ]


def _apportion(mix: dict[_Key, float], count: int) -> dict[_Key, int]:
    """`count` shared out in the proportions of `mix`, largest remainders rounded up."""
    exact = {key: share * count for key, share in mix.items()}
    numbers = {key: int(value) for key, value in exact.items()}
    by_remainder = sorted(mix, key=lambda key: numbers[key] - exact[key])
    for key in by_remainder[: count - sum(numbers.values())]:
        numbers[key] += 1
    return numbers


def _machines(rooms: list[Room]) -> list[Equipment]:
    return [
        Equipment(
            id=machine_id,
            name=name,
            count=max(1, round(per_room * sum(room.type == kind for room in rooms))),
        )
        for machine_id, name, kind, per_room in MACHINES
    ]


# --- patients and requests -------------------------------------------------------------


def _patients(rng: random.Random, count: int, start: date) -> list[Patient]:
    tiers = [tier for tier, number in _apportion(TIER_MIX, count).items() for _ in range(number)]
    rng.shuffle(tiers)
    return [
        _patient(rng, _numbered("p", i + 1, count), tier, start) for i, tier in enumerate(tiers)
    ]


def _patient(rng: random.Random, patient_id: str, tier: Tier, start: date) -> Patient:
    last_consult = None
    roll = rng.random()
    if tier != "new" and roll < VALID_CONSULT_SHARE:
        last_consult = start - timedelta(days=rng.randint(14, 330))
    elif tier != "new" and roll < VALID_CONSULT_SHARE + EXPIRED_CONSULT_SHARE:
        last_consult = start - timedelta(days=rng.randint(380, 720))
    return Patient(
        id=patient_id,
        tier=tier,
        last_consult=last_consult,
        deposit_on_file=rng.random() < DEPOSIT_ON_FILE[tier],
    )


def _add_requests(draft: _Draft, count: int) -> None:
    """Requests until there are `count`: every patient asks once, then random patients."""
    offered = [service_id for service_id in DEMAND_WEIGHTS if draft.staff_for[service_id]]
    asked: set[tuple[str, str]] = set()
    for patient in _patient_queue(draft.rng, draft.patients):
        if len(draft.requests) >= count:
            break
        service = _pick_service(draft.rng, patient, offered, asked)
        services = _visit_services(draft, patient, service, count)
        asked.update((patient.id, service_id) for service_id in services)
        _add_visit(draft, patient, services, count)
    for patient in draft.patients:
        patient.history.sort(key=lambda item: item.date)


def _patient_queue(rng: random.Random, patients: list[Patient]) -> Iterator[Patient]:
    yield from rng.sample(patients, k=len(patients))
    while True:
        yield rng.choice(patients)


def _pick_service(
    rng: random.Random, patient: Patient, offered: list[str], asked: set[tuple[str, str]]
) -> str:
    """A service by demand weight: no aftercare for new patients, nothing asked for before."""
    candidates = [
        service_id
        for service_id in offered
        if not (patient.tier == "new" and service_id in AFTERCARE)
        and (patient.id, service_id) not in asked
    ] or offered
    weights = [DEMAND_WEIGHTS[service_id] for service_id in candidates]
    return rng.choices(candidates, weights=weights)[0]


def _visit_services(draft: _Draft, patient: Patient, service_id: str, count: int) -> list[str]:
    """The services of one visit: a consult first for new patients, or an add-on after."""
    if count - len(draft.requests) < 2:
        return [service_id]
    consult = CONSULT_FOR.get(service_id)
    if consult and _needs_consult(draft.start, patient) and draft.staff_for[consult]:
        booked_with_consult = draft.rng.random() < CONSULT_BOOKED_SHARE
        return [consult, service_id] if booked_with_consult else [service_id]
    add_on = ADD_ONS.get(service_id)
    if add_on and draft.staff_for[add_on] and draft.rng.random() < ADD_ON_SHARE:
        return [service_id, add_on]
    return [service_id]


def _needs_consult(start: date, patient: Patient) -> bool:
    valid_days = POLICIES["consult_valid_days"]
    return patient.last_consult is None or (start - patient.last_consult).days > valid_days


@dataclass(frozen=True)
class _Visit:
    """What a patient asks once for all services of a visit: days, times, how and when."""

    earliest: date
    latest: date
    preferred_times: list[TimeRange | str]
    source: Source
    requested_at: datetime
    visit_id: str | None


def _add_visit(draft: _Draft, patient: Patient, service_ids: list[str], count: int) -> None:
    visit_id = f"v{len(draft.requests) + 1}" if len(service_ids) > 1 else None
    visit = _new_visit(draft, visit_id)
    for service_id in service_ids:
        _note_history(draft, patient, draft.services[service_id])
        request_id = _numbered("r", len(draft.requests) + 1, count)
        draft.requests.append(_request(draft, patient, service_id, request_id, visit))


def _new_visit(draft: _Draft, visit_id: str | None) -> _Visit:
    rng = draft.rng
    first = rng.choice(draft.open_days)
    last = min(draft.clinic.horizon.days - 1, first + rng.randrange(MAX_WINDOW_DAYS))
    times = [rng.choice(PREFERRED_TIMES)] if rng.random() < PREFERRED_TIME_SHARE else []
    source = rng.choices(list(SOURCE_MIX), weights=list(SOURCE_MIX.values()))[0]
    return _Visit(
        earliest=draft.start + timedelta(days=first),
        latest=draft.start + timedelta(days=last),
        preferred_times=list(times),
        source=source,
        requested_at=_requested_at(rng, draft.start, source),
        visit_id=visit_id,
    )


def _request(
    draft: _Draft, patient: Patient, service_id: str, request_id: str, visit: _Visit
) -> Request:
    rng = draft.rng
    staff = draft.staff_for[service_id]
    roll = rng.random()
    required = rng.choice(staff).id if roll < REQUIRED_PROVIDER_SHARE else None
    preferred_share = REQUIRED_PROVIDER_SHARE + PREFERRED_PROVIDER_SHARE
    wants_someone = required is None and patient.tier != "new" and roll < preferred_share
    return Request(
        id=request_id,
        patient=patient.id,
        service=service_id,
        earliest=visit.earliest,
        latest=visit.latest,
        required_provider=required,
        preferred_provider=rng.choice(staff).id if wants_someone else None,
        preferred_times=visit.preferred_times,
        priority=PRIORITY_OVERRIDE if rng.random() < PRIORITY_OVERRIDE_SHARE else None,
        deposit_paid=_deposit_paid(rng, patient, draft.services[service_id]),
        source=visit.source,
        requested_at=visit.requested_at,
        visit=visit.visit_id,
    )


def _deposit_paid(rng: random.Random, patient: Patient, service: Service) -> bool:
    needs_payment = service.deposit > 0 and not patient.deposit_on_file
    return needs_payment and rng.random() < DEPOSIT_PAID_SHARE


def _requested_at(rng: random.Random, start: date, source: Source) -> datetime:
    days_before = rng.randint(7, 60) if source == "waitlist" else rng.randint(1, 14)
    moment = time(rng.randint(8, 20), rng.randrange(0, 60, 5))
    return datetime.combine(start - timedelta(days=days_before), moment)


def _note_history(draft: _Draft, patient: Patient, service: Service) -> None:
    """Past appointments that explain the request: the treatment before an aftercare visit,
    or earlier sessions of a series (some too recent, so the spacing rule bites)."""
    rng = draft.rng
    if service.id in AFTERCARE:
        past, days_ago = rng.choice(AFTERCARE[service.id]), rng.randint(10, 18)
    elif service.min_days_between and patient.tier != "new" and rng.random() < SERIES_HISTORY_SHARE:
        gap = service.min_days_between
        past, days_ago = service.id, rng.randint(gap - 5, 2 * gap)
    else:
        return
    patient.history.append(HistoryItem(service=past, date=draft.start - timedelta(days=days_ago)))


# --- bookings already on the calendar --------------------------------------------------


class _Calendar:
    """Busy time of providers, rooms, patients and machines while placing bookings."""

    def __init__(self, machines: list[Equipment]) -> None:
        self.capacity = {f"machine:{m.id}": m.count for m in machines}
        self.busy: dict[str, list[tuple[int, int, int]]] = defaultdict(list)

    def free(self, key: str, start: int, end: int, units: int = 1) -> bool:
        """Whether `units` more of `key` fit in [start, end) (overlaps counted conservatively)."""
        used = sum(n for s, e, n in self.busy[key] if s < end and start < e)
        return used + units <= self.capacity.get(key, 1)

    def hold(self, key: str, start: int, end: int, units: int = 1) -> None:
        """Mark [start, end) as taken."""
        self.busy[key].append((start, end, units))


@dataclass(frozen=True)
class _Slot:
    provider: Provider
    room: Room
    start: int


def _place_bookings(
    draft: _Draft, rooms: list[Room], machines: list[Equipment], count: int
) -> list[Booking]:
    """Up to `count` bookings, each placed on free provider, room, machine and patient time,
    never for a service the patient already asked for or has booked this week."""
    rng = draft.rng
    calendar = _Calendar(machines)
    options = [s for s in EXISTING_BOOKING_WEIGHTS if draft.staff_for[s]]
    weights = [EXISTING_BOOKING_WEIGHTS[s] for s in options]
    taken = {(request.patient, request.service) for request in draft.requests}
    bookings: list[Booking] = []
    for _ in range(3 * count):
        if len(bookings) == count or not options:
            break
        patient = rng.choice(draft.patients)
        service = draft.services[rng.choices(options, weights=weights)[0]]
        day = rng.choice(draft.open_days)
        if (patient.id, service.id) in taken:
            continue
        slot = _free_slot(draft, calendar, rooms, patient, service, day)
        if slot is not None:
            _hold(calendar, slot, patient, service)
            taken.add((patient.id, service.id))
            bookings.append(_booking(draft, slot, patient, service, len(bookings) + 1, count))
    return bookings


def _free_slot(
    draft: _Draft,
    calendar: _Calendar,
    rooms: list[Room],
    patient: Patient,
    service: Service,
    day: int,
) -> _Slot | None:
    staff = draft.staff_for[service.id]
    suitable = [room for room in rooms if room.type in service.room_types]
    draft.rng.shuffle(suitable)
    for provider in draft.rng.sample(staff, k=len(staff)):
        for start in _candidate_starts(draft, provider, service, day):
            end = start + service.length
            people_free = calendar.free(f"provider:{provider.id}", start, end) and calendar.free(
                f"patient:{patient.id}", start, end
            )
            turnover_end = end + service.buffer_after
            if not people_free or not _machines_free(calendar, service, start, turnover_end):
                continue
            for room in suitable:
                if calendar.free(f"room:{room.id}", start, turnover_end):
                    return _Slot(provider, room, start)
    return None


def _candidate_starts(draft: _Draft, provider: Provider, service: Service, day: int) -> list[int]:
    """Starts (clinic minutes) where the whole appointment and turnover fit one working range,
    beginning at a random point of the day so bookings spread out."""
    offset = day * MINUTES_PER_DAY
    needed = service.length + service.buffer_after
    step = draft.clinic.slot_minutes
    ranges = working_ranges(provider, draft.start + timedelta(days=day), draft.clinic)
    starts = [offset + m for lo, hi in ranges for m in range(lo, hi - needed + 1, step)]
    if not starts:
        return starts
    turn = draft.rng.randrange(len(starts))
    return starts[turn:] + starts[:turn]


def _machines_free(calendar: _Calendar, service: Service, start: int, end: int) -> bool:
    return all(
        calendar.free(f"machine:{machine}", start, end, units)
        for machine, units in service.equipment.items()
    )


def _hold(calendar: _Calendar, slot: _Slot, patient: Patient, service: Service) -> None:
    end = slot.start + service.length
    turnover_end = end + service.buffer_after
    calendar.hold(f"provider:{slot.provider.id}", slot.start, end)
    calendar.hold(f"patient:{patient.id}", slot.start, end)
    calendar.hold(f"room:{slot.room.id}", slot.start, turnover_end)
    for machine, units in service.equipment.items():
        calendar.hold(f"machine:{machine}", slot.start, turnover_end, units)


def _booking(
    draft: _Draft, slot: _Slot, patient: Patient, service: Service, number: int, count: int
) -> Booking:
    day, minute = divmod(slot.start, MINUTES_PER_DAY)
    start = datetime.combine(draft.start + timedelta(days=day), time()) + timedelta(minutes=minute)
    return Booking(
        id=_numbered("b", number, count),
        patient=patient.id,
        service=service.id,
        provider=slot.provider.id,
        room=slot.room.id,
        start=start,
        locked=draft.rng.random() >= UNLOCKED_SHARE,
    )


# --- measuring a clinic ----------------------------------------------------------------


def working_ranges(provider: Provider, day: date, clinic: Clinic) -> list[tuple[int, int]]:
    """Minutes since midnight when `provider` works on `day`: weekly hours inside opening
    hours, without time off, nothing on a closed day or once the licence has expired."""
    opening = _opening(clinic, day)
    expired = provider.license_expires is not None and day >= provider.license_expires
    if opening is None or expired:
        return []
    ranges = [
        (max(hours.start, opening.start), min(hours.end, opening.end))
        for hours in provider.weekly.get(weekday_of(day), [])
        if hours.overlaps(opening)
    ]
    for absence in provider.time_off:
        if absence.covers(day):
            ranges = _without(ranges, absence.hours) if absence.hours else []
    return ranges


def _opening(clinic: Clinic, day: date) -> TimeRange | None:
    return None if day in clinic.closed_dates else clinic.hours.get(weekday_of(day))


def _without(ranges: list[tuple[int, int]], cut: TimeRange) -> list[tuple[int, int]]:
    kept = []
    for start, end in ranges:
        if start < cut.start:
            kept.append((start, min(end, cut.start)))
        if cut.end < end:
            kept.append((max(start, cut.end), end))
    return kept


def staffed_minutes(scenario: Scenario) -> int:
    """Minutes the providers are at work over the horizon (their hands-on capacity)."""
    clinic = scenario.clinic
    return sum(
        end - start
        for provider in scenario.providers
        for day in clinic.clock().days()
        for start, end in working_ranges(provider, day, clinic)
    )


def requested_minutes(requests: Sequence[Request], services: dict[str, Service]) -> int:
    """Hands-on minutes the requests ask for (processing time excluded: the provider is free)."""
    return sum(services[r.service].duration + services[r.service].finish for r in requests)


def demand_ratio(scenario: Scenario) -> float:
    """Requested hands-on minutes over staffed minutes; above 1 means not everyone fits."""
    services = {service.id: service for service in scenario.services}
    staffed = staffed_minutes(scenario)
    requested = requested_minutes(scenario.requests, services)
    return requested / staffed if staffed else float("inf")
