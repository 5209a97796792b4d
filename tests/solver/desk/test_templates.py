"""Message templates: what a message says for an appointment, and the audit's findings for a
template that would fail or run too long, so it is caught before anything is sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from models import templates
from models.audit import audit
from models.templates import (
    TemplateTooBig,
    longest_values,
    placeholders,
    render,
    template_problems,
)
from solver.desk.templates import AppointmentWords
from tests.conftest import build, patient, provider, room, service
from tests.solver.desk.rows import booked


def clinic(**policies: Any) -> Any:
    return build(
        clinic={"name": "Glow", "phone": "555 0100", "horizon": {"start": "2026-12-07", "days": 5}},
        policies=policies,
        services=[service("botox", name="Botox"), service("lip", name="Lip filler", deposit=150)],
        providers=[provider("rn", ["botox", "lip"], name="Dana Lee")],
        rooms=[room("inj1", "injection", name="Room 1")],
        patients=[patient("p1", name="Maya Lind"), patient("p2", name="Alexandria Stone")],
    )


def findings(**policies: Any) -> list[tuple[str, str]]:
    return [(f.where, f.message) for f in audit(clinic(**policies)) if f.code == "bad_template"]


def test_an_appointment_fills_every_placeholder_in_clinic_time() -> None:
    start = datetime(2026, 12, 8, 16, 30, tzinfo=ZoneInfo("UTC"))  # 10:30 in Chicago
    assert AppointmentWords(clinic()).of(booked("r1", "p1", start)) == {
        "first_name": "Maya",
        "service": "Botox",
        "provider": "Dana Lee",
        "room": "Room 1",
        "date": "Tue 8 Dec",
        "time": "10:30",
        "start": "Tue 8 Dec at 10:30",
        "clinic": "Glow",
        "clinic_phone": "555 0100",
    }


def test_the_longest_values_are_the_clinics_longest_names_and_dates() -> None:
    values = longest_values(clinic(), "deposit_request")
    assert values["first_name"] == "Aaaaaaaaaa"  # as long as Alexandria, never a patient's
    assert values["service"] == "Lip filler"
    assert values["date"] == "Thu 10 Dec"  # the first two-digit day of 7-11 Dec
    assert values["start"] == values["pay_by"] == "Thu 10 Dec at 00:00"
    assert values["deposit"] == "$150.00"
    assert set(values) == set(placeholders("deposit_request"))


def test_a_template_renders_plain_text_without_escaping() -> None:
    assert render("{{ a }} & <b>", {"a": "Tom & Jo"}) == "Tom & Jo & <b>"


def test_an_unknown_placeholder_is_named_with_the_known_ones() -> None:
    [(where, message)] = findings(
        reminders=[{"name": "r", "on_booking": True, "template": "Hi {{ patient }}"}]
    )
    assert where == "policies.reminders[0].template"
    assert message.startswith("the template uses {{ patient }}, which a confirmation message")
    assert "it may use first_name, service, provider, room, date, time, start" in message


def test_a_placeholder_of_another_kind_is_unknown_too() -> None:
    [(where, message)] = findings(notices={"cancelled": "Reply by {{ reply_by }}"})
    assert where == "policies.notices.cancelled"
    assert "{{ reply_by }}, which a cancelled message does not have" in message
    assert findings(notices={"waitlist_offer": "Reply by {{ reply_by }}"}) == []


def test_a_syntax_error_names_its_line() -> None:
    [(_, message)] = findings(notices={"moved": "Hi\n{{ first_name }\nbye"})
    assert message.startswith("the template has a mistake on line 2:")


def test_the_old_single_brace_style_says_how_to_write_it() -> None:
    [(_, message)] = findings(notices={"moved": "Hi {patient}, now {start}"})
    assert message == (
        "the template uses the old single-brace style {patient}, {start}; "
        "write {{ first_name }}, {{ start }}"
    )


@pytest.mark.parametrize(
    ("text", "longest", "with_"),
    [
        # "Dear Alexandria, your Lip filler" is 32 characters; with Maya it would be 26
        ("Dear {{ first_name }}, your {{ service }}", 32, "with the longest names this clinic has"),
        # "Hi Aaaaaaaaaa" is 13 characters; the branch for no name, 16
        (
            "{% if first_name %}Hi {{ first_name }}{% else %}Dear patient, hi{% endif %}",
            16,
            "when the patient has no first name (or the appointment no provider or room)",
        ),
    ],
)
def test_a_template_too_long_for_its_channel_is_found(text: str, longest: int, with_: str) -> None:
    limit = {"sms": longest - 1}
    [(_, message)] = findings(notices={"moved": text}, message_lengths=limit)
    assert message == (
        f"{with_} the sms message runs to {longest} characters, more than "
        f"policies.message_lengths.sms ({longest - 1}); shorten the template or raise the limit"
    )
    assert findings(notices={"moved": text}, message_lengths={"sms": longest}) == []


@pytest.mark.parametrize(
    "template",
    [
        "{% for i in range(10000000) %}x{% endfor %}",  # the sandbox refuses a huge range
        "{{ start.__class__.__init__.__globals__ }}",  # no way out of the sandbox
        "{{ first_name / 2 }}",
        "{{ 'x' * 100000000 }}",  # no text of a hundred million characters
        "{{ first_name | center(100000000) }}",
        "{{ 10 ** 10 }}",
        "{{ '%99999999s' % start }}",
        "{{ '{:>99999999}'.format(start) }}",
    ],
)
def test_a_template_that_fails_to_render_is_a_finding_not_a_crash(template: str) -> None:
    [(_, message)] = findings(notices={"moved": template})
    assert message.startswith("the template cannot be rendered (")


def test_the_clinic_phone_needs_clinic_phone() -> None:
    scenario = clinic()
    problems = template_problems("Call {{ clinic_phone }}", "reminder", scenario, "sms")
    assert problems == []
    scenario.clinic.phone = None
    problems = template_problems("Call {{ clinic_phone }}", "reminder", scenario, "sms")
    assert problems == [
        "the template uses {{ clinic_phone }} but clinic.phone is not set; write it"
    ]


def test_a_template_nested_too_deeply_is_a_finding_not_a_crash() -> None:
    [(_, message)] = findings(notices={"moved": "{% if start %}" * 5000})
    assert message == "the template nests too deeply to read; write it flatter"


@pytest.mark.parametrize(
    ("template", "why"),
    [
        (
            "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
            "the template takes more than 10,000 loop rounds and calls",
        ),
        (
            "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}"
            "{{ m(40) }}",
            "the template takes more than 10,000 loop rounds and calls",
        ),
        ("{{ 'x' * 10000 * 10000 }}", "the template makes a text of more than 100,000 characters"),
        (
            "{% for i in range(10000) %}{{ service * 100 }}{% endfor %}",
            "the template makes a text of more than 100,000 characters",
        ),
        (
            "{{ ([start * 1000] * 10000) | join }}",
            "the template makes a text of more than 100,000 characters",
        ),
        (
            "{% set ns = namespace(a=start) %}{% for i in range(40) %}"
            "{% set ns.a = ns.a ~ ns.a %}{% endfor %}{{ ns.a }}",
            "the template hands more than 200,000 characters to its filters and calls",
        ),
        (
            "{% for i in range(10000) %}{% set a = (start * 3000) | wordwrap(1) %}{% endfor %}",
            "the template hands more than 200,000 characters to its filters and calls",
        ),
        (
            "{{ ([{'a': 'x' * 10000 * 10}] * 10000) | join(attribute='a') }}",
            "the template makes a text of more than 100,000 characters",
        ),
        (  # a loop holds its items: it counts as big as a text may be
            "{% for x in ['x' * 10000 * 10, 'y'] %}{% if loop.last %}"
            "{{ ([loop] * 10000) | map(attribute='previtem') | join }}{% endif %}{% endfor %}",
            "the template makes a text of more than 100,000 characters",
        ),
        (
            "{{ ('x' * 10000) | replace('x', 'x' * 10000) }}",
            "a filter or call asked to make more than 10,000,000 characters",
        ),
    ],
)
def test_a_template_making_a_huge_text_or_endless_work_is_stopped(template: str, why: str) -> None:
    with pytest.raises(TemplateTooBig) as raised:
        render(template, longest_values(clinic(), "moved"))
    assert str(raised.value) == why
    [(_, message)] = findings(notices={"moved": template})
    assert message.startswith("the template cannot be rendered (TemplateTooBig: ")


def test_the_size_limit_counts_the_whole_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templates, "MAX_TEXT", 20)
    assert render("{% for i in range(4) %}{{ time }}{% endfor %}", {"time": "10:30"}) == (
        "10:3010:3010:3010:30"
    )
    with pytest.raises(TemplateTooBig, match="more than 20 characters"):
        render("{% for i in range(5) %}{{ time }}{% endfor %}", {"time": "10:30"})


def test_loops_joins_and_filters_within_the_limits_render_as_usual() -> None:
    template = "{% for c in [service, room] %}{{ loop.index }}.{{ c | upper }} {% endfor %}~"
    assert render(template + "{{ '!' ~ service * 2 }}", {"service": "Botox", "room": "R1"}) == (
        "1.BOTOX 2.R1 ~!BotoxBotox"
    )


@pytest.mark.parametrize("template", ["   ", "\n\t"])
def test_a_blank_template_is_a_finding(template: str) -> None:
    assert findings(notices={"cancelled": template}) == [
        ("policies.notices.cancelled", "the template is blank; write the message")
    ]


def test_a_template_blank_for_a_patient_without_a_name_is_a_finding() -> None:
    template = "{% if first_name %}Hi {{ first_name }}{% endif %}"
    assert findings(notices={"cancelled": template}) == [
        (
            "policies.notices.cancelled",
            "the template makes a blank message when the patient has no first name (or the "
            "appointment no provider or room); write its text",
        )
    ]
    assert (
        findings(notices={"cancelled": "Hi{% if first_name %} {{ first_name }}{% endif %}"}) == []
    )


def test_a_template_failing_for_a_patient_without_a_name_is_a_finding() -> None:
    [(_, message)] = findings(notices={"moved": "Hi {{ first_name[0] }}, see you {{ start }}"})
    assert message.startswith(
        "the template cannot be rendered when the patient has no first name (or the "
        "appointment no provider or room) (UndefinedError: "
    )


def test_the_audit_never_tells_a_patients_name() -> None:
    [(_, message)] = findings(notices={"moved": "{{ {'x': 1}[first_name] }}"})
    assert "Alexandria" not in message and "Maya" not in message
    assert "'Aaaaaaaaaa'" in message
