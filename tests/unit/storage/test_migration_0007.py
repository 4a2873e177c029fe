"""Migration 0007 gives every payout from before payment ids its old rail reference as its
id (so an upgraded instruction file reconciles), and goes back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from syndic.errors import Conflict
from tests.coalition import world
from tests.conftest import MakeSyndic
from tests.migrations import migrate_to

AT = datetime(2026, 1, 1, 12, tzinfo=UTC).replace(tzinfo=None)


def test_old_payouts_get_their_reference_as_id(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=1)
    s, m = w.s, w.members[0]
    migrate_to(s.db, "0006_crawl_settlements", down=True)
    with s.db._write_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO payouts (member_id, account, amount_minor, currency,"
                " rail_reference, created_at) VALUES (:m, 'acct:0', 500, 'EUR', 'instr-old', :at)"
            ),
            {"m": m, "at": AT},
        )
    migrate_to(s.db, "head", down=False)
    with s.db.read() as session:
        row = session.execute(text("SELECT payment_id, ledger_txn_id FROM payouts")).one()
    assert tuple(row) == ("instr-old", None)
    with pytest.raises(Conflict), s.db.write() as session:  # ids are unique
        session.execute(
            text(
                "INSERT INTO payouts (member_id, account, amount_minor, currency, rail_reference,"
                " created_at, payment_id) VALUES (:m, 'a', 1, 'EUR', 'x', :at, 'instr-old')"
            ),
            {"m": m, "at": AT},
        )
    migrate_to(s.db, "0006_crawl_settlements", down=True)
    migrate_to(s.db, "head", down=False)
