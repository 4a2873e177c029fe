"""Many rows into one table with one ``executemany``, without the per-row work of the ORM.

SQLAlchemy's bulk insert builds and processes parameters row by row in Python; for the
importer's and the log's batches that costs several times the database's own work. Here the
column types' own bind processors (the same conversions SQLAlchemy applies: UTC datetimes,
JSON, booleans) run in one tight loop, and the driver gets one parameterised statement
(SQLite) or one ``COPY`` stream (PostgreSQL), inside the session's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.orm import Session

K = TypeVar("K")
IN_KEYS = 500  # keys per ``IN (...)``: well under every driver's limit on parameters


def in_chunks(keys: Sequence[K], size: int = IN_KEYS) -> Iterator[Sequence[K]]:
    """``keys`` a slice of ``size`` at a time: what one ``column.in_(...)`` query takes."""
    for i in range(0, len(keys), size):
        yield keys[i : i + size]


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, every column without a default given)."""
    if rows:
        insert_columns(session, table, {n: [r[n] for r in rows] for n in rows[0]})


def insert_columns(session: Session, table: Table, columns: Mapping[str, Sequence[Any]]) -> None:
    """Insert rows given column by column (each list as long as the others): what a bulk
    writer that builds its rows in columns passes without making a dict per row."""
    if not columns or not next(iter(columns.values())):
        return
    conn = session.connection()
    dialect = conn.dialect
    names = list(columns)
    prep = dialect.identifier_preparer
    converted = [
        _convert(columns[n], table.c[n].type._cached_bind_processor(dialect)) for n in names
    ]
    params = list(zip(*converted, strict=True))
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


def _convert(values: Sequence[Any], proc: Callable[[Any], Any] | None) -> Sequence[Any]:
    """One column's values, converted by the column type's bind processor (the conversion
    SQLAlchemy applies), column by column: no generator per row. When the first and last
    values are one object (a batch's one timestamp), a value that is the same object as the
    one before is converted once."""
    if proc is None:
        return values
    if values[0] is not values[-1]:
        return list(map(proc, values))
    out: list[Any] = []
    last: Any = _NOTHING
    done: Any = None
    for v in values:
        if v is not last:
            last, done = v, proc(v)
        out.append(done)
    return out


_NOTHING = object()
