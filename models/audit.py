"""The rulebook audit: hidden or unclear rules that make scheduling fail.

A scenario can be valid (every id known, every time on the grid) and still leave holes a
manager would otherwise fill from memory: a service nobody may perform, a machine out of
service, a provider who never works while the clinic is open, nobody owning the exception
queue. Each check below looks for one kind of hole and reports it as a `Finding` with a
stable code, the path inside the scenario file and the fix, in words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from models.findings import Finding, excerpt
from models.reason_codes import SUGGESTED_ACTIONS
from models.scenario import NOTICE_KINDS, PENALTY_NAMES
from models.spreadsheet import looks_like_formula
from models.templates import template_problems
from models.times import MINUTES_PER_DAY, WEEKDAYS, format_clock, weekday_of

if TYPE_CHECKING:
    from models.scenario import Clinic, Provider, Request, Scenario, Service
    from models.times import TimeRange


def audit(scenario: Scenario) -> list[Finding]:
    """Every hidden or unclear rule that makes scheduling fail, in a stable order.

    Findings come check by check (in the order of `CHECKS`), each check in file order.
    """
    return [finding for check in CHECKS for finding in check(scenario)]


# --- helpers ------------------------------------------------------------------------------


def _last_day(clinic: Clinic) -> date:
    return clinic.horizon.start + timedelta(days=clinic.horizon.days - 1)


def _opening(clinic: Clinic, day: date) -> TimeRange | None:
    """The clinic's opening hours on `day`, or None when it is closed."""
    if day in clinic.closed_dates:
        return None
    return clinic.hours.get(weekday_of(day))


def _licensed(provider: Provider, day: date) -> bool:
    """Whether the provider's licence is still valid on `day`."""
    return provider.license_expires is None or day < provider.license_expires


def _performers(scenario: Scenario, service_id: str) -> list[Provider]:
    """Providers who list the service and hold a licence valid on the first horizon day."""
    first = scenario.clinic.horizon.start
    return [p for p in scenario.providers if service_id in p.services and _licensed(p, first)]


def _duty_minutes(clinic: Clinic, provider: Provider, day: date) -> set[int]:
    """Minutes of `day` the provider's weekly hours fall in opening hours, licence valid."""
    opening = _opening(clinic, day)
    if opening is None or not _licensed(provider, day):
        return set()
    ranges = provider.weekly.get(weekday_of(day), [])
    return {
        minute
        for hours in ranges
        for minute in range(max(hours.start, opening.start), min(hours.end, opening.end))
    }


def _absent_minutes(provider: Provider, day: date) -> set[int]:
    """Minutes of `day` the provider has time off."""
    absent: set[int] = set()
    for absence in provider.time_off:
        if absence.covers(day):
            hours = absence.hours
            absent.update(range(hours.start, hours.end) if hours else range(MINUTES_PER_DAY))
    return absent


def _local(day: date, minute: int, zone: ZoneInfo, fold: int) -> datetime:
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    return naive.replace(tzinfo=zone, fold=fold)


def _is_change_day(zone: ZoneInfo, day: date) -> bool:
    """Whether the UTC offset at the start of `day` differs from the next day's."""
    return _local(day, 0, zone, 0).utcoffset() != _local(day, MINUTES_PER_DAY, zone, 0).utcoffset()


def _clocks_change(zone: ZoneInfo, day: date, minute: int) -> bool:
    """Whether the wall-clock time does not exist or happens twice (daylight saving)."""
    first, second = (_local(day, minute, zone, fold) for fold in (0, 1))
    return first.utcoffset() != second.utcoffset()


def _start_times(clinic: Clinic) -> list[int]:
    """Minutes of the day, on the slot grid, at which the clinic is open on some weekday."""
    grid = clinic.slot_minutes
    return sorted(
        {m for hours in clinic.hours.values() for m in range(hours.start, hours.end, grid)}
    )


