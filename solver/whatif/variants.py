"""Scenario variants: a base scenario changed by named operations, without editing YAML.

    vary(base, "Saturday RN").add_provider("rn_sat", like="rn_chen", weekly={"sat": ...})
        .take_down("laser_platform", "2026-12-08", "2026-12-09").build()

Each operation edits the scenario's plain data (the shape of a scenario file) and returns a new
`Variation`, so one can branch into several. An operation never raises: an unknown id or a
value it cannot use becomes a problem with the fix, and the change is not made. `build()`
validates the result exactly as a file is loaded (`models.loader.scenario_from_data`), so an
invalid variant gets the messages a file gets, and audits it (`models.audit`) like a file.
"""

from __future__ import annotations

import copy
import difflib
import functools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Concatenate, ParamSpec
from zoneinfo import ZoneInfo

from models.audit import audit
from models.findings import Finding, excerpt
from models.loader import ScenarioError, scenario_from_data
from models.money import DEFAULT_CURRENCY, money
from models.scenario import Scenario
from models.times import WEEKDAYS

Data = dict[str, Any]
P = ParamSpec("P")


@dataclass(frozen=True)
class Variant:
    """A named scenario and what was changed to make it: valid (a Scenario) or not."""

    name: str
    """What the variant is called (a column of `compare`)."""
    changes: tuple[str, ...]
    """Each change made to the base, in words, in order."""
    scenario: Scenario | None
    """The scenario, when it is valid."""
    problems: tuple[Finding, ...] = ()
    """Why it is not valid: operations refused and validation errors, each with the fix."""
    findings: tuple[Finding, ...] = ()
    """The rulebook audit of the scenario (models.audit), as for a file."""
    new_findings: tuple[Finding, ...] = ()
    """The audit findings the base scenario does not have: what the changes opened up."""

    @property
    def valid(self) -> bool:
        """Whether the variant is a usable scenario."""
        return self.scenario is not None

    @classmethod
    def of(cls, scenario: Scenario, name: str = "base") -> Variant:
        """A scenario as it is, audited: the base of a comparison, or a scenario file."""
        return cls(name, (), scenario, findings=tuple(audit(scenario)))

    def report(self) -> str:
        """The changes, then each problem or audit finding, one per line."""
        lines = [f"{self.name}: {change}" for change in self.changes]
        for kind, items in (("problem", self.problems), ("audit", self.findings)):
            lines += [f"{self.name}: {kind}: {finding}" for finding in items]
        return "\n".join(lines)


