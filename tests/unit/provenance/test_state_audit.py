"""``syndic audit``'s state checks: a coalition with an active agreement, a distribution and
a payout run audits clean; each edit of a table that money, rights or agreements depend on
(made with plain SQL, as an intruder with database access would) is caught, naming the
row; undoing the edit makes the audit clean again. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from syndic.app import Syndic
from syndic.payouts.ledger import LedgerLine, LedgerTxn
from syndic.payouts.models import Statement
from syndic.provenance.state import Logged, StateAudit, StateCheck
from syndic.testing import RecordingRail
from tests.coalition import World, active_agreement, world
from tests.conftest import MakeSyndic


def sql(s: Syndic, query: str, **params: object) -> None:
    with s.db.write() as session:
        session.execute(text(query), params)


def problems(s: Syndic) -> list[str]:
    return s.state_audit.run().problems


@pytest.fixture
def paid(make_syndic: MakeSyndic, backend: str) -> World:
    w = world(make_syndic, n=3)
    w.s.payouts.rail = RecordingRail()
    agreement = active_agreement(w)
    w.s.payouts.book_revenue(agreement, 1_000_01, over_price=True)  # an odd cent, on purpose
    w.s.distribute(agreement)
    w.s.payouts.run()
    return w


def ids(s: Syndic) -> dict[str, int]:
    """The rows the edits touch: the first statement, the distribution posting and two of its
    payable lines."""
    with s.db.read() as session:
        st = session.query(Statement).order_by(Statement.id).first()
        txn = (
            session.query(LedgerTxn)
            .filter(LedgerTxn.memo.startswith("distribution"))
            .order_by(LedgerTxn.id)
            .first()
        )
        assert st is not None and txn is not None
        lines = (
            session.query(LedgerLine)
            .filter(LedgerLine.txn_id == txn.id, LedgerLine.account.startswith("payable:"))
            .order_by(LedgerLine.id)
            .all()
        )
        return {"statement": st.id, "txn": txn.id, "line_a": lines[0].id, "line_b": lines[1].id}


EDITS: list[tuple[str, str, str, str]] = [
    # (what, edit, undo, expected words in the first difference)
    (
        "payout account",
        "UPDATE members SET payout_account = 'attacker' WHERE id = :m",
        "UPDATE members SET payout_account = 'acct:0' WHERE id = :m",
        "members row {m}: payout_account is 'attacker'",
    ),
    (
        "work shares",
        "UPDATE work_shares SET member_id = :m2 WHERE work_id = :w",
        "UPDATE work_shares SET member_id = :m WHERE work_id = :w",
        "works row {w}: shares",
    ),
    (
        "statement amount",
        "UPDATE statements SET amount_minor = amount_minor + 5000 WHERE id = :statement",
        "UPDATE statements SET amount_minor = amount_minor - 5000 WHERE id = :statement",
        "statements row {statement}: amount_minor",
    ),
    (
        "ledger line, balanced",
        "UPDATE ledger_lines SET amount_minor = amount_minor + CASE WHEN id = :line_a "
        "THEN -700 ELSE 700 END WHERE id IN (:line_a, :line_b)",
        "UPDATE ledger_lines SET amount_minor = amount_minor + CASE WHEN id = :line_a "
        "THEN 700 ELSE -700 END WHERE id IN (:line_a, :line_b)",
        "ledger_lines row of transaction {txn}: lines",
    ),
    (
        "ledger line, unbalanced",
        "UPDATE ledger_lines SET amount_minor = amount_minor - 1 WHERE id = :line_a",
        "UPDATE ledger_lines SET amount_minor = amount_minor + 1 WHERE id = :line_a",
        "ledger_txns row {txn} does not balance: its lines sum to -1",
    ),
    (
        "title",
        "UPDATE works SET title = 'Stolen' WHERE id = :w",
        "UPDATE works SET title = 'W0' WHERE id = :w",
        "works row {w}: title is 'Stolen'",
    ),
    (
        "stored agreement document",
        "UPDATE agreements SET document = :doc WHERE id = :a",
        "UPDATE agreements SET document = :orig WHERE id = :a",
        "agreements row {a}: document_sha256",
    ),
    (
        "payment's account",
        "UPDATE payouts SET account = 'attacker' WHERE member_id = :m",
        "UPDATE payouts SET account = 'acct:0' WHERE member_id = :m",
        "payouts row",
    ),
    (
        "deal state",
        "UPDATE deals SET status = 'approved' WHERE id = :d",
        "UPDATE deals SET status = 'active' WHERE id = :d",
        "deals row {d}: status is 'approved'",
    ),
]


def test_clean_then_each_edit_caught_then_clean(paid: World) -> None:
    s = paid.s
    assert problems(s) == []
    report = s.state_audit.run()
    replayed = {
        "members.members",
        "members.works",
        "payouts.ledger",
        "payouts.statements",
        "payouts.payments",
        "deals.agreements",
        "deals.deals",
    }
    assert {c.name for c in report.checks} >= replayed | {"valuation.runs"}
    assert all(c.events > 0 for c in report.checks if c.name in replayed), report.to_dict()
    with s.db.read() as session:
        a, d, doc = session.execute(text("SELECT id, deal_id, document FROM agreements")).one()
    params = {
        "m": paid.members[0],
        "m2": paid.members[1],
        "w": paid.works[0],
        "a": a,
        "d": d,
        "orig": bytes(doc),
        "doc": bytes(doc).replace(b"ai-train", b"ai-trains"),
        **ids(s),
    }
    assert params["doc"] != params["orig"]
    for what, edit, undo, expected in EDITS:
        sql(s, edit, **params)
        found = problems(s)
        assert found, f"{what}: the edit went unnoticed"
        assert any(expected.format(**params) in p for p in found), (what, found)
        sql(s, undo, **params)
        assert problems(s) == [], f"{what}: still differs after undoing: {problems(s)}"


def test_a_logged_row_deleted_or_an_unlogged_row_added_is_caught(paid: World) -> None:
    s = paid.s
    sql(
        s,
        "INSERT INTO ledger_txns (memo, currency, created_at, log_index) "
        "VALUES ('forged', 'EUR', '2026-01-01', 0)",
    )
    assert any("posted no such transaction" in p for p in problems(s))


def test_checks_are_a_registry_with_unique_names(paid: World) -> None:
    class Extra(StateCheck):
        name = "members.members"
        kinds = frozenset({"member.joined"})
        tables = ("members",)

        def differences(self, session: object, events: list[Logged]) -> Callable[[], None]:
            raise AssertionError

    with pytest.raises(TypeError, match="named twice"):
        StateAudit(paid.s.db, [*paid.s.state_audit.checks, Extra()])


def test_entries_logged_before_statements_and_payment_ids_still_audit(
    make_syndic: MakeSyndic,
) -> None:
    """A distribution logged as its posting alone, and a payment logged without its account
    and posting (what older versions wrote), audit clean; an edited statement is caught."""
    from syndic.payouts.events import PayoutSent
    from syndic.payouts.models import Payout

    w = world(make_syndic, n=2)
    s = w.s
    agreement = active_agreement(w)
    m0, m1 = w.members
    with s.txs.write() as tx:
        s.ledger.post(
            tx.session,
            memo=f"distribution (pro-rata-works), agreement {agreement}",
            currency="EUR",
            lines=[("cash", 300), (f"payable:member:{m0}", -300)],
        )
        for member, amount in ((m0, 300), (m1, 0)):
            tx.session.add(
                Statement(
                    member_id=member,
                    agreement_id=agreement,
                    amount_minor=amount,
                    currency="EUR",
                    policy="pro-rata-works",
                    basis={},
                    created_at=tx.now(),
                )
            )
    with s.txs.write() as tx:
        txn = s.ledger.post(
            tx.session,
            memo=f"payout to member {m0}",
            currency="EUR",
            lines=[(f"payable:member:{m0}", 300), ("cash", -300)],
        )
        tx.session.add(
            Payout(
                member_id=m0,
                account="acct:0",
                amount_minor=300,
                currency="EUR",
                rail_reference="instr-0123456789abcdef",
                payment_id="instr-0123456789abcdef",
                ledger_txn_id=None,
                created_at=tx.now(),
            )
        )
        old = PayoutSent(
            member=m0, amount_minor=300, currency="EUR", rail_reference="instr-0123456789abcdef"
        )
        assert "account" not in old.payload()
        tx.record(old, actor="steward")
    assert txn and problems(s) == []
    sql(s, "UPDATE statements SET amount_minor = 299 WHERE amount_minor = 300")
    assert any("statements row" in p and "amount_minor is 299" in p for p in problems(s))


def test_leaving_rejoining_and_mandate_changes_replay_clean(paid: World) -> None:
    s, m = paid.s, paid.members[0]
    s.members.leave(m)
    s.members.rejoin(m)
    s.members.change_mandate(m, floor_price_minor=5_00, prohibited_usages=["ai-input"])
    assert problems(s) == []
    sql(s, "UPDATE members SET floor_price_minor = 0 WHERE id = :m", m=m)
    assert any(f"members row {m}" in p for p in problems(s))
