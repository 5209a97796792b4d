"""Why a permitted provider has no start for a service on the days of a window, in words.

Each (provider, day) without a start is given its first cause, in the order the calendar is
built: the day is already past, the provider does not work that weekday, the licence has
expired, time off covers the day, or what is left of the working hours is too short (outside
opening hours, or after the present when re-planning). When every candidate has gone, the
reason code is that of the latest cause in this order: the one that took the last ones away.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from models.scenario import Provider, Service
from models.times import MINUTES_PER_DAY, WEEKDAYS, format_clock, weekday_of
from solver.facts import ClinicFacts, Ranges

CAUSES = (
    "window_passed",
    "provider_not_working",
    "licence_expired",
    "provider_time_off",
    "no_provider_hours",
)
"""The causes in the order they are checked (the reason codes of eligibility)."""
_FORMATS = {"window_passed": "{} passed", "provider_time_off": "time off {}"}


def day_label(when: date) -> str:
    """A date in words, e.g. 'Tue 2026-12-08'."""
    return f"{weekday_of(when).capitalize()} {when.isoformat()}"


def when_text(facts: ClinicFacts, minute: int) -> str:
    """A clinic minute in words, e.g. 'Tue 2026-12-08 14:00'."""
    day = day_label(facts.clock.day(minute // MINUTES_PER_DAY))
    return f"{day} {format_clock(minute % MINUTES_PER_DAY)}"


def weekdays_text(provider: Provider) -> str:
    """The weekdays a provider works, runs of days joined: 'Tue-Thu', 'Mon, Fri'."""
    worked = [i for i, day in enumerate(WEEKDAYS) if provider.weekly.get(day)]
    runs: list[list[int]] = []
    for index in worked:
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    names = [WEEKDAYS[run[0]].capitalize() for run in runs]
    return ", ".join(
        name if len(run) == 1 else f"{name}-{WEEKDAYS[run[-1]].capitalize()}"
        for name, run in zip(names, runs, strict=True)
    )


class ProviderDays:
    """The causes of the days without a start, for one service and its providers."""

    def __init__(self, facts: ClinicFacts, service: Service) -> None:
        self.facts = facts
        self.service = service

    def cause(self, provider: Provider, day: int) -> tuple[str, str]:
        """(cause, its words) of a day on which the provider has no start."""
        facts, when = self.facts, self.facts.clock.day(day)
        if day < facts.not_before // MINUTES_PER_DAY:
            return "window_passed", day_label(when)
        if not provider.weekly.get(weekday_of(when)):
            worked = weekdays_text(provider)
            return "provider_not_working", (
                f"works {worked} only" if worked else "has no weekly hours"
            )
        if provider.license_expires is not None and when >= provider.license_expires:
            return "licence_expired", f"licence expires {provider.license_expires}"
        if not facts.working(provider, day):
            return "provider_time_off", day_label(when)
        return "no_provider_hours", self._too_short(provider, day)

    def told(self, provider: Provider, day: int) -> str:
        """Why the provider has no start on a day, in words ("time off Tue 2026-12-08")."""
        cause, words = self.cause(provider, day)
        return _FORMATS.get(cause, "{}").format(words)

    def _too_short(self, provider: Provider, day: int) -> str:
        facts, label = self.facts, day_label(self.facts.clock.day(day))
        opening = facts.clinic_open(day)
        assert opening is not None, "only open days are in a window"
        working = facts.working(provider, day)
        usable = _clip(working, *opening)
        if not usable:
            return (
                f"on {label} works {_clock_ranges(working)}, outside clinic hours "
                f"{_clock_ranges([opening])}"
            )
        now = -(-(facts.not_before - day * MINUTES_PER_DAY) // facts.grid) * facts.grid
        if _clip(usable, now, MINUTES_PER_DAY) != usable:  # re-planning today
            usable = _clip(usable, now, MINUTES_PER_DAY)
            label += f" after {format_clock(now)}"
            if not usable:
                return f"on {label} nothing is left"
        low, high = max(usable, key=lambda r: r[1] - r[0])
        return (
            f"on {label} works at most {_clock_ranges([(low, high)])} ({high - low} min) but "
            f"{self.service.id} takes {self.service.length} min"
        )

    def story(self, provider: Provider, days: list[int]) -> tuple[str, str]:
        """(latest cause, words) of a provider without a start on any of `days`."""
        causes: dict[str, dict[str, None]] = defaultdict(dict)
        for day in days:
            cause, words = self.cause(provider, day)
            causes[cause][words] = None
        parts = [
            _FORMATS.get(cause, "{}").format(few(list(causes[cause])))
            for cause in CAUSES
            if cause in causes
        ]
        return max(causes, key=CAUSES.index), " and ".join(parts)

    def why_none(self, providers: list[Provider], days: list[int]) -> tuple[str, str]:
        """(reason code, detail) when none of `providers` has a start on any of `days`: the
        latest cause over all of them, and each provider's story."""
        stories = [(p.id, *self.story(p, days)) for p in providers]
        code = max((cause for _, cause, _ in stories), key=CAUSES.index)
        told = "; ".join(f"{pid}: {words}" for pid, _, words in stories)
        return code, f"no permitted provider has time for it in the window ({told})"


def _clip(ranges: Ranges, low: int, high: int) -> Ranges:
    """The parts of half-open ranges inside [low, high)."""
    return [(max(a, low), min(b, high)) for a, b in ranges if max(a, low) < min(b, high)]


def _clock_ranges(ranges: Ranges) -> str:
    return ", ".join(f"{format_clock(a)}-{format_clock(b)}" for a, b in ranges)


def few(items: list[str], most: int = 3) -> str:
    """At most `most` items, then how many more."""
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")
