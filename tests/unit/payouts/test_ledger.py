"""The double-entry ledger refuses unbalanced postings and bad amounts, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from syndic.errors import NotFound
from tests.conftest import MakeSyndic


def test_ledger_refuses_unbalanced_and_bad_amounts(make_syndic: MakeSyndic, backend: str) -> None:
    from syndic.errors import AmountError

    syndic = make_syndic()
    with syndic.db.write() as sess:
        syndic.ledger.post(sess, memo="ok", lines=[("cash", 5), ("revenue:x", -5)], currency="EUR")
    for lines in ([("cash", 5), ("revenue:x", -4)], [("cash", 10**16), ("revenue:x", -(10**16))]):
        with pytest.raises(AmountError), syndic.db.write() as sess:
            syndic.ledger.post(sess, memo="bad", lines=lines, currency="EUR")
    with pytest.raises(NotFound):
        syndic.payouts.book_revenue(42, 100)
    with pytest.raises(AmountError):
        syndic.payouts.book_revenue(42, -100)
    with syndic.db.read() as sess:
        assert syndic.ledger.balance(sess, "cash") == 5