def _runs(minutes: list[int], step: int) -> str:
    """Sorted minutes of the day as '09:00 to 09:55, 17:00', runs `step` apart joined."""
    runs: list[list[int]] = []
    for minute in minutes:
        if runs and minute == runs[-1][-1] + step:
            runs[-1].append(minute)
        else:
            runs.append([minute])
    return ", ".join(
        format_clock(run[0]) + (f" to {format_clock(run[-1])}" if len(run) > 1 else "")
        for run in runs
    )


# --- the checks, one per finding code -----------------------------------------------------


def _service_without_provider(scenario: Scenario) -> Iterator[Finding]:
    first = scenario.clinic.horizon.start
    for i, service in enumerate(scenario.services):
        if _performers(scenario, service.id):
            continue
        listed = [f"'{p.id}'" for p in scenario.providers if service.id in p.services]
        reason = (
            f"the licence of every provider who lists it ({', '.join(listed)}) "
            f"expired before {first}"
            if listed
            else "no provider lists it in their services"
        )
        yield Finding(
            "service_without_provider",
            f"services[{i}]",
            f"no provider may perform service '{service.id}': {reason}; add it to the "
            "services of a provider with a valid licence (or renew the licence)",
        )


def _room_type_missing(scenario: Scenario) -> Iterator[Finding]:
    types = {room.type for room in scenario.rooms}
    have = ", ".join(sorted(types)) or "no rooms at all"
    for i, service in enumerate(scenario.services):
        if types.isdisjoint(service.room_types):
            needed = " or ".join(service.room_types)
            yield Finding(
                "room_type_missing",
                f"services[{i}].room_types",
                f"service '{service.id}' needs a room of type {needed} but no room has that "
                f"type (rooms: {have}); add such a room or change the service's room_types",
            )


def _equipment_unavailable(scenario: Scenario) -> Iterator[Finding]:
    counts = {machine.id: machine.count for machine in scenario.equipment}
    for i, service in enumerate(scenario.services):
        for machine, units in service.equipment.items():
            have = counts.get(machine, 0)
            if have < units:
                yield Finding(
                    "equipment_unavailable",
                    f"services[{i}].equipment.{machine}",
                    f"service '{service.id}' needs {units} unit(s) of equipment '{machine}' "
                    f"but the clinic has {have}; raise the count of '{machine}' (back in "
                    "service, or more units) or lower the units the service needs",
                )


def _provider_without_hours(scenario: Scenario) -> Iterator[Finding]:
    clinic = scenario.clinic
    span = f"{clinic.horizon.start}..{_last_day(clinic)}"
    for i, provider in enumerate(scenario.providers):
        duty = {day: _duty_minutes(clinic, provider, day) for day in clinic.clock().days()}
        duty = {day: minutes for day, minutes in duty.items() if minutes}
        if any(minutes - _absent_minutes(provider, day) for day, minutes in duty.items()):
            continue
        yield Finding(
            "provider_without_hours",
            f"providers[{i}]",
            f"provider '{provider.id}' has no working minutes in the horizon {span}: "
            + _why_no_hours(scenario, provider, bool(duty)),
        )


def _why_no_hours(scenario: Scenario, provider: Provider, has_duty: bool) -> str:
    if not _licensed(provider, scenario.clinic.horizon.start):
        expired = provider.license_expires
        return f"the licence expired on {expired}; renew it and update license_expires"
    if has_duty:
        return "time off covers every working day; shorten the time off or add working hours"
    return (
        "the weekly hours fall on no day the clinic is open (or only outside opening hours, "
        "or after the licence expires); add weekly hours on open days"
    )


def _consult_unavailable(scenario: Scenario) -> Iterator[Finding]:
    consults = [s for s in scenario.services if s.category == "consult"]
    for i, service in enumerate(scenario.services):
        if not service.requires_consult:
            continue
        reason = _why_no_consult(scenario, service, consults)
        if reason:
            yield Finding(
                "consult_unavailable",
                f"services[{i}].requires_consult",
                f"service '{service.id}' requires a consultation first, but {reason}",
            )


