"""Where the migrations live and which revision is the newest, read without SQLAlchemy or
Alembic: opening a database already at the head, and the report's quick read, need only that."""

from __future__ import annotations

import re
from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"

_REVISION = re.compile(r'^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:"([^"]*)"|None)', re.M)


def head_revision() -> str | None:
    """The newest migration's revision, read from the scripts' ``revision`` and
    ``down_revision`` lines (one chain, one head); None when that is not what they hold."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION.findall(script.read_text()))
        if "revision" not in found or not found["revision"]:
            return None
        revisions.add(found["revision"])
        if found.get("down_revision"):
            parents.add(found["down_revision"])
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None
