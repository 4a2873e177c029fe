"""Where a verified crawler's public keys come from: static keys, or the key directory its
``Signature-Agent`` header names (a ``/.well-known/http-message-signatures-directory``, a
``jwks_uri`` or a signature-agent card).

``Signature-Agent`` is request input, so fetching it is fetching a URL a stranger chose:

* every failure (a malformed URI, a refused address, a timeout, a non-200 answer, a body over
  ``max_bytes``, bad JSON or a bad JWK) becomes one generic ``SignatureError``; the detail
  goes to the operator's log (logger ``syndic.gate.keydir``), never back to the client;
* only https, and only hosts whose every address is public (not loopback, private,
  link-local, reserved...), unless ``allow_http`` / ``allow_private`` say otherwise (tests
  on loopback); the connection goes to the address that was checked, so a DNS answer that
  changes between the check and the fetch changes nothing; redirects are not followed;
* answers, failures included, are cached (``ttl_s`` / ``failure_ttl_s``) in a bounded LRU,
  and at most ``max_fetches`` fetches run at once (beyond that: refused, not queued).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from syndic.errors import SignatureError
from syndic.gate.botauth import (
    DIRECTORY_PATH,
    AgentRef,
    PublicKey,
    jwk_thumbprint,
    public_key_from_jwk,
    validate_card,
)

log = logging.getLogger(__name__)
UNUSABLE = "the key directory named by Signature-Agent cannot be used"
MAX_KEYS = 64

Resolver = Callable[[str, int], Awaitable[list[str]]]


class _Unusable(Exception):
    """Why a key directory cannot be used (for the log only)."""


async def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class FetchLimits:
    """How long fetched keys (and failures) are cached, and how much one fetch may cost."""

    ttl_s: float = 300.0
    failure_ttl_s: float = 60.0
    timeout_s: float = 5.0
    max_bytes: int = 64 * 1024
    max_entries: int = 1024
    max_fetches: int = 8


class KeyDirectory:
    """Resolves a keyid: static keys first, then the agent's published JWKS (cached)."""

    def __init__(
        self,
        *,
        static: Sequence[Mapping[str, Any]] = (),
        allow_http: bool = False,
        allow_private: bool = False,
        limits: FetchLimits = FetchLimits(),
        resolver: Resolver = _getaddrinfo,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.static = {jwk_thumbprint(k): public_key_from_jwk(k) for k in static}
        self.allow_http = allow_http
        self.allow_private = allow_private
        self.limits = limits
        self.resolver = resolver
        self.clock = clock
        # (type, uri) -> (expires, keys or None for a cached failure)
        self._cache: OrderedDict[tuple[str, str], tuple[float, dict[str, PublicKey] | None]] = (
            OrderedDict()
        )
        self._fetching = 0
        self._client: httpx.AsyncClient | None = None

    async def resolve(self, keyid: str, agent: AgentRef | None) -> PublicKey:
        if agent is None:
            if keyid in self.static:
                return self.static[keyid]
            raise SignatureError("unknown keyid and no Signature-Agent to look it up")
        keys = await self._keys(agent)
        if keyid not in keys:
            raise SignatureError("keyid is not in the Signature-Agent's key directory")
        return keys[keyid]

    # --- the cache ---------------------------------------------------------------------------
    def _cached(self, key: tuple[str, str]) -> tuple[bool, dict[str, PublicKey] | None]:
        hit = self._cache.get(key)
        if hit is None or hit[0] <= self.clock():
            return False, None
        self._cache.move_to_end(key)
        return True, hit[1]

    def _store(self, key: tuple[str, str], keys: dict[str, PublicKey] | None) -> None:
        ttl = self.limits.ttl_s if keys is not None else self.limits.failure_ttl_s
        self._cache[key] = (self.clock() + ttl, keys)
        self._cache.move_to_end(key)
        while len(self._cache) > self.limits.max_entries:
            self._cache.popitem(last=False)

    async def _keys(self, agent: AgentRef) -> dict[str, PublicKey]:
        key = (agent.type, agent.uri)
        found, keys = self._cached(key)
        if found:
            if keys is None:
                raise SignatureError(UNUSABLE)
            return keys
        if self._fetching >= self.limits.max_fetches:
            log.warning(
                "key directory %r not fetched: %d fetches running", agent.uri[:200], self._fetching
            )
            raise SignatureError(UNUSABLE)
        self._fetching += 1
        try:
            keys = self._parse_jwks(await self._fetch_jwks(agent))
        except Exception as exc:  # untrusted input: every failure looks the same outside
            log.warning("key directory %r refused: %s", agent.uri[:200], exc)
            self._store(key, None)
            raise SignatureError(UNUSABLE) from None
        finally:
            self._fetching -= 1
        self._store(key, keys)
        return keys

    # --- fetching ----------------------------------------------------------------------------
    @staticmethod
    def _parse_jwks(jwks: Any) -> dict[str, PublicKey]:
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise _Unusable("not a JWK set (an object with a `keys` list)")
        keys: dict[str, PublicKey] = {}
        for jwk in jwks["keys"][:MAX_KEYS]:
            if not isinstance(jwk, dict):
                continue
            try:
                keys[jwk_thumbprint(jwk)] = public_key_from_jwk(jwk)
            except SignatureError:
                continue  # a key type we do not use does not spoil the others
        return keys

    async def _fetch_jwks(self, agent: AgentRef) -> Any:
        if agent.type == "jwks_uri":
            return await self._get_json(agent.uri)
        if agent.type == "cimd":
            card = await self._get_json(agent.uri)
            if not isinstance(card, dict):
                raise _Unusable("a signature-agent card is a JSON object")
            validate_card(agent.uri, card)
            if "jwks" in card:
                return card["jwks"]
            if not isinstance(card["jwks_uri"], str):
                raise _Unusable("jwks_uri is not a string")
            return await self._get_json(card["jwks_uri"])
        if agent.type != "directory":
            raise _Unusable(f"unknown Signature-Agent type {agent.type[:40]!r}")
        u = urlsplit(agent.uri)
        return await self._get_json(f"{u.scheme}://{u.netloc}{DIRECTORY_PATH}")

    async def _address(self, host: str, port: int) -> str:
        """The address to connect to: every address the name has must be allowed."""
        try:
            literal = ipaddress.ip_address(host)
            addresses = [str(literal)]
        except ValueError:
            addresses = await self.resolver(host, port)
        if not addresses:
            raise _Unusable(f"{host} has no address")
        for a in addresses:
            ip = ipaddress.ip_address(a)
            mapped = getattr(ip, "ipv4_mapped", None)
            public = ip.is_global and (mapped is None or mapped.is_global)
            if not public and not self.allow_private:
                raise _Unusable(f"{host} resolves to a non-public address {a}")
        return addresses[0]

    async def _get_json(self, url: str) -> Any:
        u = urlsplit(url)  # ValueError for a malformed URI: caught by the caller
        if u.scheme != "https" and not (self.allow_http and u.scheme == "http"):
            raise _Unusable("key directories must be https")
        host, port = u.hostname, u.port or (443 if u.scheme == "https" else 80)
        if not host or u.username is not None or u.password is not None:
            raise _Unusable("the directory URL needs a host and no user info")
        address = await self._address(host, port)
        target = httpx.URL(url).copy_with(host=address)
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.limits.timeout_s, follow_redirects=False)
        async with asyncio.timeout(self.limits.timeout_s):
            async with self._client.stream(
                "GET",
                target,
                headers={
                    "Host": u.netloc,
                    "Accept": "application/json",
                    "Accept-Encoding": "identity",
                },
                extensions={"sni_hostname": host},
            ) as r:
                if r.status_code != 200:
                    raise _Unusable(f"answered HTTP {r.status_code}")
                if r.headers.get("content-encoding", "identity").lower() != "identity":
                    raise _Unusable("answered with a content-encoding (identity was asked)")
                declared = r.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.limits.max_bytes:
                    raise _Unusable(f"declares {declared} bytes (limit {self.limits.max_bytes})")
                body = bytearray()
                async for chunk in r.aiter_raw():
                    body += chunk
                    if len(body) > self.limits.max_bytes:
                        raise _Unusable(f"sent more than {self.limits.max_bytes} bytes")
        return json.loads(bytes(body))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
