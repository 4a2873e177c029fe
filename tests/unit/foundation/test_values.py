"""Money, shares, digests, canonical JSON, terms, distribution: pure value rules."""

from __future__ import annotations

import pytest

from syndic.canonical import canonical_bytes, parse_canonical
from syndic.errors import AmountError, InvalidInput, SharesError
from syndic.members.shares import check_shares, parse_percent
from syndic.money import MAX_MINOR, Money, check_minor, parse_major
from syndic.payouts.policies import split_exact
from syndic.terms.models import Terms, Usage
from syndic.vault import Digest


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


def test_currency_must_be_iso_code() -> None:
    with pytest.raises(AmountError):
        Money(1, "euro")


def test_shares_must_sum_to_100_percent() -> None:
    assert check_shares([(1, 6000), (2, 4000)]) == [(1, 6000), (2, 4000)]
    with pytest.raises(SharesError, match=r"99\.99%"):
        check_shares([(1, 6000), (2, 3999)])
    with pytest.raises(SharesError, match="twice"):
        check_shares([(1, 5000), (1, 5000)])
    with pytest.raises(SharesError):
        check_shares([])
    assert parse_percent("33.33") == 3333
    with pytest.raises(SharesError):
        parse_percent("33.333")


def test_digest_is_a_value() -> None:
    d = Digest.of_bytes(b"abc")
    assert str(d) == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert Digest.parse(str(d)) == d
    with pytest.raises(InvalidInput):
        Digest("xyz")


def test_canonical_json_is_rfc8785() -> None:
    assert (
        canonical_bytes({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'.encode()
    )
    with pytest.raises(InvalidInput):
        parse_canonical(b'{"b":1, "a":2}')


def test_terms_prohibition_beats_permission() -> None:
    t = Terms(
        permits=frozenset({Usage.AI_ALL}), prohibits=frozenset({Usage.AI_TRAIN}), amount_minor=100
    )
    assert t.allows(Usage.AI_INPUT)
    assert not t.allows(Usage.AI_TRAIN)
    assert not t.allows(Usage.SEARCH)
    with pytest.raises(ValueError, match="amount"):
        Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=0)


def test_split_exact_never_loses_a_minor_unit() -> None:
    parts = split_exact(100, {1: 1, 2: 1, 3: 1})
    assert sum(parts.values()) == 100
    assert parts == {1: 34, 2: 33, 3: 33}
    parts = split_exact(1_000_003, {i: i for i in range(1, 50)})
    assert sum(parts.values()) == 1_000_003
    with pytest.raises(InvalidInput):
        split_exact(10, {1: 0})
