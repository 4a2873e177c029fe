"""Proof generation and the frontier against a literal transcription of the RFC 6962 definitions."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndic.errors import InvalidInput, VerificationError
from syndic.provenance.merkle import (
    EMPTY_ROOT,
    Frontier,
    MemoryTree,
    decompose,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    subtree_root,
    verify_consistency,
    verify_inclusion,
)


def _entries(n: int) -> list[bytes]:
    return [f"entry-{i}".encode() for i in range(n)]


# RFC 6962 section 2.1, recursively, on the whole list: the slow, obviously-right reference.
def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def test_hash_prefixes() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    assert MemoryTree().root() == EMPTY_ROOT


@pytest.mark.parametrize("n", range(70))
def test_roots_and_inclusion_proofs_match_rfc(n: int) -> None:
    d = _entries(n)
    tree = MemoryTree.of(d)
    assert tree.root() == ref_mth(d)
    for size in range(1, n + 1):
        assert tree.root(size) == ref_mth(d[:size])
    for m in range(n):
        proof = tree.inclusion_proof(m)
        assert proof == ref_path(m, d)
        verify_inclusion(leaf_hash=leaf_hash(d[m]), index=m, size=n, proof=proof, root=tree.root())


@pytest.mark.parametrize("new", range(1, 40))
def test_consistency_proofs_match_rfc(new: int) -> None:
    d = _entries(new)
    tree = MemoryTree.of(d)
    for old in range(1, new + 1):
        proof = tree.consistency_proof(old)
        assert proof == (ref_subproof(old, d, True) if old < new else [])
        verify_consistency(
            old_size=old, new_size=new, old_root=tree.root(old), new_root=tree.root(), proof=proof
        )


def test_frontier_reload_continues_identically() -> None:
    tree = MemoryTree.of(_entries(37))
    again = Frontier.load(37, tree.subtree)
    assert again.root() == tree.root()
    nodes_a = again.append(leaf_hash(b"next"))
    tree.append(b"next")
    assert again.root() == tree.root()
    assert all(tree.subtree(level, idx) == h for level, idx, h in nodes_a)


def test_append_creates_amortised_constant_nodes() -> None:
    f = Frontier()
    created = sum(len(f.append(leaf_hash(e))) for e in _entries(1024))
    assert created == 2 * 1024 - 1  # every complete subtree of a 1024-leaf tree, once


def test_decompose_covers_range_with_aligned_blocks() -> None:
    for begin in range(40):
        for end in range(begin, 80):
            pos = begin
            for level, idx in decompose(begin, end):
                assert idx << level == pos
                pos += 1 << level
            assert pos == end


def test_subtree_root_refuses_a_range_that_is_no_node() -> None:
    tree = MemoryTree.of(_entries(8))
    with pytest.raises(InvalidInput, match="not a node"):
        subtree_root(1, 4, tree.subtree)


def test_generation_refuses_out_of_range() -> None:
    tree = MemoryTree.of(_entries(5))
    with pytest.raises(InvalidInput, match="outside"):
        tree.inclusion_proof(5)
    with pytest.raises(InvalidInput, match="beyond"):
        tree.inclusion_proof(0, 6)
    with pytest.raises(InvalidInput, match="beyond"):
        tree.consistency_proof(2, 9)
    with pytest.raises(InvalidInput, match="old size"):
        tree.consistency_proof(0, 5)
    with pytest.raises(InvalidInput, match="old size"):
        tree.consistency_proof(4, 3)


def test_frontier_refuses_inconsistent_state() -> None:
    with pytest.raises(InvalidInput):
        Frontier(3, [b"\x00" * 32])
    with pytest.raises(InvalidInput):
        Frontier(1, [b"short"])
    with pytest.raises(InvalidInput):
        Frontier().append(b"short")


def test_verifier_refuses_wrong_size_hashes() -> None:
    tree = MemoryTree.of(_entries(6))
    proof = tree.inclusion_proof(2)
    good = {"leaf_hash": leaf_hash(b"entry-2"), "index": 2, "size": 6, "proof": proof}
    verify_inclusion(**good, root=tree.root())
    with pytest.raises(VerificationError, match="root hash is 31 bytes"):
        verify_inclusion(**good, root=tree.root()[:31])
    with pytest.raises(VerificationError, match="leaf hash is 33 bytes"):
        verify_inclusion(**{**good, "leaf_hash": good["leaf_hash"] + b"\x00"}, root=tree.root())
    with pytest.raises(VerificationError, match="proof element 1"):
        verify_inclusion(
            **{**good, "proof": [proof[0], proof[1][:5], *proof[2:]]}, root=tree.root()
        )
    with pytest.raises(VerificationError, match="non-negative"):
        root_from_inclusion_proof(leaf_hash=good["leaf_hash"], index=-1, size=6, proof=proof)


def test_consistency_refuses_wrong_size_and_tampered_proofs() -> None:
    tree = MemoryTree.of(_entries(11))
    proof = tree.consistency_proof(5)
    kw = {"old_size": 5, "new_size": 11, "old_root": tree.root(5), "new_root": tree.root()}
    verify_consistency(**kw, proof=proof)
    with pytest.raises(VerificationError, match="proof element 0"):
        verify_consistency(**kw, proof=[proof[0][:16], *proof[1:]])
    with pytest.raises(VerificationError, match="old root hash"):
        verify_consistency(**{**kw, "old_root": b"x"}, proof=proof)
    with pytest.raises(VerificationError, match="longer"):
        verify_consistency(**kw, proof=[*proof, proof[0]])
    with pytest.raises(VerificationError, match="shorter"):
        verify_consistency(**kw, proof=proof[:-1])


@settings(max_examples=150, deadline=None, derandomize=True)
@given(data=st.data(), n=st.integers(min_value=1, max_value=300))
def test_random_proofs_verify_and_any_bit_flip_is_caught(data: st.DataObject, n: int) -> None:
    tree = MemoryTree.of(_entries(n))
    size = data.draw(st.integers(min_value=1, max_value=n), label="size")
    m = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = tree.inclusion_proof(m, size)
    root = tree.root(size)
    verify_inclusion(
        leaf_hash=leaf_hash(d := _entries(n)[m]), index=m, size=size, proof=proof, root=root
    )
    if proof:
        i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="element")
        bit = data.draw(st.integers(min_value=0, max_value=255), label="bit")
        bad = bytearray(proof[i])
        bad[bit // 8] ^= 1 << (bit % 8)
        forged = [*proof[:i], bytes(bad), *proof[i + 1 :]]
        with pytest.raises(VerificationError):
            verify_inclusion(leaf_hash=leaf_hash(d), index=m, size=size, proof=forged, root=root)
    old = data.draw(st.integers(min_value=1, max_value=size), label="old")
    cproof = tree.consistency_proof(old, size)
    verify_consistency(
        old_size=old, new_size=size, old_root=tree.root(old), new_root=root, proof=cproof
    )
    if old < size:
        with pytest.raises(VerificationError):
            verify_consistency(
                old_size=old,
                new_size=size,
                old_root=leaf_hash(b"other"),
                new_root=root,
                proof=cproof,
            )
