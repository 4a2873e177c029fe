"""Agreements: mandates applied before the vote, both signatures, disputes, exit, files."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from syndic.deals.agreement import verify_file
from syndic.errors import AuthError, Conflict, Forbidden, VerificationError
from syndic.keys import public_b64
from syndic.members.service import NewWork
from syndic.terms.crawlers import load_crawlers
from syndic.terms.models import PaymentType, Terms, Usage
from syndic.testing import RecordingRail
from tests.coalition import (
    FEE,
    LAB_KEY,
    OTHER_KEY,
    active_agreement,
    approved,
    countersign,
    licensee_offer,
    terms,
    world,
)
from tests.conftest import MakeSyndic


def test_red_lines_leave_works_out_and_say_so_before_the_vote(
    make_syndic: MakeSyndic, backend: str
) -> None:
    mandates = {
        1: {"prohibited_usages": ["ai-all"]},
        2: {"floor_price_minor": FEE + 1},
        3: {"allow_vlop": False},
    }
    w = world(make_syndic, charter={"vlop_mau_threshold": 1000}, mandates=mandates, mau=5000)
    s, ms = w.s, w.members
    assert s.deals.requires_negotiation(w.lab)
    deal = licensee_offer(w)
    s.deals.open_vote(deal)
    told = w.payloads("vote.opened")[0]["question"]["coverage"]
    assert (told["works_in_scope"], told["works_covered"]) == (6, 3)
    assert told["excluded_members"] == [
        {"member": ms[1], "reasons": ["usage ai-train crosses the member's red line"]},
        {"member": ms[2], "reasons": ["price below the member's floor"]},
        {"member": ms[3], "reasons": ["the member refuses deals with very large platforms"]},
    ]
    for m in ms:
        s.deals.cast_vote(deal, member_id=m, choice="yes")
    s.deals.close_vote(deal, force=True)
    a = s.deals.sign(deal)
    assert a.works_count == 3
    doc = json.loads(s.deals.agreement_document(a.id))
    assert [x["member"] for x in doc["scope"]["excluded_members"]] == ms[1:4]
    assert doc["market_leader_clause"]["licensee_is_very_large_platform"] is True
    assert doc["governance"]["totals"] == {"yes": 6, "no": 0, "abstain": 0}
    countersign(w, a.id)
    assert set(s.deals.members_of(a.id)) == {ms[0], ms[4], ms[5]}


def test_opt_in_covers_only_members_who_consented(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, charter={"binding": "opt-in"})
    s, ms = w.s, w.members
    deal = licensee_offer(w)
    s.deals.open_vote(deal)
    assert "opt-in" in w.payloads("vote.opened")[0]["question"]["coverage"]["binding"]
    for m in ms[:4]:
        s.deals.cast_vote(deal, member_id=m, choice="yes")
    for m in ms[4:]:  # everyone votes, so the vote may close early
        s.deals.cast_vote(deal, member_id=m, choice="no")
    s.deals.close_vote(deal, force=True)
    a = s.deals.sign(deal)
    assert a.works_count == 4
    doc = json.loads(s.deals.agreement_document(a.id))
    assert [x["member"] for x in doc["scope"]["excluded_members"]] == ms[4:]


def test_shared_works_split_by_shares_and_disputes_hold_works_out(
    make_syndic: MakeSyndic, backend: str
) -> None:
    w = world(make_syndic, n=2)
    s, (m1, m2) = w.s, w.members
    s.members.register_work(
        NewWork(b"joint paper", "Joint", "text", "c", [(m1, 6000), (m2, 4000)], {}),
        registered_by=m1,
    )
    disputed = s.members.dispute_work(w.works[1], reason="a third author claims a share")
    assert disputed.status == "disputed"
    with pytest.raises(Conflict, match="is disputed, not active"):
        s.members.dispute_work(w.works[1], reason="again")
    a1 = active_agreement(w)
    assert s.deals.get_agreement(a1).works_count == 2  # m1's work and the shared one
    assert s.deals.members_of(a1) == {m1: 16_000, m2: 4000}
    s.payouts.rail = RecordingRail()
    s.payouts.book_revenue(a1, 20_000)
    parts = {x.member_id: x.amount_minor for x in s.payouts.distribute(a1, s.deals.members_of(a1))}
    assert parts == {m1: 16_000, m2: 4000}

    with pytest.raises(Conflict, match="not disputed"):
        s.members.resolve_dispute(w.works[0])
    settled = s.members.resolve_dispute(w.works[1], holders=[(m2, 5000), (m1, 5000)])
    assert settled.status == "active"
    assert sorted((h.member_id, h.share_bp) for h in settled.holders) == [(m1, 5000), (m2, 5000)]
    assert w.payloads("work.dispute_resolved")[0]["holders"] == [
        {"member": m1, "share_bp": 5000},
        {"member": m2, "share_bp": 5000},
    ]
    a2 = active_agreement(w)
    assert s.deals.get_agreement(a2).works_count == 3


def test_a_member_who_leaves_keeps_their_share_of_running_agreements(
    make_syndic: MakeSyndic, backend: str
) -> None:
    w = world(make_syndic, n=3)
    s, ms = w.s, w.members
    s.payouts.rail = rail = RecordingRail()
    a = active_agreement(w)
    s.members.leave(ms[0])
    # the running agreement still covers them: they are paid their share
    s.payouts.book_revenue(a, 3000)
    s.payouts.distribute(a, s.deals.members_of(a))
    assert s.payouts.pay_out() == 3000
    assert ("acct:0", 1000, "EUR") in rail.sent
    # their works leave future deals, and the agreement says why
    deal = licensee_offer(w)
    s.deals.open_vote(deal)
    for m in ms[1:]:
        s.deals.cast_vote(deal, member_id=m, choice="yes")
    s.deals.close_vote(deal, force=True)
    nxt = s.deals.sign(deal)
    assert nxt.works_count == 2
    doc = json.loads(s.deals.agreement_document(nxt.id))
    assert doc["scope"]["excluded_members"] == [{"member": ms[0], "reasons": ["member has left"]}]


def test_both_signatures_are_required_and_checked(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=2)
    s = w.s
    keyless = s.deals.register_licensee(name="Keyless", contact="k@x")
    deal = s.deals.offer(licensee_id=keyless.id, terms=terms(), actor="l")
    s.deals.open_vote(deal.id)
    for m in w.members:
        s.deals.cast_vote(deal.id, member_id=m, choice="yes")
    s.deals.close_vote(deal.id, force=True)
    with pytest.raises(Conflict, match="registered no public key"):
        s.deals.sign(deal.id)

    a = s.deals.sign(approved(w))
    assert a.status == "pending"
    doc = s.deals.agreement_document(a.id)
    before = w.events()
    wrong_key = base64.b64encode(OTHER_KEY.sign(doc)).decode()
    other_bytes = base64.b64encode(LAB_KEY.sign(doc + b" ")).decode()
    good = base64.b64encode(LAB_KEY.sign(doc)).decode()
    with pytest.raises(VerificationError, match="licensee's registered key"):
        s.deals.countersign(a.id, wrong_key, licensee_id=w.lab, actor="l")
    with pytest.raises(VerificationError, match="exact bytes"):
        s.deals.countersign(a.id, other_bytes, licensee_id=w.lab, actor="l")
    with pytest.raises(VerificationError, match="not base64"):
        s.deals.countersign(a.id, "not base64!", licensee_id=w.lab, actor="l")
    with pytest.raises(Forbidden, match="not this licensee's"):
        s.deals.countersign(a.id, good, licensee_id=keyless.id, actor="l")
    with pytest.raises(Conflict, match="not active"):
        s.deals.issue_token(a.id)
    assert w.events() == before and s.deals.get_agreement(a.id).status == "pending"
    pending_file = s.deals.agreement_path(a.id).read_bytes()
    with pytest.raises(VerificationError, match="has not signed"):
        verify_file(pending_file)

    countersign(w, a.id)
    assert s.deals.get_agreement(a.id).status == "active"
    with pytest.raises(Conflict, match="is active; it can be countersigned only when signed"):
        countersign(w, a.id)
    data = s.deals.agreement_path(a.id).read_bytes()
    assert data == s.deals.agreement_file_bytes(a.id)
    v = verify_file(data, coalition_key=s.signer.public_b64, licensee_key=public_b64(LAB_KEY))
    assert (v.agreement, v.works) == (a.id, 2)
    assert [p["party"] for p in w.payloads("agreement.signed")] == ["coalition", "licensee"]


def test_rsl_termination_and_expiry(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=2)
    s = w.s
    a = active_agreement(w)
    rsl = s.deals.rsl(a, base_url="https://coalition.example/")
    assert f"https://coalition.example/v1/agreements/{a}/dataset.jsonl" in rsl
    assert '<permits type="usage">ai-train</permits>' in rsl
    assert f"https://coalition.example/v1/agreements/{a}/file</terms>" in rsl
    assert 'server="https://coalition.example/v1/olp"' in rsl  # clients POST <server>/token
    token = s.deals.issue_token(a)
    s.deals.terminate(a, reason="breach of the reporting duty")
    with pytest.raises(AuthError, match="no longer active"):
        s.deals.authorize_delivery(token, a)
    assert s.deals.get_deal(s.deals.get_agreement(a).deal_id).status == "terminated"
    b = active_agreement(w)
    w.clock.advance(timedelta(days=364))
    assert s.deals.expire_due()["agreements_expired"] == 0
    w.clock.advance(timedelta(days=1))
    assert s.deals.expire_due() == {
        "offers_lapsed": 0,
        "agreements_expired": 1,
        "agreements_lapsed": 0,
    }
    assert s.deals.get_agreement(b).status == "expired"
    with pytest.raises(Conflict, match="is expired; it can be terminated only when"):
        s.deals.terminate(b, reason="late")


def test_signing_uses_the_rules_the_vote_was_held_under(
    make_syndic: MakeSyndic, backend: str
) -> None:
    charter = {"binding": "opt-in", "vlop_mau_threshold": 1000}
    w = world(make_syndic, n=5, charter=charter, mandates={3: {"allow_vlop": False}}, mau=5000)
    s, ms = w.s, w.members
    deal = licensee_offer(w)
    s.deals.open_vote(deal)
    for m in ms[:4]:
        s.deals.cast_vote(deal, member_id=m, choice="yes")
    s.deals.cast_vote(deal, member_id=ms[4], choice="no")
    s.deals.close_vote(deal, force=True)
    # after the vote the charter becomes collective and the licensee no longer counts as large
    p = s.governance.propose_amendment({"binding": "collective", "vlop_mau_threshold": 10_000})
    for m in ms:
        s.governance.cast(p.id, member_id=m, choice="yes")
    assert s.governance.close(p.id, force=True).outcome["adopted"] is True  # type: ignore[index]
    a = s.deals.sign(deal)
    assert a.works_count == 3  # m3 refuses very large platforms, m4 did not consent
    doc = json.loads(s.deals.agreement_document(a.id))
    assert doc["governance"]["binding"] == "opt-in" and doc["governance"]["charter_version"] == 1
    assert doc["market_leader_clause"]["threshold_monthly_active_users"] == 1000
    assert doc["market_leader_clause"]["licensee_is_very_large_platform"] is True
    assert [x["member"] for x in doc["scope"]["excluded_members"]] == ms[3:]


def test_refusals_at_signing_and_countersigning(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=2, mandates={i: {"prohibited_usages": ["ai-all"]} for i in range(2)})
    s = w.s
    deal = approved(w)
    before = w.events()
    with pytest.raises(Conflict, match=f"deal {deal} covers no works once members' mandates"):
        s.deals.sign(deal)
    assert w.events() == before and s.deals.list_agreements() == []
    assert s.deals.get_deal(deal).status == "approved"
    assert not s.deals.agreements_dir.exists() or not any(s.deals.agreements_dir.iterdir())

    search = Terms(permits=frozenset({Usage.SEARCH}), amount_minor=FEE)  # not an AI usage
    other = s.deals.offer(licensee_id=w.lab, terms=search, actor="l").id
    s.deals.open_vote(other)
    for m in w.members:
        s.deals.cast_vote(other, member_id=m, choice="yes")
    s.deals.close_vote(other, force=True)
    a = s.deals.sign(other)
    w.clock.advance(timedelta(days=365))
    before = w.events()
    with pytest.raises(Conflict, match=f"agreement {a.id} ended at"):
        countersign(w, a.id)
    assert w.events() == before and s.deals.get_agreement(a.id).status == "pending"


def test_a_pending_agreement_lapses_at_its_deadline(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=2)
    s = w.s
    a = s.deals.sign(approved(w))
    w.clock.advance(timedelta(days=364))
    assert s.deals.expire_due()["agreements_lapsed"] == 0
    w.clock.advance(timedelta(days=1))
    assert s.deals.expire_due() == {
        "offers_lapsed": 0,
        "agreements_expired": 0,
        "agreements_lapsed": 1,
    }
    assert s.deals.get_agreement(a.id).status == "lapsed"
    assert s.deals.get_deal(a.deal_id).status == "lapsed"
    assert w.payloads("agreement.lapsed") == [{"agreement": a.id, "deal": a.deal_id}]
    with pytest.raises(Conflict, match="is lapsed"):
        countersign(w, a.id)
    assert s.deals.expire_due()["agreements_lapsed"] == 0


def test_the_agreement_file_changes_only_when_the_database_does(
    make_syndic: MakeSyndic, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world(make_syndic, n=2)
    s = w.s
    real = s.db.write

    @contextmanager
    def commit_fails() -> Iterator[Session]:
        with real() as sess:
            yield sess
            raise RuntimeError("the commit failed")

    deal = approved(w)
    monkeypatch.setattr(s.db, "write", commit_fails)
    with pytest.raises(RuntimeError):
        s.deals.sign(deal)
    monkeypatch.undo()
    assert not s.deals.agreements_dir.exists() or list(s.deals.agreements_dir.iterdir()) == []
    a = s.deals.sign(deal)
    pending = s.deals.agreement_path(a.id).read_bytes()
    monkeypatch.setattr(s.db, "write", commit_fails)
    with pytest.raises(RuntimeError):
        countersign(w, a.id)
    monkeypatch.undo()
    assert s.deals.get_agreement(a.id).status == "pending"
    assert (
        s.deals.agreement_path(a.id).read_bytes() == pending == s.deals.agreement_file_bytes(a.id)
    )
    countersign(w, a.id)
    assert s.deals.agreement_path(a.id).read_bytes() == s.deals.agreement_file_bytes(a.id)
    assert [p.name for p in s.deals.agreements_dir.iterdir()] == [f"agreement-{a.id}.json"]


def test_a_token_opens_only_its_own_agreement(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=2)
    s = w.s
    first, second = active_agreement(w), active_agreement(w)
    token = s.deals.issue_token(first)
    before = w.events()
    with pytest.raises(Forbidden, match=f"this token does not cover agreement {second}"):
        s.deals.authorize_delivery(token, second)
    assert w.events() == before + 1
    assert w.payloads("access.denied") == [
        {"resource": f"agreement:{second}", "reason": f"token is scoped to agreement {first}"}
    ]
    assert s.deals.authorize_delivery(token, first).agreement_id == first


def test_the_open_terms_are_for_small_builders_only(make_syndic: MakeSyndic, backend: str) -> None:
    charter = {"vlop_mau_threshold": 1000, "open_licence": "CC-BY-4.0"}
    w = world(make_syndic, n=2, charter=charter, mau=999)
    s = w.s
    open_terms = Terms(permits=frozenset({Usage.AI_TRAIN}), payment_type=PaymentType.ATTRIBUTION)
    small = s.deals.offer(licensee_id=w.lab, terms=open_terms, actor="l").id
    assert not s.deals.requires_negotiation(w.lab)
    s.deals.open_vote(small)
    for m in w.members:
        s.deals.cast_vote(small, member_id=m, choice="yes")
    s.deals.close_vote(small, force=True)
    a = s.deals.sign(small)
    countersign(w, a.id)
    token = s.deals.issue_token(a.id)
    # a very large platform needs a negotiated licence: not on the open terms
    big = s.deals.register_licensee(
        name="Big", contact="b@x", public_key=public_b64(OTHER_KEY), monthly_active_users=1000
    )
    assert s.deals.requires_negotiation(big.id)
    deal = s.deals.offer(licensee_id=big.id, terms=open_terms, actor="b").id
    before = w.events()
    with pytest.raises(Forbidden, match=r"very large platform .* needs a negotiated licence"):
        s.deals.open_vote(deal)
    assert w.events() == before
    # the small builder grows: once it reports crossing the threshold, its open-terms
    # agreement no longer covers it (new tokens are refused and issued ones stop working)
    s.deals.report_users(w.lab, 5000, actor=f"licensee:{w.lab}")
    assert w.payloads("licensee.users_reported") == [
        {"licensee": w.lab, "monthly_active_users": 5000, "very_large_platform": True}
    ]
    with pytest.raises(Forbidden, match="needs a negotiated licence"):
        s.deals.issue_token(a.id)
    with s.db.read() as sess, pytest.raises(AuthError, match="needs a negotiated licence"):
        s.deals.check_token(sess, token)
    # a paid, negotiated agreement keeps working for a very large platform
    paid = active_agreement(w)
    assert s.deals.issue_token(paid).startswith("syl_")
    # the published terms say who may use the open licence
    s.terms.publish(Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=FEE))
    files = s.terms.published_files(
        base_url="https://c.example", coalition="C", crawlers=load_crawlers(s.settings.data_dir)
    )
    line = (
        "# Builders with fewer than 1000 monthly active users may use these works under "
        "CC-BY-4.0; very large platforms need a licence negotiated with C: "
        "https://c.example/license.xml"
    )
    assert line in files["robots.txt"].splitlines() and line in files["ai.txt"].splitlines()


def test_the_scope_root_is_computed_as_docs_governance_says() -> None:
    import hashlib

    from syndic.deals.agreement import scope_root

    digests = [f"sha256:{hashlib.sha256(w).hexdigest()}" for w in (b"b", b"a", b"c")]
    # the recipe in docs/governance.md, with nothing but hashlib
    by_hand = hashlib.sha256("".join(d + "\n" for d in sorted(digests)).encode()).hexdigest()
    assert scope_root(digests) == f"sha256:{by_hand}" == scope_root(digests[::-1])
