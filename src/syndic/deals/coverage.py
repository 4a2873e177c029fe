"""Which works a deal covers: the works in its scope, minus works held out (a disputed rights
holder) and works of members the deal may not bind (their mandate's red lines, they left, or,
under an opt-in charter, they did not consent).

Computed before the vote (so members are told who is out and why) and again at signing (the
agreement freezes the result).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndic.governance.mandates import Mandate, Proposed, red_lines_crossed
from syndic.members.models import Member, MemberStatus, Work, WorkStatus
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
    s: Session,
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
    for m in s.scalars(select(Member)):
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
    for w in s.scalars(q):
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
