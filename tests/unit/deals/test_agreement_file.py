"""The agreement file checked offline: both signatures, scope, schedule; any changed byte."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from syndic.canonical import canonical_bytes
from syndic.deals.agreement import DOCUMENT_TYPE, file_bytes, scope_root, verify_file
from syndic.errors import VerificationError
from syndic.keys import public_b64

COALITION = Ed25519PrivateKey.from_private_bytes(b"\x01" * 32)
LICENSEE = Ed25519PrivateKey.from_private_bytes(b"\x02" * 32)
DIGESTS = sorted(f"sha256:{c * 64}" for c in "abc")


def document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": DOCUMENT_TYPE,
        "agreement": 1,
        "parties": {
            "coalition": {"name": "C", "public_key": public_b64(COALITION)},
            "licensee": {"name": "L", "public_key": public_b64(LICENSEE)},
        },
        "price": {"amount_minor": 100, "currency": "EUR"},
        "payment_schedule": [{"due_days": 0, "amount_minor": 100}],
        "dates": {"starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z"},
        "scope": {"works": 3, "root": scope_root(DIGESTS), "digests": DIGESTS},
    }
    doc.update(changes)
    return doc


def signed(doc: dict[str, Any], *, licensee: Ed25519PrivateKey | None = LICENSEE) -> bytes:
    msg = canonical_bytes(doc)
    c = base64.b64encode(COALITION.sign(msg)).decode()
    lic = None if licensee is None else base64.b64encode(licensee.sign(msg)).decode()
    return file_bytes(doc, c, lic)


def test_a_good_file_verifies_with_and_without_pinned_keys() -> None:
    data = signed(document())
    v = verify_file(data)
    assert (v.agreement, v.works, v.keys_pinned) == (1, 3, False)
    v = verify_file(data, coalition_key=public_b64(COALITION), licensee_key=public_b64(LICENSEE))
    assert v.keys_pinned


def test_every_changed_byte_is_refused() -> None:
    data = signed(document())
    for i in range(len(data)):
        for flip in (0x01, 0x20):
            bad = bytearray(data)
            bad[i] ^= flip
            with pytest.raises(VerificationError):
                verify_file(bytes(bad))
    with pytest.raises(VerificationError):
        verify_file(data + b"\n")
    with pytest.raises(VerificationError):
        verify_file(data[:-1])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (signed(document(), licensee=None), "the licensee has not signed"),
        (signed(document(), licensee=COALITION), "the licensee's signature does not verify"),
        (
            signed(document(scope={"works": 2, "root": scope_root(DIGESTS), "digests": DIGESTS})),
            "says 2 works but lists 3",
        ),
        (
            signed(
                document(scope={"works": 3, "root": scope_root(DIGESTS[:2]), "digests": DIGESTS})
            ),
            "scope root does not match",
        ),
        (
            signed(document(scope={"works": 3, "root": "x", "digests": DIGESTS[::-1]})),
            "sorted and unique",
        ),
        (
            signed(document(payment_schedule=[{"due_days": 0, "amount_minor": 99}])),
            "adds up to 99, not 100",
        ),
        (signed(document(type="something/else")), "not a syndic.agreement/v2"),
        (b'{"document":{},"signatures":{}}\n', "coalition's and the licensee's"),
        (b"[1]\n", "exactly a document"),
        (b'{"b":1, "a":2}\n', "canonical"),
    ],
)
def test_refusals(data: bytes, message: str) -> None:
    with pytest.raises(VerificationError, match=message):
        verify_file(data)


def test_signatures_over_different_bytes_are_refused() -> None:
    doc = document()
    other = document(agreement=2)
    msg = canonical_bytes(other)
    c = base64.b64encode(COALITION.sign(canonical_bytes(doc))).decode()
    lic = base64.b64encode(LICENSEE.sign(msg)).decode()  # the licensee signed another document
    with pytest.raises(VerificationError, match="licensee's signature does not verify"):
        verify_file(file_bytes(doc, c, lic))


def test_pinned_keys_must_match() -> None:
    data = signed(document())
    with pytest.raises(VerificationError, match="coalition's key in the agreement is not"):
        verify_file(data, coalition_key=public_b64(LICENSEE))
    with pytest.raises(VerificationError, match="licensee's key in the agreement is not"):
        verify_file(data, licensee_key=public_b64(COALITION))


def test_non_canonical_base64_is_refused() -> None:
    doc = document()
    msg = canonical_bytes(doc)
    sig = base64.b64encode(COALITION.sign(msg)).decode()
    lic = base64.b64encode(LICENSEE.sign(msg)).decode()
    # the last character before '==' carries 4 unused bits; setting them keeps the bytes
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(lic[-3])
    malleable = lic[:-3] + alphabet[last | 0x0F] + "=="
    assert malleable != lic and base64.b64decode(malleable) == base64.b64decode(lic)
    with pytest.raises(VerificationError, match="the licensee's signature is not in canonical"):
        verify_file(file_bytes(doc, sig, malleable))
