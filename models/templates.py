"""Message templates: the placeholders each kind of message has, rendering in a sandbox, and
the check the audit runs on every template so a bad one is caught before anything is sent.

Templates are Jinja2 text ("Hi {{ first_name }}, see you {{ start }}"), rendered as plain
text (no HTML escaping) in a sandbox: a template can read the values it is given, nothing
else on the machine.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from jinja2 import (
    Environment,
    StrictUndefined,
    Template,
    TemplateSyntaxError,
    Undefined,
    meta,
    nodes,
    pass_context,
)
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

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
more."""
MAX_TEXT = 100_000
"""The most characters a template may make: its message, and any text or list on the way
('x' * 10000 * 10000, a join, a filter)."""
MAX_WORK = 100 * MAX_TEXT
"""The most a filter or call may be asked to make: the sizes of its texts, lists and numbers
multiplied (a replace of each letter of a long text by another long text is refused)."""
MAX_STEPS = 10_000
"""The most loop rounds and calls one rendering may take (nested loops of range(10000), a
macro calling itself twice), so a template cannot keep the machine busy."""
MAX_HANDLED = 2 * MAX_TEXT
"""The most characters the filters, calls and operators of one rendering may be handed in all
(a loop wrapping a long text again and again)."""


class TemplateTooBig(SecurityError):
    """A template past MAX_TEXT, MAX_WORK, MAX_STEPS or MAX_HANDLED."""


