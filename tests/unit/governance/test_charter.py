"""The charter changes only by a vote under its own amendment rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from syndic.errors import Conflict, Forbidden, PolicyError
from syndic.governance.models import ProposalKind
from tests.coalition import licensee_offer, world
from tests.conftest import MakeSyndic


def test_founding_and_defaults(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=1)
    assert w.s.governance.charter().version == 0  # defaults until founded
    assert w.s.governance.charter().payout_floor_bp == 2000
    with pytest.raises(PolicyError, match="charter payout_floor_bp"):
        w.s.governance.found({"payout_floor_bp": -1})
    c = w.s.governance.found({"payout_policy": "pro-rata-works", "payout_floor_bp": 1000})
    assert (c.version, c.payout_policy) == (1, "pro-rata-works")
    assert w.s.governance.charter().payout_floor_bp == 1000
    before = w.events()
    with pytest.raises(Conflict, match="already has a charter"):
        w.s.governance.found({})
    assert w.events() == before and w.kinds().count("charter.founded") == 1


def test_an_amendment_passes_under_the_amendment_rule(
    make_syndic: MakeSyndic, backend: str
) -> None:
    w = world(make_syndic, charter={"proposers": ["steward"]})
    s = w.s
    with pytest.raises(Forbidden, match="only the steward may propose"):
        s.governance.propose_amendment({"payout_floor_bp": 1500}, member_id=w.members[0])
    with pytest.raises(PolicyError, match="no field"):
        s.governance.propose_amendment({"quorum": 1})
    p = s.governance.propose_amendment({"payout_floor_bp": 1500, "deal_vote": {"quorum_bp": 6000}})
    assert p.rule["method"] == "supermajority" and p.rule["threshold_bp"] == 6667
    assert p.closes_at == w.clock.now() + timedelta(hours=168)
    for m in w.members[:4]:
        s.governance.cast(p.id, member_id=m, choice="yes")
    s.governance.cast(p.id, member_id=w.members[4], choice="no")
    with pytest.raises(Conflict, match="open until"):
        s.governance.close(p.id)
    w.clock.advance(timedelta(hours=168))
    closed = s.governance.close(p.id)
    assert closed.outcome is not None and closed.outcome["adopted"] is True
    c = s.governance.charter()
    assert (c.version, c.payout_floor_bp, c.deal_vote.quorum_bp) == (2, 1500, 6000)
    assert [v.version for v in s.governance.charter_history()] == [1, 2]
    assert w.payloads("charter.amended")[0]["changes"]["payout_floor_bp"] == 1500
    with pytest.raises(Conflict, match="not open"):
        s.governance.close(p.id)


def test_a_failed_or_superseded_amendment_changes_nothing(
    make_syndic: MakeSyndic, backend: str
) -> None:
    w = world(make_syndic, charter={"proposers": ["steward", "member"]})
    s, ms = w.s, w.members
    a = s.governance.propose_amendment({"payout_floor_bp": 100}, member_id=ms[0])
    b = s.governance.propose_amendment({"payout_floor_bp": 200})
    assert a.proposed_by == f"member:{ms[0]}" and b.proposed_by == "steward"
    for m in ms[:3]:
        s.governance.cast(a.id, member_id=m, choice="yes")
        s.governance.cast(b.id, member_id=m, choice="yes")
    for m in ms[3:5]:
        s.governance.cast(a.id, member_id=m, choice="no")  # 3 of 5: 60% < two-thirds
    w.clock.advance(timedelta(hours=168))
    failed = s.governance.close(a.id)
    assert failed.outcome is not None and failed.outcome["winner"] == "no"
    assert "below the 66.67% threshold" in failed.outcome["reason"]
    assert s.governance.charter().version == 1
    adopted = s.governance.close(b.id)
    assert adopted.outcome is not None and adopted.outcome["adopted"] is True
    assert s.governance.charter().payout_floor_bp == 200
    # two amendments against version 2: the first adopted makes the other one stale
    c = s.governance.propose_amendment({"payout_floor_bp": 300})
    d = s.governance.propose_amendment({"binding": "opt-in"})
    for m in ms:  # everyone votes, so the votes may close early
        s.governance.cast(c.id, member_id=m, choice="yes")
        s.governance.cast(d.id, member_id=m, choice="yes")
    assert s.governance.close(d.id, force=True).outcome["charter_version"] == 3  # type: ignore[index]
    closed = s.governance.close(c.id, force=True)
    assert closed.outcome is not None and closed.outcome["adopted"] is False
    assert closed.outcome["reason"] == "superseded: the charter is now version 3"
    assert s.governance.charter().payout_floor_bp == 200


def test_deal_votes_close_through_the_deal(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=1)
    deal = licensee_offer(w)
    w.s.deals.open_vote(deal)
    (p,) = [x for x in w.s.governance.list_proposals() if x.kind == ProposalKind.DEAL]
    assert p.subject_id == deal
    pid = p.id
    with pytest.raises(Conflict, match="close it with the deal"):
        w.s.governance.close(pid, force=True)
    with pytest.raises(Conflict, match="has not closed yet"):
        w.s.governance.ballot_file(pid)


def test_who_may_propose_and_close_early(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=3, charter={"proposers": ["member"]})
    s, (m1, m2, m3) = w.s, w.members
    with pytest.raises(Forbidden, match="only members may propose"):
        s.governance.propose_amendment({"payout_floor_bp": 100})
    s.members.leave(m3)
    before = w.events()
    with pytest.raises(Forbidden, match=f"{m3} is not an active member and cannot propose"):
        s.governance.propose_amendment({"payout_floor_bp": 100}, member_id=m3)
    with pytest.raises(Forbidden, match="999 is not an active member"):
        s.governance.propose_amendment({"payout_floor_bp": 100}, member_id=999)
    assert w.events() == before and s.governance.list_proposals() == []
    p = s.governance.propose_amendment({"payout_floor_bp": 100}, member_id=m1)
    assert p.proposed_by == f"member:{m1}"
    s.governance.cast(p.id, member_id=m1, choice="yes")
    with pytest.raises(Conflict, match=r"every member has voted \(1 of 2 have\)"):
        s.governance.close(p.id, force=True)
    s.governance.cast(p.id, member_id=m2, choice="yes")
    assert s.governance.close(p.id, force=True).outcome["adopted"] is True  # type: ignore[index]
    assert w.payloads("vote.closed")[0]["early"] is True
