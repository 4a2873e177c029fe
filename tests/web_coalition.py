"""A small, whole coalition for the browser tests and the screenshots of docs/web.md: the
arXiv fixture's members and works, a quadratic charter, published terms, a valuation run,
one agreement signed and paid, and a second deal open for the members' vote."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from syndic.app import Syndic
from syndic.config import Settings
from syndic.members.importer import import_arxiv
from syndic.terms.models import PaymentType, Terms, Usage
from syndic.testing import ManualClock
from syndic.valuation.params import RunParams
from tests.coalition import LAB_KEY

FEE = 12_000_00
CHARTER = {
    "deal_vote": {"method": "quadratic", "delegation": True, "quorum_bp": 5000, "hours": 72},
    "voice_credits": 100,
    "payout_policy": "valuation-weighted",
    "payout_floor_bp": 2000,
}


@dataclass(frozen=True)
class WebCoalition:
    data_dir: Path
    member: int  # a member with works, a value, a statement and a payout
    other: int
    licensee: int
    agreement: int
    open_deal: int
    open_proposal: int


def _terms(amount: int) -> Terms:
    return Terms(
        permits=frozenset({Usage.AI_TRAIN}),
        payment_type=PaymentType.TRAINING,
        amount_minor=amount,
        currency="EUR",
    )


def build(data_dir: Path, corpus: Path) -> WebCoalition:
    clock = ManualClock()
    s = Syndic.init(Settings(data_dir=data_dir), name="Open Science Coalition", clock=clock)
    try:
        s.governance.found(CHARTER)
        s.terms.publish(_terms(FEE))
        import_arxiv(s.members, corpus)
        run = s.valuation.run(RunParams(group_permutations=10, seed=0))
        lab = s.deals.register_licensee(
            name="Lab",
            contact="lab@example.org",
            public_key=base64.b64encode(LAB_KEY.public_key().public_bytes_raw()).decode(),
        )
        members = [m.id for m in s.members.list_members()]
        deal = s.deals.offer(licensee_id=lab.id, terms=_terms(FEE), actor=f"licensee:{lab.id}")
        s.deals.open_vote(deal.id)
        for m in members:
            s.deals.cast_vote(deal.id, member_id=m, votes={"yes": 1})
        s.deals.close_vote(deal.id, force=True)
        agreement = s.deals.sign(deal.id)
        sig = base64.b64encode(LAB_KEY.sign(s.deals.agreement_document(agreement.id))).decode()
        s.deals.countersign(agreement.id, sig, licensee_id=lab.id, actor=f"licensee:{lab.id}")
        s.payouts.book_revenue(agreement.id, FEE)
        s.distribute(agreement.id, run_id=run.id)
        s.payouts.pay_out()
        second = s.deals.offer(
            licensee_id=lab.id, terms=_terms(FEE * 2), actor=f"licensee:{lab.id}"
        )
        s.deals.open_vote(second.id)
        proposal = max(p.id for p in s.governance.list_proposals(status="open"))
        top = s.valuation.member_values(run.id)[0].member_id
        other = next(m for m in members if m != top)
        s.provenance.checkpoint()  # the public page shows a signed checkpoint
        return WebCoalition(data_dir, top, other, lab.id, agreement.id, second.id, proposal)
    finally:
        s.close()
