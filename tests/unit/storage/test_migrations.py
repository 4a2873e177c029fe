"""The Alembic migrations build exactly the schema the models declare, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import syndic.models  # noqa: F401  (registers every table)
from syndic.storage.base import Base
from syndic.storage.db import Database


def test_migrations_match_models(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    db = Database(url or f"sqlite:///{tmp_path / 'm.db'}")
    try:
        db.migrate()
        db.migrate()  # a second run is a no-op
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        db.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
