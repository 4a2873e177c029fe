"""A small coalition for tests: members with one work each, a licensee with a key."""

from __future__ import annotations

import base64
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from syndic.app import Syndic
from syndic.config import Settings
from syndic.keys import public_b64
from syndic.members.importer import import_arxiv
from syndic.members.service import NewWork
from syndic.provenance.models import LogEntry
from syndic.terms.models import Terms, Usage
from syndic.testing import ManualClock
from tests.conftest import MakeSyndic

FEE = 1_000_00
LAB_KEY = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(b"\x08" * 32)


@dataclass
class World:
    s: Syndic
    clock: ManualClock
    members: list[int]
    works: list[int]
    lab: int

    def events(self) -> int:
        with self.s.db.read() as sess:
            return int(sess.scalar(select(func.count(LogEntry.idx))) or 0)

    def kinds(self) -> list[str]:
        with self.s.db.read() as sess:
            return list(sess.scalars(select(LogEntry.kind).order_by(LogEntry.idx)))

    def payloads(self, kind: str) -> list[dict[str, Any]]:
        import json

        with self.s.db.read() as sess:
            rows = sess.scalars(select(LogEntry.entry).where(LogEntry.kind == kind))
            return [json.loads(r)["payload"] for r in rows]


def world(
    make_syndic: MakeSyndic,
    *,
    n: int = 6,
    charter: dict[str, Any] | None = None,
    mandates: dict[int, dict[str, Any]] | None = None,
    mau: int = 0,
) -> World:
    """``n`` members (mandates by index), one work each, and a licensee ("Lab") with a key."""
    clock = ManualClock()
    s = make_syndic(clock=clock)
    if charter is not None:
        s.governance.found(charter)
    members, works = [], []
    for i in range(n):
        m = s.members.join(
            handle=f"m{i}", name="", payout_account=f"acct:{i}", **(mandates or {}).get(i, {})
        )
        w, _ = s.members.register_work(
            NewWork(f"work {i}".encode(), f"W{i}", "text", "c", [(m.id, 10_000)], {}),
            registered_by=m.id,
        )
        members.append(m.id)
        works.append(w.id)
    lab = s.deals.register_licensee(
        name="Lab",
        contact="lab@example.org",
        public_key=public_b64(LAB_KEY),
        monthly_active_users=mau,
    )
    return World(s, clock, members, works, lab.id)


def terms(amount: int = FEE) -> Terms:
    return Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=amount)


def licensee_offer(w: World, amount: int = FEE) -> int:
    return w.s.deals.offer(licensee_id=w.lab, terms=terms(amount), actor=f"licensee:{w.lab}").id


def countersign(w: World, agreement_id: int, key: Ed25519PrivateKey = LAB_KEY) -> None:
    sig = base64.b64encode(key.sign(w.s.deals.agreement_document(agreement_id))).decode()
    w.s.deals.countersign(agreement_id, sig, licensee_id=w.lab, actor=f"licensee:{w.lab}")


def approved(w: World, amount: int = FEE, *, yes: int | None = None) -> int:
    """A licensee's offer, voted yes by ``yes`` members (all by default) under the charter."""
    deal = licensee_offer(w, amount)
    w.s.deals.open_vote(deal)
    quadratic = w.s.governance.charter().deal_vote.method == "quadratic"
    for m in w.members[: len(w.members) if yes is None else yes]:
        if quadratic:
            w.s.deals.cast_vote(deal, member_id=m, votes={"yes": 1})
        else:
            w.s.deals.cast_vote(deal, member_id=m, choice="yes")
    assert w.s.deals.close_vote(deal, force=True).status == "approved"
    return deal


def active_agreement(w: World, amount: int = FEE) -> int:
    a = w.s.deals.sign(approved(w, amount))
    countersign(w, a.id)
    return a.id


def paid_world(make_syndic: MakeSyndic, n: int = 4) -> World:
    """Members with a work each, an active agreement whose revenue is booked, distributed and
    paid out, and a second offer that is not an agreement (what a report counts)."""
    w = world(make_syndic, n=n)
    agreement = active_agreement(w)
    w.s.payouts.book_revenue(agreement, FEE)
    w.s.distribute(agreement)
    assert w.s.payouts.pay_out() > 0
    licensee_offer(w, FEE * 2)
    return w


def build_pool(data: Path, fixture_jsonl: Path) -> Path:
    """A coalition at ``data`` holding the 240 fixture works (build once, open copies)."""
    s = Syndic.init(Settings(data_dir=data), name="Pool", clock=ManualClock())
    import_arxiv(s.members, fixture_jsonl)
    s.close()
    return data


def open_pool_copy(pool: Path, tmp_path: Path, clock: ManualClock) -> Syndic:
    data = shutil.copytree(pool, tmp_path / "pool")
    return Syndic.from_settings(Settings(data_dir=data), clock=clock)


def signed_pool_agreement(
    s: Syndic, clock: ManualClock, name: str = "Lab", *, publish: bool = True
) -> int:
    """A signed, active agreement for a new licensee ``name`` over the whole pool."""
    terms = Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=100_00)
    if publish:
        s.terms.publish(terms)
    lic = s.deals.register_licensee(
        name=name, contact=f"{name}@example.org", public_key=public_b64(LAB_KEY)
    )
    deal = s.deals.offer(licensee_id=lic.id, terms=terms, actor="licensee")
    s.deals.open_vote(deal.id)
    for m in s.members.list_members()[:8]:
        s.deals.cast_vote(deal.id, member_id=m.id, choice="yes")
    clock.advance(timedelta(hours=72))
    s.deals.close_vote(deal.id)
    a = s.deals.sign(deal.id)
    sig = base64.b64encode(LAB_KEY.sign(s.deals.agreement_document(a.id))).decode()
    s.deals.countersign(a.id, sig, licensee_id=lic.id, actor=f"licensee:{lic.id}")
    return a.id
