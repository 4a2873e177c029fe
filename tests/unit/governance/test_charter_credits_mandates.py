"""The charter document, voice credits per period, and members' red lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syndic.errors import PolicyError
from syndic.governance.charter import Charter, Method
from syndic.governance.mandates import Mandate, Proposed, is_vlop, red_lines_crossed
from syndic.governance.voting.credits import balance, period_of
from syndic.terms.models import Usage


def test_defaults_carry_the_payout_policy_parameters() -> None:
    c = Charter()
    assert (c.version, c.payout_policy, c.payout_floor_bp) == (0, "pro-rata-works", 2000)
    assert c.amendment.method is Method.SUPERMAJORITY and c.amendment.threshold_bp == 6667
    assert c.document()["proposers"] == ["steward"]


def test_parse_names_the_bad_field() -> None:
    with pytest.raises(PolicyError, match=r"charter deal_vote\.quorum_bp"):
        Charter.parse({"deal_vote": {"quorum_bp": 0}})
    with pytest.raises(PolicyError, match="payout_policy"):
        Charter.parse({"payout_policy": "lottery"})
    with pytest.raises(PolicyError, match="threshold above 50%"):
        Charter.parse({"deal_vote": {"method": "supermajority"}})
    with pytest.raises(PolicyError, match="charter unknown: Extra inputs"):
        Charter.parse({"unknown": 1})


def test_amendments_merge_nested_rules_and_bump_the_version() -> None:
    c = Charter.parse({"deal_vote": {"method": "quadratic", "delegation": True}}, version=1)
    new = c.amended({"deal_vote": {"quorum_bp": 6000}, "payout_floor_bp": 1500})
    assert new.version == 2
    assert new.deal_vote.method is Method.QUADRATIC and new.deal_vote.quorum_bp == 6000
    assert new.payout_floor_bp == 1500
    for changes, message in (
        ({}, "must change something"),
        ({"version": 9}, "set by adoption"),
        ({"nope": 1}, "no field 'nope'"),
        ({"payout_floor_bp": 2000}, "leaves the charter as it is"),
        ({"binding": "sometimes"}, "binding"),
    ):
        with pytest.raises(PolicyError, match=message):
            c.amended(changes)


def test_voice_credits_expire_or_carry_over_one_period() -> None:
    spent = {10: 30, 11: 170}
    assert balance(per_period=100, unspent="expire", spent=spent, first_period=10, period=10) == 70
    assert balance(per_period=100, unspent="expire", spent=spent, first_period=10, period=12) == 100
    # carry-over: 70 unspent in period 10 -> 170 held in 11, all spent -> 100 in 12
    assert (
        balance(per_period=100, unspent="carry-over", spent=spent, first_period=10, period=11) == 0
    )
    assert (
        balance(per_period=100, unspent="carry-over", spent=spent, first_period=10, period=12)
        == 100
    )
    # a long silence carries at most one period's allowance
    assert balance(per_period=100, unspent="carry-over", spent={}, first_period=0, period=9) == 200
    assert period_of(datetime(1970, 4, 1, tzinfo=UTC), 90) == 1


def test_red_lines() -> None:
    deal = Proposed(usages=frozenset({Usage.AI_TRAIN}), amount_minor=500, licensee_is_vlop=True)
    assert red_lines_crossed(Mandate((), 0, True), deal) == []
    crossed = red_lines_crossed(Mandate(("ai-all",), 1000, False), deal)
    assert crossed == [
        "usage ai-train crosses the member's red line",
        "price below the member's floor",
        "the member refuses deals with very large platforms",
    ]
    assert red_lines_crossed(Mandate(("search",), 0, True), deal) == []
    assert is_vlop(45_000_000, 45_000_000) and not is_vlop(44_999_999, 45_000_000)