_LEFT: ContextVar[list[int]] = ContextVar("left")
"""The steps and the characters to handle left to the rendering under way."""


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox, with no powers and limits on numbers, texts and steps."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" or _too_big(left) or _too_big(right):
            raise SecurityError(f"{operator} is limited to numbers up to {MAX_NUMBER:,}")
        if operator == "%" and isinstance(left, str):
            raise SecurityError("% formatting is not allowed; write {{ placeholders }}")
        _handle((left, right))
        if operator == "*":
            _sized(_size(left) * _size(right))
        return _checked(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _step()
        _check_work(args, kwargs)
        return _checked(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """A text's format() is refused (its field widths would make any size of text)."""
        if super().wrap_str_format(value) is None:
            return None

        def refused(*args: Any, **kwargs: Any) -> str:
            raise SecurityError("format() is not allowed; write {{ placeholders }}")

        return refused

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """The parsed template, its loops counted and its ~ joins sized."""
        template = _Guarded().visit(super()._parse(source, name, filename))
        template.set_environment(self)
        return template


class _Guarded(NodeTransformer):
    """Counts each round of a loop against MAX_STEPS, and sizes each ~ join."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_counted", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        parts = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(parts, "_joined", [], [], None, None, lineno=node.lineno)


# _counted and _joined take the context only so that Jinja2 never runs them on constants
# while compiling: each must run, and count, at every rendering.
@pass_context
def _counted(context: Context, items: Any) -> Iterator[Any]:
    for item in items:
        _step()
        yield item


@pass_context
def _joined(context: Context, parts: list[Any]) -> str:
    texts = [str(part) for part in parts]
    _handle(texts)
    return _checked("".join(texts))


def _step() -> None:
    """Count a loop round or a call of the rendering under way against MAX_STEPS."""
    left = _LEFT.get()
    left[0] -= 1
    if left[0] < 0:
        raise TemplateTooBig(f"the template takes more than {MAX_STEPS:,} loop rounds and calls")


def _handle(values: Iterable[Any]) -> None:
    """Count the texts and lists handed to a filter, call or operator against MAX_HANDLED."""
    left = _LEFT.get()
    left[1] -= sum(_size(value) for value in values if isinstance(value, str | list | tuple))
    if left[1] < 0:
        raise TemplateTooBig(
            f"the template hands more than {MAX_HANDLED:,} characters to its filters and calls"
        )


_SMALL = (Undefined, range, Iterator, Environment, Context, EvalContext)
"""What holds no text of its own: a missing value, a range, a filter's results on the way (its
input was counted), and what Jinja2 hands its filters."""


def _size(value: Any) -> int:
    """How big a value is: a text's characters, a list's or dict's items and their sizes, a
    number; an object a template made (a loop, a namespace) may hold any text, so it counts
    as big as a text may be."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple):
        return len(value) + sum(_size(item) for item in value)
    if isinstance(value, dict):
        return len(value) + sum(_size(key) + _size(item) for key, item in value.items())
    if isinstance(value, int | float):
        return int(abs(value))
    if value is None or isinstance(value, _SMALL):
        return 1
    return MAX_TEXT + 1


def _sized(size: int) -> None:
    if size > MAX_TEXT:
        raise TemplateTooBig(f"the template makes a text of more than {MAX_TEXT:,} characters")


def _checked(value: Any) -> Any:
    """The value, unless it is a text or list beyond MAX_TEXT."""
    if isinstance(value, str | list | tuple):
        _sized(_size(value))
    return value


def _too_big(value: Any) -> bool:
    return isinstance(value, int | float) and abs(value) > MAX_NUMBER


def _check_work(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Count the arguments against MAX_HANDLED; refuse a number beyond MAX_NUMBER, or
    arguments whose sizes multiply past MAX_WORK."""
    values = (*args, *kwargs.values())
    _handle(values)
    if any(_too_big(value) for value in values):
        raise SecurityError(f"a number beyond {MAX_NUMBER:,} in a call")
    if math.prod(max(_size(value), 1) for value in values) > MAX_WORK:
        raise TemplateTooBig(f"a filter or call asked to make more than {MAX_WORK:,} characters")


def _limited(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that refuses numbers beyond MAX_NUMBER and texts beyond MAX_TEXT."""

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _check_work(args, kwargs)
        return _checked(function(*args, **kwargs))

    return checked


_ENVIRONMENT = _Sandbox(undefined=StrictUndefined, autoescape=False)
_ENVIRONMENT.filters = {
    **{name: _limited(f) for name, f in _ENVIRONMENT.filters.items() if name != "format"},
    "_counted": _counted,
    "_joined": _joined,
}
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
    """The message a template makes with these values (raises what the template raises, and
    TemplateTooBig past its limits)."""
    left = _LEFT.set([MAX_STEPS, MAX_HANDLED])
    try:
        parts, size = [], 0
        for part in compiled(text).generate(values):
            size += len(part)
            _sized(size)
            parts.append(part)
        return "".join(parts)
    finally:
        _LEFT.reset(left)


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
    """The longest value of each placeholder of `kind` the scenario can produce: a made-up
    first name as long as its longest patient's (never a patient's own), its longest service,
    provider, room and clinic names, phone, and date words over the horizon."""
    clinic = scenario.clinic
    days = [clinic.horizon.start + timedelta(days=n) for n in range(clinic.horizon.days)]
    longest_day = max((day_words(day) for day in days), key=len)
    start = f"{longest_day} at 00:00"
    deposits = [money(s.deposit, clinic.currency) for s in scenario.services if s.deposit]
    name_length = len(_longest(p.first_name for p in scenario.patients))
    values = {
        "first_name": ("A" + "a" * (name_length - 1))[:name_length],
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


MAY_BE_BLANK = ("first_name", "provider", "room")
"""Placeholders an appointment may leave blank: a patient without a name, an appointment
without a provider or room."""
_WITH_BLANKS = "when the patient has no first name (or the appointment no provider or room)"


def _longest(texts: Iterable[str]) -> str:
    return max(texts, key=len, default="")


def template_problems(text: str, kind: str, scenario: Scenario, channel: str) -> list[str]:
    """What is wrong with a template for a kind of message, in words: a blank template, the
    old {patient} style, a syntax error, a placeholder the kind does not have, a phone number
    the clinic has not written, a rendering that fails or is blank (with the longest values
    the scenario can produce, and with the placeholders an appointment may lack blank), or one
    longer than the channel's limit either way."""
    if not text.strip():
        return ["the template is blank; write the message"]
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
    longest = longest_values(scenario, kind)
    with_blanks = longest | dict.fromkeys(MAY_BE_BLANK, "")
    renderings = []
    trials = (  # the values, and the words for a failure and for a length with them
        (longest, "", "with the longest names this clinic has"),
        (with_blanks, f" {_WITH_BLANKS}", _WITH_BLANKS),
    )
    for values, failing, running in trials:
        try:
            rendered = render(text, values)
        except Exception as error:  # the sandbox refuses, a filter fails: a finding, not a crash
            message = (
                f"the template cannot be rendered{failing} ({type(error).__name__}: "
                f"{excerpt(str(error))}); use only the placeholders, plain text and simple "
                "{% if %} blocks"
            )
            return [*problems, message]
        if not rendered.strip():
            return [*problems, f"the template makes a blank message{failing}; write its text"]
        renderings.append((len(rendered), running))
    length, running = max(renderings)
    limit = getattr(scenario.policies.message_lengths, channel)
    if length > limit:
        problems.append(
            f"{running} the {channel} message runs to {length:,} characters, more than "
            f"policies.message_lengths.{channel} ({limit:,}); shorten the template or raise "
            "the limit"
        )
    return problems


def _without_jinja(text: str) -> str:
    """The text with its {{ ... }}, {% ... %} and {# ... #} parts blanked out."""
    return re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", text, flags=re.DOTALL)
