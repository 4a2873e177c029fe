"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification, over bytes.

A tree of ``n`` leaves is addressed by *complete subtrees*: ``(level, index)`` names the hash of
the ``2**level`` leaves ``D[index * 2**level : (index + 1) * 2**level]``. Every such node, once
written, never changes, so a store that keeps them (a dict, a table, tlog tiles) can answer any
root or proof by reading O(log n) of them. Proof generation here takes that lookup as a
function (``SubtreeHash``); the log's storage supplies it.

Appending uses a ``Frontier`` (the compact range ``[0, n)``): the at most log2(n)+1 complete
subtrees that make up the tree, largest first. An append pushes a leaf and merges equal-sized
neighbours, returning the new complete nodes to store: O(log n) work, amortised O(1) hashes.

Verification follows RFC 9162 sections 2.1.3.2 (inclusion) and 2.1.4.2 (consistency), and
refuses malformed input (hash of the wrong length, index beyond the tree, superfluous or
missing proof elements) with a ``VerificationError`` saying why.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections.abc import Callable, Iterable, Sequence

from syndic.errors import InvalidInput, VerificationError

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

SubtreeHash = Callable[[int, int], bytes]
"""``(level, index) -> hash`` of the complete subtree of ``2**level`` leaves at ``index``."""


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 6962: the largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def decompose(begin: int, end: int) -> list[tuple[int, int]]:
    """The complete subtrees ``(level, index)`` that exactly cover ``D[begin:end]``, left first.

    Each is the largest aligned block that fits, so a range of length n needs at most
    2*log2(n) blocks, and ``[0, n)`` exactly one block per set bit of n.
    """
    if not 0 <= begin <= end:
        raise InvalidInput(f"bad leaf range [{begin}, {end})")
    out: list[tuple[int, int]] = []
    pos = begin
    while pos < end:
        # the largest power of two that divides pos (any size at 0) and still fits before end
        align = (pos & -pos).bit_length() - 1 if pos else 64
        level = min(align, (end - pos).bit_length() - 1)
        out.append((level, pos >> level))
        pos += 1 << level
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """Root over consecutive complete subtrees of decreasing size (a left-complete tree)."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def subtree_root(begin: int, end: int, subtree: SubtreeHash) -> bytes:
    """MTH(D[begin:end]) for a range that is a node of the RFC tree (or starts at 0).

    RFC 6962 splits a range at the largest power of two below its length, so every node's
    range is a run of complete subtrees of strictly decreasing size: their right fold.
    """
    blocks = decompose(begin, end)
    levels = [level for level, _ in blocks]
    if any(a <= b for a, b in itertools.pairwise(levels)):
        raise InvalidInput(f"[{begin}, {end}) is not a node of a Merkle tree")
    return fold([subtree(level, index) for level, index in blocks])


def root_at(size: int, subtree: SubtreeHash) -> bytes:
    """The root hash of the tree of the first ``size`` leaves."""
    return subtree_root(0, size, subtree)


def inclusion_proof(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """RFC 9162 PATH(index, D[0:size]): sibling hashes from the leaf up to the root."""
    if not 0 <= index < size:
        raise InvalidInput(f"leaf index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    begin, end = 0, size
    while end - begin > 1:
        mid = begin + _largest_power_of_two_below(end - begin)
        if index < mid:
            path.append(subtree_root(mid, end, subtree))
            end = mid
        else:
            path.append(subtree_root(begin, mid, subtree))
            begin = mid
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, subtree: SubtreeHash) -> list[bytes]:
    """RFC 9162 PROOF(old_size, D[0:new_size]); empty when the sizes are equal."""
    if not 0 < old_size <= new_size:
        raise InvalidInput(
            f"a consistency proof needs 0 < old size <= new size (got {old_size}, {new_size})"
        )
    path: list[bytes] = []
    begin, end, m = 0, new_size, old_size
    whole_old_tree = True  # SUBPROOF's flag b: is D[begin:begin+m] the old tree itself?
    while m != end - begin:
        mid = begin + _largest_power_of_two_below(end - begin)
        if begin + m <= mid:
            path.append(subtree_root(mid, end, subtree))
            end = mid
        else:
            path.append(subtree_root(begin, mid, subtree))
            m -= mid - begin
            begin = mid
            whole_old_tree = False
    if not whole_old_tree:
        path.append(subtree_root(begin, end, subtree))
    path.reverse()
    return path


# --- verification ----------------------------------------------------------------------------


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise VerificationError(f"{what} is {len(value)} bytes, a SHA-256 hash is {HASH_SIZE}")


def _check_path(proof: Sequence[bytes]) -> None:
    for i, h in enumerate(proof):
        _check_hash(h, f"proof element {i}")


def _equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def root_from_inclusion_proof(
    *, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that ``proof`` implies for the leaf (RFC 9162 section 2.1.3.2, steps 1-4)."""
    if size < 0 or index < 0:
        raise VerificationError("leaf index and tree size must be non-negative")
    if index >= size:
        raise VerificationError(f"leaf index {index} is beyond a tree of size {size}")
    _check_hash(leaf_hash, "leaf hash")
    _check_path(proof)
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            raise VerificationError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    *, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ``VerificationError`` unless ``proof`` shows the leaf at ``index`` under ``root``."""
    _check_hash(root, "root hash")
    computed = root_from_inclusion_proof(leaf_hash=leaf_hash, index=index, size=size, proof=proof)
    if not _equal(computed, root):
        raise VerificationError(f"inclusion proof for leaf {index} does not lead to the root")


def verify_consistency(
    *,
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Raise ``VerificationError`` unless the tree of ``new_size`` extends the one of ``old_size``.

    RFC 9162 section 2.1.4.2. Equal sizes need an empty proof and equal roots (nothing else
    is claimed, so nothing else is checked); the empty tree is refused as an old tree because
    every tree extends it, so such a "proof" proves nothing.
    """
    if _check_sizes(old_size, new_size, old_root, new_root, proof):
        return
    _check_hash(old_root, "old root hash")
    _check_hash(new_root, "new root hash")
    _check_path(proof)
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # old tree is a complete subtree: its root starts the walk
        path.insert(0, old_root)
    fr, sr = _consistency_roots(old_size, new_size, path)
    if not _equal(fr, old_root):
        raise VerificationError("consistency proof does not lead to the old root")
    if not _equal(sr, new_root):
        raise VerificationError("consistency proof does not lead to the new root")


