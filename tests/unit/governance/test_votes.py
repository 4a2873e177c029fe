"""Deal votes under the charter: quadratic ballots, delegation, secrecy, credits, refusals."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from syndic.canonical import canonical_bytes
from syndic.errors import Conflict, CreditsExceeded, Forbidden, InvalidInput, NotFound
from syndic.governance.voting.ballot_file import parse, tally
from syndic.governance.voting.credits import EPOCH, period_of
from tests.coalition import licensee_offer, world
from tests.conftest import MakeSyndic

QV = {"deal_vote": {"method": "quadratic", "delegation": True, "quorum_bp": 5000}}


def test_quadratic_vote_with_delegation(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, charter=QV)
    s, (m1, m2, m3, m4, m5, m6) = w.s, w.members
    deal = licensee_offer(w)
    s.deals.open_vote(deal)
    s.governance.delegate(m3, m1, topic="deals")
    s.governance.delegate(m3, m2)  # global: the topic delegation wins for a deal
    s.governance.delegate(m4, m2)
    s.governance.delegate(m5, m6)
    s.governance.delegate(m6, m5)
    r1 = s.deals.cast_vote(deal, member_id=m1, votes={"yes": 5})
    assert (r1.credits_spent, r1.votes) == (25, {"yes": 5})
    s.deals.cast_vote(deal, member_id=m2, votes={"no": 3, "yes": 0})
    s.deals.cast_vote(deal, member_id=m4, votes={"yes": 2})  # overrides m4's delegation
    w.clock.advance(timedelta(hours=72))
    d = s.deals.close_vote(deal)
    assert d.status == "approved"
    out = s.governance.get(d.outcome["proposal"]).outcome  # type: ignore[index]
    assert out is not None
    assert out["totals"] == {"yes": 12, "no": 3, "abstain": 0}
    assert (out["turnout"], out["electorate"], out["method"]) == (4, 6, "quadratic")
    assert out["delegation"]["carried"] == {str(m1): [str(m3)]}
    assert out["delegation"]["cycles"] == [[str(m5), str(m6)]]
    assert out["consenting"] == [m1, m3, m4]
    # m3's vote was carried, and paid from m3's own credits
    assert s.governance.credits(m3) == 75 and s.governance.credits(m1) == 75
    # the ballot file is exactly what was cast, held and delegated (written out by hand here)
    f = s.governance.ballot_file(d.outcome["proposal"])  # type: ignore[index]
    expected = {
        "format": "syndic.ballots/v1",
        "topic": "deals",
        "method": "quadratic",
        "delegation": True,
        "options": ["yes", "no", "abstain"],
        "status_quo": "no",
        "quorum_bp": 5000,
        "threshold_bp": 5000,
        "credits": 100,
        "voters": [{"id": str(m), "credits": 100} for m in (m1, m2, m3, m4, m5, m6)],
        "ballots": [
            {"voter": str(m1), "votes": {"yes": 5}},
            {"voter": str(m2), "votes": {"no": 3}},
            {"voter": str(m4), "votes": {"yes": 2}},
        ],
        "delegations": [
            {"from": str(m3), "to": str(m2)},
            {"from": str(m3), "to": str(m1), "topic": "deals"},
            {"from": str(m4), "to": str(m2)},
            {"from": str(m5), "to": str(m6)},
            {"from": str(m6), "to": str(m5)},
        ],
    }
    assert {k: v for k, v in f.items() if k != "question"} == expected
    # by hand: m1 yes 5, m4 yes 2 (its own vote), m3 carried by m1 (its deals delegation wins
    # over its global one) at yes 5 for 25 of its 100 credits; m2 no 3; m5 and m6 a cycle
    again = tally(parse(expected))
    assert (again.totals, again.winner, again.turnout) == (
        {"yes": 12, "no": 3, "abstain": 0},
        "yes",
        4,
    )
    assert again.delegation is not None and again.delegation.carried == {str(m1): [str(m3)]}
    closed = w.payloads("vote.closed")[0]
    assert closed["ballot_file_sha256"] == hashlib.sha256(canonical_bytes(f)).hexdigest()
    assert w.payloads("vote.cast")[0]["votes"] == {"yes": 5}  # open ballots are logged


def test_refusals_write_nothing(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, charter=QV)
    s, (m1, m2, m3, *_) = w.s, w.members
    deal = licensee_offer(w)
    with pytest.raises(Conflict, match="not open for voting"):
        s.deals.cast_vote(deal, member_id=m1, votes={"yes": 1})
    s.deals.open_vote(deal)
    s.members.leave(m3)
    before = w.events()
    with pytest.raises(CreditsExceeded, match="spends 121 voice credits but has 100"):
        s.deals.cast_vote(deal, member_id=m1, votes={"yes": 11})
    with pytest.raises(InvalidInput, match="'maybe' is not an option"):
        s.deals.cast_vote(deal, member_id=m1, votes={"maybe": 1})
    with pytest.raises(InvalidInput, match="whole number"):
        s.deals.cast_vote(deal, member_id=m1, votes={"yes": -2})
    with pytest.raises(Forbidden, match="not an active member"):
        s.deals.cast_vote(deal, member_id=999, votes={"yes": 1})
    with pytest.raises(Forbidden, match="not an active member"):
        s.deals.cast_vote(deal, member_id=m3, votes={"yes": 1})
    with pytest.raises(InvalidInput, match="cannot delegate to themselves"):
        s.governance.delegate(m1, m1)
    with pytest.raises(Conflict, match="has left"):
        s.governance.delegate(m1, m3)
    with pytest.raises(InvalidInput, match="unknown topic"):
        s.governance.delegate(m1, m2, topic="weather")
    with pytest.raises(NotFound, match="no global delegation"):
        s.governance.revoke_delegation(m1)
    assert w.events() == before
    s.deals.cast_vote(deal, member_id=m1, votes={"yes": 8})
    with pytest.raises(Conflict, match=f"member {m1} has already voted on deal {deal}"):
        s.deals.cast_vote(deal, member_id=m1, votes={"yes": 1})
    w.clock.advance(timedelta(hours=72))
    with pytest.raises(Conflict, match="closed at"):
        s.deals.cast_vote(deal, member_id=m2, votes={"yes": 1})
    assert w.events() == before + 1
    # the 64 credits m1 spent are gone for this period: a second deal gets only 36
    s.deals.close_vote(deal)
    other = licensee_offer(w)
    s.deals.open_vote(other)
    with pytest.raises(CreditsExceeded, match="spends 49 voice credits but has 36"):
        s.deals.cast_vote(other, member_id=m1, votes={"yes": 7})
    s.deals.cast_vote(other, member_id=m1, votes={"yes": 6})
    assert s.governance.credits(m1) == 0
    w.clock.advance(timedelta(days=90))  # next period: credits expire and renew
    assert s.governance.credits(m1) == 100


def test_one_person_one_vote_refuses_weighted_ballots(
    make_syndic: MakeSyndic, backend: str
) -> None:
    w = world(make_syndic, n=2)
    deal = licensee_offer(w)
    w.s.deals.open_vote(deal)
    with pytest.raises(InvalidInput, match="one person, one vote"):
        w.s.deals.cast_vote(deal, member_id=w.members[0], votes={"yes": 2})
    with pytest.raises(InvalidInput, match="not 'perhaps'"):
        w.s.deals.cast_vote(deal, member_id=w.members[0], choice="perhaps")
    with pytest.raises(InvalidInput, match="either a choice or votes"):
        w.s.deals.cast_vote(deal, member_id=w.members[0])
    w.s.deals.cast_vote(deal, member_id=w.members[0], votes={"no": 1})
    w.clock.advance(timedelta(hours=72))
    d = w.s.deals.close_vote(deal)
    assert d.status == "rejected" and d.outcome is not None
    assert d.outcome["totals"]["no"] == 1 and d.outcome["method"] == "majority"


def test_secret_ballots_log_only_a_commitment(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=2, charter={"deal_vote": {"secret": True}})
    deal = licensee_offer(w)
    w.s.deals.open_vote(deal)
    r = w.s.deals.cast_vote(deal, member_id=w.members[0], choice="yes")
    logged = w.payloads("vote.cast")[0]
    assert "votes" not in logged and logged["ballot_sha256"] == r.commitment
    opened = {"proposal": r.proposal_id, "member": r.member_id, "votes": r.votes, "salt": r.salt}
    assert hashlib.sha256(canonical_bytes(opened)).hexdigest() == r.commitment
    other = w.s.deals.cast_vote(deal, member_id=w.members[1], choice="yes")
    assert other.commitment != r.commitment  # salted: equal ballots do not look equal


def test_carry_over_keeps_one_periods_credits(make_syndic: MakeSyndic, backend: str) -> None:
    charter = {**QV, "unspent_credits": "carry-over", "credit_period_days": 30}
    w = world(make_syndic, n=2, charter=charter)
    deal = licensee_offer(w)
    w.s.deals.open_vote(deal)
    w.s.deals.cast_vote(deal, member_id=w.members[0], votes={"yes": 3})
    assert w.s.governance.credits(w.members[0]) == 91
    w.clock.advance(timedelta(days=30))
    assert w.s.governance.credits(w.members[0]) == 191
    w.clock.advance(timedelta(days=90))
    assert w.s.governance.credits(w.members[0]) == 200


def test_a_later_amendment_or_spend_never_blocks_closing(
    make_syndic: MakeSyndic, backend: str
) -> None:
    charter = {
        "deal_vote": {"method": "quadratic", "quorum_bp": 5000},
        "amendment": {"method": "majority", "quorum_bp": 5000, "hours": 1},
    }
    w = world(make_syndic, n=2, charter=charter)
    s, (m1, m2) = w.s, w.members
    first = licensee_offer(w)
    s.deals.open_vote(first)
    s.deals.cast_vote(first, member_id=m1, votes={"yes": 10})  # all of its 100 credits
    s.deals.cast_vote(first, member_id=m2, votes={"yes": 1})
    p = s.governance.propose_amendment({"voice_credits": 400})
    for m in (m1, m2):
        s.governance.cast(p.id, member_id=m, choice="yes")
    assert s.governance.close(p.id, force=True).outcome["adopted"] is True  # type: ignore[index]
    second = licensee_offer(w)
    s.deals.open_vote(second)
    # 400 a period now, 100 of it spent: 300 held
    assert s.deals.cast_vote(second, member_id=m1, votes={"yes": 15}).credits_spent == 225
    assert s.governance.credits(m1) == 75
    closed = s.deals.close_vote(first, force=True)
    assert closed.status == "approved"
    f = s.governance.ballot_file(closed.outcome["proposal"])  # type: ignore[index]
    assert f["voters"] == [{"id": str(m1), "credits": 100}, {"id": str(m2), "credits": 100}]
    assert tally(parse(f)).totals["yes"] == 11


def test_spends_are_charged_to_the_period_they_are_cast_in(
    make_syndic: MakeSyndic, backend: str
) -> None:
    charter = {
        "deal_vote": {"method": "quadratic", "quorum_bp": 5000, "hours": 24 * 20},
        "unspent_credits": "carry-over",
        "credit_period_days": 30,
    }
    w = world(make_syndic, n=2, charter=charter)
    s, (m1, m2) = w.s, w.members
    # five days before a period ends, with one period's credits carried over
    now = w.clock.now()
    w.clock.advance(EPOCH + timedelta(days=30 * (period_of(now, 30) + 2) - 5) - now)
    assert s.governance.credits(m1) == 200
    early = licensee_offer(w)
    s.deals.open_vote(early)  # opened in this period ...
    w.clock.advance(timedelta(days=6))  # ... and still open in the next
    late = licensee_offer(w)
    s.deals.open_vote(late)
    assert s.governance.credits(m1) == 200
    assert s.deals.cast_vote(late, member_id=m1, votes={"yes": 14}).credits_spent == 196
    before = w.events()
    # a ballot on the older vote is paid in this period too: 4 credits are left, not 200
    with pytest.raises(CreditsExceeded, match="spends 196 voice credits but has 4"):
        s.deals.cast_vote(early, member_id=m1, votes={"yes": 14})
    assert w.events() == before
    s.deals.cast_vote(early, member_id=m1, votes={"yes": 2})
    assert s.governance.credits(m1) == 0
    for d in (early, late):
        s.deals.cast_vote(d, member_id=m2, votes={"yes": 1})
    assert [s.deals.close_vote(d, force=True).status for d in (early, late)] == [
        "approved",
        "approved",
    ]


def test_early_close_needs_every_vote_or_a_rule_that_allows_it(
    make_syndic: MakeSyndic, backend: str
) -> None:
    w = world(make_syndic, n=3)
    s, (m1, m2, m3) = w.s, w.members
    deal = licensee_offer(w)
    s.deals.open_vote(deal)
    s.deals.cast_vote(deal, member_id=m1, choice="yes")
    s.deals.cast_vote(deal, member_id=m2, choice="yes")
    before = w.events()
    with pytest.raises(Conflict, match=r"only once every member has voted \(2 of 3 have\)"):
        s.deals.close_vote(deal, force=True)
    assert w.events() == before and s.deals.get_deal(deal).status == "voting"
    s.deals.cast_vote(deal, member_id=m3, choice="no")
    assert s.deals.close_vote(deal, force=True).status == "approved"
    assert w.payloads("vote.closed")[-1]["early"] is True


def test_a_rule_may_allow_closing_early(make_syndic: MakeSyndic, backend: str) -> None:
    allowed = world(make_syndic, n=3, charter={"deal_vote": {"early_close": True}})
    other = licensee_offer(allowed)
    allowed.s.deals.open_vote(other)
    allowed.s.deals.cast_vote(other, member_id=allowed.members[0], choice="yes")
    assert allowed.s.deals.close_vote(other, force=True).status == "rejected"  # no quorum
    assert allowed.payloads("vote.closed")[-1]["early"] is True
    late = licensee_offer(allowed)
    allowed.s.deals.open_vote(late)
    allowed.clock.advance(timedelta(hours=72))
    allowed.s.deals.close_vote(late, force=True)
    assert allowed.payloads("vote.closed")[-1]["early"] is False
