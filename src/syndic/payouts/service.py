"""Revenue in, distribution by policy, payouts out, statements that explain each share."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field
from sqlalchemy import func, select

from syndic.canonical import canonical_bytes
from syndic.deals.agreement import AgreementDocument
from syndic.deals.coverage import covered_shares, shares_by_member
from syndic.deals.models import Agreement
from syndic.errors import AmountError, Conflict, NotFound
from syndic.members.models import FULL_SHARE_BP, Member
from syndic.money import check_minor, show
from syndic.payouts import crawl
from syndic.payouts.crawl import CrawlAllocation, CrawlOwed
from syndic.payouts.events import PayoutDistributed, PayoutSent
from syndic.payouts.ledger import CASH, Ledger, LedgerLine, payable_account
from syndic.payouts.models import Payout, Statement
from syndic.payouts.policies import split_exact
from syndic.payouts.rails import Payment, PayoutRail
from syndic.payouts.reconcile import Reconciliation, reconcile
from syndic.payouts.words import statement_in_words
from syndic.provenance.unit import Transactions, Tx
from syndic.valuation.models import WorkValue


@dataclass(frozen=True)
class Allocation:
    """A policy's part for one member, and what that member's statement says about it."""

    amount_minor: int
    basis: Mapping[str, Any] = field(default_factory=dict)


# Or a policy splits the amount itself, exactly: (total minor, covered) -> {member: Allocation}.
# It is called inside the distribution's write transaction with the amount being distributed,
# so what a statement says (e.g. floor and value parts) is computed from that very amount.
Split = Callable[[int, Mapping[int, int]], Mapping[int, Allocation]]


def _checked(
    allocations: Mapping[int, Allocation], total: int, covered: Mapping[int, int], policy: str
) -> dict[int, Allocation]:
    """A split policy pays only covered members, nothing negative, and exactly ``total``."""
    strangers = sorted(set(allocations) - set(covered))
    if strangers:
        raise AmountError(
            f"policy {policy!r} paid member(s) {strangers[:5]} the agreement does not cover"
        )
    amounts = [a.amount_minor for a in allocations.values()]
    if sum(amounts) != total or min(amounts, default=0) < 0:
        raise AmountError(f"policy {policy!r} did not split the amount exactly")
    return dict(allocations)


@dataclass(frozen=True)
class PayoutRun:
    """What one ``payout run`` did: posted ``payments`` worth ``paid_minor``, and handed the
    rail ``delivered`` payments it did not have yet (this run's, or a killed run's)."""

    paid_minor: int
    payments: int
    delivered: int


def revenue_account(agreement_id: int) -> str:
    return f"revenue:agreement:{agreement_id}"


def basis_sha256(basis: Mapping[str, Any]) -> str:
    """What ``payout.distributed`` logs of a statement's basis: its canonical JSON's hash."""
    return hashlib.sha256(canonical_bytes(dict(basis))).hexdigest()


def sha(view: StatementView) -> str:
    return basis_sha256(view.basis)


class StatementView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    member_id: int
    agreement_id: int
    amount_minor: int
    currency: str
    policy: str
    basis: dict[str, Any]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def explanation(self) -> str:
        """The statement in words (``payouts/words.py``)."""
        return statement_in_words(self.amount_minor, self.currency, self.policy, self.basis)


class PayoutView(BaseModel):
    """Money sent to a member: when, how much, through which rail reference."""

    model_config = ConfigDict(from_attributes=True)

    member_id: int
    amount_minor: int
    currency: str
    rail_reference: str
    created_at: datetime


class PayoutService:
    def __init__(
        self, txs: Transactions, *, ledger: Ledger, rail: PayoutRail, currency: str
    ) -> None:
        self.txs = txs
        self.ledger = ledger
        self.rail = rail
        self.currency = currency

    def book_revenue(
        self,
        agreement_id: int,
        amount_minor: int,
        *,
        over_price: bool = False,
        actor: str = "steward",
    ) -> int:
        """Book money received under an agreement. Bringing its revenue above the agreement's
        price is refused unless ``over_price`` says it is meant (a typo costs members)."""
        check_minor(amount_minor, allow_zero=False)
        with self.txs.write() as tx:
            session = tx.session
            agreement = session.get(Agreement, agreement_id)
            if agreement is None:
                raise NotFound(f"no agreement with id {agreement_id}")
            price = AgreementDocument.parse(agreement.document).terms.get("amount_minor")
            booked = self.ledger.credited(session, revenue_account(agreement_id))
            if not over_price and isinstance(price, int) and booked + amount_minor > price:
                cur = self.currency
                raise Conflict(
                    f"booking {show(amount_minor, cur)} would bring agreement {agreement_id}'s "
                    f"revenue to {show(booked + amount_minor, cur)}, above its price of "
                    f"{show(price, cur)}; if that is right, confirm (--yes; API: over_price)"
                )
            return self.ledger.post(
                session,
                memo=f"licence fee, agreement {agreement_id}",
                currency=self.currency,
                actor=actor,
                lines=[(CASH, amount_minor), (revenue_account(agreement_id), -amount_minor)],
            )

    def booked(self, agreement_id: int) -> int:
        """Everything ever booked as received under an agreement (minor units)."""
        with self.txs.read() as session:
            return self.ledger.credited(session, revenue_account(agreement_id))

    def undistributed(self, agreement_id: int) -> int:
        """Revenue booked for an agreement and not yet distributed, in minor units."""
        with self.txs.read() as session:
            return -self.ledger.balance(session, revenue_account(agreement_id))

    def covered_value(self, agreement_id: int, run_id: int) -> dict[int, float]:
        """Per member: the value (in valuation run ``run_id``) of the works the agreement
        covers, each times the member's share of it (the same shares that weigh the works
        covered). Works the run did not value (its test works, or works registered after it)
        count 0; a covered member with no valued work in scope is listed with 0."""
        shares = covered_shares(agreement_id).subquery()
        with self.txs.read() as session:
            rows = session.execute(
                select(shares.c.member_id, shares.c.share_bp, WorkValue.value)
                .outerjoin(
                    WorkValue,
                    (WorkValue.work_id == shares.c.work_id) & (WorkValue.run_id == run_id),
                )
                .order_by(shares.c.member_id, shares.c.work_id)
            ).all()
        out: dict[int, float] = {}
        for member, share_bp, value in rows:
            out[int(member)] = out.get(int(member), 0.0) + (
                0.0 if value is None else float(value) * share_bp / FULL_SHARE_BP
            )
        return out

    def members_of(self, agreement_id: int) -> dict[int, int]:
        """Per member: the sum of their shares (bp) over the works the agreement covers."""
        with self.txs.read() as session:
            return shares_by_member(session, agreement_id)

    def distribute(
        self,
        agreement_id: int,
        covered: Mapping[int, int],
        *,
        policy: str = "pro-rata-works",
        split: Split | None = None,
        actor: str = "steward",
    ) -> list[StatementView]:
        """Move the agreement's undistributed revenue to members' payable accounts: pro rata
        by ``covered`` (share bp per member), or as ``split`` allocates it."""
        with self.txs.write() as tx:
            session = tx.session
            self.ledger.events.log.serialise(session)  # two at once: one distributes it
            if session.get(Agreement, agreement_id) is None:
                raise NotFound(f"no agreement with id {agreement_id}")
            undistributed = -self.ledger.balance(session, revenue_account(agreement_id))
            if undistributed <= 0:
                raise Conflict(f"agreement {agreement_id} has no undistributed revenue")
            if split is None:
                allocations = {
                    m: Allocation(amt) for m, amt in split_exact(undistributed, covered).items()
                }
            else:
                allocations = _checked(
                    split(undistributed, covered), undistributed, covered, policy
                )
            parts = {m: a.amount_minor for m, a in allocations.items()}
            lines = [(revenue_account(agreement_id), undistributed)]
            lines += [(payable_account(m), -amt) for m, amt in sorted(parts.items()) if amt]
            txn = self.ledger.post(
                session,
                memo=f"distribution ({policy}), agreement {agreement_id}",
                currency=self.currency,
                lines=lines,
                actor=actor,
            )
            # a split policy is weighed by what it paid; pro rata by the covered shares
            weights: Mapping[int, int] = parts if split is not None else covered
            total_w = float(sum(weights[m] for m in parts))
            out = []
            now = tx.now()
            for m, a in sorted(allocations.items()):
                basis = {
                    "covered_share_bp": covered.get(m, 0),
                    "weight": weights[m],
                    "weight_fraction": weights[m] / total_w,
                    "pool_minor": undistributed,
                    **a.basis,
                }
                row = Statement(
                    member_id=m,
                    agreement_id=agreement_id,
                    amount_minor=a.amount_minor,
                    currency=self.currency,
                    policy=policy,
                    basis=basis,
                    created_at=now,
                )
                session.add(row)
                out.append(StatementView.model_validate(row))
            event = PayoutDistributed(
                agreement=agreement_id,
                policy=policy,
                currency=self.currency,
                ledger_txn=txn,
                statements=[
                    {"member": v.member_id, "amount_minor": v.amount_minor, "basis_sha256": sha(v)}
                    for v in out
                ],
            )
            tx.record(event, actor=actor)
            return out

    # --- pay-per-crawl money (payouts/crawl.py) ---------------------------------------------
    def crawl_owed(self, *, agent: str | None = None) -> list[CrawlOwed]:
        """Pay-per-crawl charges per crawler and site, and how much of each is settled."""
        with self.txs.read() as session:
            return crawl.owed(session, agent=agent)

    def collect_crawl(
        self, agent: str, amount_minor: int, *, actor: str = "steward"
    ) -> list[CrawlAllocation]:
        """Book money received from a crawler's operator; credit the members whose sites it was
        charged on (paid by the next payout run)."""
        with self.txs.write() as tx:
            session = tx.session
            return crawl.collect(
                session,
                self.ledger,
                agent=agent,
                amount_minor=amount_minor,
                currency=self.currency,
                actor=actor,
            )

    def pay_out(self, *, actor: str = "steward") -> int:
        """Pay every member's payable balance; returns the total posted by this run."""
        return self.run(actor=actor).paid_minor

    def run(self, *, actor: str = "steward") -> PayoutRun:
        """Post a payment for every member's payable balance, then deliver to the rail.

        Each payment's ledger posting, payout row (with its stable payment id) and
        ``payout.sent`` entry commit together; only then is the rail handed every payment the
        database holds, and it skips the ids it already has. A run killed anywhere leaves
        either nothing posted (the transaction rolls back) or postings whose payments the next
        run delivers: each posting is paid exactly once."""
        paid = count = 0
        with self.txs.write() as tx:
            # two runs at once: the second waits here, then reads the balances the first left
            self.ledger.events.log.serialise(tx.session)
            for account, owed in self._owed(tx):
                self._post_payment(tx, account, owed, actor)
                paid, count = paid + owed, count + 1
        delivered = self.deliver()
        return PayoutRun(paid_minor=paid, payments=count, delivered=delivered)

    def _owed(self, tx: Tx) -> list[tuple[str, int]]:
        rows = tx.session.execute(
            select(LedgerLine.account, func.sum(LedgerLine.amount_minor))
            .where(LedgerLine.account.startswith("payable:member:"))
            .group_by(LedgerLine.account)
        ).all()
        return [(a, -int(b)) for a, b in sorted(rows) if -int(b) > 0]

    def _post_payment(self, tx: Tx, account: str, owed: int, actor: str) -> None:
        session = tx.session
        member_id = int(account.rsplit(":", 1)[1])
        member = session.get(Member, member_id)
        if member is None:
            raise NotFound(f"ledger account {account} names no member")
        memo = f"payout to member {member_id}"
        txn = self.ledger.post(
            session,
            memo=memo,
            currency=self.currency,
            actor=actor,
            lines=[(account, owed), (CASH, -owed)],
        )
        payment_id = f"pay-{uuid.uuid4().hex}"
        session.add(
            Payout(
                member_id=member_id,
                account=member.payout_account,
                amount_minor=owed,
                currency=self.currency,
                rail_reference=payment_id,
                payment_id=payment_id,
                ledger_txn_id=txn,
                created_at=tx.now(),
            )
        )
        event = PayoutSent(
            member=member_id,
            amount_minor=owed,
            currency=self.currency,
            rail_reference=payment_id,
            account=member.payout_account,
            ledger_txn=txn,
        )
        tx.record(event, actor=actor)

    def payments(self) -> list[Payment]:
        """Every payment the database holds, in the order they were posted."""
        with self.txs.read() as session:
            rows = session.scalars(select(Payout).order_by(Payout.id))
            return [
                Payment(
                    p.payment_id,
                    p.account,
                    p.amount_minor,
                    p.currency,
                    f"payout to member {p.member_id}",
                )
                for p in rows
            ]

    def deliver(self) -> int:
        """Hand the rail every payment the database holds (it skips those it has); returns
        how many were new to it. What ``run`` does after its commit, and what repairs a run
        killed before it finished delivering."""
        return self.rail.deliver(self.payments())

    def reconcile(self) -> Reconciliation:
        """Compare what the rail holds with the payments and the ledger (payouts/reconcile)."""
        with self.txs.read() as session:
            return reconcile(session, self.rail.held())

    def statements(self, *, member_id: int | None = None) -> list[StatementView]:
        with self.txs.read() as session:
            q = select(Statement).order_by(Statement.id)
            if member_id is not None:
                q = q.where(Statement.member_id == member_id)
            return [StatementView.model_validate(x) for x in session.scalars(q)]

    def payouts_to(self, member_id: int) -> list[PayoutView]:
        """What was paid to ``member_id``, oldest first."""
        with self.txs.read() as session:
            rows = session.scalars(
                select(Payout).where(Payout.member_id == member_id).order_by(Payout.id)
            )
            return [PayoutView.model_validate(p) for p in rows]

    def owed_to(self, member_id: int) -> int:
        """What the coalition owes ``member_id`` and has not paid yet (minor units)."""
        with self.txs.read() as session:
            return -self.ledger.balance(session, payable_account(member_id))
