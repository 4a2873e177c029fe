"""Run an ASGI app with uvicorn on a free loopback port, in a background thread.

The demo serves the API this way, and the demo's gate step serves a member's site and the
gate in front of it the same way.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from syndic.errors import ConfigError

START_TIMEOUT_S = 20.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving_app(app: Any, *, what: str = "a server", **config: Any) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 for the duration of the block; yields its base URL.

    ``config`` goes to ``uvicorn.Config``; ``ConfigError`` names ``what`` if the server
    does not start."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise ConfigError(f"{what} did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
