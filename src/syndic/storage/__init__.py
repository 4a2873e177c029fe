"""Engine, sessions and migrations. SQLite by default, PostgreSQL by URL.

Import the modules themselves (``syndic.storage.db``, ``.base``, ``.revision``): the package
imports nothing, so reading the newest revision does not load SQLAlchemy."""