class _Refused(Exception):
    """An operation that cannot be made: a finding code and the message with the fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _operation(
    body: Callable[Concatenate[Variation, P], str],
) -> Callable[Concatenate[Variation, P], Variation]:
    """An operation: applied to a copy of the data, its words added to the changes; refused,
    a problem naming the call instead, and nothing changed."""

    @functools.wraps(body)
    def apply(self: Variation, *args: P.args, **kwargs: P.kwargs) -> Variation:
        changed = replace(self, data=copy.deepcopy(self.data))
        try:
            words = body(changed, *args, **kwargs)
        except _Refused as refused:
            shown = [excerpt(a) for a in args] + [f"{k}={excerpt(v)}" for k, v in kwargs.items()]
            where = f"{body.__name__}({', '.join(shown)})"
            return replace(
                self, problems=(*self.problems, Finding(refused.code, where, refused.message))
            )
        return replace(changed, changes=(*self.changes, words))

    return apply


def vary(base: Scenario, name: str) -> Variation:
    """Start a variant of `base` called `name`; chain operations, then `build()`."""
    return Variation(name, base.model_dump(mode="json"), frozenset(audit(base)))


@dataclass(frozen=True)
class Variation:
    """A variant being made: the scenario's data with the changes so far (see the module)."""

    name: str
    data: Data = field(repr=False)
    base_findings: frozenset[Finding] = field(repr=False, default=frozenset())
    changes: tuple[str, ...] = ()
    problems: tuple[Finding, ...] = ()

    def build(self) -> Variant:
        """The variant: validated as a file is, and audited when valid."""
        try:
            scenario = scenario_from_data(copy.deepcopy(self.data), self.name)
        except ScenarioError as error:
            return Variant(self.name, self.changes, None, (*self.problems, *error.problems))
        if self.problems:
            return Variant(self.name, self.changes, None, self.problems)
        findings = tuple(audit(scenario))
        new = tuple(f for f in findings if f not in self.base_findings)
        return Variant(self.name, self.changes, scenario, (), findings, new)

    # --- lookups ------------------------------------------------------------------------

    def _item(self, section: str, item_id: Any, kind: str) -> Data:
        """The entry of `section` with this id, or refused naming the ids there are."""
        ids = [entry["id"] for entry in self.data[section]]
        if isinstance(item_id, str) and item_id in ids:
            return self.data[section][ids.index(item_id)]
        raise _unknown(kind, item_id, ids)

    def _new_id(self, section: str, item_id: Any, kind: str) -> None:
        """Refused unless `item_id` is text not yet used in `section`."""
        if not isinstance(item_id, str):
            raise _Refused("bad_value", f"a {kind} id is text, not {excerpt(item_id)}")
        if any(entry["id"] == item_id for entry in self.data[section]):
            raise _Refused(
                "duplicate_id",
                f"there is a {kind} {excerpt(item_id)} already; give the new one another id",
            )

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.data["clinic"]["timezone"])

    def _horizon(self) -> tuple[date, int]:
        horizon = self.data["clinic"]["horizon"]
        return date.fromisoformat(horizon["start"]), horizon["days"]

    # --- providers ----------------------------------------------------------------------

    @_operation
    def add_provider(self, provider_id: str, like: str | None = None, **fields: Any) -> str:
        """Add a provider: a copy of `like` (role, services, weekly hours, preferences; not
        their name, licence date or time off) and/or the given fields (name, role, services,
        weekly, ...) as in a scenario file."""
        self._new_id("providers", provider_id, "provider")
        entry: Data = {"id": provider_id, "name": provider_id}
        if like is not None:
            model = self._item("providers", like, "provider")
            entry |= {k: copy.deepcopy(model[k]) for k in ("role", "services", "weekly")}
            entry["preferences"] = copy.deepcopy(model["preferences"])
        entry |= copy.deepcopy(fields)
        self.data["providers"].append(entry)
        made = f" like {like}" if like is not None else ""
        given = f", {', '.join(fields)} as given" if fields else ""
        return f"added provider {provider_id}{made}{given}"

    @_operation
    def remove_provider(self, provider_id: str) -> str:
        """Remove a provider. Their confirmed bookings become requests of the same patient and
        service for that day (deposit paid, source reschedule), for another provider to take;
        their given-up bookings go; requests that required or preferred them no longer do."""
        entry = self._item("providers", provider_id, "provider")
        self.data["providers"].remove(entry)
        freed = [
            {"required_provider": None} if r.get("required_provider") == provider_id else {}
            for r in self.data["requests"]
        ]
        required = sum(1 for f in freed if f)
        for request, change in zip(self.data["requests"], freed, strict=True):
            request |= change
            if request.get("preferred_provider") == provider_id:
                request["preferred_provider"] = None
        theirs = [b for b in self.data["bookings"] if b["provider"] == provider_id]
        self.data["bookings"] = [b for b in self.data["bookings"] if b["provider"] != provider_id]
        rebook = [_as_request(b) for b in theirs if b["status"] == "confirmed"]
        self.data["requests"] += rebook
        return (
            f"removed provider {provider_id}: {len(rebook)} confirmed booking(s) to rebook "
            f"that day, {required} request(s) no longer require them"
        )

    @_operation
    def set_hours(self, provider_id: str, weekday: str, hours: str | list[str] | None) -> str:
        """A provider's working hours on a weekday ("09:00-17:00" or a list of ranges, the
        gaps breaks), or None for the day off."""
        weekly = self._item("providers", provider_id, "provider")["weekly"]
        day = _weekday(weekday)
        if hours is None:
            weekly.pop(day, None)
            return f"{provider_id} does not work on {day}"
        weekly[day] = hours
        return f"{provider_id} works {_hours_text(hours)} on {day}"

    @_operation
    def add_weekday(
        self, provider_id: str, weekday: str, hours: str | list[str] | None = None
    ) -> str:
        """A weekday more for a provider: the given hours, or the clinic's hours that day."""
        weekly = self._item("providers", provider_id, "provider")["weekly"]
        day = _weekday(weekday)
        if day in weekly:
            shown = _hours_text(weekly[day])
            raise _Refused(
                "already_works",
                f"{provider_id} already works on {day} ({shown}); use set_hours to change them",
            )
        if hours is None:
            hours = self.data["clinic"]["hours"].get(day)
            if hours is None:
                raise _Refused(
                    "clinic_closed",
                    f"the clinic is closed on {day}; give the hours, or open the clinic that "
                    "day first with set_clinic_hours",
                )
        weekly[day] = hours
        return f"{provider_id} also works on {day}, {_hours_text(hours)}"

    @_operation
    def remove_weekday(self, provider_id: str, weekday: str) -> str:
        """A weekday less for a provider."""
        weekly = self._item("providers", provider_id, "provider")["weekly"]
        day = _weekday(weekday)
        if day not in weekly:
            days = ", ".join(weekly) or "no day"
            raise _Refused(
                "not_working", f"{provider_id} does not work on {day} (they work {days})"
            )
        del weekly[day]
        return f"{provider_id} no longer works on {day}"

    @_operation
    def permit(self, provider_id: str, service_id: str) -> str:
        """Let a provider perform a service."""
        services = self._item("providers", provider_id, "provider")["services"]
        self._item("services", service_id, "service")
        if service_id in services:
            raise _Refused(
                "already_permitted",
                f"{provider_id} may perform {service_id} already; leave this change out",
            )
        services.append(service_id)
        return f"{provider_id} may perform {service_id}"

    @_operation
    def forbid(self, provider_id: str, service_id: str) -> str:
        """Stop a provider performing a service (and preferring it)."""
        entry = self._item("providers", provider_id, "provider")
        self._item("services", service_id, "service")
        if service_id not in entry["services"]:
            raise _Refused(
                "not_permitted",
                f"{provider_id} may not perform {service_id} already; leave this change out",
            )
        entry["services"].remove(service_id)
        preferred = entry["preferences"]["preferred_services"]
        entry["preferences"]["preferred_services"] = [s for s in preferred if s != service_id]
        return f"{provider_id} may no longer perform {service_id}"

    # --- services -----------------------------------------------------------------------

    @_operation
    def set_duration(
        self,
        service_id: str,
        minutes: int,
        *,
        processing: int | None = None,
        finish: int | None = None,
        buffer_after: int | None = None,
    ) -> str:
        """A service's hands-on minutes, and its processing, finish or turnover minutes if
        given."""
        entry = self._item("services", service_id, "service")
        parts = {"duration": minutes, "processing": processing, "finish": finish}
        parts["buffer_after"] = buffer_after
        given = {part: value for part, value in parts.items() if value is not None}
        words = ", ".join(f"{part} {value} (was {entry[part]})" for part, value in given.items())
        entry |= given
        return f"{service_id}: {words}"

    @_operation
    def set_deposit(self, service_id: str, amount: float) -> str:
        """The deposit a service needs to be booked (0: none)."""
        entry = self._item("services", service_id, "service")
        before, entry["deposit"] = entry["deposit"], amount
        currency = self.data["clinic"].get("currency", DEFAULT_CURRENCY)
        now = money(amount, currency) if isinstance(amount, int | float) else excerpt(amount)
        return f"{service_id} deposit {now} (was {money(before, currency)})"

    # --- rooms and machines -------------------------------------------------------------

    @_operation
    def add_room(self, room_id: str, room_type: str, name: str | None = None) -> str:
        """Add a room of a type the services ask for."""
        self._new_id("rooms", room_id, "room")
        wanted = {t for s in self.data["services"] for t in s["room_types"]}
        _used_by_a_service(room_type, wanted, "takes place in a room of type", "")
        self.data["rooms"].append({"id": room_id, "type": room_type, "name": name or room_id})
        return f"added room {room_id} ({room_type})"

    @_operation
    def add_machine(self, machine_id: str, count: int = 1, name: str | None = None) -> str:
        """Add a kind of machine a service needs (`count` units)."""
        self._new_id("equipment", machine_id, "machine")
        used = {m for s in self.data["services"] for m in s["equipment"]}
        _used_by_a_service(
            machine_id, used, "needs a machine", " (set_machine_count changes units)"
        )
        entry = {"id": machine_id, "name": name or machine_id, "count": count}
        self.data["equipment"].append(entry)
        return f"added machine {machine_id} x{count}"

    @_operation
    def set_machine_count(self, machine_id: str, count: int) -> str:
        """How many units of a machine the clinic has (0: none in service)."""
        entry = self._item("equipment", machine_id, "machine")
        before, entry["count"] = entry["count"], count
        return f"{machine_id}: {count} unit(s) (was {before})"

    @_operation
    def take_down(
        self,
        item_id: str,
        start: date | datetime | str,
        end: date | datetime | str,
        units: int | None = None,
    ) -> str:
        """Take a room, or units of a machine (default: all), out of service: dates for whole
        local days (`end` the last day down), times for [start, end)."""
        kinds = {"room": "rooms", "machine": "equipment"}
        found = [(k, e) for k, s in kinds.items() for e in self.data[s] if e["id"] == item_id]
        if not found:
            ids = [e["id"] for s in kinds.values() for e in self.data[s]]
            raise _unknown("room or machine", item_id, ids)
        kind, entry = found[0]
        zone = self._zone()
        low, high = _moment(start, "start", zone), _moment(end, "end", zone, end=True)
        if high <= low:
            raise _Refused("bad_value", f"the end {high} is not after the start {low}")
        first, days = self._horizon()
        if high <= datetime.combine(first, time()) or low.date() >= first + timedelta(days):
            raise _Refused(
                "outside_horizon",
                f"{low} to {high} lies outside the horizon {first} + {days} day(s); change the "
                "dates or the horizon (extend_horizon)",
            )
        count = 1 if kind == "room" else entry["count"]
        units = count if units is None else units
        if not (isinstance(units, int) and 1 <= units <= count):
            what = "a room is taken down whole" if kind == "room" else f"it has {count}"
            raise _Refused("bad_value", f"cannot take {excerpt(units)} unit(s) down; {what}")
        span = {
            "start": low.isoformat(timespec="minutes"),
            "end": high.isoformat(timespec="minutes"),
        }
        entry["out_of_service"] += [dict(span) for _ in range(units)]
        shown = "" if kind == "room" else f" ({units} unit(s))"
        return f"{item_id}{shown} out of service {low:%Y-%m-%d %H:%M} to {high:%Y-%m-%d %H:%M}"

    # --- the clinic and its policy ------------------------------------------------------

    @_operation
    def set_policy(self, name: str, value: Any) -> str:
        """Any field of the policies, by name or dotted path: "consult_valid_days",
        "penalties.idle_slot", "tier_weights.vip", "waitlist_order"."""
        node = self.data["policies"]
        *parents, last = str(name).split(".")
        for depth, part in enumerate([*parents, last]):
            if not isinstance(node, dict) or part not in node:
                above = "".join(f"{p}." for p in parents[:depth])
                keys = [f"{above}{key}" for key in node] if isinstance(node, dict) else []
                close = difflib.get_close_matches(f"{above}{part}", keys, n=3)
                hint = f"did you mean {', '.join(close)}?" if close else _listing("field", keys)
                raise _Refused("unknown_policy", f"policies have no {excerpt(name)}; {hint}")
            if part != last:
                node = node[part]
        before, node[last] = node[last], copy.deepcopy(value)
        return f"policies.{name} = {excerpt(value)} (was {excerpt(before)})"

    @_operation
    def set_clinic_hours(self, weekday: str, hours: str | None) -> str:
        """The clinic's opening hours on a weekday ("09:00-19:00"), or None: closed that day."""
        day = _weekday(weekday)
        if hours is None:
            self.data["clinic"]["hours"].pop(day, None)
            return f"the clinic is closed on {day}"
        self.data["clinic"]["hours"][day] = hours
        return f"the clinic is open {hours} on {day}"

    @_operation
    def extend_horizon(self, days: int) -> str:
        """Schedule `days` more days after the horizon's last."""
        first, length = self._horizon()
        if not (isinstance(days, int) and days >= 1):
            raise _Refused("bad_value", f"extend the horizon by 1 day or more, not {excerpt(days)}")
        self.data["clinic"]["horizon"]["days"] = length + days
        return f"horizon {first} + {length + days} day(s) (was {length})"

    @_operation
    def set_horizon(self, start: date | str | None = None, days: int | None = None) -> str:
        """The days to schedule: a new first day and/or number of days."""
        horizon = self.data["clinic"]["horizon"]
        if start is not None:
            horizon["start"] = _moment(start, "start", self._zone()).date().isoformat()
        if days is not None:
            horizon["days"] = days
        return f"horizon {horizon['start']} + {horizon['days']} day(s)"

    # --- demand -------------------------------------------------------------------------

    @_operation
    def scale_demand(self, factor: float, seed: int = 0) -> str:
        """Scale the requests by `factor` (0.8 drops a fifth, 1.5 adds half again), drawn with
        `seed`: copies get fresh ids and keep patient, service and window; the requests of one
        visit are kept, dropped or copied together."""
        if not (_is_number(factor) and 0 <= factor <= 100):
            raise _Refused(
                "bad_value", f"scale demand by a factor from 0 to 100, not {excerpt(factor)}"
            )
        requests = self.data["requests"]
        before = len(requests)
        groups: dict[Any, list[Data]] = {}
        for index, request in enumerate(requests):
            groups.setdefault(request.get("visit") or ("alone", index), []).append(request)
        units = list(groups.values())
        whole, rest = divmod(round(len(units) * factor), len(units)) if units else (0, 0)
        picked = sorted(random.Random(seed).sample(range(len(units)), rest))
        if whole == 0:
            self.data["requests"] = [r for i in picked for r in units[i]]
        else:
            ids = {r["id"] for r in requests} | {b["id"] for b in self.data["bookings"]}
            copies = [(unit, n) for n in range(2, whole + 1) for unit in units]
            copies += [(units[i], whole + 1) for i in picked]
            for unit, number in copies:
                requests += _copied(unit, number, ids)
        after = len(self.data["requests"])
        return f"demand x{factor:g} (seed {seed}): {before} requests, now {after}"


