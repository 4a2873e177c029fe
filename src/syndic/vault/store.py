"""The filesystem vault: each blob stored once under its SHA-256, written atomically.

Layout: ``<root>/sha256/ab/cd/<hex>``. A write streams into a temporary file under
``<root>/tmp`` while hashing, makes it durable, then renames it into place; an existing blob is
never rewritten (dedupe), so a crash leaves either the old state or the whole new blob.

``put_many`` group-commits a batch: its small blobs go into one pack file (``packs.py``: one
fsync for the batch, renamed after the data is durable, then indexed). Writers call it inside
their database transaction, before the commit, so a crash can leave blobs that no row names
(orphans), temporary files and unindexed packs, never a row whose blob is missing;
``garbage`` finds them and ``remove`` deletes them.
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from syndic.errors import ConfigError, NotFound
from syndic.vault.digest import CHUNK, Digest
from syndic.vault.packs import PackStore

PACKED_MAX = 1 << 20  # a blob up to this size goes into its batch's pack


def _unlink(p: Path) -> int:
    try:
        size = p.stat().st_size
        p.unlink()
    except FileNotFoundError:
        return 0
    return size


@dataclass
class VaultReport:
    """``missing`` and ``corrupted`` make it fail; ``orphans`` (blobs no row names) and ``stray``
    temporary files are left by interrupted writes and are only reported (``vault gc``)."""

    checked: int = 0
    missing: list[Digest] = field(default_factory=list)
    corrupted: list[Digest] = field(default_factory=list)
    orphans: list[Digest] = field(default_factory=list)
    stray: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupted


@dataclass(frozen=True)
class Garbage:
    """What an interrupted write left: blobs nothing names, and temporary files."""

    orphans: list[Digest]
    stray: list[Path]


class FileVault:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._objects = root / "sha256"
        self._tmp = root / "tmp"
        try:
            self._objects.mkdir(parents=True, exist_ok=True)
            self._tmp.mkdir(parents=True, exist_ok=True)
            self._packs = PackStore(root, self._tmp)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot create vault at {root}: {exc}") from exc

    def path(self, digest: Digest) -> Path:
        return self._objects / digest.hex[:2] / digest.hex[2:4] / digest.hex

    def __contains__(self, digest: Digest) -> bool:
        return self.path(digest).is_file() or self._packs.locate(digest) is not None

    def put(self, stream: BinaryIO) -> Digest:
        """Store a stream; returns its digest. Storing the same content twice is a no-op."""
        h = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            digest = Digest(h.hexdigest())
            target = self.path(digest)
            if target.exists():
                tmp.unlink()
                return digest
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            return digest
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def put_bytes(self, data: bytes) -> Digest:
        return self.put(io.BytesIO(data))

    def put_many(self, blobs: Sequence[tuple[Digest, bytes]]) -> int:
        """Store a batch whose digests the caller computed; returns how many were new. Small
        blobs go into one pack (one file, one fsync, then indexed); a large one is a file of
        its own, as ``put`` writes it."""
        todo: dict[Digest, bytes] = {}
        objects = str(self._objects)
        for digest, data in blobs:
            h = digest.hex
            if digest not in todo and not os.path.exists(f"{objects}/{h[:2]}/{h[2:4]}/{h}"):
                todo[digest] = data
        for digest in self._packs.present(list(todo)):
            del todo[digest]
        small = [(d, b) for d, b in todo.items() if len(b) <= PACKED_MAX]
        for _, data in ((d, b) for d, b in todo.items() if len(b) > PACKED_MAX):
            self.put_bytes(data)
        if small:
            self._packs.write(small)
        return len(todo)

    def garbage(self, referenced: set[Digest], *, older_than: float = 0.0) -> Garbage:
        """Blobs not in ``referenced``, temporary files and packs nothing names, last changed
        more than ``older_than`` seconds ago (a write under way is younger)."""
        cutoff = time.time() - older_than

        def old(p: Path) -> bool:
            try:
                return p.stat().st_mtime <= cutoff
            except FileNotFoundError:
                return False

        orphans = []
        for d in self:
            if d in referenced:
                continue
            found = self._packs.locate(d)
            if old(self.path(d) if found is None else found[0]):
                orphans.append(d)
        stray = [p for p in [*self._tmp.iterdir(), *self._packs.stray()] if old(p)]
        return Garbage(orphans, sorted(stray))

    def remove(self, garbage: Garbage) -> int:
        """Delete what ``garbage`` names (packs are rewritten without the orphans in them);
        returns the bytes freed."""
        freed = 0
        packed = []
        for d in garbage.orphans:
            if self.path(d).is_file():
                freed += _unlink(self.path(d))
            else:
                packed.append(d)
        for p in garbage.stray:
            freed += _unlink(p)
        if packed:
            freed += self._packs.compact(self._packs.forget(packed))
        return freed

    def open(self, digest: Digest) -> BinaryIO:
        try:
            return self.path(digest).open("rb")
        except FileNotFoundError as exc:
            packed = self._packs.read(digest)
            if packed is None:
                raise NotFound(f"blob {digest} is not in the vault") from exc
            return io.BytesIO(packed)

    def locate(self, digest: Digest) -> tuple[Path, int, int] | None:
        """Where a blob's bytes are: (file, offset, length), or None when it is absent."""
        loose = self.path(digest)
        if loose.is_file():
            return loose, 0, loose.stat().st_size
        return self._packs.locate(digest)

    def discard(self, digests: Sequence[Digest]) -> None:
        """Drop blobs, packed or not (for ``vault gc`` and for tests that lose one)."""
        self.remove(Garbage(list(digests), []))

    def read_bytes(self, digest: Digest) -> bytes:
        with self.open(digest) as fh:
            return fh.read()

    def __iter__(self) -> Iterator[Digest]:
        loose = {Digest(p.name) for p in self._objects.glob("*/*/*") if p.is_file()}
        yield from sorted(loose | set(self._packs))

    def verify(self, expected: Iterable[Digest] | None = None) -> VaultReport:
        """Rehash blobs. With ``expected`` (e.g. every digest the database names), also report
        the ones that are missing and the blobs and temporary files nothing names (orphans,
        stray); without it, check every blob present."""
        report = VaultReport()
        if expected is not None:
            wanted = set(expected)
            expected = sorted(wanted)
            found = self.garbage(wanted)
            report.orphans, report.stray = found.orphans, found.stray
        for digest in expected if expected is not None else self:
            report.checked += 1
            try:
                with self.open(digest) as fh:
                    actual = Digest.of_stream(fh)
            except NotFound:
                report.missing.append(digest)
                continue
            if actual != digest:
                report.corrupted.append(digest)
        return report
