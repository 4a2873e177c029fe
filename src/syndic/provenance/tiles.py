"""C2SP tlog-tiles (c2sp.org/tlog-tiles): the log as static files any tlog client can mirror.

Tile ``tile/<L>/<N>`` holds the 256 hashes of Merkle level ``8*L`` with node indices
``N*256 .. N*256+255`` (32 bytes each); the rightmost tile of a level may be partial,
``tile/<L>/<N>.p/<W>`` with W in 1..255. ``<N>`` is written in 3-digit groups, all but the
last prefixed with ``x`` (1234067 -> ``x001/x234/067``). Entry bundles ``tile/entries/<N>``
hold the same 256 leaves' entries, each as a big-endian uint16 length and the bytes.

Because a tile is just the complete subtrees at levels 0, 8, 16, ... any store of
``(level, index) -> hash`` can be exported, and the tiles read back are again such a store
(``TileHashes``), which is how the tests check an export against the log it came from.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from syndic.errors import InvalidInput, NotFound
from syndic.provenance.merkle import HASH_SIZE, node_hash
from syndic.storage.files import write_output

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
MAX_ENTRY_BYTES = 0xFFFF

HashRange = Callable[[int, int, int], list[bytes]]
"""``(merkle level, first index, end index) -> hashes`` of consecutive complete subtrees."""
EntryRange = Callable[[int, int], list[bytes]]
"""``(first leaf, end leaf) -> entries`` in order."""


def encode_index(n: int) -> str:
    if n < 0:
        raise InvalidInput("tile index must be non-negative")
    digits = str(n)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def _suffix(width: int) -> str:
    if width == TILE_WIDTH:
        return ""
    if not 0 < width < TILE_WIDTH:
        raise InvalidInput(f"tile width {width} is outside 1..256")
    return f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    if not 0 <= level <= MAX_LEVEL:
        raise InvalidInput(f"tile level {level} is outside 0..{MAX_LEVEL}")
    return f"tile/{level}/{encode_index(index)}{_suffix(width)}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    return f"tile/entries/{encode_index(index)}{_suffix(width)}"


@dataclass(frozen=True)
class TileRef:
    """A parsed tile path; ``level`` is None for an entry bundle."""

    level: int | None
    index: int
    width: int

    def path(self) -> str:
        if self.level is None:
            return entries_path(self.index, self.width)
        return tile_path(self.level, self.index, self.width)


_PATH = re.compile(
    r"tile/(?P<level>entries|0|[1-9][0-9]?)/(?P<index>(?:x[0-9]{3}/)*[0-9]{3})"
    r"(?:\.p/(?P<width>[1-9][0-9]{0,2}))?"
)


def parse_tile_path(path: str) -> TileRef:
    """Read ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]``, strictly."""
    m = _PATH.fullmatch(path)
    if m is None:
        raise InvalidInput(f"not a tile path: {path[:80]!r}")
    groups = m["index"].replace("x", "").split("/")
    if len(groups) > 1 and groups[0] == "000":
        raise InvalidInput("tile index has a leading zero group")
    width = int(m["width"]) if m["width"] else TILE_WIDTH
    if m["width"] and width >= TILE_WIDTH:
        raise InvalidInput("partial tile width must be 1..255")
    level = None if m["level"] == "entries" else int(m["level"])
    if level is not None and level > MAX_LEVEL:
        raise InvalidInput(f"tile level {level} is outside 0..{MAX_LEVEL}")
    return TileRef(level, int("".join(groups)), width)


def tiles_for_size(size: int, level: int) -> Iterator[tuple[int, int]]:
    """``(index, width)`` of every tile at tile level ``level`` of a tree of ``size`` leaves."""
    hashes = size >> (TILE_HEIGHT * level)
    for n in range(hashes // TILE_WIDTH):
        yield n, TILE_WIDTH
    if hashes % TILE_WIDTH:
        yield hashes // TILE_WIDTH, hashes % TILE_WIDTH


def tile_width(size: int, level: int, index: int) -> int:
    """The width tile ``(level, index)`` has in a tree of ``size``; 0 when it does not exist."""
    hashes = size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, hashes - index * TILE_WIDTH))


def encode_bundle(entries: list[bytes]) -> bytes:
    out = bytearray()
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_BYTES:
            raise InvalidInput(f"entry {i} is {len(entry)} bytes; a bundle entry is at most 65535")
        out += struct.pack(">H", len(entry)) + entry
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    entries, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise InvalidInput("entry bundle ends inside a length prefix")
        (n,) = struct.unpack_from(">H", data, pos)
        if pos + 2 + n > len(data):
            raise InvalidInput("entry bundle ends inside an entry")
        entries.append(data[pos + 2 : pos + 2 + n])
        pos += 2 + n
    return entries


def read_tile(ref: TileRef, size: int, hashes: HashRange, entries: EntryRange) -> bytes:
    """The bytes of one tile or bundle within a tree of ``size``; NotFound if the tree lacks it.

    A partial tile of a smaller tree is served too: its hashes never change once they exist.
    """
    level = 0 if ref.level is None else ref.level
    if tile_width(size, level, ref.index) < ref.width:
        raise NotFound(f"{ref.path()} is not part of the tree of size {size}")
    begin = ref.index * TILE_WIDTH
    if ref.level is None:
        return encode_bundle(entries(begin, begin + ref.width))
    return b"".join(hashes(TILE_HEIGHT * level, begin, begin + ref.width))


def export_tiles(
    directory: Path, *, size: int, checkpoint: str, hashes: HashRange, entries: EntryRange
) -> int:
    """Write ``checkpoint``, every tile and every entry bundle of the tree of ``size``.

    ``checkpoint`` must be a signed checkpoint of exactly ``size``. Returns files written.
    """
    written = 0

    def put(rel: str, data: bytes) -> None:
        nonlocal written
        write_output(directory / rel, data)
        written += 1

    level = 0
    while size >> (TILE_HEIGHT * level):
        for index, width in tiles_for_size(size, level):
            ref = TileRef(level, index, width)
            put(ref.path(), read_tile(ref, size, hashes, entries))
        level += 1
    for index, width in tiles_for_size(size, 0):
        ref = TileRef(None, index, width)
        put(ref.path(), read_tile(ref, size, hashes, entries))
    put("checkpoint", checkpoint.encode())
    return written


class TileHashes:
    """A ``(level, index) -> hash`` source over tiles, e.g. a mirror read from disk or HTTP."""

    def __init__(self, size: int, fetch: Callable[[str], bytes]) -> None:
        self.size = size
        self._fetch = fetch
        self._cache: dict[tuple[int, int], bytes] = {}

    def _tile(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._cache:
            width = tile_width(self.size, level, index)
            if width == 0:
                raise NotFound(f"tile ({level}, {index}) is beyond the tree of size {self.size}")
            data = self._fetch(tile_path(level, index, width))
            if len(data) != width * HASH_SIZE:
                raise InvalidInput(f"{tile_path(level, index, width)} has the wrong length")
            self._cache[key] = data
        return self._cache[key]

    def subtree(self, level: int, index: int) -> bytes:
        """A node below a tile row is the root of a power-of-two run of that row's hashes."""
        tile_level, rest = divmod(level, TILE_HEIGHT)
        first = index << rest  # first hash of the run, at merkle level 8 * tile_level
        tile = self._tile(tile_level, first // TILE_WIDTH)
        start = first % TILE_WIDTH
        run = [tile[i * HASH_SIZE : (i + 1) * HASH_SIZE] for i in range(start, start + (1 << rest))]
        if len(run) != 1 << rest or any(len(h) != HASH_SIZE for h in run):
            raise NotFound(
                f"node ({level}, {index}) is not complete in the tree of size {self.size}"
            )
        while len(run) > 1:
            run = [node_hash(run[i], run[i + 1]) for i in range(0, len(run), 2)]
        return run[0]