def _why_no_consult(scenario: Scenario, service: Service, consults: list[Service]) -> str | None:
    """Why no consultation that qualifies `service` can be booked, if none can."""
    if not consults:
        return "the menu has no service of category consult; add a consultation service"
    qualifying = [c.id for c in consults if c.qualifies_for(service)]
    if not qualifying:
        listed = "; ".join(
            f"'{c.id}' qualifies {', '.join(c.qualifies or []) or 'nothing'}" for c in consults
        )
        return (
            f"no consultation qualifies it ({listed}); list '{service.id}' or its category "
            "in a consultation's qualifies, or add a consultation that qualifies it"
        )
    if not any(_performers(scenario, consult) for consult in qualifying):
        names = ", ".join(f"'{consult}'" for consult in qualifying)
        return (
            f"no provider with a valid licence may perform a consult that qualifies it "
            f"({names}); add one to a provider's services"
        )
    return None


def _window_on_closed_days(scenario: Scenario) -> Iterator[Finding]:
    clinic = scenario.clinic
    for i, request in enumerate(scenario.requests):
        start = max(request.earliest, clinic.horizon.start)
        end = min(request.latest, _last_day(clinic))
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        if days and all(_opening(clinic, day) is None for day in days):
            yield Finding(
                "window_on_closed_days",
                f"requests[{i}]",
                f"request '{request.id}' (patient '{request.patient}', service "
                f"'{request.service}') may only be booked {start}..{end}, but the clinic is "
                "closed on all of those days; widen the request's window or open the clinic "
                "on one of them",
            )


def _missing_owner(scenario: Scenario, field: str, code: str, duty: str) -> Iterator[Finding]:
    owner = getattr(scenario.policies, field)
    if not owner or (isinstance(owner, str) and not owner.strip()):
        yield Finding(
            code,
            f"policies.{field}",
            f"policies.{field} is not set, so nobody owns {duty}; name the role or person "
            "responsible (e.g. 'clinic_manager')",
        )


def _no_escalation_owner(scenario: Scenario) -> Iterator[Finding]:
    duty = "the requests the optimizer cannot book (the exception queue)"
    return _missing_owner(scenario, "escalation_owner", "no_escalation_owner", duty)


def _no_same_day_owner(scenario: Scenario) -> Iterator[Finding]:
    duty = "same-day changes (cancellations, no-shows, a provider out)"
    return _missing_owner(scenario, "same_day_owner", "no_same_day_owner", duty)


def _nobody_on_duty(scenario: Scenario) -> Iterator[Finding]:
    """Days of the horizon on which a duty rota (policies.escalation_owner) names nobody: the
    days the clinic is open and the first days of requests (an exception's day), but the first
    day when a same-day owner handles it (a solve's first day is same-day business)."""
    policies, clinic = scenario.policies, scenario.clinic
    if not isinstance(policies.escalation_owner, dict) or not policies.escalation_owner:
        return
    first = 1 if policies.same_day_owner else 0
    days = [clinic.horizon.start + timedelta(days=n) for n in range(first, clinic.horizon.days)]
    asked = {request.earliest for request in scenario.requests}
    days = [day for day in days if _opening(clinic, day) is not None or day in asked]
    gaps = [day for day in days if policies.escalation_owner_on(day) is None]
    if gaps:
        weekdays = sorted({weekday_of(day) for day in gaps}, key=WEEKDAYS.index)
        shown = ", ".join(f"{day:%a} {day}" for day in gaps[:10])
        more = f" and {len(gaps) - 10} more" if len(gaps) > 10 else ""
        yield Finding(
            "nobody_on_duty",
            "policies.escalation_owner",
            f"the duty rota names no escalation owner on {shown}{more}, so the exceptions of "
            f"those days have nobody on duty; add {', '.join(weekdays)} (every week) or those "
            "dates to the rota",
        )


def _unknown_reason_code(scenario: Scenario) -> Iterator[Finding]:
    """Per-reason owners of codes no exception carries (a typo routes nothing)."""
    for code, owner in scenario.policies.exception_owners.items():
        if code not in SUGGESTED_ACTIONS:
            yield Finding(
                "unknown_reason_code",
                f"policies.exception_owners.{code}",
                f"{excerpt(code)} is not a reason code, so nothing goes to {excerpt(owner)} by "
                f"it; use one of {', '.join(sorted(SUGGESTED_ACTIONS))} (docs/reasons.md)",
            )


