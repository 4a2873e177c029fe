"""Which works a deal covers, for whom: the one place that answers it.

Before signing, a deal covers the works in its scope, minus works held out (a disputed rights
holder) and works of members the deal may not bind (their mandate's red lines, they left, or,
under an opt-in charter, they did not consent): ``coverage``, computed before the vote (so
members are told who is out and why) and again at signing.

Once signed, the agreement has frozen that set (its ``AgreementWork`` rows), and the
questions are about it: which works it covers (``covered_works``), which members' shares and
how much of each (``covered_shares``, ``shares_by_member``), and whether it covers a member
(``covers_member``, the gate's licence check).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from syndic.deals.models import AgreementWork
from syndic.governance.mandates import Mandate, Proposed, red_lines_crossed
from syndic.members.models import Member, MemberStatus, Share, Work, WorkStatus
from syndic.terms.models import Terms

NOT_CONSENTING = "did not vote for the deal (the charter makes deals opt-in)"


@dataclass
class Coverage:
    works: list[Work] = field(default_factory=list)
    excluded: dict[int, list[str]] = field(default_factory=dict)  # member -> reasons
    in_scope: int = 0
    disputed: int = 0
    held_by_excluded: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "works_in_scope": self.in_scope,
            "works_covered": len(self.works),
            "held_out": {"disputed": self.disputed, "excluded_members": self.held_by_excluded},
            "excluded_members": [
                {"member": m, "reasons": r} for m, r in sorted(self.excluded.items())
            ],
        }


def coverage(
    session: Session,
    *,
    scope: list[str],
    terms: Terms,
    licensee_is_vlop: bool,
    consenting: Collection[int] | None = None,
) -> Coverage:
    """``consenting`` None: collective binding; otherwise only these members' works count."""
    proposed = Proposed(
        usages=frozenset(terms.permits),
        amount_minor=terms.amount_minor,
        licensee_is_vlop=licensee_is_vlop,
    )
    reasons: dict[int, list[str]] = {}
    for m in session.scalars(select(Member)):
        why = []
        if m.status != MemberStatus.ACTIVE:
            why.append("member has left")
        else:
            mandate = Mandate(tuple(m.prohibited_usages), m.floor_price_minor, m.allow_vlop)
            why += red_lines_crossed(mandate, proposed)
            if consenting is not None and m.id not in consenting:
                why.append(NOT_CONSENTING)
        if why:
            reasons[m.id] = why
    q = (
        select(Work)
        .where(Work.status.in_([WorkStatus.ACTIVE, WorkStatus.DISPUTED]))
        .order_by(Work.id)
    )
    if scope:
        q = q.where(Work.collection.in_(scope))
    out = Coverage()
    involved: set[int] = set()
    for w in session.scalars(q):
        out.in_scope += 1
        holders = {sh.member_id for sh in w.shares}
        if w.status == WorkStatus.DISPUTED:
            out.disputed += 1
        elif holders & reasons.keys():
            out.held_by_excluded += 1
            involved |= holders & reasons.keys()
        else:
            out.works.append(w)
    out.excluded = {m: reasons[m] for m in sorted(involved)}
    return out


# --- what a signed agreement covers -------------------------------------------------------
def covered_shares(agreement_id: int) -> Select[int, int, int]:
    """(member, work, share in bp) for every share in every work ``agreement_id`` covers;
    callers join what they weigh a share by (e.g. a valuation run's work values)."""
    return (
        select(Share.member_id, Share.work_id, Share.share_bp)
        .join(AgreementWork, AgreementWork.work_id == Share.work_id)
        .where(AgreementWork.agreement_id == agreement_id)
    )


def shares_by_member(session: Session, agreement_id: int) -> dict[int, int]:
    """Per member: the sum of their shares (bp) over the works the agreement covers."""
    rows = session.execute(
        select(Share.member_id, func.sum(Share.share_bp))
        .join(AgreementWork, AgreementWork.work_id == Share.work_id)
        .where(AgreementWork.agreement_id == agreement_id)
        .group_by(Share.member_id)
    )
    return {int(m): int(w) for m, w in rows}


def covers_member(session: Session, agreement_id: int, member_id: int) -> bool:
    """Whether the agreement covers at least one work ``member_id`` holds a share in."""
    hit = session.scalar(
        select(AgreementWork.id)
        .join(Share, Share.work_id == AgreementWork.work_id)
        .where(AgreementWork.agreement_id == agreement_id, Share.member_id == member_id)
        .limit(1)
    )
    return hit is not None


def covered_works(
    session: Session, agreement_id: int, *, after: int = 0, limit: int = 500
) -> list[tuple[Work, int]]:
    """The next ``limit`` works the agreement covers, each with its place in the agreement
    (pass the last place as ``after`` to read on)."""
    rows = session.execute(
        select(Work, AgreementWork.id)
        .join(AgreementWork, AgreementWork.work_id == Work.id)
        .where(AgreementWork.agreement_id == agreement_id, AgreementWork.id > after)
        .order_by(AgreementWork.id)
        .limit(limit)
    ).all()
    return [(w, int(i)) for w, i in rows]
