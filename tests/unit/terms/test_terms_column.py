"""``TermsColumn``: terms go into the database as their JSON document and come back as Terms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text

from syndic.errors import AmountError
from syndic.storage.db import Database
from syndic.terms.models import PaymentType, Terms, TermsColumn, Usage

TERMS = Terms(
    permits=frozenset({Usage.SEARCH, Usage.AI_TRAIN}),
    prohibits=frozenset({Usage.AI_INPUT}),
    payment_type=PaymentType.PURCHASE,
    amount_minor=12_00,
)


def _table() -> Table:
    return Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("terms", TermsColumn())
    )


def test_round_trip_stores_the_document(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 't.db'}")
    table = _table()
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, terms=TERMS))
        conn.execute(insert(table).values(id=2, terms=TERMS.document()))  # a dict is validated
        conn.execute(insert(table).values(id=3, terms=None))
    with engine.connect() as conn:
        back = dict(conn.execute(select(table.c.id, table.c.terms)).all())
        raw = conn.execute(text("SELECT terms FROM t WHERE id = 1")).scalar_one()
    engine.dispose()
    assert back == {1: TERMS, 2: TERMS, 3: None}
    assert json.loads(raw) == TERMS.document()
    assert TERMS.document()["permits"] == ["ai-train", "search"]


def test_bad_terms_are_refused_as_ours(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    table = _table()
    table.metadata.create_all(db.engine)
    bad = {"permits": ["ai-train"], "amount_minor": -1}
    try:
        with pytest.raises(AmountError, match="negative"), db.write() as session:
            session.execute(insert(table).values(id=1, terms=bad))
        with db.read() as session:
            assert session.execute(select(table.c.id)).all() == []
    finally:
        db.dispose()
