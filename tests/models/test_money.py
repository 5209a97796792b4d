"""Money in the clinic's currency: the one formatter and the `clinic.currency` field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.money import money
from models.scenario import Clinic
from tests.conftest import build


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (100, "USD", "$100.00"),
        (1250.5, "USD", "$1,250.50"),
        (-30, "USD", "-$30.00"),
        (100, "EUR", "100.00 EUR"),
        (5000, "JPY", "5,000 JPY"),
        (12.5, "KWD", "12.500 KWD"),
    ],
)
def test_an_amount_is_written_in_its_currency(amount: float, currency: str, text: str) -> None:
    assert money(amount, currency) == text


def test_a_clinic_prices_in_dollars_unless_it_says_otherwise() -> None:
    assert build().clinic.currency == "USD"
    assert build().clinic.money(80) == "$80.00"
    euros = build(clinic={"currency": "EUR"})
    assert euros.clinic.money(80) == "80.00 EUR"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("eur", "write the currency code in capitals: EUR"),
        ("US$", "'US$' is not an ISO 4217 currency code"),
        ("EURO", "'EURO' is not an ISO 4217 currency code"),
    ],
)
def test_a_currency_that_is_not_an_iso_code_is_refused(written: str, message: str) -> None:
    clinic = build().clinic.model_dump()
    with pytest.raises(ValidationError, match=message.replace("$", r"\$")):
        Clinic.model_validate({**clinic, "currency": written})
