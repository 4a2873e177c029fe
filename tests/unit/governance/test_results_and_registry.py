"""The vote result read in one place, the voting-method registry, and the agreement document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from syndic.canonical import canonical_bytes
from syndic.deals.agreement import AgreementDocument
from syndic.deals.events import AgreementSigned, OfferCountered
from syndic.errors import Conflict, InvalidInput, PolicyError, VerificationError
from syndic.governance.charter import Binding, Charter, VoteRule
from syndic.governance.events import DelegationSet, VoteCast, VoteOpened
from syndic.governance.models import Proposal
from syndic.governance.results import FrozenRule, VoteResult, approves, hidden
from syndic.governance.voting import ballot_file
from syndic.governance.voting.methods import CHARTERED, METHODS, NAMES, Method, voting_method
from syndic.provenance.events import EVENT_KINDS

AT = datetime(2026, 1, 1, tzinfo=UTC)
RULE: dict[str, Any] = {
    **VoteRule().model_dump(mode="json"),
    "options": ["yes", "no", "abstain"],
    "status_quo": "no",
    "voice_credits": 100,
    "credit_period_days": 90,
    "unspent_credits": "expire",
    "period": 0,
    "binding": "opt-in",
    "vlop_mau_threshold": 1000,
    "open_licence": None,
    "charter_version": 2,
}
OUTCOME: dict[str, Any] = {
    "method": "majority",
    "totals": {"yes": 2, "no": 1, "abstain": 0},
    "winner": "yes",
    "passed": True,
    "turnout": 3,
    "electorate": 4,
    "consenting": [1, 3],
    "delegation": {"carried": {}},
}


def proposal(outcome: dict[str, Any] | None, rule: dict[str, Any] = RULE) -> Proposal:
    return Proposal(
        id=7,
        kind="deal",
        subject_id=5,
        topic="deals",
        question={},
        rule=rule,
        charter_version=2,
        proposed_by="steward",
        opened_at=AT,
        closes_at=AT,
        status="closed",
        outcome=outcome,
    )


def test_a_result_is_read_once_from_the_proposal() -> None:
    r = VoteResult.of(proposal(OUTCOME))
    assert r.approved and r.consenting == (1, 3) and r.method == "majority"
    assert r.binding is Binding.OPT_IN and r.bound_members() == (1, 3)
    assert r.rule.vlop_mau_threshold == 1000 and r.rule.open_licence is None
    assert r.summary() == {
        "method": "majority",
        "totals": {"yes": 2, "no": 1, "abstain": 0},
        "winner": "yes",
        "passed": True,
        "turnout": 3,
        "electorate": 4,
        "proposal": 7,
        "approved": True,
        "charter_version": 2,
    }
    assert r.record() == {
        "charter_version": 2,
        "binding": "opt-in",
        "proposal": 7,
        "method": "majority",
        "totals": {"yes": 2, "no": 1, "abstain": 0},
        "turnout": 3,
        "electorate": 4,
    }


def test_collective_binding_binds_everyone_and_an_open_vote_has_no_result() -> None:
    collective = VoteResult.of(proposal(OUTCOME, {**RULE, "binding": "collective"}))
    assert collective.bound_members() is None
    with pytest.raises(Conflict, match="has not closed yet"):
        VoteResult.of(proposal(None))


def test_approval_needs_a_pass_for_yes() -> None:
    assert approves(OUTCOME)
    assert not approves({**OUTCOME, "passed": False})
    assert not approves({**OUTCOME, "winner": "no"})
    assert "consenting" not in hidden(OUTCOME) and "delegation" not in hidden(OUTCOME)


def test_a_frozen_rule_knows_its_method() -> None:
    rule = FrozenRule.model_validate({**RULE, "method": "quadratic"})
    assert rule.voting.spends_credits and not rule.voting.per_head()
    assert FrozenRule.model_validate(RULE).voting.per_head()


def test_the_registry_is_the_one_list_of_methods() -> None:
    assert set(NAMES) == {m.value for m in Method} == {m.value for m in METHODS}
    assert "delegated" in NAMES and "delegated" not in CHARTERED
    assert voting_method("supermajority").name is Method.SUPERMAJORITY
    with pytest.raises(InvalidInput, match="unknown voting method 'borda'"):
        voting_method("borda")
    with pytest.raises(InvalidInput, match="name a voting method"):
        voting_method(None)


def test_a_charter_names_only_chartered_methods() -> None:
    with pytest.raises(PolicyError, match="not a rule"):
        Charter.parse({"deal_vote": {"method": "delegated"}})
    assert (
        Charter.parse({"deal_vote": {"method": "quadratic"}}).deal_vote.method is Method.QUADRATIC
    )


def test_charter_and_ballot_file_share_their_defaults() -> None:
    c = Charter()
    f = ballot_file.parse({"voters": [{"id": "a"}]})
    assert f.quorum_bp == c.deal_vote.quorum_bp and f.credits == c.voice_credits


DOC: dict[str, Any] = {
    "type": "syndic.agreement/v2",
    "agreement": 3,
    "deal": 2,
    "parties": {
        "coalition": {"name": "c", "public_key": "ck"},
        "licensee": {"id": 1, "name": "lab", "public_key": "lk", "monthly_active_users": 0},
    },
    "terms": {"permits": ["search", "ai-train"], "amount_minor": 100, "currency": "EUR"},
    "scope": {"works": 0},
}


def test_the_agreement_document_is_parsed_once_and_kept_as_signed() -> None:
    doc = AgreementDocument.parse(canonical_bytes(DOC))
    assert (doc.agreement, doc.deal, doc.licensee_key) == (3, 2, "lk")
    assert doc.usages() == ("ai-train", "search")
    assert doc.as_json() == DOC
    assert canonical_bytes(doc.as_json()) == canonical_bytes(DOC)


def test_an_unreadable_agreement_document_is_refused() -> None:
    with pytest.raises(VerificationError, match=r"not a syndic\.agreement/v2 document"):
        AgreementDocument.parse(canonical_bytes({**DOC, "type": "other"}))
    with pytest.raises(VerificationError, match="not a readable agreement document"):
        AgreementDocument.parse(b"{")
    keyless = {**DOC, "parties": {**DOC["parties"], "licensee": {"name": "lab"}}}
    with pytest.raises(VerificationError, match="names no licensee key"):
        _ = AgreementDocument.parse(canonical_bytes(keyless)).licensee_key


def test_typed_events_keep_their_payloads() -> None:
    opened = VoteOpened(
        proposal=1,
        proposal_kind="charter",
        topic="charter",
        charter_version=1,
        rule={},
        closes_at="t",
        question={},
    )
    assert opened.payload() == {
        "proposal": 1,
        "kind": "charter",
        "topic": "charter",
        "charter_version": 1,
        "rule": {},
        "closes_at": "t",
        "question": {},
    }
    secret = VoteCast(proposal=1, member=2, ballot_sha256="h", deal=3)
    assert secret.payload() == {"proposal": 1, "member": 2, "ballot_sha256": "h", "deal": 3}
    lic = AgreementSigned(agreement=1, deal=2, party="licensee", document_sha256="d", signature="s")
    assert set(lic.payload()) == {"agreement", "deal", "party", "document_sha256", "signature"}
    delegated = DelegationSet(delegation=1, member=2, delegate=3, topic=None, replaces=None)
    assert delegated.payload()["topic"] is None and "replaces" in delegated.payload()
    assert EVENT_KINDS["offer.countered"] is OfferCountered
