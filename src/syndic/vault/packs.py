"""Pack files: a batch of small blobs in one file, found through an index.

Creating a file costs far more than writing a kilobyte (on a busy disk, milliseconds), so a
bulk import that stored each small work as its own file would spend its time there. A batch's
small blobs are written one after another into ``packs/<name>.pack``, made durable with one
fsync, renamed into place, and then named in ``packs.db`` (SQLite, one row per blob: its
pack, offset and length) in one transaction. A crash before that transaction leaves a pack
nothing names (``stray``); after it, blobs no work names yet (orphans). Both are garbage.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from syndic.vault.digest import Digest

_SCHEMA = """
CREATE TABLE IF NOT EXISTS blobs (
    digest TEXT PRIMARY KEY, pack TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blobs_pack ON blobs (pack);
"""
_IN = 500


class PackStore:
    def __init__(self, root: Path, tmp: Path) -> None:
        self.dir = root / "packs"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._tmp = tmp
        self._index = root / "packs.db"
        self._local = threading.local()
        with self._db() as db:
            db.executescript(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (the API serves reads from a pool of threads)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._index, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
        return conn

    def locate(self, digest: Digest) -> tuple[Path, int, int] | None:
        row = (
            self._db()
            .execute("SELECT pack, offset, length FROM blobs WHERE digest = ?", (digest.hex,))
            .fetchone()
        )
        return None if row is None else (self.dir / row[0], int(row[1]), int(row[2]))

    def read(self, digest: Digest) -> bytes | None:
        found = self.locate(digest)
        if found is None:
            return None
        path, offset, length = found
        try:
            with path.open("rb") as fh:
                fh.seek(offset)
                return fh.read(length)
        except FileNotFoundError:
            return None

    def present(self, digests: Sequence[Digest]) -> set[Digest]:
        keys = sorted({d.hex for d in digests})
        found: set[Digest] = set()
        db = self._db()
        for i in range(0, len(keys), _IN):
            chunk = keys[i : i + _IN]
            marks = ",".join("?" * len(chunk))
            q = f"SELECT digest FROM blobs WHERE digest IN ({marks})"  # noqa: S608 (marks only)
            found.update(Digest(r[0]) for r in db.execute(q, chunk))
        return found

    def __iter__(self) -> Iterator[Digest]:
        for (hex_,) in self._db().execute("SELECT digest FROM blobs ORDER BY digest"):
            yield Digest(hex_)

    def write(self, blobs: Sequence[tuple[Digest, bytes]]) -> None:
        """One pack for ``blobs`` (new, distinct): data durable, renamed, then indexed."""
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, suffix=".pack")
        tmp = Path(tmp_name)
        rows: list[tuple[str, str, int, int]] = []
        name = tmp.name
        try:
            with os.fdopen(fd, "wb") as out:
                offset = 0
                for digest, data in blobs:
                    out.write(data)
                    rows.append((digest.hex, name, offset, len(data)))
                    offset += len(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.dir / name)
            _fsync_dir(self.dir)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR REPLACE INTO blobs VALUES (?, ?, ?, ?)", rows)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def forget(self, digests: Sequence[Digest]) -> set[str]:
        """Drop the index rows of ``digests``; returns the packs that held them."""
        db = self._db()
        packs: set[str] = set()
        db.execute("BEGIN IMMEDIATE")
        try:
            for d in digests:
                row = db.execute("SELECT pack FROM blobs WHERE digest = ?", (d.hex,)).fetchone()
                if row is not None:
                    packs.add(row[0])
                    db.execute("DELETE FROM blobs WHERE digest = ?", (d.hex,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return packs

    def stray(self) -> list[Path]:
        """Pack files the index does not name (a write cut off before its index commit)."""
        named = {r[0] for r in self._db().execute("SELECT DISTINCT pack FROM blobs")}
        return sorted(p for p in self.dir.glob("*.pack") if p.name not in named)

    def compact(self, packs: set[str]) -> int:
        """Rewrite each of ``packs`` keeping only the blobs the index still names (a pack
        that keeps none is deleted); returns the bytes freed."""
        db = self._db()
        freed = 0
        for name in sorted(packs):
            pack = self.dir / name
            rows = db.execute(
                "SELECT digest, offset, length FROM blobs WHERE pack = ? ORDER BY offset",
                (name,),
            ).fetchall()
            size = pack.stat().st_size
            with pack.open("rb") as fh:
                blobs = []
                for hex_, offset, length in rows:
                    fh.seek(offset)
                    blobs.append((Digest(hex_), fh.read(length)))
            if blobs:
                self.write(blobs)  # repoints their rows in one commit
            pack.unlink()
            freed += size - sum(len(b) for _, b in blobs)
        return freed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
