"""The members part's state checks (``syndic audit``): members and their mandates (payout
account included), works (digest, title, collection, status) and their holders' shares, and
the near copies found at registration, each against the log's replay."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndic.members.models import (
    Member,
    MemberStatus,
    NearCopy,
    NearCopyState,
    Share,
    Work,
    WorkStatus,
)
from syndic.provenance.state import Logged, StateCheck, differ


def _missing(table: str, logged: set[int], stored: set[int]) -> Iterator[str]:
    for row in sorted(logged - stored):
        yield f"{table} row {row} is in the log but missing from the table"
    for row in sorted(stored - logged):
        yield f"{table} row {row} is in the table but no log entry created it"


class MembersCheck(StateCheck):
    """Each member's handle, status and mandate (red lines, floor price, very-large-platform
    consent, payout account) are those ``member.joined`` logged, as ``member.left``,
    ``member.rejoined`` and ``member.mandate_changed`` changed them."""

    name = "members.members"
    kinds = frozenset({"member.joined", "member.left", "member.rejoined", "member.mandate_changed"})
    tables = ("members",)

    def differences(self, session: Session, events: Sequence[Logged]) -> Iterator[str]:
        want: dict[int, dict[str, Any]] = {}
        for e in events:
            m = int(e.payload["member"])
            if e.kind == "member.joined":
                want[m] = {
                    "handle": e.payload["handle"],
                    "status": MemberStatus.ACTIVE.value,
                    **e.payload["mandate"],
                }
            elif m not in want:
                continue
            elif e.kind == "member.left":
                want[m]["status"] = MemberStatus.LEFT.value
            elif e.kind == "member.rejoined":
                want[m]["status"] = MemberStatus.ACTIVE.value
            elif e.kind == "member.mandate_changed":
                want[m].update(e.payload["after"])
        rows = {m.id: m for m in session.scalars(select(Member).order_by(Member.id))}
        for mid in sorted(set(want) & set(rows)):
            row = rows[mid]
            got = {"handle": row.handle, "status": str(row.status), **row.mandate()}
            for key, value in want[mid].items():
                if got.get(key) != value:
                    yield differ("members", mid, key, got.get(key), value)
                    break
        yield from _missing("members", set(want), set(rows))


class WorksCheck(StateCheck):
    """Each work's digest, title, collection and status, and its holders' shares, are those
    ``work.registered`` logged, as withdrawals, disputes and their resolutions changed them."""

    name = "members.works"
    kinds = frozenset(
        {"work.registered", "work.withdrawn", "work.disputed", "work.dispute_resolved"}
    )
    tables = ("works", "work_shares")

    def differences(self, session: Session, events: Sequence[Logged]) -> Iterator[str]:
        want = _replay_works(events)
        rows = {w.id: w for w in session.scalars(select(Work).order_by(Work.id))}
        shares: dict[int, dict[int, int]] = {}
        for work_id, member_id, bp in session.execute(
            select(Share.work_id, Share.member_id, Share.share_bp).order_by(Share.id)
        ):
            shares.setdefault(int(work_id), {})[int(member_id)] = int(bp)
        for wid in sorted(set(want) & set(rows)):
            w, row = want[wid], rows[wid]
            got = {
                "digest": row.digest,
                "title": row.title,
                "collection": row.collection,
                "status": str(row.status),
                "shares": shares.get(wid, {}),
            }
            for key, value in w.items():
                if got[key] != value:
                    yield differ("works", wid, key, got[key], value)
                    break
        yield from _missing("works", set(want), set(rows))
        for wid in sorted(set(shares) - set(want)):
            yield f"work_shares rows of work {wid} name a work no log entry registered"


def _replay_works(events: Sequence[Logged]) -> dict[int, dict[str, Any]]:
    want: dict[int, dict[str, Any]] = {}
    for e in events:
        p, wid = e.payload, int(e.payload["work"])
        if e.kind == "work.registered":
            want[wid] = {
                "digest": p["digest"],
                "title": p["title"],
                "collection": p["collection"],
                "status": WorkStatus.ACTIVE.value,
                "shares": {int(h["member"]): int(h["share_bp"]) for h in p["holders"]},
            }
        elif wid not in want:
            continue
        elif e.kind == "work.withdrawn":
            want[wid]["status"] = WorkStatus.WITHDRAWN.value
        elif e.kind == "work.disputed":
            want[wid]["status"] = WorkStatus.DISPUTED.value
        else:  # work.dispute_resolved
            want[wid]["status"] = WorkStatus.ACTIVE.value
            want[wid]["shares"] = {int(h["member"]): int(h["share_bp"]) for h in p["holders"]}
    return want


class NearCopiesCheck(StateCheck):
    """Each near copy found at registration is the one its ``work.registered`` entry logged
    (the work it copies, the similarity, own or a dispute candidate), and a candidate reads
    ``disputed`` once a ``work.disputed`` entry names it: the flag cannot be quietly removed,
    added or moved to another work."""

    name = "members.near_copies"
    kinds = frozenset({"work.registered", "work.disputed"})
    tables = ("near_copies",)

    def differences(self, session: Session, events: Sequence[Logged]) -> Iterator[str]:
        want: dict[int, dict[str, Any]] = {}
        for e in events:
            wid = int(e.payload["work"])
            near = e.payload.get("near_copy")
            if e.kind == "work.registered" and near is not None:
                candidate = bool(near["dispute_candidate"])
                want[wid] = {
                    "copy_of": int(near["copy_of"]),
                    "similarity_bp": int(near["similarity_bp"]),
                    "state": (NearCopyState.CANDIDATE if candidate else NearCopyState.OWN).value,
                }
            elif e.kind == "work.disputed" and want.get(wid, {}).get("state") == "candidate":
                want[wid]["state"] = NearCopyState.DISPUTED.value
        rows = {n.work_id: n for n in session.scalars(select(NearCopy).order_by(NearCopy.id))}
        for wid in sorted(set(want) & set(rows)):
            row = rows[wid]
            got = {
                "copy_of": row.copy_of,
                "similarity_bp": round(row.similarity * 10_000),
                "state": str(row.state),
            }
            for key, value in want[wid].items():
                if got[key] != value:
                    yield differ("near_copies", wid, key, got[key], value)
                    break
        yield from _missing("near_copies", set(want), set(rows))


CHECKS: tuple[StateCheck, ...] = (MembersCheck(), WorksCheck(), NearCopiesCheck())