def _copied(unit: list[Data], number: int, ids: set[str]) -> list[Data]:
    """Copy `number` of the requests of one visit (or one request alone), with fresh ids."""
    copies = []
    for request in unit:
        made = copy.deepcopy(request)
        made["id"] = first_free(f"{request['id']}.{number}", ids)
        if request.get("visit"):
            made["visit"] = f"{request['visit']}.{number}"
        copies.append(made)
    return copies


def first_free(wanted: str, taken: set[str], numbered: str = "{}.{}") -> str:
    """`wanted`, or else the first of `numbered` with it and 2, 3, ... not in `taken`; the
    name made is added to `taken`."""
    made, n = wanted, 1
    while made in taken:
        n += 1
        made = numbered.format(wanted, n)
    taken.add(made)
    return made


def _used_by_a_service(value: str, used: set[str], words: str, more: str) -> None:
    """Refused unless some service uses `value` (a room type, a machine)."""
    if value not in used:
        known = ", ".join(sorted(used)) or "none"
        raise _Refused("not_used", f"no service {words} {excerpt(value)}; they use {known}{more}")


def _as_request(booking: Data) -> Data:
    """A confirmed booking as a request for its day (to rebook with another provider)."""
    day = booking["start"][:10]
    return {
        "id": booking["id"],
        "patient": booking["patient"],
        "service": booking["service"],
        "earliest": day,
        "latest": day,
        "deposit_paid": True,
        "source": "reschedule",
        "visit": booking.get("visit"),
    }


