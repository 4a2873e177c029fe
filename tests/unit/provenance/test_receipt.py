"""Receipts verify offline with the coalition key alone; forged or foreign ones are refused."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from syndic.canonical import canonical_bytes
from syndic.errors import InvalidInput, SyndicError, VerificationError
from syndic.keys import public_b64
from syndic.provenance.checkpoint import Checkpoint, sign_checkpoint
from syndic.provenance.merkle import MemoryTree
from syndic.provenance.note import NoteVerifier
from syndic.provenance.receipt import Receipt, verify_receipt

KEY = Ed25519PrivateKey.from_private_bytes(b"\x11" * 32)
OTHER = Ed25519PrivateKey.from_private_bytes(b"\x12" * 32)
ORIGIN = "syndic/writers"
WORK = "sha256:" + "ab" * 32


def _event(i: int, digest: str, kind: str = "work.registered") -> bytes:
    return canonical_bytes(
        {
            "v": 1,
            "kind": kind,
            "actor": "steward",
            "at": "2026-01-01T00:00:00Z",
            "payload": {"work": i, "digest": digest},
        }
    )


def _receipt(
    index: int = 5,
    size: int = 13,
    key: Ed25519PrivateKey = KEY,
    kind: str = "work.registered",
    **over: Any,
) -> bytes:
    tree = MemoryTree.of(
        _event(i, WORK, kind) if i == index else _event(i, f"sha256:{i:064x}") for i in range(size)
    )
    cp = sign_checkpoint(Checkpoint(ORIGIN, size, tree.root()), key)
    r = Receipt(
        origin=ORIGIN,
        public_key=public_b64(key),
        work=WORK,
        index=index,
        entry=tree.entries[index],
        tree_size=size,
        proof=tuple(tree.inclusion_proof(index)),
        checkpoint=cp,
    )
    doc = r.to_dict()
    doc.update(over)
    return json.dumps(doc).encode()


def _edit(data: bytes, **over: Any) -> bytes:
    doc = json.loads(data)
    doc.update(over)
    return json.dumps(doc).encode()


def test_valid_receipt_verifies_with_only_the_public_key() -> None:
    data = _receipt()
    assert Receipt.parse(data).to_json() == canonical_bytes(json.loads(data))
    ok = verify_receipt(data, public_key=public_b64(KEY))
    assert (ok.work, ok.index, ok.tree_size, ok.origin) == (WORK, 5, 13, ORIGIN)
    assert ok.to_dict()["registered_at"] == "2026-01-01T00:00:00Z"
    vkey = str(NoteVerifier(ORIGIN, KEY.public_key()))
    assert verify_receipt(data, public_key=vkey, origin=ORIGIN).index == 5


@pytest.mark.parametrize(("index", "size"), [(0, 1), (0, 2), (7, 8), (255, 256), (256, 257)])
def test_edges_of_the_tree(index: int, size: int) -> None:
    verify_receipt(_receipt(index, size), public_key=public_b64(KEY))


def test_receipt_for_another_coalition_key_is_refused() -> None:
    with pytest.raises(VerificationError, match="different coalition key"):
        verify_receipt(_receipt(key=OTHER), public_key=public_b64(KEY))


def test_receipt_claiming_our_key_but_signed_by_another_is_refused() -> None:
    data = _edit(_receipt(key=OTHER), coalition={"origin": ORIGIN, "public_key": public_b64(KEY)})
    with pytest.raises(VerificationError, match="not signed by a trusted key"):
        verify_receipt(data, public_key=public_b64(KEY))


def test_receipt_for_another_coalition_origin_is_refused() -> None:
    with pytest.raises(VerificationError, match="expected 'syndic/other'"):
        verify_receipt(_receipt(), public_key=public_b64(KEY), origin="syndic/other")
    vkey = str(NoteVerifier("syndic/other", KEY.public_key()))
    with pytest.raises(VerificationError, match="not the trusted 'syndic/other'"):
        verify_receipt(_receipt(), public_key=vkey)
    moved = _edit(_receipt(), coalition={"origin": "syndic/other", "public_key": public_b64(KEY)})
    with pytest.raises(VerificationError, match="from log 'syndic/writers'"):
        verify_receipt(moved, public_key=public_b64(KEY))


def test_wrong_size_hash_in_proof_is_refused() -> None:
    doc = json.loads(_receipt())
    doc["proof"][1] = base64.b64encode(b"\x00" * 31).decode()
    with pytest.raises(VerificationError, match="proof element 1 is 31 bytes"):
        verify_receipt(json.dumps(doc).encode(), public_key=public_b64(KEY))


def test_index_beyond_the_tree_is_refused() -> None:
    with pytest.raises(VerificationError, match="beyond a tree of size 13"):
        verify_receipt(_edit(_receipt(), index=13), public_key=public_b64(KEY))


def test_proof_for_another_size_than_the_checkpoint_is_refused() -> None:
    with pytest.raises(VerificationError, match="checkpoint is size 13"):
        verify_receipt(_edit(_receipt(), tree_size=14), public_key=public_b64(KEY))


def test_truncated_or_padded_proof_is_refused() -> None:
    doc = json.loads(_receipt())
    with pytest.raises(VerificationError, match="shorter"):
        verify_receipt(_edit(_receipt(), proof=doc["proof"][:-1]), public_key=public_b64(KEY))
    with pytest.raises(VerificationError, match="longer"):
        verify_receipt(
            _edit(_receipt(), proof=[*doc["proof"], doc["proof"][0]]), public_key=public_b64(KEY)
        )


def test_edited_entry_is_refused() -> None:
    doc = json.loads(_receipt())
    entry = base64.b64decode(doc["entry"]).replace(b"steward", b"mallory")
    with pytest.raises(VerificationError, match="does not lead to the root"):
        verify_receipt(
            _edit(_receipt(), entry=base64.b64encode(entry).decode()), public_key=public_b64(KEY)
        )


def test_receipt_for_another_work_or_event_is_refused() -> None:
    other = "sha256:" + "cd" * 32
    with pytest.raises(VerificationError, match="different work"):
        verify_receipt(_edit(_receipt(), work=other), public_key=public_b64(KEY))
    # a genuine leaf of another kind cannot be passed off as a registration
    with pytest.raises(VerificationError, match=r"not a work\.registered event"):
        verify_receipt(_receipt(kind="terms.published"), public_key=public_b64(KEY))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[]", "JSON object"),
        (b'{"v": 1}', "keys wrong"),
    ],
)
def test_malformed_receipts_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        verify_receipt(data, public_key=public_b64(KEY))


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"v": 2}, "version"),
        ({"index": -1}, "non-negative integer"),
        ({"index": True}, "non-negative integer"),
        ({"tree_size": "13"}, "non-negative integer"),
        ({"entry": "%%%"}, "not valid base64"),
        ({"proof": "abc"}, "list"),
        ({"proof": [1]}, "base64 string"),
        ({"coalition": {"origin": ORIGIN}}, "exactly"),
        ({"checkpoint": ""}, "non-empty string"),
        ({"extra": 1}, "unexpected"),
    ],
)
def test_malformed_fields_are_refused(over: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        verify_receipt(_edit(_receipt(), **over), public_key=public_b64(KEY))


def test_garbage_public_key_is_refused() -> None:
    with pytest.raises(SyndicError):
        verify_receipt(_receipt(), public_key="not-a-key")


def test_keys_whose_base64_contains_plus_are_read_as_keys() -> None:
    key = next(
        k
        for k in (Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32) for i in range(256))
        if "+" in public_b64(k)
    )
    data = _receipt(key=key)
    assert verify_receipt(data, public_key=public_b64(key)).index == 5
    assert verify_receipt(data, public_key=str(NoteVerifier(ORIGIN, key.public_key()))).index == 5
