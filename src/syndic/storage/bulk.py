"""Many rows into one table with one ``executemany``, without the per-row work of the ORM.

SQLAlchemy's bulk insert builds and processes parameters row by row in Python; for the
importer's and the log's batches that costs several times the database's own work. Here the
column types' own bind processors (the same conversions SQLAlchemy applies: UTC datetimes,
JSON, booleans) run in one tight loop, and the driver gets one parameterised statement
(SQLite) or one ``COPY`` stream (PostgreSQL), inside the session's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, every column without a default given)."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    names = list(rows[0])
    procs: list[Callable[[Any], Any] | None] = [
        table.c[n].type._cached_bind_processor(dialect) for n in names
    ]
    prep = dialect.identifier_preparer
    pairs = list(zip(names, procs, strict=True))
    params = [tuple(r[n] if p is None else p(r[n]) for n, p in pairs) for r in rows]
    if dialect.name == "postgresql":
        # COPY: one stream for the batch, several times faster than an executemany
        cols = ", ".join(prep.quote(n) for n in names)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {prep.format_table(table)} ({cols}) FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {prep.format_table(table)} "  # noqa: S608 (identifiers quoted by SQLAlchemy)
        f"({', '.join(prep.quote(n) for n in names)}) VALUES ({', '.join([mark] * len(names))})"
    )
    conn.exec_driver_sql(sql, params)
