"""The filesystem vault: content addressing, dedupe, atomic writes, verification."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from syndic.errors import NotFound
from syndic.vault import Digest, FileVault


def test_put_dedupes_and_reads_back(tmp_path: Path) -> None:
    v = FileVault(tmp_path)
    d1 = v.put(io.BytesIO(b"hello" * 100_000))
    d2 = v.put_bytes(b"hello" * 100_000)
    assert d1 == d2 == Digest.of_bytes(b"hello" * 100_000)
    assert list(v) == [d1]
    assert v.read_bytes(d1) == b"hello" * 100_000
    assert not list((tmp_path / "tmp").iterdir()), "no temp files left behind"


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    class Boom(io.RawIOBase):
        def readinto(self, b: bytearray) -> int:  # type: ignore[override]
            raise OSError("disk on fire")

    v = FileVault(tmp_path)
    with pytest.raises(OSError, match="disk on fire"):
        v.put(Boom())  # type: ignore[arg-type]
    assert list(v) == []
    assert not list((tmp_path / "tmp").iterdir())


def test_verify_names_missing_and_corrupted_blobs(tmp_path: Path) -> None:
    v = FileVault(tmp_path)
    good, bad, gone = (v.put_bytes(x) for x in (b"a", b"b", b"c"))
    v.path(bad).write_bytes(b"tampered")
    v.path(gone).unlink()
    rep = v.verify([good, bad, gone])
    assert rep.checked == 3
    assert rep.corrupted == [bad]
    assert rep.missing == [gone]
    assert not rep.ok
    with pytest.raises(NotFound):
        v.open(gone)


def test_packed_blobs_read_back_and_collection_keeps_the_live_ones(tmp_path: Path) -> None:
    v = FileVault(tmp_path)
    blobs = [(Digest.of_bytes(x), x) for x in (b"alpha", b"beta", b"gamma")]
    assert v.put_many(blobs) == 3
    assert v.put_many(blobs) == 0  # dedupe across packs
    assert [v.read_bytes(d) for d, _ in blobs] == [b"alpha", b"beta", b"gamma"]
    garbage = v.garbage({blobs[1][0]})
    assert sorted(garbage.orphans) == sorted([blobs[0][0], blobs[2][0]])
    v.remove(garbage)
    assert list(v) == [blobs[1][0]]
    assert v.read_bytes(blobs[1][0]) == b"beta"
    assert len(list((tmp_path / "packs").glob("*.pack"))) == 1
    assert v.verify([blobs[1][0]]).ok
