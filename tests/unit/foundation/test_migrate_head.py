"""Opening a database already at the newest revision skips Alembic: the head read from the
migration scripts must be Alembic's own, and a database behind it is still upgraded."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from syndic.storage.db import MIGRATIONS, Database, head_revision


def test_head_read_from_the_scripts_is_alembics() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(cfg).get_current_head()


def test_a_database_behind_the_head_is_upgraded(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        db.migrate()
        assert db._at_head()
        with db._write_engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0011_work_media'"))
            conn.execute(text("DROP TABLE leverage_runs"))
        assert not db._at_head()
        db.migrate()  # Alembic runs 0012 again: its table is back
        assert db._at_head()
        with db.engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM leverage_runs")).scalar_one()
    finally:
        db.dispose()
