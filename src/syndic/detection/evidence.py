"""Evidence bundles: one member's matches in a scan, signed by the coalition, checkable offline.

A bundle is JSON ``{"bundle": {...}, "signature": "<base64 Ed25519>"}``; the signature is
over the RFC 8785 canonical bytes of ``bundle``. ``bundle`` holds the coalition (name, log
origin, public key), the scan (dataset digest, format, parameters, index version, when, its
log entry), the member, and per match: where the record sits in the dataset, the similarity
figures, the matched passage beside the member's passage, the member's whole text and the
work's **registration receipt** (an inclusion proof under a signed checkpoint).

``verify_bundle`` needs only the coalition's public key: it checks the signature, that every
receipt verifies under that key and registers the matched digest, that the member's text
hashes to that digest, and that both passages are where the bundle says and say the same words.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from syndic.canonical import canonical_bytes
from syndic.detection import minhash
from syndic.errors import InvalidInput, VerificationError
from syndic.keys import SigningKey, load_public_b64, verify
from syndic.provenance.receipt import verify_receipt

BUNDLE_VERSION = 1
BUNDLE_KIND = "syndic.detection.evidence"


def sign_bundle(body: dict[str, Any], signer: SigningKey) -> bytes:
    """The bundle file: ``body`` and the coalition's signature over its canonical bytes."""
    signature = base64.b64encode(signer.sign(canonical_bytes(body))).decode("ascii")
    return canonical_bytes({"bundle": body, "signature": signature})


@dataclass(frozen=True)
class VerifiedBundle:
    coalition: str
    member: int
    scan: int
    dataset_digest: str
    matches: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "coalition": self.coalition,
            "member": self.member,
            "scan": self.scan,
            "dataset_digest": self.dataset_digest,
            "matches": self.matches,
        }


def _parse(data: bytes) -> tuple[dict[str, Any], bytes]:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput("evidence bundle is not JSON") from exc
    if not isinstance(doc, dict) or set(doc) != {"bundle", "signature"}:
        raise InvalidInput("evidence bundle must hold exactly 'bundle' and 'signature'")
    body, sig = doc["bundle"], doc["signature"]
    if not isinstance(body, dict) or body.get("kind") != BUNDLE_KIND:
        raise InvalidInput("not a Syndic evidence bundle")
    if body.get("v") != BUNDLE_VERSION:
        raise InvalidInput(f"evidence bundle version {body.get('v')!r} is not {BUNDLE_VERSION}")
    try:
        raw_sig = base64.b64decode(sig if isinstance(sig, str) else "", validate=True)
    except binascii.Error as exc:
        raise InvalidInput("evidence bundle signature is not base64") from exc
    return body, raw_sig


def verify_bundle(data: bytes, *, public_key: str) -> VerifiedBundle:
    """Check an evidence bundle offline against the coalition's public key."""
    body, signature = _parse(data)
    key = load_public_b64(public_key.strip())
    verify(key, signature, canonical_bytes(body))
    coalition = body.get("coalition") or {}
    if coalition.get("public_key") != public_key.strip():
        raise VerificationError("bundle names a different coalition key than the trusted one")
    matches = body.get("matches")
    if not isinstance(matches, list) or not matches:
        raise VerificationError("evidence bundle holds no matches")
    for i, m in enumerate(matches):
        _check_match(i, m, public_key=public_key.strip(), origin=coalition.get("origin"))
    scan = body.get("scan") or {}
    return VerifiedBundle(
        coalition=str(coalition.get("name")),
        member=int(body.get("member", -1)),
        scan=int(scan.get("id", -1)),
        dataset_digest=str(scan.get("dataset_digest")),
        matches=len(matches),
    )


def _check_match(i: int, m: dict[str, Any], *, public_key: str, origin: str | None) -> None:
    receipt = canonical_bytes(m.get("receipt"))
    ok = verify_receipt(receipt, public_key=public_key, origin=origin)
    if ok.work != m.get("digest"):
        raise VerificationError(f"match {i}: its receipt registers another work")
    text = m.get("work_text")
    if not isinstance(text, str):
        raise VerificationError(f"match {i}: no member text")
    if "sha256:" + hashlib.sha256(text.encode()).hexdigest() != m.get("digest"):
        raise VerificationError(f"match {i}: the member's text is not the registered work")
    span = m.get("span") or {}
    w0, w1 = span.get("work", [0, 0])
    if text[w0:w1] != m.get("work_passage"):
        raise VerificationError(f"match {i}: the member's passage is not where the bundle says")
    passage = m.get("record_passage")
    if not isinstance(passage, str) or minhash.words(passage) != minhash.words(text[w0:w1]):
        raise VerificationError(f"match {i}: the passages do not say the same words")
