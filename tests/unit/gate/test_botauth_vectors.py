"""Web Bot Auth against Cloudflare's published vectors: signatures, agents, cards, registry."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from syndic.gate.botauth import (
    MAX_VALIDITY_S,
    AgentRef,
    Message,
    SignatureError,
    jwk_thumbprint,
    parse_registry,
    parse_signature_agent,
    public_key_from_jwk,
    sign_request,
    validate_card,
    verify_request,
)
from syndic.gate.keydir import KeyDirectory
from tests.conftest import shared_dir

VECTORS = shared_dir() / "vectors" / "web-bot-auth"


def _load(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((VECTORS / name).read_text())
    return data


SIGNED = [
    (f"{f}-{i}", case)
    for f in ("web_bot_auth_architecture_v1.json", "web_bot_auth_architecture_v2.json")
    for i, case in enumerate(_load(f))
]


def _message(case: dict[str, Any], **extra: str) -> Message:
    headers = {"Signature-Input": case["signature_input"], "Signature": case["signature"]}
    if "signature_agent" in case:
        headers["Signature-Agent"] = case["signature_agent"]
    headers.update(extra)
    return Message.of_url("GET", case["target_url"], headers)


def _resolver(jwk: dict[str, Any]) -> Any:
    key = public_key_from_jwk(jwk)
    want = jwk_thumbprint(jwk)

    async def resolve(keyid: str, agent: AgentRef | None) -> Any:
        if keyid != want:
            raise SignatureError("unknown keyid")
        return key

    return resolve


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000 + 10, UTC)


def _validity(case: dict[str, Any]) -> int:
    """The vectors' own validity (v2's signatures are valid for a century): they test the
    signature base, so they are checked under a limit that admits them."""
    return max(MAX_VALIDITY_S, (case["expires_ms"] - case["created_ms"]) // 1000)


@pytest.mark.parametrize(("name", "case"), SIGNED, ids=[n for n, _ in SIGNED])
def test_vector_signature_verifies(name: str, case: dict[str, Any]) -> None:
    v = asyncio.run(
        verify_request(
            _message(case),
            resolve=_resolver(case["key"]),
            now=_at(case["created_ms"]),
            max_validity_s=_validity(case),
        )
    )
    assert v.label == case["label"]
    assert v.nonce == case["nonce"]
    if "signature_agent" in case:
        assert v.agent == "https://signature-agent.test"


@pytest.mark.parametrize(("name", "case"), SIGNED, ids=[n for n, _ in SIGNED])
def test_vector_tampered_or_expired_is_refused(name: str, case: dict[str, Any]) -> None:
    resolve = _resolver(case["key"])
    other_host = Message.of_url(
        "GET", "https://evil.example/path/to/resource", dict(_message(case).headers)
    )
    limit = _validity(case)
    with pytest.raises(SignatureError, match="does not verify"):
        asyncio.run(
            verify_request(
                other_host, resolve=resolve, now=_at(case["created_ms"]), max_validity_s=limit
            )
        )
    with pytest.raises(SignatureError, match="expired"):
        asyncio.run(
            verify_request(
                _message(case), resolve=resolve, now=_at(case["expires_ms"]), max_validity_s=limit
            )
        )
    with pytest.raises(SignatureError, match="future"):
        asyncio.run(
            verify_request(
                _message(case),
                resolve=resolve,
                now=_at(case["created_ms"] - 3_600_000),
                max_validity_s=limit,
            )
        )


V2_LONG_LIVED = [(n, c) for n, c in SIGNED if n.startswith("web_bot_auth_architecture_v2")]


@pytest.mark.parametrize(("name", "case"), V2_LONG_LIVED, ids=[n for n, _ in V2_LONG_LIVED])
def test_a_signature_valid_for_a_century_is_refused_by_default(
    name: str, case: dict[str, Any]
) -> None:
    with pytest.raises(SignatureError, match="valid for more than 86400 s"):
        asyncio.run(
            verify_request(
                _message(case), resolve=_resolver(case["key"]), now=_at(case["created_ms"])
            )
        )


def _signed_at(created: int, expires: int | None) -> Message:
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    msg = Message.of_url("GET", "https://a.example/x", {})
    hdrs = sign_request(msg, key, created=created, expires=expires, nonce="n")
    return Message.of_url("GET", "https://a.example/x", hdrs)


def _verify_at(msg: Message, now: int, **kw: Any) -> Any:
    from syndic.gate.botauth import jwk_of

    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    keys = KeyDirectory(static=[jwk_of(key)])
    return asyncio.run(
        verify_request(msg, resolve=keys.resolve, now=datetime.fromtimestamp(now, UTC), **kw)
    )


def test_validity_is_bounded_by_expires_minus_created_and_by_age() -> None:
    t = 1_700_000_000
    # within the limit: verifies
    assert _verify_at(_signed_at(t, t + 300), t + 10).nonce == "n"
    # expires - created over the limit: refused even while "valid"
    with pytest.raises(SignatureError, match="valid for more than 600 s"):
        _verify_at(_signed_at(t, t + 601), t + 10, max_validity_s=600)
    # a true expiry (not "expires before created"): refused once now reaches expires
    with pytest.raises(SignatureError, match="has expired"):
        _verify_at(_signed_at(t, t + 300), t + 300)
    # without expires: refused once used longer after created than the limit
    assert _verify_at(_signed_at(t, None), t + 390, max_validity_s=400).expires is None
    with pytest.raises(SignatureError, match="too old"):
        _verify_at(_signed_at(t, None), t + 401, max_validity_s=400)


@pytest.mark.parametrize(
    "case", _load("web_bot_auth_signature_agent_v1.json"), ids=lambda c: c["name"]
)
def test_signature_agent_vectors(case: dict[str, Any]) -> None:
    got = parse_signature_agent(case["header"])
    assert [{"label": r.label, "uri": r.uri, "type": r.type} for r in got] == case["entries"]


@pytest.mark.parametrize(
    "case", _load("web_bot_auth_signature_agent_card_v1.json"), ids=lambda c: c["name"]
)
def test_signature_agent_card_vectors(case: dict[str, Any]) -> None:
    if case["valid"]:
        assert validate_card(case["url"], case["card"]) == case["card"]
    else:
        with pytest.raises(SignatureError, match=case["error"]):
            validate_card(case["url"], case["card"])


@pytest.mark.parametrize("case", _load("web_bot_auth_registry_v1.json"), ids=lambda c: c["name"])
def test_registry_vectors(case: dict[str, Any]) -> None:
    assert parse_registry(case["registry_txt"]) == case["signature_agent_cards"]


def test_our_signer_round_trips_and_static_keys_resolve() -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    msg = Message.of_url("GET", "http://127.0.0.1:9/x?y=1", {"crawler-max-price": "EUR 0.05"})
    hdrs = sign_request(
        msg,
        key,
        created=1_700_000_000,
        expires=1_700_000_300,
        nonce="n1",
        extra=["crawler-max-price"],
    )
    from syndic.gate.botauth import jwk_of

    keys = KeyDirectory(static=[jwk_of(key)])
    signed = Message.of_url(
        "GET", "http://127.0.0.1:9/x?y=1", {"crawler-max-price": "EUR 0.05", **hdrs}
    )
    now = datetime.fromtimestamp(1_700_000_010, UTC)
    v = asyncio.run(
        verify_request(signed, resolve=keys.resolve, now=now, require=["crawler-max-price"])
    )
    assert v.covered == ("@authority", "crawler-max-price")
    # the price header is covered: changing it breaks the signature
    changed = Message.of_url(
        "GET", "http://127.0.0.1:9/x?y=1", {**hdrs, "crawler-max-price": "EUR 9.00"}
    )
    with pytest.raises(SignatureError, match="does not verify"):
        asyncio.run(verify_request(changed, resolve=keys.resolve, now=now))
    with pytest.raises(SignatureError, match="must cover crawler-exact-price"):
        asyncio.run(
            verify_request(signed, resolve=keys.resolve, now=now, require=["crawler-exact-price"])
        )


@pytest.mark.parametrize(
    ("headers", "match"),
    [
        ({}, "both Signature-Input and Signature"),
        ({"Signature-Input": "sig1=(", "Signature": "sig1=:AA==:"}, "malformed"),
        (
            {
                "Signature-Input": 'sig1=("@authority");created=1;keyid="k"',
                "Signature": "sig1=:AA==:",
            },
            "tag",
        ),
        (
            {
                "Signature-Input": 'sig1=("@path");created=1;keyid="k";tag="web-bot-auth"',
                "Signature": "sig1=:AA==:",
            },
            "must cover @authority",
        ),
        (
            {
                "Signature-Input": 'sig1=("@authority");keyid="k";tag="web-bot-auth"',
                "Signature": "sig1=:AA==:",
            },
            "keyid and created",
        ),
        (
            {
                "Signature-Input": 'sig1=("@authority");created=1;keyid="k";tag="web-bot-auth"',
                "Signature": "sig2=:AA==:",
            },
            "no Signature value",
        ),
    ],
)
def test_malformed_signature_headers_are_refused(headers: dict[str, str], match: str) -> None:
    keys = KeyDirectory()
    with pytest.raises(SignatureError, match=match):
        asyncio.run(
            verify_request(
                Message.of_url("GET", "https://a.example/", headers),
                resolve=keys.resolve,
                now=datetime.fromtimestamp(100, UTC),
            )
        )
