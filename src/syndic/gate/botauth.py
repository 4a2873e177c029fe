"""Web Bot Auth: RFC 9421 HTTP Message Signatures with ``tag="web-bot-auth"``.

A crawler signs each request (at least ``@authority``, and ``signature-agent`` when it sends
one); ``Signature-Agent`` names where its public keys live (a JWKS directory, a ``jwks_uri``
or a signature-agent card); ``keyid`` is the key's JWK thumbprint (RFC 7638).

Structured fields are parsed and serialised by ``http_sf``; the signature base (RFC 9421
section 2.5) and the checks are ours, because the Python RFC 9421 libraries we looked at
build on ``requests`` objects and do not cover dictionary-member components
(``"signature-agent";key="agent2"``), which the Web Bot Auth vectors use.

This module is pure (no I/O): fetching a Signature-Agent's keys is ``syndic.gate.keydir``'s,
and whether a signature's ``@authority`` is this site is the gate's.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlsplit

import http_sf
from cryptography.exceptions import InvalidSignature as _BadSig
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from syndic.errors import SignatureError

TAG = "web-bot-auth"
DIRECTORY_PATH = "/.well-known/http-message-signatures-directory"
MAX_VALIDITY_S = 24 * 3600  # a signature valid (or used) for longer than this is refused
CLOCK_SKEW_S = 60
PublicKey = Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def _ser(value: Any) -> str:
    """Serialise a structured field (http_sf's own annotations are narrower than its API)."""
    return str(cast(Any, http_sf).ser(value))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- keys ------------------------------------------------------------------------------------
_THUMB_MEMBERS = {
    "OKP": ("crv", "kty", "x"),
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
}


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint, base64url without padding."""
    members = _THUMB_MEMBERS.get(str(jwk.get("kty")))
    if members is None or any(not isinstance(jwk.get(m), str) for m in members):
        raise SignatureError(f"unsupported or incomplete JWK (kty={jwk.get('kty')!r})")
    canon = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canon.encode()).digest())


def public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    try:
        kty = jwk.get("kty")
        if kty == "OKP" and jwk.get("crv") == "Ed25519":
            return Ed25519PublicKey.from_public_bytes(_unb64url(str(jwk["x"])))
        if kty == "RSA":
            n = int.from_bytes(_unb64url(str(jwk["n"])), "big")
            e = int.from_bytes(_unb64url(str(jwk["e"])), "big")
            return rsa.RSAPublicNumbers(e, n).public_key()
        if kty == "EC" and jwk.get("crv") == "P-256":
            x = int.from_bytes(_unb64url(str(jwk["x"])), "big")
            y = int.from_bytes(_unb64url(str(jwk["y"])), "big")
            return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except (KeyError, ValueError, TypeError) as exc:
        raise SignatureError(f"malformed JWK: {exc}") from exc
    raise SignatureError(f"unsupported JWK kty={jwk.get('kty')!r} crv={jwk.get('crv')!r}")


def jwk_of(key: Ed25519PrivateKey | Ed25519PublicKey) -> dict[str, str]:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    from cryptography.hazmat.primitives import serialization

    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def _verify_raw(key: PublicKey, alg: str | None, signature: bytes, base: bytes) -> None:
    try:
        if isinstance(key, Ed25519PublicKey) and alg in (None, "ed25519"):
            key.verify(signature, base)
        elif isinstance(key, rsa.RSAPublicKey) and alg in (None, "rsa-pss-sha512"):
            key.verify(
                signature,
                base,
                padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64),
                hashes.SHA512(),
            )
        elif isinstance(key, rsa.RSAPublicKey) and alg == "rsa-v1_5-sha256":
            key.verify(signature, base, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey) and alg in (None, "ecdsa-p256-sha256"):
            if len(signature) != 64:
                raise SignatureError("an ecdsa-p256-sha256 signature is 64 bytes")
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), base, ec.ECDSA(hashes.SHA256()))
        else:
            raise SignatureError(f"algorithm {alg!r} does not fit the key")
    except _BadSig as exc:
        raise SignatureError("signature does not verify") from exc


# --- the request as RFC 9421 sees it --------------------------------------------------------
@dataclass(frozen=True)
class Message:
    """What a signature can cover: derived components and header fields (lower-case names)."""

    method: str
    scheme: str
    authority: str
    path: str
    query: str  # without the "?"
    headers: Mapping[str, str]

    @classmethod
    def of_url(cls, method: str, url: str, headers: Mapping[str, str]) -> Message:
        u = urlsplit(url)
        return cls(
            method=method.upper(),
            scheme=u.scheme,
            authority=u.netloc.lower(),
            path=u.path or "/",
            query=u.query,
            headers={k.lower(): v for k, v in headers.items()},
        )


def _component(msg: Message, name: str, params: Mapping[str, Any]) -> str:
    unsupported = set(params) - {"key", "sf"}
    if unsupported:
        raise SignatureError(f"component parameter {sorted(unsupported)[0]!r} is not supported")
    if name.startswith("@"):
        derived = {
            "@method": msg.method,
            "@scheme": msg.scheme,
            "@authority": msg.authority,
            "@path": msg.path,
            "@query": "?" + msg.query,
            "@request-target": msg.path + ("?" + msg.query if msg.query else ""),
            "@target-uri": f"{msg.scheme}://{msg.authority}{msg.path}"
            + ("?" + msg.query if msg.query else ""),
        }
        if name not in derived:
            raise SignatureError(f"derived component {name!r} is not supported")
        return derived[name]
    if name not in msg.headers:
        raise SignatureError(f"covered header {name!r} is missing from the request")
    value = msg.headers[name].strip()
    try:
        if "key" in params:
            member = http_sf.parse(value.encode(), tltype="dictionary")
            if not isinstance(member, dict) or params["key"] not in member:
                raise SignatureError(f"{name} has no member {params['key']!r}")
            return _ser(member[params["key"]])
        if params.get("sf"):
            return _ser(http_sf.parse(value.encode(), name=name))
    except http_sf.StructuredFieldError as exc:
        raise SignatureError(f"{name} is not a valid structured field: {exc}") from exc
    return value


def _identifier(name: str, params: Mapping[str, Any]) -> str:
    return _ser((name, dict(params)))


def signature_base(
    msg: Message, components: Sequence[tuple[str, Mapping[str, Any]]], params_line: str
) -> bytes:
    lines = []
    seen = set()
    for name, params in components:
        ident = _identifier(name, params)
        if ident in seen:
            raise SignatureError(f"component {ident} is covered twice")
        seen.add(ident)
        lines.append(f"{ident}: {_component(msg, name, params)}")
    lines.append(f'"@signature-params": {params_line}')
    return "\n".join(lines).encode("utf-8")


def _inner_list_line(label: str, inner: Any) -> str:
    serialised = _ser({label: inner})
    return serialised[len(label) + 1 :]


# --- Signature-Agent -------------------------------------------------------------------------
@dataclass(frozen=True)
class AgentRef:
    label: str | None
    uri: str
    type: str = "directory"


def parse_signature_agent(header: str) -> list[AgentRef]:
    """A ``Signature-Agent`` dictionary (``sig1="https://..."``) or, as older drafts sent it,
    one quoted string."""
    raw = header.strip().encode()
    try:
        if raw.startswith(b'"'):
            value, params = cast(tuple[Any, dict[str, Any]], http_sf.parse(raw, tltype="item"))
            return [AgentRef(None, str(value), str(params.get("type", "directory")))]
        parsed = http_sf.parse(raw, tltype="dictionary")
    except http_sf.StructuredFieldError as exc:
        raise SignatureError(f"Signature-Agent is malformed: {exc}") from exc
    out = []
    for label, member in cast(dict[str, Any], parsed).items():
        value, params = member
        if not isinstance(value, str):
            raise SignatureError(f"Signature-Agent member {label!r} is not a string")
        out.append(AgentRef(label, value, str(params.get("type", "directory"))))
    return out


def parse_registry(text: str) -> list[str]:
    """A registry of signature-agent cards: one URL per line; ``#`` starts a comment."""
    return [u for line in text.splitlines() if (u := line.split("#", 1)[0].strip())]


def validate_card(url: str, card: Mapping[str, Any]) -> Mapping[str, Any]:
    """A signature-agent card's own rules; returns it, or raises with the rule it breaks."""
    if card.get("client_id") != url:
        raise SignatureError("client_id must match the card URL")
    if "jwks" in card and "jwks_uri" in card:
        raise SignatureError("card must not contain both jwks and jwks_uri")
    if "jwks" not in card and "jwks_uri" not in card:
        raise SignatureError("card needs jwks or jwks_uri")
    return card


# --- verification ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Verified:
    label: str
    keyid: str
    agent: str | None  # the Signature-Agent URI the key came from, if any
    nonce: str | None
    created: int
    expires: int | None
    covered: tuple[str, ...]  # component names


KeyResolver = Callable[[str, AgentRef | None], Awaitable[PublicKey]]


async def verify_request(
    msg: Message,
    *,
    resolve: KeyResolver,
    now: datetime,
    require: Sequence[str] = (),
    max_validity_s: int = MAX_VALIDITY_S,
) -> Verified:
    """Verify the ``web-bot-auth`` signature on ``msg``; ``SignatureError`` says why not.

    ``require`` names components (besides ``@authority``) that must be covered, e.g. the
    pay-per-crawl price header. A signature whose ``expires - created`` exceeds
    ``max_validity_s``, or that is used more than ``max_validity_s`` after ``created``, is
    refused whatever its ``expires`` says.
    """
    label, inputs, sigs = _chosen(msg)
    items, params = inputs[label]
    if not isinstance(items, list):
        raise SignatureError("Signature-Input member is not an inner list")
    components = [(str(name), dict(p)) for name, p in items]
    names = tuple(n for n, _ in components)
    _check_coverage(msg, names, require)
    keyid, created, expires = params.get("keyid"), params.get("created"), params.get("expires")
    if not isinstance(keyid, str) or not isinstance(created, int):
        raise SignatureError("signature parameters need keyid and created")
    _check_times(created, expires, int(now.timestamp()), max_validity_s)
    agent = _agent_for(msg, components)
    key = await resolve(keyid, agent)
    alg = params.get("alg")
    base = signature_base(msg, components, _inner_list_line(label, inputs[label]))
    _verify_raw(key, None if alg is None else str(alg), sigs[label][0], base)
    nonce = params.get("nonce")
    return Verified(
        label=label,
        keyid=keyid,
        agent=None if agent is None else agent.uri,
        nonce=None if nonce is None else str(nonce),
        created=created,
        expires=expires,
        covered=names,
    )


def _chosen(msg: Message) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The label of the ``web-bot-auth`` signature, and both parsed headers."""
    sig_input = msg.headers.get("signature-input")
    sig_header = msg.headers.get("signature")
    if not sig_input or not sig_header:
        raise SignatureError("send both Signature-Input and Signature headers")
    try:
        inputs = cast(dict[str, Any], http_sf.parse(sig_input.encode(), tltype="dictionary"))
        sigs = cast(dict[str, Any], http_sf.parse(sig_header.encode(), tltype="dictionary"))
    except http_sf.StructuredFieldError as exc:
        raise SignatureError(f"signature headers are malformed: {exc}") from exc
    chosen = [label for label, v in inputs.items() if v[1].get("tag") == TAG]
    if not chosen:
        raise SignatureError(f'no signature with tag="{TAG}"')
    label = chosen[0]
    if label not in sigs or not isinstance(sigs[label][0], bytes):
        raise SignatureError(f"no Signature value for label {label!r}")
    return label, inputs, sigs


def _check_coverage(msg: Message, names: tuple[str, ...], require: Sequence[str]) -> None:
    for needed in ("@authority", *require):
        if needed not in names:
            raise SignatureError(f"the signature must cover {needed}")
    if "signature-agent" in msg.headers and "signature-agent" not in names:
        raise SignatureError("the signature must cover signature-agent")


def _check_times(created: int, expires: Any, ts: int, max_validity_s: int) -> None:
    if created > ts + CLOCK_SKEW_S:
        raise SignatureError("signature is created in the future")
    if expires is not None:
        if not isinstance(expires, int) or expires <= created:
            raise SignatureError("signature expires before it was created")
        if expires - created > max_validity_s:
            raise SignatureError(f"signature is valid for more than {max_validity_s} s")
        if ts >= expires:
            raise SignatureError("signature has expired")
    if ts - created > max_validity_s:
        raise SignatureError("signature is too old")


def _agent_for(
    msg: Message, components: Sequence[tuple[str, Mapping[str, Any]]]
) -> AgentRef | None:
    header = msg.headers.get("signature-agent")
    if header is None:
        return None
    refs = parse_signature_agent(header)
    for name, params in components:
        if name == "signature-agent" and "key" in params:
            for r in refs:
                if r.label == params["key"]:
                    return r
            raise SignatureError(f"Signature-Agent has no member {params['key']!r}")
    if len(refs) != 1:
        raise SignatureError("Signature-Agent names several agents; cover one with ;key=")
    return refs[0]


# --- signing (crawlers we run: the demo, tests, the benchmark) -------------------------------
def sign_request(
    msg: Message,
    key: Ed25519PrivateKey,
    *,
    created: int,
    expires: int | None,
    nonce: str | None,
    agent: str | None = None,
    extra: Sequence[str] = (),
    label: str = "sig1",
) -> dict[str, str]:
    """Headers that sign ``msg`` for Web Bot Auth with an Ed25519 key."""
    headers = dict(msg.headers)
    comps: list[tuple[str, dict[str, Any]]] = [("@authority", {})]
    if agent is not None:
        headers["signature-agent"] = _ser({label: (agent, {})})
        comps.append(("signature-agent", {"key": label}))
    comps += [(h.lower(), {}) for h in extra]
    params: dict[str, Any] = {"created": created}
    if expires is not None:
        params["expires"] = expires
    params |= {"keyid": jwk_thumbprint(jwk_of(key)), "alg": "ed25519"}
    if nonce is not None:
        params["nonce"] = nonce
    params["tag"] = TAG
    inner = (comps, params)
    signed = Message(msg.method, msg.scheme, msg.authority, msg.path, msg.query, headers)
    base = signature_base(signed, comps, _inner_list_line(label, inner))
    out = {
        "Signature-Input": _ser({label: inner}),
        "Signature": _ser({label: (key.sign(base), {})}),
    }
    if agent is not None:
        out["Signature-Agent"] = headers["signature-agent"]
    return out
