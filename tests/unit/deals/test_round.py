"""A whole round on the deals service (vote, both signatures, delivery tokens, payouts) and
the vote's refusals, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from syndic.errors import AuthError, Conflict, Forbidden
from syndic.keys import public_b64
from syndic.members.importer import import_arxiv
from syndic.terms.models import Terms, Usage
from syndic.testing import ManualClock, RecordingRail
from tests.conftest import MakeSyndic

FEE = 1_000_00


LAB_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))  # the licensee's own key


def _approved_deal(syndic, clock: ManualClock, *, voters: int = 3) -> int:  # type: ignore[no-untyped-def]
    syndic.terms.publish(Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=FEE))
    lic = syndic.deals.register_licensee(
        name="Lab", contact="lab@example.org", public_key=public_b64(LAB_KEY)
    )
    deal = syndic.deals.offer(
        licensee_id=lic.id,
        terms=Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=FEE),
        actor="licensee",
    )
    syndic.deals.open_vote(deal.id)  # under the default charter: majority, quorum 50%, 72 hours
    for m in syndic.members.list_members()[:voters]:
        syndic.deals.cast_vote(deal.id, member_id=m.id, choice="yes")
    clock.advance(timedelta(hours=72))
    assert syndic.deals.close_vote(deal.id).status == "approved"
    return deal.id


def _countersign(syndic, agreement_id: int) -> None:  # type: ignore[no-untyped-def]
    doc = syndic.deals.agreement_document(agreement_id)
    sig = base64.b64encode(LAB_KEY.sign(doc)).decode()
    assert syndic.deals.countersign(
        agreement_id, sig, licensee_id=1, actor="licensee:1"
    ).status == ("active")


def test_full_round_votes_agreement_tokens_and_payouts(
    make_syndic: MakeSyndic, backend: str, fixture_jsonl: Path
) -> None:
    clock = ManualClock()
    syndic = make_syndic(clock=clock)
    syndic.payouts.rail = rail = RecordingRail()
    import_arxiv(syndic.members, fixture_jsonl)
    # Member 1 never allows training: their works must be left out of the agreement.
    with syndic.db.write() as sess:
        from syndic.members.models import Member

        m1 = sess.get(Member, 1)
        assert m1 is not None
        m1.prohibited_usages = ["ai-train"]
    deal_id = _approved_deal(syndic, clock, voters=7)
    with pytest.raises(Conflict, match="not open for voting"):
        syndic.deals.cast_vote(deal_id, member_id=2, choice="no")
    agreement = syndic.deals.sign(deal_id)
    assert agreement.works_count == 220
    with pytest.raises(Conflict, match="is signed; it can be signed only when approved"):
        syndic.deals.sign(deal_id)
    with pytest.raises(Conflict, match="not active"):
        syndic.deals.issue_token(agreement.id)  # not until the licensee has signed too
    _countersign(syndic, agreement.id)

    token = syndic.deals.issue_token(agreement.id)
    grant = syndic.deals.authorize_delivery(token, agreement.id)
    lines = list(syndic.deals.dataset_lines(grant))
    assert len(lines) == 220
    assert all(json.loads(x)["licence"] == f"agreement:{agreement.id}" for x in lines)
    with pytest.raises(AuthError, match="not valid"):
        syndic.deals.authorize_delivery("syl_forged", agreement.id)
    with pytest.raises(Forbidden):
        syndic.deals.authorize_delivery(token, agreement.id + 1)
    clock.advance(timedelta(days=31))
    with pytest.raises(AuthError, match="expired"):
        syndic.deals.authorize_delivery(token, agreement.id)

    syndic.payouts.book_revenue(agreement.id, FEE)
    covered = syndic.deals.members_of(agreement.id)
    assert 1 not in covered
    statements = syndic.payouts.distribute(agreement.id, covered)
    assert sum(x.amount_minor for x in statements) == FEE
    with pytest.raises(Conflict, match="no undistributed"):
        syndic.payouts.distribute(agreement.id, covered)
    assert syndic.payouts.pay_out() == FEE
    assert sum(a for _, a, _ in rail.sent) == FEE
    rep = syndic.report()
    assert rep["revenue_minor"] == rep["paid_out_minor"] == FEE
    assert rep["agreements_active"] == 1
    assert (
        Path(syndic.settings.data_dir) / "agreements" / f"agreement-{agreement.id}.json"
    ).is_file()


def test_vote_refusals(make_syndic: MakeSyndic, backend: str, fixture_jsonl: Path) -> None:
    clock = ManualClock()
    syndic = make_syndic(clock=clock)
    import_arxiv(syndic.members, fixture_jsonl)
    lic = syndic.deals.register_licensee(name="Lab", contact="x")
    deal = syndic.deals.offer(
        licensee_id=lic.id,
        terms=Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=5),
        actor="licensee",
    )
    with pytest.raises(Conflict, match="not open"):
        syndic.deals.cast_vote(deal.id, member_id=1, choice="yes")
    syndic.deals.open_vote(deal.id)
    syndic.deals.cast_vote(deal.id, member_id=1, choice="yes")
    events = syndic.report()["events"]
    with pytest.raises(Conflict, match="already voted"):
        syndic.deals.cast_vote(deal.id, member_id=1, choice="no")
    with pytest.raises(Forbidden, match="not an active member"):
        syndic.deals.cast_vote(deal.id, member_id=9999, choice="yes")
    with pytest.raises(Conflict, match="open until"):
        syndic.deals.close_vote(deal.id)
    clock.advance(timedelta(hours=72))
    with pytest.raises(Conflict, match="closed at"):
        syndic.deals.cast_vote(deal.id, member_id=2, choice="yes")
    assert syndic.report()["events"] == events
    out = syndic.deals.close_vote(deal.id)
    assert out.status == "rejected"  # 1 of 12 voted: quorum not met
    assert out.outcome is not None and out.outcome["quorum_met"] is False
