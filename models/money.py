"""Money in the clinic's currency: the ISO 4217 codes a clinic may price in, and the one way
the project writes an amount ("$100.00", "100.00 EUR", "5,000 JPY")."""

from __future__ import annotations

DEFAULT_CURRENCY = "USD"

_NO_MINOR_UNIT = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_TWO_DECIMALS = (
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS "
    "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR "
    "LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD "
    "PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN "
    "SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD XCG YER ZAR ZMW "
    "ZWG"
)
DECIMALS: dict[str, int] = (
    dict.fromkeys(_TWO_DECIMALS.split(), 2)
    | dict.fromkeys(_NO_MINOR_UNIT.split(), 0)
    | dict.fromkeys(_THREE_DECIMALS.split(), 3)
)
"""The circulating ISO 4217 currencies and the decimals of their minor unit."""
CURRENCY_CODES: tuple[str, ...] = tuple(sorted(DECIMALS))
"""The codes a clinic may price in, in alphabetical order."""
SYMBOLS = {"USD": "$"}
"""Currencies written with a symbol in front; every other one by its code after the amount."""


def money(amount: float, currency: str = DEFAULT_CURRENCY) -> str:
    """An amount as the clinic reads it: "$1,250.00" in USD, "1,250.00 EUR" in euros."""
    number = f"{abs(amount):,.{DECIMALS.get(currency, 2)}f}"
    sign = "-" if amount < 0 else ""
    if currency in SYMBOLS:
        return f"{sign}{SYMBOLS[currency]}{number}"
    return f"{sign}{number} {currency}"
