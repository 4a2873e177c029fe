"""An append-only, double-entry ledger in integer minor units.

Each transaction is a set of lines on named accounts that sums to zero (debits positive,
credits negative). Accounts are strings: ``cash``, ``revenue:agreement:<id>``,
``revenue:crawl``, ``payable:member:<id>``. Rows are never updated or deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from syndic.errors import AmountError, InvalidInput
from syndic.money import check_currency, check_minor
from syndic.payouts.events import LedgerPosted
from syndic.provenance.events import EventRecorder
from syndic.storage.base import Base, BigInt

CASH = "cash"


def payable_account(member_id: int) -> str:
    """What the coalition owes a member; every payout run pays these balances."""
    return f"payable:member:{member_id}"


class LedgerTxn(Base):
    __tablename__ = "ledger_txns"

    id: Mapped[int] = mapped_column(primary_key=True)
    memo: Mapped[str] = mapped_column(String(300))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime]
    log_index: Mapped[int] = mapped_column(BigInt)


class LedgerLine(Base):
    __tablename__ = "ledger_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    txn_id: Mapped[int] = mapped_column(ForeignKey("ledger_txns.id"), index=True)
    account: Mapped[str] = mapped_column(String(120), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInt)


class Ledger:
    def __init__(self, events: EventRecorder) -> None:
        self.events = events

    def post(
        self,
        session: Session,
        *,
        memo: str,
        lines: list[tuple[str, int]],
        currency: str,
        actor: str = "system",
    ) -> int:
        """Append one balanced transaction; returns its id. Runs in the caller's transaction."""
        check_currency(currency)
        if len(lines) < 2:
            raise InvalidInput("a ledger transaction needs at least two lines")
        for account, amount in lines:
            if not account or len(account) > 120:
                raise InvalidInput(f"bad ledger account name {account!r}")
            check_minor(amount, allow_negative=True)
        if sum(a for _, a in lines) != 0:
            raise AmountError(f"ledger transaction {memo!r} does not balance")
        event = LedgerPosted(memo=memo, currency=currency, lines=[[a, m] for a, m in lines])
        idx = self.events.record(session, event, actor=actor)
        txn = LedgerTxn(
            memo=memo, currency=currency, created_at=self.events.clock.now(), log_index=idx
        )
        session.add(txn)
        session.flush()
        session.add_all(LedgerLine(txn_id=txn.id, account=a, amount_minor=m) for a, m in lines)
        return txn.id

    @staticmethod
    def credited(session: Session, account: str) -> int:
        """Everything ever credited to ``account`` (its negative lines), as a positive sum."""
        total = session.scalar(
            select(func.coalesce(func.sum(LedgerLine.amount_minor), 0)).where(
                LedgerLine.account == account, LedgerLine.amount_minor < 0
            )
        )
        return -int(total or 0)

    @staticmethod
    def balance(session: Session, account: str, *, prefix: bool = False) -> int:
        cond = LedgerLine.account.startswith(account) if prefix else LedgerLine.account == account
        return int(
            session.scalar(select(func.coalesce(func.sum(LedgerLine.amount_minor), 0)).where(cond))
            or 0
        )
