"""The reverse proxy a member puts in front of their site: forwards what the gate admits.

Hop-by-hop headers are dropped; the client's address is appended to ``X-Forwarded-For``
(one header, so a client cannot slip a second one in first) and ``X-Forwarded-Proto/-Host``
are set. An upstream that refuses connections answers 502 at once; one that is silent for
``upstream_timeout`` answers 504 (or, mid-body, is cut off); the whole exchange, body
included, ends after ``upstream_deadline`` however slowly the upstream trickles.
Bodies stream both ways.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import multidict
import yarl

from syndic.gate.middleware import BodyTooLarge, Message, Receive, Scope, Send, send_error

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)
_FORWARDED = frozenset({b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host"})


class Upstream:
    """An ASGI app that sends each request on to ``base_url``.

    The client is aiohttp's (keep-alive pool, C parser): on loopback it forwards a request
    in about a quarter of the time httpx takes, and that is most of the gate's overhead.
    """

    def __init__(
        self, base_url: str, *, timeout_s: float = 30.0, deadline_s: float = 300.0
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the upstream must be an http(s) URL, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        # sock_read: silence between bytes; total: the whole exchange, the body included
        self.timeout = aiohttp.ClientTimeout(
            total=deadline_s, connect=min(5.0, timeout_s), sock_read=timeout_s
        )
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # created on first use: a session belongs to the event loop that serves requests
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=512),
                timeout=self.timeout,
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            )
        return self._session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            await self.aclose()
            return
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.lower() not in HOP_BY_HOP and k.lower() not in _FORWARDED
        ]
        host = next((v for k, v in scope["headers"] if k == b"host"), b"").decode("latin-1")
        client = str((scope.get("client") or ("",))[0])
        prior = [
            v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"x-forwarded-for"
        ]
        headers += [
            ("X-Forwarded-For", ", ".join([*prior, client])),
            ("X-Forwarded-Proto", scope.get("scheme", "http")),
            ("X-Forwarded-Host", host),
        ]
        has_body = any(k in (b"content-length", b"transfer-encoding") for k, _ in scope["headers"])
        raw_path = scope.get("raw_path") or scope["path"].encode()
        target = raw_path.decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        overflow: list[bool] = []
        try:
            response = await self._client().request(
                scope["method"],
                yarl.URL(self.base_url + target, encoded=True),
                headers=multidict.CIMultiDict(headers),
                data=_body(receive, overflow) if has_body else None,
                allow_redirects=False,
            )
        except (TimeoutError, aiohttp.ServerTimeoutError):
            await send_error(
                send, 504, "upstream_timeout", "the site behind the gate did not answer in time"
            )
            return
        except aiohttp.ClientError as exc:
            if overflow:  # our own body limit stopped the upload: the middleware answers 413
                raise BodyTooLarge from exc
            await send_error(
                send,
                502,
                "upstream_unreachable",
                f"the site behind the gate is unreachable: {type(exc).__name__}",
            )
            return
        try:
            out = [(k.lower(), v) for k, v in response.raw_headers if k.lower() not in HOP_BY_HOP]
            await send({"type": "http.response.start", "status": response.status, "headers": out})
            async for chunk in response.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except (TimeoutError, aiohttp.ClientError):
            pass  # the upstream broke off mid-body; the client sees a truncated response
        finally:
            response.release()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def _body(receive: Receive, overflow: list[bool]) -> AsyncIterator[bytes]:
    while True:
        try:
            msg: Message = await receive()
        except BodyTooLarge:
            overflow.append(True)
            raise
        if msg["type"] != "http.request":
            return
        chunk = msg.get("body", b"")
        if chunk:
            yield chunk
        if not msg.get("more_body"):
            return


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        msg = await receive()
        if msg["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif msg["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
