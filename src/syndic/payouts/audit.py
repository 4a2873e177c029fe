"""The payouts part's state checks (``syndic audit``): the ledger (every posting as logged,
balanced per posting and per currency), the statements and the payments, each against the
log's replay."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndic.payouts.ledger import LedgerLine, LedgerTxn
from syndic.payouts.models import Payout, Statement
from syndic.payouts.service import basis_sha256
from syndic.provenance.state import Logged, StateCheck, differ

_DISTRIBUTION = re.compile(r"distribution \((?P<policy>[^)]*)\), agreement (?P<agreement>\d+)")


class LedgerCheck(StateCheck):
    """Every ledger transaction is the ``ledger.posted`` entry at its ``log_index`` (memo,
    currency and lines), balances to zero, and no logged posting is missing; the whole
    ledger balances per currency."""

    name = "payouts.ledger"
    kinds = frozenset({"ledger.posted"})
    tables = ("ledger_txns", "ledger_lines")

    def differences(self, session: Session, events: Sequence[Logged]) -> Iterator[str]:
        posted = {e.idx: e.payload for e in events}
        lines: dict[int, list[tuple[str, int]]] = {}
        for txn_id, account, amount in session.execute(
            select(LedgerLine.txn_id, LedgerLine.account, LedgerLine.amount_minor).order_by(
                LedgerLine.id
            )
        ):
            lines.setdefault(int(txn_id), []).append((account, int(amount)))
        seen: set[int] = set()
        for txn in session.scalars(select(LedgerTxn).order_by(LedgerTxn.id)):
            got = lines.pop(txn.id, [])
            if total := sum(a for _, a in got):
                yield f"ledger_txns row {txn.id} does not balance: its lines sum to {total}"
            want = posted.get(int(txn.log_index))
            if want is None or int(txn.log_index) in seen:
                yield (
                    f"ledger_txns row {txn.id}: log entry {txn.log_index} posted no such "
                    "transaction"
                )
                continue
            seen.add(int(txn.log_index))
            yield from _compare_txn(txn, got, want)
        for txn_id in sorted(lines):
            yield f"ledger_lines of transaction {txn_id} belong to no ledger_txns row"
        for idx in sorted(set(posted) - seen):
            yield f"ledger_txns: the posting logged at entry {idx} is missing from the table"
        yield from _per_currency(session)


def _compare_txn(txn: LedgerTxn, got: list[tuple[str, int]], want: dict[str, Any]) -> Iterator[str]:
    if txn.memo != want["memo"]:
        yield differ("ledger_txns", txn.id, "memo", txn.memo, want["memo"])
    elif txn.currency != want["currency"]:
        yield differ("ledger_txns", txn.id, "currency", txn.currency, want["currency"])
    elif sorted(got) != sorted((a, int(m)) for a, m in want["lines"]):
        logged = sorted((a, int(m)) for a, m in want["lines"])
        yield differ("ledger_lines", f"of transaction {txn.id}", "lines", sorted(got), logged)


def _per_currency(session: Session) -> Iterator[str]:
    for currency, total in session.execute(
        select(LedgerTxn.currency, func.sum(LedgerLine.amount_minor))
        .join(LedgerTxn, LedgerTxn.id == LedgerLine.txn_id)
        .group_by(LedgerTxn.currency)
        .order_by(LedgerTxn.currency)
    ):
        if int(total or 0) != 0:
            yield f"the ledger does not balance in {currency}: its lines sum to {int(total)}"


class StatementsCheck(StateCheck):
    """Each statement row (member, agreement, amount, currency, policy and the hash of its
    basis) is the one ``payout.distributed`` logged, in order. A distribution logged before
    that event existed is checked against its ledger posting: member and amount."""

    name = "payouts.statements"
    kinds = frozenset({"payout.distributed", "ledger.posted"})
    tables = ("statements",)

    def differences(self, session: Session, events: Sequence[Logged]) -> Iterator[str]:
        want = _replay_statements(events)
        rows = list(session.scalars(select(Statement).order_by(Statement.id)))
        i = 0
        for row in rows:
            w = want[i] if i < len(want) else None
            if row.amount_minor == 0 and _legacy_zero(row, w, want[i - 1] if i else None):
                continue  # old distributions posted no line for a zero share
            if w is None:
                yield f"statements row {row.id} is in the table but no log entry wrote it"
                return
            i += 1
            got = {
                "agreement": row.agreement_id,
                "member": row.member_id,
                "amount_minor": row.amount_minor,
                "currency": row.currency,
                "policy": row.policy,
                "basis_sha256": basis_sha256(row.basis),
            }
            for key, value in w.items():
                if key != "legacy" and got[key] != value:
                    yield differ("statements", row.id, key, got[key], value)
                    return
        if i < len(want):
            yield f"statements: {len(want) - i} statement(s) the log wrote are missing"


def _legacy_zero(row: Statement, *around: dict[str, Any] | None) -> bool:
    """A zero statement of an older distribution (next to its other statements)."""
    return any(
        w is not None and w.get("legacy") and w["agreement"] == row.agreement_id for w in around
    )


def _replay_statements(events: Sequence[Logged]) -> list[dict[str, Any]]:
    """The statements in the order written; a distribution posting followed by no
    ``payout.distributed`` (an older log) stands for its statements."""
    out: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for e in events:
        p = e.payload
        if e.kind == "ledger.posted":
            out += pending
            pending = _legacy(p)
        else:
            pending = []
            out += [
                {
                    "agreement": int(p["agreement"]),
                    "member": int(s["member"]),
                    "amount_minor": int(s["amount_minor"]),
                    "currency": p["currency"],
                    "policy": p["policy"],
                    "basis_sha256": s["basis_sha256"],
                }
                for s in p["statements"]
            ]
    return out + pending


def _legacy(posting: dict[str, Any]) -> list[dict[str, Any]]:
    m = _DISTRIBUTION.fullmatch(str(posting.get("memo", "")))
    if m is None:
        return []
    return [
        {
            "legacy": True,
            "agreement": int(m["agreement"]),
            "member": int(account.rsplit(":", 1)[1]),
            "amount_minor": -int(amount),
            "currency": posting["currency"],
            "policy": m["policy"],
        }
        for account, amount in sorted(
            posting["lines"],
            key=lambda x: int(x[0].rsplit(":", 1)[1]) if x[0].startswith("payable:member:") else -1,
        )
        if account.startswith("payable:member:")
    ]


class PayoutsCheck(StateCheck):
    """Each payment row (member, amount, currency, payment id, and since payment ids, the
    account paid and the ledger posting) is the one ``payout.sent`` logged, in order."""

    name = "payouts.payments"
    kinds = frozenset({"payout.sent"})
    tables = ("payouts",)

    def differences(self, session: Session, events: Sequence[Logged]) -> Iterator[str]:
        rows = list(session.scalars(select(Payout).order_by(Payout.id)))
        for row, e in zip(rows, events, strict=False):
            p = e.payload
            got = {
                "member": row.member_id,
                "amount_minor": row.amount_minor,
                "currency": row.currency,
                "rail_reference": row.payment_id,
                "account": row.account,
                "ledger_txn": row.ledger_txn_id,
            }
            for key, value in p.items():
                if got.get(key) != value:
                    yield differ("payouts", row.id, key, got.get(key), value)
                    return
        if len(rows) > len(events):
            yield f"payouts row {rows[len(events)].id} is in the table but no log entry sent it"
        elif len(rows) < len(events):
            yield f"payouts: the payment logged at entry {events[len(rows)].idx} is missing"


CHECKS: tuple[StateCheck, ...] = (LedgerCheck(), StatementsCheck(), PayoutsCheck())
