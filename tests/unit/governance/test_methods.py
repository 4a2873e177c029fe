"""Voting methods as pure functions: majority, supermajority, quadratic, and the decision rule."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndic.errors import CreditsExceeded, InvalidInput
from syndic.governance.voting.majority import choice_of, majority, supermajority
from syndic.governance.voting.outcome import Question, decide
from syndic.governance.voting.quadratic import check_budget, cost, scale_to, tally

OPTS = ("yes", "no", "abstain")


def q(
    electorate: int, quorum_bp: int, threshold_bp: int = 5000, status_quo: str | None = None
) -> Question:
    return Question(OPTS, electorate, quorum_bp, threshold_bp, status_quo)


def heads(choices: dict[str, str]) -> dict[str, dict[str, int]]:
    return {v: {c: 1} for v, c in choices.items()}


def test_majority_counts_heads_with_weights_and_quorum() -> None:
    ballots = heads({"a": "yes", "b": "yes", "c": "no", "d": "abstain"})
    out = majority(ballots, question=q(6, 5000), weights={})
    assert out.totals == {"yes": 2, "no": 1, "abstain": 1}
    assert (out.winner, out.passed, out.turnout, out.quorum_met) == ("yes", True, 4, True)
    weighted = majority(ballots, question=q(8, 5000), weights={"c": 3})
    assert weighted.totals["no"] == 3 and weighted.winner == "no"
    low = majority(ballots, question=q(9, 5000), weights={})
    assert (low.winner, low.passed, low.quorum_met) == (None, False, False)
    assert "quorum" in low.reason


def test_abstentions_count_for_quorum_not_for_the_decision() -> None:
    ballots = heads({"a": "yes", "b": "abstain", "c": "abstain", "d": "abstain"})
    out = majority(ballots, question=q(4, 10_000), weights={})
    assert out.passed and out.winner == "yes"


def test_ties_and_status_quo() -> None:
    ballots = heads({"a": "yes", "b": "no"})
    out = majority(ballots, question=q(2, 1, status_quo="no"), weights={})
    assert (out.winner, out.passed) == ("no", False)
    assert "tie between no, yes" in out.reason


def test_supermajority_needs_its_threshold() -> None:
    # two-thirds (66.67%) is reached by exactly 2 of 3; 66.66% of the decisive votes is short
    two_of_three = heads({"a": "yes", "b": "yes", "c": "no"})
    out = supermajority(two_of_three, question=q(3, 5000, threshold_bp=6667), weights={})
    assert (out.winner, out.passed) == ("yes", True)
    assert out.reason == "yes carries with 66.67% of decisive votes"
    short = heads({"a": "yes", "b": "no"})
    out = supermajority(
        short, question=q(10_000, 5000, threshold_bp=6667), weights={"a": 6666, "b": 3334}
    )
    assert (out.winner, out.passed) == (None, False)
    assert out.reason == "no winner: yes has 66.66% of decisive votes, below the 66.67% threshold"
    three_of_five = heads({"a": "yes", "b": "yes", "c": "yes", "d": "no", "e": "no"})
    out = supermajority(three_of_five, question=q(5, 5000, threshold_bp=6667), weights={})
    assert not out.passed and "60.00%" in out.reason
    enough = heads({"a": "yes", "b": "yes", "c": "no", "d": "yes"})
    out = supermajority(enough, question=q(4, 5000, threshold_bp=6667), weights={})
    assert (out.winner, out.passed, out.method) == ("yes", True, "supermajority")
    with pytest.raises(InvalidInput, match="above 50%"):
        supermajority(enough, question=q(4, 1, threshold_bp=5000), weights={})


@given(st.integers(1, 10_000), st.integers(1, 10_000), st.integers(5001, 10_000))
def test_the_threshold_is_the_share_rounded_to_a_basis_point(
    top: int, rest: int, threshold_bp: int
) -> None:
    total = top + rest
    d = decide(
        {"yes": top, "no": rest},
        turnout=total,
        electorate=total,
        quorum_bp=1,
        threshold_bp=threshold_bp,
        status_quo="no",
    )
    # exact arithmetic: the leader's share in basis points, rounded half up, reaches it
    lead = max(top, rest)
    share = Fraction(lead * 10_000, total)
    assert d.passed == (2 * lead > total and share + Fraction(1, 2) >= threshold_bp)


def test_choice_of_a_quadratic_ballot() -> None:
    assert choice_of({"yes": 3, "no": 1}) == "yes"
    assert choice_of({"yes": 2, "no": 2}) is None
    assert choice_of({}) is None and choice_of({"no": 0}) is None


def test_quadratic_costs_and_budget() -> None:
    assert cost({"yes": 3, "no": 1}) == 10
    assert check_budget("a", {"yes": 10}, 100) == 100
    with pytest.raises(CreditsExceeded, match="spends 101 voice credits but has 100"):
        check_budget("a", {"yes": 10, "no": 1}, 100)
    for bad in ({"yes": -1}, {"yes": 1.5}, {"yes": True}):
        with pytest.raises(InvalidInput, match="whole number"):
            cost(bad)  # type: ignore[arg-type]


def test_quadratic_tally_weighs_intensity() -> None:
    ballots = {"a": {"yes": 1}, "b": {"yes": 1}, "c": {"yes": 1}, "d": {"no": 4}}
    out = tally(ballots, question=q(4, 5000), credits=dict.fromkeys("abcd", 16))
    assert out.totals == {"yes": 3, "no": 4, "abstain": 0}
    assert (out.winner, out.credits_spent, out.turnout) == ("no", 19, 4)
    with pytest.raises(CreditsExceeded):
        tally({"a": {"yes": 5}}, question=q(1, 1), credits={"a": 16})


def test_quadratic_carried_votes_are_scaled_to_the_delegators_credits() -> None:
    out = tally(
        {"a": {"yes": 6, "no": 2}},
        question=q(3, 1),
        credits={"a": 40, "b": 40, "c": 10},
        carriers={"b": "a", "c": "a"},
    )
    assert out.counted["b"] == {"yes": 6, "no": 2}  # affordable: copied
    assert out.counted["c"] == {"yes": 3, "no": 1}  # 40 > 10: scaled by sqrt(10/40)
    assert out.totals["yes"] == 15 and out.credits_spent == 40 + 40 + 10


@given(
    st.dictionaries(st.sampled_from(OPTS), st.integers(0, 50), min_size=1),
    st.integers(0, 3000),
)
def test_scaling_never_exceeds_the_budget(votes: dict[str, int], credits: int) -> None:
    scaled = scale_to(votes, credits)
    assert cost(scaled) <= max(credits, cost(votes) if cost(votes) <= credits else credits)
    assert all(0 <= scaled[o] <= votes[o] for o in votes)
    if cost(votes) <= credits:
        assert scaled == votes


@given(st.dictionaries(st.sampled_from(("yes", "no")), st.integers(0, 100)), st.integers(0, 10))
def test_decide_never_picks_a_loser(totals: dict[str, int], electorate: int) -> None:
    d = decide(
        totals,
        turnout=electorate,
        electorate=electorate,
        quorum_bp=1,
        threshold_bp=5000,
        status_quo=None,
    )
    if d.passed:
        assert d.winner is not None
        assert 2 * totals[d.winner] > sum(totals.values())
    else:
        assert d.winner is None
