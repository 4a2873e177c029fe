"""Engine, sessions and migrations. SQLite by default, PostgreSQL by URL."""

from syndic.storage.base import Base
from syndic.storage.db import Database

__all__ = ["Base", "Database"]
