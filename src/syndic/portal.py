"""What a member's pages ask that spans several parts: the dashboard, a vote explained for this
member, and everything held about them. Reads only; the pages change state through the
services' own methods (``MemberPortal`` is composed in ``Syndic`` as ``syndic.portal``,
``LicenseePortal``, for a licensee's pages, as ``syndic.licensee_portal``).

A vote is explained with the same rules that decide it: a work's coverage follows
``deals.coverage`` (scope, disputes, every holder's mandate) and the red lines are
``governance.mandates.red_lines_crossed``; co-holders left out and the number of works covered
are those the members were told when the vote opened. The payout estimate is labelled as one: the
deal's price split evenly over the works it would cover, times this member's share in each.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from syndic.deals.agreement import AgreementDocument
from syndic.deals.service import DealService
from syndic.errors import NotFound, ValuationError
from syndic.governance.mandates import Mandate, Proposed, is_vlop, red_lines_crossed
from syndic.governance.service import GovernanceService
from syndic.governance.views import ProposalView
from syndic.members.models import FULL_SHARE_BP, WorkStatus
from syndic.members.service import MemberService
from syndic.members.views import MemberView, WorkView
from syndic.payouts.service import PayoutService
from syndic.provenance.service import ProvenanceService
from syndic.terms.models import Usage
from syndic.valuation.service import ValuationService
from syndic.valuation.views import MemberValueView
from syndic.vault import Digest, FileVault


@dataclass(frozen=True)
class Dashboard:
    member: MemberView
    works: int
    value: MemberValueView | None
    members_ranked: int
    owed_minor: int
    paid_minor: int
    open_votes: list[ProposalView]


@dataclass(frozen=True)
class WorkInDeal:
    work: WorkView
    covered: bool
    reason: str  # why it is left out ("" when covered)


@dataclass(frozen=True)
class BallotBrief:
    """A proposal explained for one member."""

    proposal: ProposalView
    voted: bool
    quadratic: bool
    credits: int
    deal: dict[str, Any] | None = None  # terms, licensee, scope, for a deal vote
    red_lines: list[str] = field(default_factory=list)  # crossed by this deal
    works: list[WorkInDeal] = field(default_factory=list)
    estimate_minor: int | None = None
    works_covered: int = 0


def _usage_set(tokens: list[str]) -> frozenset[Usage]:
    return frozenset(Usage(t) for t in tokens)


class MemberPortal:
    def __init__(
        self,
        *,
        members: MemberService,
        governance: GovernanceService,
        deals: DealService,
        payouts: PayoutService,
        valuation: ValuationService,
        provenance: ProvenanceService,
        vault: FileVault,
    ) -> None:
        self.members = members
        self.governance = governance
        self.deals = deals
        self.payouts = payouts
        self.valuation = valuation
        self.provenance = provenance
        self.vault = vault

    # --- the dashboard ---------------------------------------------------------------------
    def value_of(self, member_id: int) -> tuple[MemberValueView | None, int]:
        """The member's value in the newest valuation run (None before any, or when the run
        valued none of their works), and how many members that run ranked."""
        try:
            values = self.valuation.member_values()
        except NotFound:
            return None, 0
        mine = next((v for v in values if v.member_id == member_id), None)
        return mine, len(values)

    def open_votes(self, member_id: int) -> list[ProposalView]:
        """Open proposals this member has not voted on yet."""
        done = self.governance.voted_on(member_id)
        return [
            p.for_members()
            for p in self.governance.list_proposals(status="open")
            if p.id not in done
        ]

    def dashboard(self, member_id: int) -> Dashboard:
        member = self.members.get(member_id)
        value, ranked = self.value_of(member_id)
        return Dashboard(
            member=member,
            works=sum(1 for _ in self.members.iter_works(member_id=member_id)),
            value=value,
            members_ranked=ranked,
            owed_minor=self.payouts.owed_to(member_id),
            paid_minor=sum(p.amount_minor for p in self.payouts.payouts_to(member_id)),
            open_votes=self.open_votes(member_id),
        )

    # --- a vote, explained -----------------------------------------------------------------
    def brief(self, member_id: int, proposal_id: int) -> BallotBrief:
        member = self.members.get(member_id)
        p = self.governance.get(proposal_id).for_members()
        rule = p.frozen_rule()
        quadratic = rule.voting.spends_credits
        voted = proposal_id in self.governance.voted_on(member_id)
        credits = self.governance.credits(member_id) if quadratic else 0
        if p.kind != "deal" or p.subject_id is None:
            return BallotBrief(p, voted, quadratic, credits)
        deal = self.deals.get_deal(p.subject_id)
        licensee = self.deals.get_licensee(deal.licensee_id)
        terms = deal.terms
        proposed = Proposed(
            usages=_usage_set(terms["permits"]),
            amount_minor=int(terms["amount_minor"]),
            # the threshold frozen with the vote (the charter's, for a vote from before that)
            licensee_is_vlop=is_vlop(
                licensee.monthly_active_users,
                int(
                    p.rule.get("vlop_mau_threshold") or self.governance.charter().vlop_mau_threshold
                ),
            ),
        )
        m = member.mandate
        crossed = red_lines_crossed(
            Mandate(
                tuple(m["prohibited_usages"]), int(m["floor_price_minor"]), bool(m["allow_vlop"])
            ),
            proposed,
        )
        # what members were told when the vote opened (computing it again over a large pool
        # takes seconds); this member's own red lines are checked against their mandate now
        coverage = p.question.get("coverage") or self.deals.coverage(deal.id)
        excluded = {int(e["member"]) for e in coverage["excluded_members"]}
        works = [
            self._work_in_deal(w, deal.scope, member_id, bool(crossed), excluded)
            for w in self.members.iter_works(member_id=member_id)
        ]
        covered_count = int(coverage["works_covered"])
        mine_bp = sum(
            h.share_bp
            for x in works
            if x.covered
            for h in x.work.holders
            if h.member_id == member_id
        )
        estimate = (
            proposed.amount_minor * mine_bp // (covered_count * FULL_SHARE_BP)
            if covered_count
            else 0
        )
        return BallotBrief(
            p,
            voted,
            quadratic,
            credits,
            deal={"id": deal.id, "terms": terms, "scope": deal.scope, "licensee": licensee},
            red_lines=crossed,
            works=works,
            estimate_minor=estimate,
            works_covered=covered_count,
        )

    @staticmethod
    def _work_in_deal(
        w: WorkView, scope: list[str], member_id: int, crossed: bool, excluded: set[int]
    ) -> WorkInDeal:
        co_holders = {h.member_id for h in w.holders} - {member_id}
        if w.status == WorkStatus.WITHDRAWN:
            reason = "you withdrew it from the pool"
        elif scope and w.collection not in scope:
            reason = f"its collection ({w.collection}) is outside the deal's scope"
        elif w.status == WorkStatus.DISPUTED:
            reason = "its rights are disputed, so it is held out until that is resolved"
        elif crossed:
            reason = "the deal crosses your mandate's red lines"
        elif co_holders & excluded:
            reason = "a co-holder's mandate or status leaves it out"
        else:
            return WorkInDeal(w, True, "")
        return WorkInDeal(w, False, reason)

    # --- everything held about a member ------------------------------------------------------
    def export(self, member_id: int, *, now: datetime) -> bytes:
        """A zip: ``member.json`` (profile, mandate, works with receipts, values, statements,
        payouts, delegations, ballots cast) and ``works/<id>-<hex>`` (each work's content)."""
        member = self.members.get(member_id)
        works = list(self.members.iter_works(member_id=member_id))
        receipts = self.provenance.receipts(w.log_index for w in works) if works else iter(())
        try:
            values = [
                v.model_dump(mode="json") for v in self.valuation.work_values(member_id=member_id)
            ]
        except (NotFound, ValuationError):
            values = []
        value, ranked = self.value_of(member_id)
        doc = {
            "exported_at": now.isoformat(),
            "member": member.model_dump(mode="json"),
            "works": [
                {**w.model_dump(mode="json"), "receipt": r.to_dict()}
                for w, r in zip(works, receipts, strict=True)
            ],
            "value": None
            if value is None
            else {**value.model_dump(mode="json"), "members_ranked": ranked},
            "work_values": values,
            "statements": [
                s.model_dump(mode="json") for s in self.payouts.statements(member_id=member_id)
            ],
            "payouts": [p.model_dump(mode="json") for p in self.payouts.payouts_to(member_id)],
            "owed_minor": self.payouts.owed_to(member_id),
            "delegations": [
                d.model_dump(mode="json") for d in self.governance.delegations(member_id=member_id)
            ],
            "ballots_cast_on": sorted(self.governance.voted_on(member_id)),
        }
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("member.json", json.dumps(doc, indent=2, ensure_ascii=False))
            for w in works:
                digest = Digest.parse(w.digest)
                z.writestr(f"works/{w.id}-{digest.hex}", self.vault.read_bytes(digest))
        return buf.getvalue()


# --- the licensee's pages ----------------------------------------------------------------------
@dataclass(frozen=True)
class Catalogue:
    """What the pool holds, as a licensee may see it before any agreement: counts per
    collection and per year, and sample titles only while the terms license some use."""

    works: int
    by_collection: list[tuple[str, int]]
    by_year: list[tuple[str, int]]
    samples: list[str]


@dataclass(frozen=True)
class AgreementAccount:
    agreement_id: int
    status: str
    price_minor: int
    paid_minor: int

    @property
    def owed_minor(self) -> int:
        return max(self.price_minor - self.paid_minor, 0)


SAMPLE_TITLES = 8


def _year(work: WorkView) -> str:
    date = work.meta.get("date")
    if isinstance(date, str) and len(date) >= 4 and date[:4].isdigit():
        return date[:4]
    return str(work.registered_at.year)


class LicenseePortal:
    """Reads for a licensee's pages: the catalogue summary and what they owe and have paid."""

    def __init__(self, *, members: MemberService, deals: DealService, payouts: PayoutService):
        self.members = members
        self.deals = deals
        self.payouts = payouts

    def catalogue(self, *, samples_allowed: bool) -> Catalogue:
        collections: Counter[str] = Counter()
        years: Counter[str] = Counter()
        samples: list[str] = []
        total = 0
        for w in self.members.iter_works():
            if w.status != WorkStatus.ACTIVE:
                continue
            total += 1
            collections[w.collection] += 1
            years[_year(w)] += 1
            if samples_allowed and len(samples) < SAMPLE_TITLES:
                samples.append(w.title)
        return Catalogue(
            works=total,
            by_collection=collections.most_common(),
            by_year=sorted(years.items()),
            samples=samples,
        )

    def accounts(self, licensee_id: int) -> list[AgreementAccount]:
        """Per agreement of ``licensee_id``: its price and what has been booked as paid."""
        out = []
        for a in self.deals.list_agreements(licensee_id=licensee_id):
            price = AgreementDocument.parse(self.deals.agreement_document(a.id)).terms.get(
                "amount_minor"
            )
            out.append(
                AgreementAccount(
                    a.id,
                    a.status,
                    price if isinstance(price, int) else 0,
                    self.payouts.booked(a.id),
                )
            )
        return out
