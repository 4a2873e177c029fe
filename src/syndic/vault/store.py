"""The filesystem vault: each blob stored once under its SHA-256, written atomically.

Layout: ``<root>/sha256/ab/cd/<hex>``. A write streams into a temporary file in the same
directory tree while hashing, fsyncs it, then renames it into place; an existing blob is
never rewritten (dedupe), so a crash leaves either the old state or the whole new blob.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from syndic.errors import ConfigError, NotFound
from syndic.vault.digest import CHUNK, Digest


@dataclass
class VaultReport:
    checked: int = 0
    missing: list[Digest] = field(default_factory=list)
    corrupted: list[Digest] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupted


class FileVault:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._objects = root / "sha256"
        self._tmp = root / "tmp"
        try:
            self._objects.mkdir(parents=True, exist_ok=True)
            self._tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create vault at {root}: {exc.strerror}") from exc

    def path(self, digest: Digest) -> Path:
        return self._objects / digest.hex[:2] / digest.hex[2:4] / digest.hex

    def __contains__(self, digest: Digest) -> bool:
        return self.path(digest).is_file()

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

    def open(self, digest: Digest) -> BinaryIO:
        try:
            return self.path(digest).open("rb")
        except FileNotFoundError as exc:
            raise NotFound(f"blob {digest} is not in the vault") from exc

    def read_bytes(self, digest: Digest) -> bytes:
        with self.open(digest) as fh:
            return fh.read()

    def __iter__(self) -> Iterator[Digest]:
        for p in sorted(self._objects.glob("*/*/*")):
            if p.is_file():
                yield Digest(p.name)

    def verify(self, expected: Iterable[Digest] | None = None) -> VaultReport:
        """Rehash blobs. With ``expected`` (e.g. every digest the database names), also report
        the ones that are missing; without it, check every blob present."""
        report = VaultReport()
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
