"""The signed agreement: its canonical document, the file both parties' signatures travel in,
and the offline check of that file (no database, no network: the file and, optionally, the
keys one already trusts).

The file is RFC 8785 canonical JSON followed by one newline::

    {"document": {...}, "signatures": {"coalition": "<base64>", "licensee": "<base64>"}}

Both signatures are Ed25519 over the canonical bytes of ``document``. Because the whole file
must be canonical, and every field is either signed or checked, changing any byte of it makes
the check fail.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from syndic.canonical import canonical_bytes, parse_canonical
from syndic.clock import iso
from syndic.errors import InvalidInput, VerificationError
from syndic.governance.mandates import is_vlop
from syndic.keys import load_public_b64, verify
from syndic.terms.models import Terms
from syndic.vault import Digest

DOCUMENT_TYPE = "syndic.agreement/v2"


def scope_root(digests: list[str]) -> str:
    """One digest naming an exact set of works: SHA-256 over the sorted digests, one per line."""
    return str(Digest.of_bytes("".join(f"{d}\n" for d in sorted(digests)).encode("ascii")))


class _Open(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class DocumentParty(_Open):
    name: str | None = None
    public_key: str | None = None


class DocumentParties(_Open):
    coalition: DocumentParty
    licensee: DocumentParty


class AgreementDocument(_Open):
    """A signed agreement's document, read once from the exact bytes both parties sign.

    The fields the code reads are typed; the rest is kept as signed (``as_json``)."""

    type: str
    agreement: int
    deal: int
    parties: DocumentParties
    terms: dict[str, Any]
    _source: dict[str, Any] = PrivateAttr(default_factory=dict)

    @classmethod
    def parse(cls, document: bytes) -> AgreementDocument:
        try:
            source = json.loads(document)  # stored canonical; re-checking costs every token check
            doc = cls.model_validate(source)
        except (ValueError, ValidationError) as exc:
            raise VerificationError(f"not a readable agreement document: {exc}") from exc
        if doc.type != DOCUMENT_TYPE:
            raise VerificationError(f"not a {DOCUMENT_TYPE} document")
        doc._source = source
        return doc

    def as_json(self) -> dict[str, Any]:
        """The document exactly as signed."""
        return self._source

    @property
    def licensee_key(self) -> str:
        key = self.parties.licensee.public_key
        if key is None:
            raise VerificationError(f"agreement {self.agreement} names no licensee key")
        return key

    def licensed_terms(self) -> Terms:
        return Terms.model_validate(self.terms)

    def usages(self) -> tuple[str, ...]:
        """The usages the agreement permits, sorted."""
        return tuple(sorted(self.terms["permits"]))


@dataclass(frozen=True)
class DealText:
    """The deal being signed: its id, its terms document and its clauses."""

    deal_id: int
    terms: dict[str, Any]
    clauses: dict[str, Any]


@dataclass(frozen=True)
class Parties:
    """``coalition`` is its name and public key; ``licensee`` its id, name, contact, public
    key and monthly active users."""

    coalition: dict[str, str]
    licensee: dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """The collections, the digests of the works covered, and the coverage summary at
    signing (held-out works and excluded members)."""

    collections: list[str]
    digests: list[str]
    coverage: dict[str, Any]


@dataclass(frozen=True)
class MarketLeader:
    """The market-leader clause: the monthly-active-users threshold of a very large platform
    and the open licence offered to smaller builders (if any)."""

    vlop_mau_threshold: int
    open_licence: str | None


def build_document(
    *,
    agreement_id: int,
    deal: DealText,
    parties: Parties,
    scope: Scope,
    market_leader: MarketLeader,
    governance: dict[str, Any],
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    """The agreement document both parties sign (before canonicalisation); ``governance`` is
    the vote that approved the deal."""
    terms, clauses = deal.terms, deal.clauses
    licensee = parties.licensee
    digests, coverage = scope.digests, scope.coverage
    vlop_mau_threshold = market_leader.vlop_mau_threshold
    mau = licensee["monthly_active_users"]
    schedule = [
        {**i, "due_on": (start + timedelta(days=i["due_days"])).date().isoformat()}
        for i in clauses["payment_schedule"]
    ]
    return {
        "type": DOCUMENT_TYPE,
        "agreement": agreement_id,
        "deal": deal.deal_id,
        "parties": {"coalition": dict(parties.coalition), "licensee": dict(licensee)},
        "terms": terms,
        "price": {
            "amount_minor": terms["amount_minor"],
            "currency": terms["currency"],
            "payment_type": terms["payment_type"],
        },
        "payment_schedule": schedule,
        "reporting": clauses["reporting"],
        "dates": {"starts_at": iso(start), "ends_at": iso(end)},
        "scope": {
            "collections": scope.collections,
            "works": len(digests),
            "root": scope_root(digests),
            "digests": digests,
            **{k: v for k, v in coverage.items() if k != "works_covered"},
        },
        "market_leader_clause": {
            "threshold_monthly_active_users": vlop_mau_threshold,
            "licensee_monthly_active_users": mau,
            "licensee_is_very_large_platform": is_vlop(mau, vlop_mau_threshold),
            "open_licence_for_small_builders": market_leader.open_licence,
            "on_crossing_threshold": (
                "the licensee reports it within 30 days; from then on only a licence "
                "negotiated with the coalition covers it, and the open licence does not"
            ),
        },
        "governance": governance,
    }


def file_bytes(document: dict[str, Any], coalition_sig: str, licensee_sig: str | None) -> bytes:
    body = {
        "document": document,
        "signatures": {"coalition": coalition_sig, "licensee": licensee_sig},
    }
    return canonical_bytes(body) + b"\n"


def _b64(text: Any, what: str) -> bytes:
    """Strict base64: the one spelling that re-encodes to itself (no malleable padding bits)."""
    if not isinstance(text, str):
        raise VerificationError(f"{what} is missing")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"{what} is not base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerificationError(f"{what} is not in canonical base64")
    return raw


def _key(text: Any, who: str, pinned: str | None) -> Ed25519PublicKey:
    _b64(text, f"the {who}'s public key")
    if pinned is not None and pinned != text:
        raise VerificationError(f"the {who}'s key in the agreement is not the one you trust")
    return load_public_b64(str(text))


@dataclass(frozen=True)
class Verified:
    agreement: int
    coalition: str
    coalition_key: str
    licensee: str
    licensee_key: str
    works: int
    scope_root: str
    starts_at: str
    ends_at: str
    keys_pinned: bool

    def to_dict(self) -> dict[str, Any]:
        return {"ok": True, **self.__dict__}


def _read_file(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """An agreement file's document and signatures; it must be canonical JSON (so no key
    appears twice) plus one newline, with exactly these two parts."""
    if not data.endswith(b"\n"):
        raise VerificationError("an agreement file ends with one newline")
    try:
        body = parse_canonical(data[:-1])
    except InvalidInput as exc:
        raise VerificationError(f"agreement file: {exc.message}") from exc
    if not isinstance(body, dict) or set(body) != {"document", "signatures"}:
        raise VerificationError("an agreement file holds exactly a document and its signatures")
    doc, sigs = body["document"], body["signatures"]
    if not isinstance(sigs, dict) or set(sigs) != {"coalition", "licensee"}:
        raise VerificationError("signatures are the coalition's and the licensee's")
    if not isinstance(doc, dict) or doc.get("type") != DOCUMENT_TYPE:
        raise VerificationError(f"not a {DOCUMENT_TYPE} document")
    return doc, sigs


def _check_coalition(doc: dict[str, Any], sigs: dict[str, Any], pinned: str | None) -> None:
    try:
        key = doc["parties"]["coalition"].get("public_key")
    except (KeyError, TypeError, AttributeError) as exc:
        raise VerificationError(f"the agreement document lacks {exc}") from exc
    c_pub = _key(key, "coalition", pinned)
    c_sig = _b64(sigs["coalition"], "the coalition's signature")
    try:
        verify(c_pub, c_sig, canonical_bytes(doc))
    except VerificationError as exc:
        raise VerificationError("the coalition's signature does not verify") from exc


def signing_message(data: bytes, *, coalition_key: str | None = None) -> bytes:
    """What a licensee signs, taken from the agreement file the coalition signed: the file
    is read as strictly as ``verify_file`` reads it, and the coalition's signature, the scope
    and the schedule must check out first (``coalition_key`` pins the key one trusts)."""
    doc, sigs = _read_file(data)
    _check_coalition(doc, sigs, coalition_key)
    if not isinstance(doc.get("scope"), dict):
        raise VerificationError("the agreement document lacks a scope")
    _check_scope(doc["scope"])
    _check_schedule(doc)
    return canonical_bytes(doc)


def verify_file(
    data: bytes, *, coalition_key: str | None = None, licensee_key: str | None = None
) -> Verified:
    """Check an agreement file: canonical form, both signatures, the scope and the schedule.

    Without pinned keys the signatures are checked against the keys the document names, which
    proves both holders signed these exact bytes; pin the keys to prove who they are.
    """
    doc, sigs = _read_file(data)
    try:
        parties = doc["parties"]
        coalition, licensee = parties["coalition"], parties["licensee"]
        scope = doc["scope"]
    except (KeyError, TypeError) as exc:
        raise VerificationError(f"the agreement document lacks {exc}") from exc
    message = canonical_bytes(doc)
    _check_coalition(doc, sigs, coalition_key)
    if sigs["licensee"] is None:
        raise VerificationError("the licensee has not signed this agreement yet")
    l_pub = _key(licensee.get("public_key"), "licensee", licensee_key)
    l_sig = _b64(sigs["licensee"], "the licensee's signature")
    try:
        verify(l_pub, l_sig, message)
    except VerificationError as exc:
        raise VerificationError("the licensee's signature does not verify") from exc
    _check_scope(scope)
    _check_schedule(doc)
    return Verified(
        agreement=int(doc["agreement"]),
        coalition=str(coalition.get("name")),
        coalition_key=str(coalition["public_key"]),
        licensee=str(licensee.get("name")),
        licensee_key=str(licensee["public_key"]),
        works=int(scope["works"]),
        scope_root=str(scope["root"]),
        starts_at=str(doc["dates"]["starts_at"]),
        ends_at=str(doc["dates"]["ends_at"]),
        keys_pinned=coalition_key is not None and licensee_key is not None,
    )


def _check_scope(scope: Any) -> None:
    """The listed digests are well formed, sorted, unique, counted right and hash to the root."""
    digests = scope.get("digests") if isinstance(scope, dict) else None
    if not isinstance(digests, list) or not all(isinstance(d, str) for d in digests):
        raise VerificationError("the scope lists no work digests")
    try:
        parsed = [str(Digest.parse(d)) for d in digests]
    except InvalidInput as exc:
        raise VerificationError(f"scope: {exc.message}") from exc
    if parsed != digests or digests != sorted(set(digests)):
        raise VerificationError("scope digests must be sha256:<hex>, sorted and unique")
    if scope.get("works") != len(digests):
        raise VerificationError(
            f"the scope says {scope.get('works')} works but lists {len(digests)}"
        )
    if scope.get("root") != scope_root(digests):
        raise VerificationError("the scope root does not match the listed works")


def _check_schedule(doc: dict[str, Any]) -> None:
    try:
        amount = doc["price"]["amount_minor"]
        total = sum(int(i["amount_minor"]) for i in doc["payment_schedule"])
    except (KeyError, TypeError, ValueError) as exc:
        raise VerificationError("the agreement has no readable price and schedule") from exc
    if total != amount:
        raise VerificationError(f"the payment schedule adds up to {total}, not {amount}")
