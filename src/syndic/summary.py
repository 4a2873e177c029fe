"""The report's figures as one SQL statement (``syndic report``, the report pages, the API).

``Syndic.report()`` runs it through its session; ``quick_report`` runs the same text with the
standard library's ``sqlite3``, so that ``syndic report`` can answer without importing
SQLAlchemy, the tables and the services (most of its start-up time). One text, two runners:
the two reports cannot differ.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syndic.storage.revision import head_revision

if TYPE_CHECKING:
    from syndic.config import Settings

# SQL that SQLite and PostgreSQL run alike: substr() rather than LIKE, which ignores case in
# SQLite and not in PostgreSQL (ledger accounts are written in lower case, so both agree).
REPORT_SQL = """
SELECT
  (SELECT name FROM coalition ORDER BY id LIMIT 1) AS coalition,
  (SELECT count(*) FROM members) AS members,
  (SELECT count(*) FROM works) AS works,
  (SELECT count(*) FROM licensees) AS licensees,
  (SELECT count(*) FROM agreements WHERE status = 'active') AS agreements_active,
  (SELECT size FROM log_head WHERE id = 1) AS events,
  (SELECT -coalesce(sum(amount_minor), 0) FROM ledger_lines
    WHERE substr(account, 1, 8) = 'revenue:' AND amount_minor < 0) AS revenue_minor,
  (SELECT coalesce(sum(amount_minor), 0) FROM payouts) AS paid_out_minor
"""
NUMBERS = (
    "members",
    "works",
    "licensees",
    "agreements_active",
    "events",
    "revenue_minor",
    "paid_out_minor",
)
"""The statement's columns after the coalition's name, in order: whole numbers (minor units
for money); PostgreSQL's sums come back as decimals, hence int()."""


def figures(row: Sequence[Any], *, currency: str) -> dict[str, Any]:
    """The report from the statement's one row, and the books' currency (from the settings)."""
    name, *numbers = row
    out: dict[str, Any] = {"coalition": name}
    out.update((k, int(v or 0)) for k, v in zip(NUMBERS, numbers, strict=True))
    out["currency"] = currency
    return out


def quick_report(settings: Settings) -> dict[str, Any] | None:
    """The report read straight from the SQLite file, read-only; None whenever that cannot be
    trusted to say what ``Syndic.report()`` says: PostgreSQL, no coalition or database yet, a
    schema behind the newest migration, any SQLite error. The caller then builds ``Syndic``,
    which migrates, checks and words the error. Unlike ``Syndic``, this does not check the key
    file against the coalition's public key: counts and totals read from the database need no
    key, and nothing is written or signed."""
    path = sqlite_file(settings.effective_database_url)
    head = head_revision()
    if path is None or head is None or not path.is_file() or not settings.key_path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            if conn.execute("SELECT version_num FROM alembic_version").fetchall() != [(head,)]:
                return None
            row = conn.execute(REPORT_SQL).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    if row is None or row[0] is None:
        return None  # no coalition row: let Syndic say so
    return figures(row, currency=settings.currency)


def sqlite_file(url: str) -> Path | None:
    """The file a plain ``sqlite:///PATH`` URL names; None for anything else (another database,
    in-memory, query options, or a %-escape SQLAlchemy would decode)."""
    scheme, sep, path = url.partition(":///")
    if scheme not in ("sqlite", "sqlite+pysqlite") or not sep or not path:
        return None
    if path == ":memory:" or any(c in path for c in "?%"):
        return None
    return Path(path)