def _no_waitlist_order(scenario: Scenario) -> Iterator[Finding]:
    if not scenario.policies.waitlist_order:
        yield Finding(
            "no_waitlist_order",
            "policies.waitlist_order",
            "policies.waitlist_order is empty, so nobody knows who gets freed time first; "
            "write the priority rule, e.g. [displaced, priority, requested_at]",
        )


def _reminder_without_template(scenario: Scenario) -> Iterator[Finding]:
    for i, reminder in enumerate(scenario.policies.reminders):
        if not (reminder.template or "").strip():
            yield Finding(
                "reminder_without_template",
                f"policies.reminders[{i}].template",
                f"reminder '{reminder.name}' has no template, so it cannot be sent; "
                "write the message text in its template",
            )


def _reminder_in_quiet_hours(scenario: Scenario) -> Iterator[Finding]:
    quiet = scenario.policies.quiet_hours
    if quiet is None:
        return
    starts = _start_times(scenario.clinic)
    before = format_clock((quiet.start - 1) % MINUTES_PER_DAY)
    after = format_clock(quiet.end % MINUTES_PER_DAY)
    for i, reminder in enumerate(scenario.policies.reminders):
        at = reminder.minute_of_day
        if at is not None and quiet.covers(at):
            yield Finding(
                "reminder_in_quiet_hours",
                f"policies.reminders[{i}].at",
                f"reminder '{reminder.name}' goes out at {reminder.at}, in quiet hours {quiet}, "
                f"so it goes out at {before} before them, or at {after} after them when booked "
                "later; change its at or policies.quiet_hours",
            )
        if reminder.hours_before is None:
            continue
        early = reminder.hours_before * 60
        held = [m for m in starts if quiet.covers((m - early) % MINUTES_PER_DAY)]
        if held:
            sent = format_clock((held[0] - early) % MINUTES_PER_DAY)
            yield Finding(
                "reminder_in_quiet_hours",
                f"policies.reminders[{i}].hours_before",
                f"reminder '{reminder.name}' goes out {reminder.hours_before} hours before the "
                f"appointment, so for appointments starting "
                f"{_runs(held, scenario.clinic.slot_minutes)} it falls in quiet hours {quiet} "
                f"(one at {format_clock(held[0])} is due at {sent}, so it goes out at "
                f"{before} before them, or at {after} after them when booked later); "
                "change its hours_before or policies.quiet_hours",
            )


def _bad_template(scenario: Scenario) -> Iterator[Finding]:
    policies = scenario.policies
    templates = [
        (
            f"policies.reminders[{i}].template",
            "confirmation" if reminder.on_booking else "reminder",
            reminder.template,
            reminder.channel,
        )
        for i, reminder in enumerate(policies.reminders)
        if (reminder.template or "").strip()
    ]
    for kind in NOTICE_KINDS:
        notice = getattr(policies.notices, kind)
        if notice is not None:
            templates.append((f"policies.notices.{kind}", kind, notice.template, notice.channel))
    for where, kind, text, channel in templates:
        assert text is not None
        for problem in template_problems(text, kind, scenario, channel):
            yield Finding("bad_template", where, problem)


def _notice_missing(scenario: Scenario) -> Iterator[Finding]:
    notices = scenario.policies.notices
    if scenario.policies.deposit_holds and notices.deposit_request is None:
        yield Finding(
            "notice_missing",
            "policies.notices.deposit_request",
            "policies.deposit_holds is on but there is no deposit_request notice, so a patient "
            "whose appointment is held is never asked for the deposit; write its template "
            "(with {{ pay_by }} and {{ deposit }})",
        )
    if notices.waitlist_offer is None and any(r.source == "waitlist" for r in scenario.requests):
        yield Finding(
            "notice_missing",
            "policies.notices.waitlist_offer",
            "requests come from the waitlist but there is no waitlist_offer notice, so a "
            "patient offered a freed slot is never told; write its template (with "
            "{{ reply_by }})",
        )


