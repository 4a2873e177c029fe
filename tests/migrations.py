"""Moving a test database to a given revision with Alembic's own upgrade and downgrade."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from syndic.storage.db import Database
from syndic.storage.revision import MIGRATIONS


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate_to(db: Database, target: str, *, down: bool) -> None:
    """Upgrade (or, with ``down``, downgrade) ``db`` to ``target``: a revision, or a step such
    as ``"-1"`` (one revision behind, whichever the head is)."""
    cfg = alembic_config()
    with db._write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)
