"""Message templates: the placeholders each kind of message has, rendering in a sandbox, and
the check the audit runs on every template so a bad one is caught before anything is sent.

Templates are Jinja2 text ("Hi {{ first_name }}, see you {{ start }}"), rendered as plain
text (no HTML escaping) in a sandbox: a template can read the values it is given, nothing
else on the machine.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from models.findings import excerpt
from models.money import money

if TYPE_CHECKING:
    from models.scenario import Scenario

APPOINTMENT_PLACEHOLDERS: dict[str, str] = {
    "first_name": "Maya",
    "service": "Lip filler with numbing",
    "provider": "Dr. Elena Reyes",
    "room": "Injection room 1",
    "date": "Tue 8 Dec",
    "time": "10:30",
    "start": "Tue 8 Dec at 10:30",
    "clinic": "Lumen Aesthetics",
    "clinic_phone": "+1 212 555 0134",
}
"""What every message about an appointment may say, with an example value."""
KIND_PLACEHOLDERS: dict[str, dict[str, str]] = {
    "confirmation": {},
    "reminder": {},
    "moved": {"old_start": "Mon 7 Dec at 15:00"},
    "cancelled": {},
    "waitlist_offer": {"reply_by": "Tue 8 Dec at 12:30"},
    "deposit_request": {"pay_by": "Sun 6 Dec at 10:30", "deposit": "$100.00"},
}
"""The kinds of message (confirmation: a reminder sent on booking; reminder; the four notices)
and the placeholders each has beyond the appointment's, with an example value."""

MAX_NUMBER = 10_000
"""The largest number a template may multiply by or pass to a filter: a message needs no
more, and a template cannot make a text of a billion characters."""


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox, with no powers and no multiplication or filter argument beyond
    MAX_NUMBER."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" or _too_big(left) or _too_big(right):
            raise SecurityError(f"{operator} is limited to numbers up to {MAX_NUMBER:,}")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _check_numbers(args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)


def _too_big(value: Any) -> bool:
    return isinstance(value, int | float) and abs(value) > MAX_NUMBER


def _check_numbers(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if any(_too_big(value) for value in (*args, *kwargs.values())):
        raise SecurityError(f"a number beyond {MAX_NUMBER:,} in a call")


def _limited(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that refuses numbers beyond MAX_NUMBER (center(10**9) and the like)."""

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _check_numbers(args, kwargs)
        return function(*args, **kwargs)

    return checked


_ENVIRONMENT = _Sandbox(undefined=StrictUndefined, autoescape=False)
_ENVIRONMENT.filters = {name: _limited(f) for name, f in _ENVIRONMENT.filters.items()}
_OLD_BRACES = re.compile(r"(?<!\{)\{\s*([A-Za-z_]\w*)\s*\}(?!\})")
_OLD_NAMES = {"patient": "first_name", "name": "first_name", "patient_name": "first_name"}


def placeholders(kind: str) -> dict[str, str]:
    """The placeholders of a kind of message, with example values."""
    return APPOINTMENT_PLACEHOLDERS | KIND_PLACEHOLDERS[kind]


@functools.lru_cache(maxsize=256)
def compiled(text: str) -> Template:
    """The template compiled once per text (raises TemplateSyntaxError)."""
    return _ENVIRONMENT.from_string(text)


def render(text: str, values: dict[str, str]) -> str:
    """The message a template makes with these values (raises what the template raises)."""
    return compiled(text).render(values)


def day_words(day: date) -> str:
    """A date as a message says it: "Tue 8 Dec"."""
    return f"{day:%a} {day.day} {day:%b}"


def time_words(moment: datetime) -> str:
    """A local time of day as a message says it: "10:30"."""
    return f"{moment:%H:%M}"


def moment_words(moment: datetime) -> str:
    """A local moment as a message says it: "Tue 8 Dec at 10:30"."""
    return f"{day_words(moment.date())} at {time_words(moment)}"


def longest_values(scenario: Scenario, kind: str) -> dict[str, str]:
    """The longest value of each placeholder of `kind` the scenario can produce: its longest
    patient first name, service, provider, room and clinic names, phone, and date words over
    the horizon."""
    clinic = scenario.clinic
    days = [clinic.horizon.start + timedelta(days=n) for n in range(clinic.horizon.days)]
    longest_day = max((day_words(day) for day in days), key=len)
    start = f"{longest_day} at 00:00"
    deposits = [money(s.deposit, clinic.currency) for s in scenario.services if s.deposit]
    values = {
        "first_name": _longest(p.first_name for p in scenario.patients),
        "service": _longest(s.name or s.id for s in scenario.services),
        "provider": _longest(p.name or p.id for p in scenario.providers),
        "room": _longest(r.name or r.id for r in scenario.rooms),
        "date": longest_day,
        "time": "00:00",
        "start": start,
        "clinic": clinic.name,
        "clinic_phone": clinic.phone or "",
        "old_start": start,
        "reply_by": start,
        "pay_by": start,
        "deposit": _longest(deposits),
    }
    return {name: values[name] for name in placeholders(kind)}


def _longest(texts: Iterable[str]) -> str:
    return max(texts, key=len, default="")


def template_problems(text: str, kind: str, scenario: Scenario, channel: str) -> list[str]:
    """What is wrong with a template for a kind of message, in words: the old {patient}
    style, a syntax error, a placeholder the kind does not have, a phone number the clinic has
    not written, a rendering that fails, or one longer than the channel's limit with the
    longest values the scenario can produce."""
    problems = []
    old = list(dict.fromkeys(_OLD_BRACES.findall(_without_jinja(text))))
    if old:
        written = ", ".join(f"{{{name}}}" for name in old)
        meant = ", ".join(f"{{{{ {_OLD_NAMES.get(name, name)} }}}}" for name in old)
        message = f"the template uses the old single-brace style {written}; write {meant}"
        problems.append(message)
    try:
        used = meta.find_undeclared_variables(_ENVIRONMENT.parse(text))
    except TemplateSyntaxError as error:
        message = f"the template has a mistake on line {error.lineno}: {error.message}"
        return [*problems, message]
    except RecursionError:
        return [*problems, "the template nests too deeply to read; write it flatter"]
    known = placeholders(kind)
    unknown = sorted(used - set(known))
    if unknown:
        names = ", ".join(f"{{{{ {name} }}}}" for name in unknown)
        listed = ", ".join(known)
        message = (
            f"the template uses {names}, which a {kind} message does not have; it may use {listed}"
        )
        return [*problems, message]
    if "clinic_phone" in used and not scenario.clinic.phone:
        message = "the template uses {{ clinic_phone }} but clinic.phone is not set; write it"
        problems.append(message)
    try:
        longest = render(text, longest_values(scenario, kind))
    except Exception as error:  # the sandbox refuses, a filter fails: a finding, not a crash
        message = (
            f"the template cannot be rendered ({type(error).__name__}: {excerpt(str(error))}); "
            "use only the placeholders, plain text and simple {% if %} blocks"
        )
        return [*problems, message]
    limit = getattr(scenario.policies.message_lengths, channel)
    if len(longest) > limit:
        problems.append(
            f"with the longest names this clinic has the {channel} message runs to "
            f"{len(longest):,} characters, more than policies.message_lengths.{channel} "
            f"({limit:,}); shorten the template or raise the limit"
        )
    return problems


def _without_jinja(text: str) -> str:
    """The text with its {{ ... }}, {% ... %} and {# ... #} parts blanked out."""
    return re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", text, flags=re.DOTALL)
