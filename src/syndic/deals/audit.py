"""The deals part's state checks (``syndic audit``): agreements (the stored document, both
signatures, scope and status) and deals (licensee, state, round, whose offer), each against
the log's replay."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndic.deals.models import Agreement, AgreementStatus, Deal
from syndic.deals.states import DealStatus, Party
from syndic.provenance.state import Logged, StateCheck, differ

_AGREEMENT_KINDS = frozenset(
    {"agreement.signed", "agreement.expired", "agreement.lapsed", "agreement.terminated"}
)
_ENDS = {
    "agreement.expired": (AgreementStatus.EXPIRED, DealStatus.EXPIRED),
    "agreement.lapsed": (AgreementStatus.LAPSED, DealStatus.LAPSED),
    "agreement.terminated": (AgreementStatus.TERMINATED, DealStatus.TERMINATED),
}


def _missing(table: str, logged: set[int], stored: set[int]) -> Iterator[str]:
    for row in sorted(logged - stored):
        yield f"{table} row {row} is in the log but missing from the table"
    for row in sorted(stored - logged):
        yield f"{table} row {row} is in the table but no log entry created it"


def _first(table: str, row: int, got: dict[str, Any], want: dict[str, Any]) -> Iterator[str]:
    for key, value in want.items():
        if got.get(key) != value:
            yield differ(table, row, key, got.get(key), value)
            return


class AgreementsCheck(StateCheck):
    """Each agreement's stored document hashes to what both parties signed, and its
    signatures, scope root, works count, deal and status are those the log says."""

    name = "deals.agreements"
    kinds = _AGREEMENT_KINDS
    tables = ("agreements",)

    def differences(self, session: Session, events: Sequence[Logged]) -> Iterator[str]:
        want: dict[int, dict[str, Any]] = {}
        for e in events:
            p, aid = e.payload, int(e.payload["agreement"])
            if e.kind == "agreement.signed" and p["party"] == Party.COALITION.value:
                want[aid] = {
                    "document_sha256": p["document_sha256"],
                    "coalition_signature": p["signature"],
                    "scope_root": p.get("scope_root"),
                    "works_count": p.get("works"),
                    "deal": int(p["deal"]),
                    "status": AgreementStatus.PENDING.value,
                    "licensee_signature": None,
                }
            elif aid not in want:
                continue
            elif e.kind == "agreement.signed":
                want[aid]["licensee_signature"] = p["signature"]
                want[aid]["status"] = AgreementStatus.ACTIVE.value
                want[aid]["document_sha256"] = p["document_sha256"]
            else:
                want[aid]["status"] = _ENDS[e.kind][0].value
        rows = {a.id: a for a in session.scalars(select(Agreement).order_by(Agreement.id))}
        for aid in sorted(set(want) & set(rows)):
            a = rows[aid]
            got = {
                "document_sha256": hashlib.sha256(bytes(a.document)).hexdigest(),
                "coalition_signature": a.coalition_signature,
                "scope_root": a.scope_root,
                "works_count": a.works_count,
                "deal": a.deal_id,
                "status": str(a.status),
                "licensee_signature": a.licensee_signature,
            }
            yield from _first("agreements", aid, got, want[aid])
        yield from _missing("agreements", set(want), set(rows))


class DealsCheck(StateCheck):
    """Each deal's licensee, state, round and whose offer it carries are those its logged
    offers, votes and signatures lead to (the state machine of ``deals/states.py``)."""

    name = "deals.deals"
    kinds = frozenset(
        {
            "deal.drafted",
            "offer.made",
            "offer.countered",
            "offer.accepted",
            "offer.lapsed",
            "vote.opened",
            "vote.closed",
        }
        | _AGREEMENT_KINDS
    )
    tables = ("deals",)

    def differences(self, session: Session, events: Sequence[Logged]) -> Iterator[str]:
        want = _replay_deals(events)
        rows = {d.id: d for d in session.scalars(select(Deal).order_by(Deal.id))}
        for did in sorted(set(want) & set(rows)):
            d = rows[did]
            got = {
                "licensee": d.licensee_id,
                "status": str(d.status),
                "round": d.round,
                "offer_by": str(d.offer_by),
            }
            expected = {k: v for k, v in want[did].items() if v is not None}
            yield from _first("deals", did, got, expected)
        yield from _missing("deals", set(want), set(rows))


def _replay_deals(events: Sequence[Logged]) -> dict[int, dict[str, Any]]:
    want: dict[int, dict[str, Any]] = {}
    deal_of: dict[int, int] = {}  # agreement -> deal
    for e in events:
        p = e.payload
        if e.kind in _ENDS and e.kind != "agreement.lapsed":
            did = deal_of.get(int(p["agreement"]), -1)
        else:
            did = int(p["deal"]) if p.get("deal") is not None else -1
        if e.kind == "deal.drafted":
            want[did] = {
                "licensee": int(p["licensee"]),
                "status": DealStatus.DRAFT.value,
                "round": 0,
                "offer_by": Party.COALITION.value,
            }
        elif e.kind == "offer.made" and did not in want:
            want[did] = {"licensee": int(p["licensee"])}
        if did not in want:
            continue
        _step(want[did], e.kind, p)
        if e.kind == "agreement.signed":
            deal_of[int(p["agreement"])] = did
    return want


def _step(deal: dict[str, Any], kind: str, p: dict[str, Any]) -> None:
    """One logged event's effect on a deal's replayed state."""
    if kind in ("offer.made", "offer.countered"):
        made = DealStatus.OFFERED if kind == "offer.made" else DealStatus.COUNTERED
        deal.update(status=made.value, round=int(p["round"]), offer_by=p["party"])
    elif kind == "agreement.signed":
        signed = p["party"] == Party.COALITION.value
        deal["status"] = (DealStatus.SIGNED if signed else DealStatus.ACTIVE).value
    elif kind == "vote.closed":
        approved = p["outcome"].get("approved")
        deal["status"] = (
            None
            if approved is None
            else (DealStatus.APPROVED if approved else DealStatus.REJECTED).value
        )
    else:
        status = {
            "offer.accepted": DealStatus.ACCEPTED,
            "offer.lapsed": DealStatus.LAPSED,
            "vote.opened": DealStatus.VOTING,
            **{k: v[1] for k, v in _ENDS.items()},
        }.get(kind)
        if status is not None:
            deal["status"] = status.value


CHECKS: tuple[StateCheck, ...] = (AgreementsCheck(), DealsCheck())
