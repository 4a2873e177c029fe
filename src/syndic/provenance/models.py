"""Tables of the log: leaves, the head row that serialises appends, stored subtree hashes and
signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from syndic.storage.base import Base, BigInt

# A composite primary key never auto-increments, so plain BIGINT is right on every backend.
NodeIndex = BigInteger().with_variant(Integer(), "sqlite")


class LogEntry(Base):
    """A leaf: ``entry`` holds the event's canonical bytes, exactly as hashed."""

    __tablename__ = "log_entries"

    idx: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]


class LogHead(Base):
    """Exactly one row (id=1): the tree size and its frontier. Locked by every append.

    ``frontier`` is the concatenated hashes of the complete subtrees making up the tree
    (largest first), so an append reads one row instead of log2(size) nodes.
    """

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(BigInt, default=0)
    frontier: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, default=None)


class LogNode(Base):
    """The hash of the complete subtree of ``2**level`` leaves starting at ``idx * 2**level``.

    Level 0 holds leaf hashes. Written once, when the subtree completes; never updated.
    """

    __tablename__ = "log_nodes"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012  (SQLAlchemy reads it)

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(NodeIndex, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LogCheckpoint(Base):
    """A signed C2SP checkpoint of the tree at ``size`` (the note text, exactly as signed)."""

    __tablename__ = "log_checkpoints"

    size: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
