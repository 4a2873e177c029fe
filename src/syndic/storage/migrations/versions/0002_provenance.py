"""provenance: stored subtree hashes, signed checkpoints, the frontier on the head row

Revision ID: 0002_provenance
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_provenance"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "log_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", _BIG, autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "log_checkpoints",
        sa.Column("size", _BIG, autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("size"),
    )
    with op.batch_alter_table("log_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("frontier", sa.LargeBinary(), nullable=True))
    _backfill()


def _backfill() -> None:
    """Hash the leaves a database written before this revision already holds, so appends
    continue from a complete tree; and create the head row so appends never race to insert it."""
    from syndic.provenance.merkle import Frontier, leaf_hash

    conn = op.get_bind()
    entries = sa.table("log_entries", sa.column("idx"), sa.column("entry"))
    nodes = sa.table("log_nodes", sa.column("level"), sa.column("idx"), sa.column("hash"))
    head = sa.table("log_head", sa.column("id"), sa.column("size"), sa.column("frontier"))
    frontier = Frontier()
    batch: list[dict[str, object]] = []
    for idx, entry in conn.execute(sa.select(entries.c.idx, entries.c.entry).order_by("idx")):
        if idx != frontier.size:
            raise RuntimeError(f"log_entries has a gap at index {frontier.size}")
        for level, i, h in frontier.append(leaf_hash(bytes(entry))):
            batch.append({"level": level, "idx": i, "hash": h})
        if len(batch) >= 10_000:
            conn.execute(nodes.insert(), batch)
            batch = []
    if batch:
        conn.execute(nodes.insert(), batch)
    packed = b"".join(frontier.hashes)
    if conn.execute(sa.select(head.c.id).where(head.c.id == 1)).first() is None:
        conn.execute(head.insert().values(id=1, size=frontier.size, frontier=packed))
    else:
        conn.execute(
            head.update().where(head.c.id == 1).values(size=frontier.size, frontier=packed)
        )


def downgrade() -> None:
    with op.batch_alter_table("log_head", schema=None) as batch_op:
        batch_op.drop_column("frontier")
    op.drop_table("log_checkpoints")
    op.drop_table("log_nodes")
