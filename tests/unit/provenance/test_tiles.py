"""C2SP tlog-tiles: paths, bundles, and an export that reads back as the same tree."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from syndic.errors import InvalidInput, NotFound
from syndic.provenance.merkle import (
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    root_at,
)
from syndic.provenance.tiles import (
    TileHashes,
    TileRef,
    decode_bundle,
    encode_bundle,
    encode_index,
    entries_path,
    export_tiles,
    parse_tile_path,
    read_tile,
    tile_path,
    tiles_for_size,
)


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_index_encoding(n: int, text: str) -> None:
    assert encode_index(n) == text
    assert parse_tile_path(f"tile/3/{text}") == TileRef(3, n, 256)


def test_paths() -> None:
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(1, 2, 17) == "tile/1/002.p/17"
    assert entries_path(5, 112) == "tile/entries/005.p/112"
    assert parse_tile_path("tile/entries/005.p/112") == TileRef(None, 5, 112)
    assert parse_tile_path("tile/63/000").level == 63


@pytest.mark.parametrize(
    "path",
    [
        "tile/00/000",
        "tile/0/1",
        "tile/0/0001",
        "tile/0/x000/123",
        "tile/0/001.p/0",
        "tile/0/001.p/01",
        "tile/0/001.p/256",
        "tile/64/000",
        "tile/-1/000",
        "tile/0/001/",
        "tile/0/../000",
        "tiles/0/000",
    ],
)
def test_bad_paths_are_refused(path: str) -> None:
    with pytest.raises(InvalidInput):
        parse_tile_path(path)


def test_tile_counts_follow_the_spec_example() -> None:
    # c2sp tlog-tiles: size 70,000 -> 273 full + width-112 level 0, 1 full + width-17 level 1,
    # width-1 level 2
    level0 = list(tiles_for_size(70_000, 0))
    assert len(level0) == 274
    assert level0[-1] == (273, 112)
    assert list(tiles_for_size(70_000, 1)) == [(0, 256), (1, 17)]
    assert list(tiles_for_size(70_000, 2)) == [(0, 1)]
    assert list(tiles_for_size(70_000, 3)) == []
    assert list(tiles_for_size(256, 1)) == [(0, 1)]


def test_bundle_round_trip_and_refusals() -> None:
    entries = [b"", b"a", b"x" * 65535]
    data = encode_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x01a"
    assert decode_bundle(data) == entries
    with pytest.raises(InvalidInput, match="65535"):
        encode_bundle([b"x" * 65536])
    with pytest.raises(InvalidInput, match="length prefix"):
        decode_bundle(b"\x00\x01a\x00")
    with pytest.raises(InvalidInput, match="inside an entry"):
        decode_bundle(b"\x00\x05abc")


def test_read_tile_refuses_tiles_the_tree_does_not_have() -> None:
    tree = MemoryTree.of(b"%d" % i for i in range(300))
    assert read_tile(TileRef(0, 1, 44), 300, tree.subtrees, tree.entry_range) == b"".join(
        tree.subtrees(0, 256, 300)
    )
    # a partial tile of an earlier, smaller tree is still part of this one
    bundle = read_tile(TileRef(None, 1, 3), 300, tree.subtrees, tree.entry_range)
    assert decode_bundle(bundle) == [b"256", b"257", b"258"]
    with pytest.raises(NotFound, match="not part of the tree"):
        read_tile(TileRef(0, 1, 45), 300, tree.subtrees, tree.entry_range)
    with pytest.raises(NotFound, match="not part of the tree"):
        read_tile(TileRef(0, 1, 256), 300, tree.subtrees, tree.entry_range)
    with pytest.raises(NotFound):
        read_tile(TileRef(1, 0, 2), 300, tree.subtrees, tree.entry_range)


def test_export_reads_back_as_the_same_tree(tmp_path: Path) -> None:
    size = 70_000  # reaches tile level 2
    tree = MemoryTree.of(b"entry %d" % i for i in range(size))
    n = export_tiles(
        tmp_path,
        size=size,
        checkpoint="fake checkpoint\n",
        hashes=tree.subtrees,
        entries=tree.entry_range,
    )
    assert n == 274 + 2 + 1 + 274 + 1
    assert (tmp_path / "checkpoint").read_text() == "fake checkpoint\n"
    assert (tmp_path / "tile/0/273.p/112").stat().st_size == 112 * 32
    assert (tmp_path / "tile/2/000.p/1").read_bytes() == tree.subtree(16, 0)
    assert (
        decode_bundle((tmp_path / "tile/entries/273.p/112").read_bytes())
        == tree.entries[273 * 256 :]
    )

    mirror = TileHashes(size, lambda rel: (tmp_path / rel).read_bytes())
    assert root_at(size, mirror.subtree) == tree.root()
    rng = random.Random(3)
    for _ in range(20):
        old = rng.randrange(1, size)
        idx = rng.randrange(size)
        assert inclusion_proof(idx, size, mirror.subtree) == tree.inclusion_proof(idx)
        assert consistency_proof(old, size, mirror.subtree) == tree.consistency_proof(old)
    with pytest.raises(NotFound):
        mirror.subtree(0, size)


def test_tile_reader_refuses_a_truncated_tile(tmp_path: Path) -> None:
    tree = MemoryTree.of(b"%d" % i for i in range(10))
    export_tiles(
        tmp_path, size=10, checkpoint="c\n", hashes=tree.subtrees, entries=tree.entry_range
    )
    mirror = TileHashes(10, lambda rel: (tmp_path / rel).read_bytes()[:-1])
    with pytest.raises(InvalidInput, match="wrong length"):
        mirror.subtree(0, 3)