def _licence_expires_in_horizon(scenario: Scenario) -> Iterator[Finding]:
    first, last = scenario.clinic.horizon.start, _last_day(scenario.clinic)
    for i, provider in enumerate(scenario.providers):
        expires = provider.license_expires
        if expires is not None and first < expires <= last:
            yield Finding(
                "licence_expires_in_horizon",
                f"providers[{i}].license_expires",
                f"the licence of provider '{provider.id}' expires on {expires}: bookable "
                f"until {expires - timedelta(days=1)}, not from {expires} on; renew it and "
                "update license_expires, or plan cover for those days",
            )


def _preference_not_permitted(scenario: Scenario) -> Iterator[Finding]:
    for i, provider in enumerate(scenario.providers):
        for j, service_id in enumerate(provider.preferences.preferred_services):
            if service_id not in provider.services:
                yield Finding(
                    "preference_not_permitted",
                    f"providers[{i}].preferences.preferred_services[{j}]",
                    f"provider '{provider.id}' prefers service '{service_id}' but may not "
                    "perform it; add it to their services or remove the preference",
                )


def _provider_hours_outside_clinic(scenario: Scenario) -> Iterator[Finding]:
    hours = scenario.clinic.hours
    for i, provider in enumerate(scenario.providers):
        for day, ranges in provider.weekly.items():
            opening = hours.get(day)
            for j, worked in enumerate(ranges):
                if opening is None:
                    reason = f"the clinic is closed on {day}"
                elif not opening.contains(worked.start, worked.end):
                    reason = f"the clinic is open only {opening} on {day}"
                else:
                    continue
                yield Finding(
                    "provider_hours_outside_clinic",
                    f"providers[{i}].weekly.{day}[{j}]",
                    f"provider '{provider.id}' works {worked} on {day} but {reason}, so "
                    "those minutes can never be booked; fit the provider's hours into "
                    "clinic.hours or extend clinic.hours",
                )


def _service_longer_than_day(scenario: Scenario) -> Iterator[Finding]:
    longest = max((opening.minutes for opening in scenario.clinic.hours.values()), default=0)
    for i, service in enumerate(scenario.services):
        if service.length > longest:
            yield Finding(
                "service_longer_than_day",
                f"services[{i}]",
                f"service '{service.id}' takes {service.length} minutes (hands-on, "
                f"processing and finish) but the longest clinic day is open {longest} "
                "minutes; shorten the service or extend clinic.hours",
            )


def _hours_cross_dst_change(scenario: Scenario) -> Iterator[Finding]:
    clinic = scenario.clinic
    zone = ZoneInfo(clinic.timezone)
    clock = clinic.clock()
    for day in clock.days():
        opening = _opening(clinic, day)
        if opening is None or not _is_change_day(zone, day):
            continue
        changed = [m for m in range(opening.start, opening.end) if _clocks_change(zone, day, m)]
        if not changed:
            continue
        first = datetime.combine(day, time()) + timedelta(minutes=changed[0])
        what = "happen twice" if clock.happens(first) else "do not exist"
        after = format_clock(changed[-1] + 1)
        yield Finding(
            "hours_cross_dst_change",
            f"clinic.hours.{weekday_of(day)}",
            f"on {day} the clocks change for daylight saving during opening hours "
            f"{opening}: local times {format_clock(changed[0])}-{after} {what}, so "
            "bookings then get the wrong length; "
            f"open from {after} that day or add {day} to clinic.closed_dates",
        )


def _applies(scenario: Scenario, name: str, request: Request) -> bool:
    """Whether booking the request can break the soft rule `name` (policies.penalties)."""
    permitted = [p for p in scenario.providers if request.service in p.services]
    if name == "over_daily_bookings":
        return any(p.preferences.max_bookings_per_day is not None for p in permitted)
    if name == "preferred_provider":
        return request.preferred_provider not in (None, request.required_provider)
    if name == "preferred_time":
        return bool(request.preferred_times)
    if name == "non_preferred_service":
        favourites = [p.preferences.preferred_services for p in permitted]
        return any(f and request.service not in f for f in favourites)
    if name == "moved_booking":
        unlocked = {b.provider for b in scenario.bookings if not b.locked}
        return any(p.id in unlocked for p in permitted)
    return True  # idle_slot: any booking may leave an idle slot in a provider's day


