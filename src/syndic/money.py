"""Money: integer minor units with an ISO 4217 currency. Never floats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from syndic.errors import AmountError

# Largest amount we accept: fits a signed 64-bit column with headroom for sums of many rows.
MAX_MINOR = 10**15
_CURRENCY = re.compile(r"^[A-Z]{3}$")
# ISO 4217 minor-unit exponents that are not 2 (the common case).
_EXPONENT = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3, "TND": 3}


def exponent(currency: str) -> int:
    return _EXPONENT.get(check_currency(currency), 2)


def check_currency(currency: str) -> str:
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise AmountError(f"currency must be a three-letter ISO 4217 code, got {currency!r}")
    return currency


def check_minor(amount: object, *, allow_zero: bool = True, allow_negative: bool = False) -> int:
    """Validate an amount already in minor units."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise AmountError(f"amount must be an integer number of minor units, got {amount!r}")
    if amount < 0 and not allow_negative:
        raise AmountError(f"amount must not be negative, got {amount}")
    if amount == 0 and not allow_zero:
        raise AmountError("amount must be greater than zero")
    if abs(amount) > MAX_MINOR:
        raise AmountError(
            f"amount {amount:,} minor units is over the maximum of {MAX_MINOR:,} minor units "
            "(10 trillion in a currency with cents)"
        )
    return amount


def parse_major(text: str, currency: str) -> int:
    """Parse a decimal in major units ("12.50") into minor units; refuse sub-minor parts."""
    exp = exponent(currency)
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise AmountError(f"not a decimal amount: {text!r}") from exc
    if not value.is_finite():
        raise AmountError(f"not a finite amount: {text!r}")
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise AmountError(f"{text} {currency} has more than {exp} decimal places")
    return check_minor(int(scaled))


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        check_currency(self.currency)
        check_minor(self.minor, allow_negative=True)

    @property
    def major(self) -> str:
        """The amount in major units with the currency's decimal places: ``12.50``."""
        exp = exponent(self.currency)
        return f"{Decimal(self.minor).scaleb(-exp):.{exp}f}"

    def __str__(self) -> str:
        """As a person reads it: ``250,000.00 EUR`` (``major`` stays plain, for files)."""
        exp = exponent(self.currency)
        return f"{Decimal(self.minor).scaleb(-exp):,.{exp}f} {self.currency}"


def show(minor: int, currency: str) -> str:
    """Minor units as money a person reads: ``show(25000000, "EUR") == "250,000.00 EUR"``."""
    return str(Money(minor, currency))
