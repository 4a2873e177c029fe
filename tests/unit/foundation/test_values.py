"""Money and canonical JSON: pure value rules."""

from __future__ import annotations

import pytest

from syndic.canonical import canonical_bytes, parse_canonical
from syndic.errors import AmountError, InvalidInput
from syndic.money import MAX_MINOR, Money, check_minor, parse_major, show


def test_money_parses_major_units_exactly() -> None:
    assert parse_major("12.50", "EUR") == 1250
    assert parse_major("7", "JPY") == 7
    assert str(Money(1250, "EUR")) == "12.50 EUR"


@pytest.mark.parametrize("text", ["-1", "0.001", "1e30", "NaN", "abc", "Infinity"])
def test_money_refuses_negative_fractional_overflowing_or_garbage(text: str) -> None:
    with pytest.raises(AmountError):
        parse_major(text, "EUR")


@pytest.mark.parametrize("value", [-5, 1.5, MAX_MINOR + 1, True, "10"])
def test_minor_units_must_be_bounded_non_negative_integers(value: object) -> None:
    with pytest.raises(AmountError):
        check_minor(value)


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (25_000_000, "EUR", "250,000.00 EUR"),
        (-123_456, "USD", "-1,234.56 USD"),
        (1_000_000, "JPY", "1,000,000 JPY"),
        (1_234_567, "KWD", "1,234.567 KWD"),
        (0, "EUR", "0.00 EUR"),
    ],
)
def test_money_is_shown_as_a_person_reads_it(minor: int, currency: str, text: str) -> None:
    assert show(minor, currency) == text
    assert Money(minor, currency).major == text.split(maxsplit=1)[0].replace(
        ",", ""
    )  # files stay plain


def test_currency_must_be_iso_code() -> None:
    with pytest.raises(AmountError):
        Money(1, "euro")


def test_canonical_json_is_rfc8785() -> None:
    assert (
        canonical_bytes({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'.encode()
    )
    with pytest.raises(InvalidInput):
        parse_canonical(b'{"b":1, "a":2}')
