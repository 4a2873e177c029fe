"""The database: one engine per role, a single writer, and Alembic migrations.

SQLite runs in WAL mode with one writer: every write opens ``BEGIN IMMEDIATE`` so two writers
never deadlock on a lock upgrade, and a process-local lock keeps this process's writers in line.
PostgreSQL uses ordinary transactions; rows that serialise appends are locked ``FOR UPDATE``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from syndic.errors import ConfigError, Conflict, DatabaseBusy, DatabaseError, SyndicError
from syndic.storage.revision import MIGRATIONS, head_revision

LOCK_TIMEOUT_S = 30.0
"""How long a write waits for another writer's lock before it gives up (``DatabaseBusy``)."""
_BUSY_SQLSTATES = frozenset({"55P03", "40001", "40P01"})
"""PostgreSQL: lock_not_available (lock_timeout), serialization_failure, deadlock_detected."""


def _sqlite_engine(url: str, begin: str, lock_timeout_s: float) -> Engine:
    engine = create_engine(url, connect_args={"timeout": lock_timeout_s})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(lock_timeout_s * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """Sessions for reading and for writing; ``write()`` is one transaction, all or nothing."""

    def __init__(self, url: str, *, lock_timeout_s: float = LOCK_TIMEOUT_S) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, "BEGIN", lock_timeout_s)
            self._write_engine = _sqlite_engine(url, "BEGIN IMMEDIATE", lock_timeout_s)
        else:
            # A lock held past the timeout fails the statement (55P03) instead of waiting on.
            options = f"-c lock_timeout={int(lock_timeout_s * 1000)}"
            self.engine = create_engine(url, pool_pre_ping=True, connect_args={"options": options})
            self._write_engine = self.engine
        self._write_lock = threading.RLock()

    @contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
        except SQLAlchemyError as exc:
            raise _database_error(exc) from exc

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block exits, rolled back if it raises.

        A unique constraint that refuses a row (another writer got there first, on
        PostgreSQL) is a ``Conflict``, never a raw database error."""
        try:
            with (
                self._write_lock,
                Session(self._write_engine, expire_on_commit=False) as session,
                session.begin(),
            ):
                yield session
        except IntegrityError as exc:
            table = _unique_violation(exc)
            if table is None:
                raise _database_error(exc) from exc
            raise Conflict(
                f"a change to {table} made at the same time got there first; nothing was "
                "written: reload and try again"
            ) from exc
        except SQLAlchemyError as exc:
            raise _database_error(exc) from exc

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision. A database already there (every
        command but the first) is checked with one query, without loading Alembic."""
        if self._at_head():
            return
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        try:
            with self._write_engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise ConfigError(f"cannot open database: {_first_line(exc)}") from exc
        except SQLAlchemyError as exc:
            raise ConfigError(f"database migration failed: {_first_line(exc)}") from exc

    def _at_head(self) -> bool:
        head = head_revision()
        if head is None:
            return False
        try:
            with self.engine.connect() as conn:
                found = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        except SQLAlchemyError:
            return False  # no schema yet (or no database): Alembic says what is wrong
        return [tuple(r) for r in found] == [(head,)]

    def dispose(self) -> None:
        self.engine.dispose()
        if self._write_engine is not self.engine:
            self._write_engine.dispose()


def _first_line(exc: SQLAlchemyError) -> str:
    """The driver's own message, first line only (no SQL, no links)."""
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).splitlines()
    return lines[0] if lines else type(exc).__name__


def _database_error(exc: SQLAlchemyError) -> SyndicError:
    """Our error for a database failure. One of ours raised while binding a value (a column
    type refusing it) is given back as it was; anything else is nobody's input."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, SyndicError):
        return orig
    if _busy(exc):
        return DatabaseBusy(
            "the database is busy with another writer; nothing was written: try again shortly"
        )
    return DatabaseError(f"database: {_first_line(exc)}")


def _busy(exc: SQLAlchemyError) -> bool:
    """Did the statement fail only because another writer held a lock past the timeout?"""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    text = str(orig)
    return isinstance(exc, OperationalError) and (
        "database is locked" in text or "database is busy" in text
    )


def _unique_violation(exc: IntegrityError) -> str | None:
    """The table a unique-constraint violation is on (None for other integrity errors)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return str(getattr(getattr(orig, "diag", None), "table_name", None) or "the database")
    message = str(orig)
    if message.startswith("UNIQUE constraint failed"):  # SQLite: "...: table.column, ..."
        return message.partition(": ")[2].split(".", 1)[0] or "the database"
    return None
