"""Key directories named by Signature-Agent, fetched over real HTTP on loopback: untrusted
input refused with one generic message, no requests to private addresses unless allowed,
bounded bodies, cached failures, a bounded cache."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from syndic.errors import SignatureError
from syndic.gate.botauth import DIRECTORY_PATH, AgentRef, jwk_of, jwk_thumbprint
from syndic.gate.keydir import UNUSABLE, FetchLimits, KeyDirectory
from tests.integration.gate.helpers import serve

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KID = jwk_thumbprint(jwk_of(KEY))


class Site:
    """A key-directory server whose answer each test chooses; counts and records requests."""

    def __init__(self) -> None:
        self.hits = 0
        self.hosts: list[str] = []
        self.answer: Any = {"keys": [jwk_of(KEY)]}

    async def endpoint(self, request: Request) -> Response:
        self.hits += 1
        self.hosts.append(request.headers.get("host", ""))
        a = self.answer
        return a() if callable(a) else Response(json.dumps(a), media_type="application/json")

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route(DIRECTORY_PATH, self.endpoint), Route("/{p:path}", self.endpoint)]
        )


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    s = Site()
    with serve(s.app()) as url:
        yield s, url


def _resolve(keys: KeyDirectory, uri: str, kind: str = "directory") -> Any:
    async def go() -> Any:
        try:
            return await keys.resolve(KID, AgentRef("sig1", uri, kind))
        finally:
            await keys.aclose()

    return asyncio.run(go())


def _refused(keys: KeyDirectory, uri: str, kind: str = "directory") -> str:
    with pytest.raises(SignatureError) as err:
        _resolve(keys, uri, kind)
    return err.value.message


def test_a_directory_on_loopback_is_used_only_when_allowed(site: tuple[Site, str]) -> None:
    s, url = site
    assert _refused(KeyDirectory(allow_http=True), url) == UNUSABLE
    assert s.hits == 0  # never asked: a private address is refused before connecting
    localhost = url.replace("127.0.0.1", "localhost")
    assert _refused(KeyDirectory(allow_http=True), localhost) == UNUSABLE
    assert s.hits == 0
    assert _resolve(KeyDirectory(allow_http=True, allow_private=True), url) is not None
    assert s.hits == 1


def test_only_https_unless_http_is_allowed(site: tuple[Site, str]) -> None:
    s, url = site
    assert _refused(KeyDirectory(allow_private=True), url) == UNUSABLE
    assert s.hits == 0


def test_the_checked_address_is_the_one_connected_to(site: tuple[Site, str]) -> None:
    """A name is resolved once, checked, and the connection goes to that address (with the
    name as Host), so a DNS answer that changes after the check cannot redirect it."""
    s, url = site
    port = int(url.rsplit(":", 1)[1])
    asked: list[str] = []

    async def resolver(host: str, p: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    keys = KeyDirectory(allow_http=True, allow_private=True, resolver=resolver)
    assert _resolve(keys, f"http://crawler.test:{port}") is not None
    assert asked == ["crawler.test"] and s.hosts == [f"crawler.test:{port}"]

    async def public_then_private(host: str, p: int) -> list[str]:
        return ["93.184.215.14", "10.0.0.7"]

    keys = KeyDirectory(allow_http=True, resolver=public_then_private)
    assert _refused(keys, f"http://crawler.test:{port}") == UNUSABLE  # every address counts


def _stream(n: int) -> Any:
    def make() -> Response:
        async def body() -> Any:
            for _ in range(n):
                yield b" " * 1024

        return StreamingResponse(body(), media_type="application/json")

    return make


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (lambda: Response(b"{not json", media_type="application/json"), "Expecting"),
        ({"keys": ["oops", 3, None]}, None),  # no usable key: keyid not found
        ([1, 2], "not a JWK set"),
        ({"keys": "nope"}, "not a JWK set"),
        (lambda: Response(b"{}", status_code=404), "HTTP 404"),
        (
            lambda: Response(b"", status_code=302, headers={"location": "http://10.0.0.1/"}),
            "HTTP 302",
        ),
        (lambda: Response(b" " * 70_000, media_type="application/json"), "declares 70000"),
        (_stream(80), "more than 65536"),
    ],
)
def test_bad_directories_are_one_generic_refusal_with_the_detail_in_the_log(
    site: tuple[Site, str], answer: Any, why: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    s, url = site
    s.answer = answer
    keys = KeyDirectory(allow_http=True, allow_private=True)
    with caplog.at_level(logging.WARNING, logger="syndic.gate.keydir"):
        message = _refused(keys, url)
    assert url not in message and "HTTP" not in message
    if why is not None:
        assert message == UNUSABLE
        assert why in caplog.text
    else:
        assert "keyid is not in" in message


@pytest.mark.parametrize(
    ("uri", "kind"),
    [
        ("https://[::1", "directory"),
        ("https://user:pw@bot.example/", "directory"),
        ("ftp://bot.example/", "directory"),
        ("https:///nohost", "directory"),
        ("https://bot.example/", "carrier-pigeon"),
    ],
)
def test_malformed_agent_uris_are_refused_not_raised(uri: str, kind: str) -> None:
    assert _refused(KeyDirectory(allow_http=True), uri, kind) == UNUSABLE


def test_a_card_that_breaks_its_rules_is_refused(site: tuple[Site, str]) -> None:
    s, url = site
    s.answer = {"client_id": "https://someone.else/", "jwks": {"keys": [jwk_of(KEY)]}}
    keys = KeyDirectory(allow_http=True, allow_private=True)
    assert _refused(keys, url + "/card.json", "cimd") == UNUSABLE
    s.answer = {"client_id": url + "/card2.json", "jwks": {"keys": [jwk_of(KEY)]}}
    assert _resolve(KeyDirectory(allow_http=True, allow_private=True), url + "/card2.json", "cimd")


def test_failures_are_cached_and_the_cache_is_bounded(site: tuple[Site, str]) -> None:
    s, url = site
    now = [0.0]
    s.answer = lambda: Response(b"down", status_code=503)
    keys = KeyDirectory(
        allow_http=True,
        allow_private=True,
        limits=FetchLimits(failure_ttl_s=60, max_entries=2),
        clock=lambda: now[0],
    )

    async def scenario() -> None:
        agent = AgentRef(None, url, "directory")
        for _ in range(3):
            with pytest.raises(SignatureError):
                await keys.resolve(KID, agent)
        assert s.hits == 1  # the failure was remembered
        now[0] = 61.0
        s.answer = {"keys": [jwk_of(KEY)]}
        await keys.resolve(KID, agent)
        assert s.hits == 2
        for path in ("/a", "/b", "/c"):  # three more agents (jwks_uri), two places
            await keys.resolve(KID, AgentRef(None, url + path, "jwks_uri"))
        assert len(keys._cache) == 2
        await keys.resolve(KID, AgentRef(None, url + "/c", "jwks_uri"))
        assert s.hits == 5  # the newest stayed cached
        await keys.resolve(KID, agent)
        assert s.hits == 6  # the oldest was evicted
        await keys.aclose()

    asyncio.run(scenario())


def test_fetches_beyond_the_limit_are_refused_without_asking(site: tuple[Site, str]) -> None:
    s, url = site
    assert _refused(
        KeyDirectory(allow_http=True, allow_private=True, limits=FetchLimits(max_fetches=0)), url
    )
    assert s.hits == 0
