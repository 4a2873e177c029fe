"""The reverse proxy a member puts in front of their site: forwards what the gate admits.

Hop-by-hop headers are dropped; ``X-Forwarded-For/-Proto/-Host`` are added. An upstream
that refuses connections answers 502 at once; one that hangs answers 504 after the
policy's ``upstream_timeout``. Bodies stream both ways.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from syndic.gate.middleware import Message, Receive, Scope, Send, send_error

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


class Upstream:
    """An ASGI app that sends each request on to ``base_url``."""

    def __init__(self, base_url: str, *, timeout_s: float = 30.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the upstream must be an http(s) URL, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
            limits=httpx.Limits(max_connections=512, max_keepalive_connections=128),
            follow_redirects=False,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            await self.client.aclose()
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]
        host = next((v for k, v in scope["headers"] if k == b"host"), b"")
        client = (scope.get("client") or ("",))[0]
        headers += [
            (b"x-forwarded-for", str(client).encode()),
            (b"x-forwarded-proto", scope.get("scheme", "http").encode()),
            (b"x-forwarded-host", host),
        ]
        has_body = any(k in (b"content-length", b"transfer-encoding") for k, _ in scope["headers"])
        raw_path = scope.get("raw_path") or scope["path"].encode()
        target = raw_path.decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        request = self.client.build_request(
            scope["method"],
            self.base_url + target,
            headers=headers,
            content=_body(receive) if has_body else None,
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            await send_error(
                send, 504, "upstream_timeout", "the site behind the gate did not answer in time"
            )
            return
        except httpx.HTTPError as exc:
            await send_error(
                send,
                502,
                "upstream_unreachable",
                f"the site behind the gate is unreachable: {type(exc).__name__}",
            )
            return
        try:
            out = [(k.lower(), v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
            await send(
                {"type": "http.response.start", "status": response.status_code, "headers": out}
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except httpx.HTTPError:
            pass  # the upstream broke off mid-body; the client sees a truncated response
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        msg: Message = await receive()
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
