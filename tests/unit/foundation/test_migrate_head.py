"""Opening a database already at the newest revision skips Alembic: the head read from the
migration scripts must be Alembic's own, and a database behind it is still upgraded."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

from syndic.storage.db import Database
from syndic.storage.revision import head_revision
from tests.migrations import alembic_config, migrate_to


def test_head_read_from_the_scripts_is_alembics() -> None:
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_database_behind_the_head_is_upgraded(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    url = f"sqlite:///{tmp_path / 'a.db'}"
    db = Database(url)
    try:
        db.migrate()
        assert db._at_head()
        tables = set(inspect(db.engine).get_table_names())
        migrate_to(db, "-1", down=True)  # one revision behind, whichever the head is
        assert not db._at_head()
        db.migrate()  # Alembic runs the head's migration again
        assert db._at_head()
        assert set(inspect(db.engine).get_table_names()) == tables
    finally:
        db.dispose()