def _check_sizes(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Refuse impossible sizes; True when equal sizes settle it (nothing left to walk)."""
    if old_size < 0 or new_size < 0:
        raise VerificationError("tree sizes must be non-negative")
    if old_size > new_size:
        raise VerificationError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == 0:
        raise VerificationError("a consistency proof from the empty tree proves nothing")
    if old_size == new_size:
        if proof:
            raise VerificationError("trees of equal size need an empty consistency proof")
        if not _equal(old_root, new_root):
            raise VerificationError("trees of equal size have different roots")
        return True
    if not proof:
        raise VerificationError("consistency proof is empty")
    return False


def _consistency_roots(old_size: int, new_size: int, path: list[bytes]) -> tuple[bytes, bytes]:
    """The old and new roots the path leads to (RFC 9162 section 2.1.4.2, steps 3 to 6)."""
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("consistency proof is longer than needed")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("consistency proof is shorter than needed")
    return fr, sr


# --- appending -------------------------------------------------------------------------------


class Frontier:
    """The compact range ``[0, size)``: one complete-subtree hash per set bit of ``size``."""

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        self._size = size
        self._hashes = list(hashes)
        if size < 0 or len(self._hashes) != size.bit_count():
            raise InvalidInput(f"a frontier of size {size} has {size.bit_count()} hashes")
        for h in self._hashes:
            if len(h) != HASH_SIZE:
                raise InvalidInput("frontier hashes must be 32 bytes")

    @classmethod
    def load(cls, size: int, subtree: SubtreeHash) -> Frontier:
        """Rebuild from a store of complete subtrees."""
        return cls(size, [subtree(level, index) for level, index in decompose(0, size)])

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        return list(self._hashes)

    def nodes(self) -> list[tuple[int, int]]:
        return decompose(0, self._size)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return the complete subtrees it completes, leaf first."""
        if len(leaf) != HASH_SIZE:
            raise InvalidInput("a leaf hash must be 32 bytes")
        index = self._size
        created = [(0, index, leaf)]
        h = leaf
        level = 0
        # each trailing 1-bit of the old size is a same-sized subtree waiting for a sibling
        while (index >> level) & 1:
            h = node_hash(self._hashes.pop(), h)
            level += 1
            created.append((level, index >> level, h))
        self._hashes.append(h)
        self._size += 1
        return created

    def root(self) -> bytes:
        return fold(self._hashes)


class MemoryTree:
    """A whole tree in a dict of complete subtrees: the reference store for tests and tools."""

    def __init__(self) -> None:
        self.frontier = Frontier()
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.entries: list[bytes] = []

    @classmethod
    def of(cls, entries: Iterable[bytes]) -> MemoryTree:
        tree = cls()
        for entry in entries:
            tree.append(entry)
        return tree

    @property
    def size(self) -> int:
        return self.frontier.size

    def append(self, entry: bytes) -> int:
        index = self.frontier.size
        for level, idx, h in self.frontier.append(leaf_hash(entry)):
            self.nodes[(level, idx)] = h
        self.entries.append(entry)
        return index

    def subtrees(self, level: int, begin: int, end: int) -> list[bytes]:
        return [self.subtree(level, i) for i in range(begin, end)]

    def entry_range(self, begin: int, end: int) -> list[bytes]:
        return self.entries[begin:end]

    def subtree(self, level: int, index: int) -> bytes:
        try:
            return self.nodes[(level, index)]
        except KeyError:
            raise InvalidInput(f"no complete subtree ({level}, {index}) in this tree") from None

    def root(self, size: int | None = None) -> bytes:
        return self.frontier.root() if size is None else root_at(self._bounded(size), self.subtree)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self._bounded(size), self.subtree)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return consistency_proof(old_size, self._bounded(new_size), self.subtree)

    def _bounded(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise InvalidInput(f"tree size {size} is beyond this tree (size {self.size})")
        return size
