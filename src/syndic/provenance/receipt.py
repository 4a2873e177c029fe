"""Registration receipts, and the offline verifier that needs only the coalition's public key.

A receipt is canonical JSON (RFC 8785)::

    {"v": 1,
     "coalition": {"origin": "syndic/<name>", "public_key": "<base64 Ed25519 key>"},
     "work": "sha256:<hex>",
     "index": <leaf index>,
     "entry": "<base64 of the logged event's canonical bytes>",
     "tree_size": <size of the checkpointed tree>,
     "proof": ["<base64 hash>", ...],
     "checkpoint": "<the signed checkpoint note>"}

Verifying it (``verify_receipt``) checks, with nothing but the trusted key: the checkpoint is
signed by that key for that origin; the proof places SHA-256(0x00 || entry) at ``index`` in
the checkpoint's tree; the entry is the ``work.registered`` event naming ``work``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from syndic.canonical import canonical_bytes
from syndic.errors import InvalidInput, VerificationError
from syndic.keys import load_public_b64, public_b64
from syndic.provenance.checkpoint import Checkpoint, open_checkpoint
from syndic.provenance.merkle import leaf_hash, verify_inclusion
from syndic.provenance.note import NoteVerifier, parse_verifier_key

RECEIPT_VERSION = 1
WORK_EVENT = "work.registered"
MAX_PROOF = 64
_KEYS = {"v", "coalition", "work", "index", "entry", "tree_size", "proof", "checkpoint"}


@dataclass(frozen=True)
class Receipt:
    origin: str
    public_key: str
    work: str
    index: int
    entry: bytes
    tree_size: int
    proof: tuple[bytes, ...]
    checkpoint: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": RECEIPT_VERSION,
            "coalition": {"origin": self.origin, "public_key": self.public_key},
            "work": self.work,
            "index": self.index,
            "entry": _b64(self.entry),
            "tree_size": self.tree_size,
            "proof": [_b64(h) for h in self.proof],
            "checkpoint": self.checkpoint,
        }

    def to_json(self) -> bytes:
        return canonical_bytes(self.to_dict())

    @classmethod
    def parse(cls, data: bytes) -> Receipt:
        """Read a receipt's JSON, refusing anything not shaped like one (unknown keys too)."""
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"receipt is not JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise InvalidInput("receipt must be a JSON object")
        if set(doc) != _KEYS:
            missing, extra = _KEYS - set(doc), set(doc) - _KEYS
            raise InvalidInput(
                f"receipt keys wrong (missing {sorted(missing)}, unexpected {sorted(extra)})"
            )
        if doc["v"] != RECEIPT_VERSION:
            raise InvalidInput(f"receipt version {doc['v']!r} is not {RECEIPT_VERSION}")
        coalition = doc["coalition"]
        if not isinstance(coalition, dict) or set(coalition) != {"origin", "public_key"}:
            raise InvalidInput("receipt 'coalition' must hold exactly 'origin' and 'public_key'")
        proof = doc["proof"]
        if not isinstance(proof, list) or len(proof) > MAX_PROOF:
            raise InvalidInput(f"receipt 'proof' must be a list of at most {MAX_PROOF} hashes")
        return cls(
            origin=_str(coalition["origin"], "coalition.origin"),
            public_key=_str(coalition["public_key"], "coalition.public_key"),
            work=_str(doc["work"], "work"),
            index=_int(doc["index"], "index"),
            entry=_unb64(doc["entry"], "entry"),
            tree_size=_int(doc["tree_size"], "tree_size"),
            proof=tuple(_unb64(h, f"proof[{i}]") for i, h in enumerate(proof)),
            checkpoint=_str(doc["checkpoint"], "checkpoint"),
        )


@dataclass(frozen=True)
class VerifiedReceipt:
    """What a verified receipt establishes."""

    origin: str
    work: str
    index: int
    tree_size: int
    root: bytes
    event: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "origin": self.origin,
            "work": self.work,
            "index": self.index,
            "tree_size": self.tree_size,
            "root": _b64(self.root),
            "registered_at": self.event.get("at"),
        }


def trusted_verifier(key: str | Ed25519PublicKey, origin: str) -> NoteVerifier:
    """A verifier from a base64 Ed25519 key (plus origin) or a ``name+id+key`` verifier string."""
    if isinstance(key, Ed25519PublicKey):
        return NoteVerifier(origin, key)
    if len(key.strip()) != 44:  # not a bare base64 Ed25519 key: a 'name+id+key' string
        verifier = parse_verifier_key(key)
        if verifier.name != origin:
            raise VerificationError(
                f"receipt is for coalition log {origin!r}, not the trusted {verifier.name!r}"
            )
        return verifier
    return NoteVerifier(origin, load_public_b64(key.strip()))


def verify_receipt(
    data: bytes, *, public_key: str | Ed25519PublicKey, origin: str | None = None
) -> VerifiedReceipt:
    """Check a receipt offline against the coalition's public key (and origin, if known)."""
    receipt = Receipt.parse(data)
    if origin is not None and receipt.origin != origin:
        raise VerificationError(
            f"receipt is for coalition log {receipt.origin!r}, expected {origin!r}"
        )
    verifier = trusted_verifier(public_key, receipt.origin)
    if receipt.public_key != public_b64(verifier.public_key):
        raise VerificationError("receipt names a different coalition key than the trusted one")
    cp: Checkpoint = open_checkpoint(receipt.checkpoint, verifier, origin=receipt.origin)
    if receipt.tree_size != cp.size:
        raise VerificationError(
            f"receipt proof is for tree size {receipt.tree_size}, its checkpoint is size {cp.size}"
        )
    verify_inclusion(
        leaf_hash=leaf_hash(receipt.entry),
        index=receipt.index,
        size=receipt.tree_size,
        proof=receipt.proof,
        root=cp.root,
    )
    event = _event(receipt.entry)
    payload = event.get("payload")
    if event.get("kind") != WORK_EVENT or not isinstance(payload, dict):
        raise VerificationError(f"receipt entry is not a {WORK_EVENT} event")
    if payload.get("digest") != receipt.work:
        raise VerificationError("receipt entry registers a different work")
    return VerifiedReceipt(receipt.origin, receipt.work, receipt.index, cp.size, cp.root, event)


def _event(entry: bytes) -> dict[str, Any]:
    try:
        event = json.loads(entry)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationError("receipt entry is not a JSON event") from exc
    if not isinstance(event, dict):
        raise VerificationError("receipt entry is not a JSON event")
    return event


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidInput(f"receipt '{what}' must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise InvalidInput(f"receipt '{what}' is not valid base64") from exc


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"receipt '{what}' must be a non-empty string")
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"receipt '{what}' must be a non-negative integer")
    return value