def _unknown(kind: str, item_id: Any, ids: list[str]) -> _Refused:
    """The refusal of an id that is not there, with the closest ids or those there are."""
    close = difflib.get_close_matches(str(item_id), ids, n=3)
    hint = f"did you mean {', '.join(close)}?" if close else _listing(kind, ids)
    return _Refused("unknown_id", f"there is no {kind} {excerpt(item_id)}; {hint}")


def _listing(kind: str, ids: list[str]) -> str:
    if not ids:
        return f"there is no {kind} at all"
    more = f" and {len(ids) - 8} more" if len(ids) > 8 else ""
    return f"use one of {', '.join(ids[:8])}{more}"


def _weekday(text: Any) -> str:
    day = str(text).strip().lower()[:3]
    if not isinstance(text, str) or day not in WEEKDAYS:
        raise _Refused("bad_value", f"{excerpt(text)} is not a weekday; use mon, tue, ... sun")
    return day


def _hours_text(hours: str | list[str]) -> str:
    return hours if isinstance(hours, str) else ", ".join(hours)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _moment(value: Any, which: str, zone: ZoneInfo, end: bool = False) -> datetime:
    """A clinic-local time from a date (its midnight; the next midnight for an `end`, so the
    day is included) or a time (with an offset: converted), as an object or ISO text."""
    parsed = value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            parsed = None
    if isinstance(parsed, datetime):
        local = parsed.astimezone(zone) if parsed.tzinfo else parsed
        return local.replace(tzinfo=None)
    if isinstance(parsed, date):
        return datetime.combine(parsed + timedelta(days=1 if end else 0), time())
    raise _Refused(
        "bad_value",
        f"the {which} {excerpt(value)} is not a date or time; write YYYY-MM-DD for a whole "
        "day or YYYY-MM-DDTHH:MM",
    )
