"""A database held by another writer past the lock timeout is a 503 with ``Retry-After``,
never a 500, and nothing is written; once the writer lets go the same request succeeds."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from syndic.api.app import create_app
from syndic.app import Syndic
from syndic.auth.models import Role
from syndic.config import Settings
from syndic.errors import DatabaseBusy

Holder = Callable[[], AbstractContextManager[None]]


@contextmanager
def _sqlite_writer(path: Path) -> Iterator[None]:
    """Another process's writer: holds SQLite's write lock (``BEGIN IMMEDIATE``)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


@contextmanager
def _pg_writer(url: str) -> Iterator[None]:
    """Another writer on PostgreSQL: holds the members table locked."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("LOCK TABLE members IN ACCESS EXCLUSIVE MODE")
        yield
        conn.rollback()


@pytest.fixture
def held(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Syndic, Holder]]:
    url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    settings = Settings(data_dir=tmp_path / "d", database_url=url, db_lock_timeout_s=0.3)
    s = Syndic.init(settings, name="Busy")

    def hold() -> AbstractContextManager[None]:
        return _pg_writer(url) if url else _sqlite_writer(settings.sqlite_path)

    yield s, hold
    s.close()


def test_a_busy_database_is_503_with_retry_after(held: tuple[Syndic, Holder]) -> None:
    s, hold = held
    key = s.keys.create(role=Role.STEWARD, subject_id=None)
    join = {"handle": "ada", "payout_account": "acct:ada"}
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(s)) as http:
        before = http.get("/v1/members", headers=headers).json()
        with hold():
            r = http.post("/v1/members", json=join, headers=headers)
        assert r.status_code == 503, r.text
        assert r.headers["Retry-After"] == str(DatabaseBusy.retry_after_s)
        assert r.json()["error"]["code"] == "database_busy"
        assert http.get("/v1/members", headers=headers).json() == before  # nothing written
        again = http.post("/v1/members", json=join, headers=headers)
        assert again.status_code == 201, again.text
