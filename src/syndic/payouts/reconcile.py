"""``syndic payout reconcile``: the rail's instructions against the payments and the ledger.

Every difference is named, one per line, by the payment id it concerns:

- ``missing``: a payment the ledger posted that the rail does not hold (a run killed before
  it delivered: ``payout run`` again delivers it);
- ``duplicate``: a payment id the rail holds more than once (it would be paid twice);
- ``wrong_amount``, ``wrong_account``, ``wrong_currency``: the rail's instruction differs
  from the payment the ledger posted;
- ``unknown_id``: an instruction whose id no payment has (nobody posted it);
- ``unreadable``: a line that is not a payment instruction;
- ``ledger_mismatch``: a payment whose ledger posting is absent or says something else, or a
  payout posting that no payment records.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndic.payouts.ledger import CASH, LedgerLine, LedgerTxn, payable_account
from syndic.payouts.models import Payout
from syndic.payouts.rails import RailLine

PAYOUT_MEMO = "payout to member "


@dataclass(frozen=True)
class Difference:
    kind: str
    payment_id: str | None
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "payment_id": self.payment_id,
            "line": self.line,
            "message": self.message,
        }


@dataclass
class Reconciliation:
    payments: int = 0
    rail_lines: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def add(self, kind: str, pid: str | None, message: str, line: int | None = None) -> None:
        self.differences.append(Difference(kind, pid, message, line))

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "payments": self.payments,
            "rail_lines": self.rail_lines,
            "differences": [d.to_dict() for d in self.differences],
        }


def reconcile(session: Session, held: list[RailLine]) -> Reconciliation:
    rep = Reconciliation(rail_lines=len(held))
    payouts = {p.payment_id: p for p in session.scalars(select(Payout).order_by(Payout.id))}
    rep.payments = len(payouts)
    _rail_against_payments(rep, payouts, held)
    _payments_against_ledger(rep, session, payouts)
    return rep


def _rail_against_payments(
    rep: Reconciliation, payouts: dict[str, Payout], held: list[RailLine]
) -> None:
    counts = Counter(r.payment.id for r in held if r.payment is not None)
    seen: set[str] = set()
    for r in held:
        if r.payment is None:
            rep.add("unreadable", None, r.problem or f"line {r.line} is unreadable", r.line)
            continue
        got, pid = r.payment, r.payment.id
        if pid in seen:
            continue
        seen.add(pid)
        if counts[pid] > 1:
            rep.add("duplicate", pid, f"payment {pid} is on the rail {counts[pid]} times", r.line)
        want = payouts.get(pid)
        if want is None:
            rep.add("unknown_id", pid, f"line {r.line}: no payment has id {pid}", r.line)
            continue
        for kind, a, b in (
            ("wrong_amount", got.amount_minor, want.amount_minor),
            ("wrong_account", got.account, want.account),
            ("wrong_currency", got.currency, want.currency),
        ):
            if a != b:
                what = kind.removeprefix("wrong_")
                rep.add(kind, pid, f"payment {pid}: rail says {what} {a!r}, ledger {b!r}", r.line)
    for pid, p in payouts.items():
        if pid not in seen:
            rep.add(
                "missing",
                pid,
                f"payment {pid} ({p.amount_minor} {p.currency} to member {p.member_id}) "
                "is not on the rail",
            )


def _payments_against_ledger(
    rep: Reconciliation, session: Session, payouts: dict[str, Payout]
) -> None:
    linked = {p.ledger_txn_id for p in payouts.values() if p.ledger_txn_id is not None}
    is_payout = LedgerTxn.memo.startswith(PAYOUT_MEMO) | LedgerTxn.id.in_(linked)
    txns = {t.id: t for t in session.scalars(select(LedgerTxn).where(is_payout))}
    lines: dict[int, list[tuple[str, int]]] = {}
    for txn_id, account, amount in session.execute(
        select(LedgerLine.txn_id, LedgerLine.account, LedgerLine.amount_minor).where(
            LedgerLine.txn_id.in_(select(LedgerTxn.id).where(is_payout))
        )
    ):
        lines.setdefault(int(txn_id), []).append((account, int(amount)))
    recorded: set[int] = set()
    for pid, p in payouts.items():
        if p.ledger_txn_id is None:
            continue  # paid before payment ids: its posting was not linked
        recorded.add(p.ledger_txn_id)
        want = sorted([(payable_account(p.member_id), p.amount_minor), (CASH, -p.amount_minor)])
        got = sorted(lines.get(p.ledger_txn_id, []))
        txn = txns.get(p.ledger_txn_id)
        if txn is None or got != want or txn.currency != p.currency:
            rep.add(
                "ledger_mismatch",
                pid,
                f"payment {pid}: ledger posting {p.ledger_txn_id} does not post "
                f"{p.amount_minor} {p.currency} from cash to member {p.member_id}",
            )
    legacy = any(p.ledger_txn_id is None for p in payouts.values())
    for txn_id in sorted(set(txns) - recorded):
        if legacy:
            break  # old payments name no posting: the postings cannot be matched one to one
        rep.add(
            "ledger_mismatch",
            None,
            f"ledger posting {txn_id} ({txns[txn_id].memo}) is recorded by no payment",
        )
