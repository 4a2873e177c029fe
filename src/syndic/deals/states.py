"""The deal state machine: which action may move a deal from which state, and to where.

    draft -> offered -> countered (any number of rounds) -> accepted -> voting
          -> approved | rejected;  approved -> signed (coalition) -> active (licensee too)
          -> expired | terminated.   An offer left unanswered past its deadline lapses, and
          so does a signed deal the licensee did not countersign before the agreement's end.

A licensee's own offer needs no separate acceptance by the licensee: it can go to the vote
as it stands. Every move not in ``MOVES`` is refused, naming the state the deal is in.
"""

from __future__ import annotations

from enum import StrEnum

from syndic.errors import Conflict


class DealStatus(StrEnum):
    DRAFT = "draft"
    OFFERED = "offered"
    COUNTERED = "countered"
    ACCEPTED = "accepted"
    VOTING = "voting"
    APPROVED = "approved"
    REJECTED = "rejected"
    SIGNED = "signed"  # by the coalition; waiting for the licensee's signature
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    LAPSED = "lapsed"  # the open offer, or the licensee's signature, passed its deadline


class Party(StrEnum):
    LICENSEE = "licensee"
    COALITION = "coalition"

    @property
    def other(self) -> Party:
        return Party.COALITION if self is Party.LICENSEE else Party.LICENSEE


S = DealStatus
NEGOTIATING = frozenset({S.OFFERED, S.COUNTERED})

MOVES: dict[str, dict[DealStatus, DealStatus]] = {
    "send": {S.DRAFT: S.OFFERED},
    "counter": {S.OFFERED: S.COUNTERED, S.COUNTERED: S.COUNTERED},
    "accept": {S.OFFERED: S.ACCEPTED, S.COUNTERED: S.ACCEPTED},
    "open_vote": {S.ACCEPTED: S.VOTING, S.OFFERED: S.VOTING, S.COUNTERED: S.VOTING},
    "approve": {S.VOTING: S.APPROVED},
    "reject": {S.VOTING: S.REJECTED},
    "sign": {S.APPROVED: S.SIGNED},
    "countersign": {S.SIGNED: S.ACTIVE},
    "expire": {S.ACTIVE: S.EXPIRED},
    "terminate": {S.SIGNED: S.TERMINATED, S.ACTIVE: S.TERMINATED},
    "lapse": {S.OFFERED: S.LAPSED, S.COUNTERED: S.LAPSED, S.SIGNED: S.LAPSED},
}

_WHAT = {
    "send": "sent",
    "counter": "countered",
    "accept": "accepted",
    "open_vote": "put to a vote",
    "approve": "approved",
    "reject": "rejected",
    "sign": "signed",
    "countersign": "countersigned",
    "expire": "expired",
    "terminate": "terminated",
    "lapse": "lapsed",
}


def move(deal_id: int, status: str, action: str) -> DealStatus:
    """The state ``action`` leads to from ``status``; ``Conflict`` if it is not allowed."""
    to = MOVES[action].get(DealStatus(status))
    if to is None:
        allowed = ", ".join(sorted(MOVES[action])) or "no state"
        raise Conflict(f"deal {deal_id} is {status}; it can be {_WHAT[action]} only when {allowed}")
    return to