_NEVER = {
    "preferred_provider": "booked with anyone but the preferred provider",
    "preferred_time": "booked outside its preferred times",
    "over_daily_bookings": "booked beyond a provider's max_bookings_per_day (a hard cap)",
    "non_preferred_service": "booked with a provider who prefers other services",
    "moved_booking": "booked where an unlocked booking would have to move",
    "idle_slot": "booked where it leaves an idle slot in a provider's day",
}
"""What a request worth no more than a penalty is never, by penalty."""


def _penalty_outweighs_booking(scenario: Scenario) -> Iterator[Finding]:
    penalties = scenario.policies.penalties
    for name in PENALTY_NAMES:
        penalty = getattr(penalties, name)
        worth = [
            (scenario.weight_of(r) * scenario.service(r.service).length, index, r)
            for index, r in enumerate(scenario.requests)
            if _applies(scenario, name, r)
        ]
        outweighed = sorted(item for item in worth if penalty and item[0] <= penalty)
        if not outweighed:
            continue
        value, _, cheapest = outweighed[0]
        length = scenario.service(cheapest.service).length
        yield Finding(
            "penalty_outweighs_booking",
            f"policies.penalties.{name}",
            f"policies.penalties.{name} is {penalty}, as much as or more than booking any of "
            f"{len(outweighed)} request(s) it applies to is worth (the least: '{cheapest.id}', "
            f"{cheapest.service} {length} min x weight {scenario.weight_of(cheapest)} = "
            f"{value}), so such a request is never {_NEVER[name]}; give it a weight of at "
            f"least {penalty // length + 1} (its priority, or policies.tier_weights) or lower "
            f"policies.penalties.{name} below {value}",
        )


def _texts(node: Any, where: str, item: str) -> Iterator[tuple[str, str, str]]:
    """(path, id of the item it belongs to, text) of every text value under `node`."""
    if isinstance(node, str):
        yield where, item, node
    elif isinstance(node, dict):
        item = excerpt(node["id"]) if isinstance(node.get("id"), str) else item
        for key, value in node.items():
            yield from _texts(value, f"{where}.{key}" if where else str(key), item)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, f"{where}[{index}]", item)


PHONE_FIELDS = re.compile(r"(^|\.)phone$")
"""Phone numbers: "+1 212 555 0134" is how they are written, and no CSV file carries them."""


def _formula_like_text(scenario: Scenario) -> Iterator[Finding]:
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    for where, item, text in _texts(data, "", ""):
        if looks_like_formula(text) and not PHONE_FIELDS.search(where):
            owner = f" (of {item})" if item else ""
            yield Finding(
                "formula_like_text",
                where,
                f"{where}{owner} is {excerpt(text)}, which starts like a spreadsheet formula "
                f"({excerpt(text[0])}), so a spreadsheet would run it; medspa's CSV files write "
                "it with a ' in front so it shows as text; if it is meant as text, start it "
                "with a letter or digit",
            )


CHECKS: tuple[Callable[[Scenario], Iterator[Finding]], ...] = (
    _service_without_provider,
    _room_type_missing,
    _equipment_unavailable,
    _provider_without_hours,
    _consult_unavailable,
    _window_on_closed_days,
    _no_escalation_owner,
    _nobody_on_duty,
    _unknown_reason_code,
    _no_same_day_owner,
    _no_waitlist_order,
    _reminder_without_template,
    _reminder_in_quiet_hours,
    _bad_template,
    _notice_missing,
    _licence_expires_in_horizon,
    _preference_not_permitted,
    _provider_hours_outside_clinic,
    _service_longer_than_day,
    _hours_cross_dst_change,
    _penalty_outweighs_booking,
    _formula_like_text,
)
"""The audit's checks, in reporting order."""
