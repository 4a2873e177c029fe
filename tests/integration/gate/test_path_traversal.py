"""A path-traversal corpus against the gate in front of two real upstreams: Python's
``http.server`` serving files, and a server that merges slashes before it resolves dot
segments (as nginx's ``merge_slashes`` does). Whatever the spelling, the private file is
never served, and the upstream receives exactly the path the gate decided on."""

from __future__ import annotations

import functools
import posixpath
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import select

from syndic.gate.models import GateDecision
from syndic.gate.policy import parse_policy
from tests.conftest import MakeSyndic
from tests.integration.gate.helpers import serve

POLICY = """
site: files
hosts: [127.0.0.1]
rules:
  - name: private
    if: {path: /private}
    then: refuse
  - name: open
    if: {any: [{path: /about/*}, {path: /public/*}]}
    then: pass
"""
SECRET = b"the private file"

# every spelling of "/private/secret.txt" we know of, reached from an allowed prefix
CORPUS = [
    "/about//../private/secret.txt",
    "/about/..//private/secret.txt",
    "/about/x//../../private/secret.txt",
    "/public//..//private/secret.txt",
    "/public/../private/secret.txt",
    "/public/./../private/secret.txt",
    "/about///../../private/secret.txt",
    "//private/secret.txt",
    "/./private/secret.txt",
    "/%70rivate/secret.txt",
    "/%70%72ivate/secret.txt",
    "/public/%2e%2e/private/secret.txt",
    "/public/%2E%2E/private/secret.txt",
    "/public/.%2e/private/secret.txt",
    "/public/%2e./private/secret.txt",
    "/public/..%2fprivate/secret.txt",
    "/public/%2e%2e%2fprivate%2fsecret.txt",
    "/public/..%5cprivate/secret.txt",
    "/public/..\\private\\secret.txt",
    "/public/%252e%252e/private/secret.txt",
    "/public/..%252fprivate/secret.txt",
    "/public/..;/private/secret.txt",
    "/public/.;/../private/secret.txt",
    "/public/%00/../private/secret.txt",
    "/public/%c0%ae%c0%ae/private/secret.txt",
    "/public/..%c0%afprivate/secret.txt",
]
ALLOWED = {
    "/public//page.txt": (200, "/public/page.txt"),
    "/about/./x/../page.txt": (200, "/about/page.txt"),
    "/%70ublic/page.txt": (200, "/public/page.txt"),
    # segments of three or more dots are names, not dot segments: forwarded as such
    "/public/....//private/secret.txt": (404, "/public/..../private/secret.txt"),
    "/about/.../..//private/secret.txt": (404, "/about/private/secret.txt"),
}


def _site(root: Path) -> None:
    for d, body in (("private", SECRET), ("public", b"public page"), ("about", b"about page")):
        (root / d).mkdir()
        (root / d / ("secret.txt" if d == "private" else "page.txt")).write_bytes(body)


class _Recording(SimpleHTTPRequestHandler):
    """http.server's file handler, recording each raw path it was sent."""

    seen: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        self.seen.append(self.path)
        return super().send_head()


class _MergingSlashes(_Recording):
    """Merges slashes, then resolves dot segments, then serves the file (nginx-like)."""

    def translate_path(self, path: str) -> str:
        merged = re.sub(r"/+", "/", unquote(urlsplit(path).path))
        return super().translate_path(posixpath.normpath(merged))


@contextmanager
def _file_server(root: Path, handler: type[_Recording]) -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    bound = type("Handler", (handler,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(bound, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def _raw_get(url: str, target: str) -> tuple[int, bytes]:
    """Send ``target`` byte for byte (no client library re-spells it)."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    assert host is not None and port is not None
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode(
                "latin-1"
            )
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.mark.parametrize("handler", [_Recording, _MergingSlashes], ids=["http.server", "merging"])
def test_no_spelling_of_a_refused_path_reaches_the_upstream(
    make_syndic: MakeSyndic, tmp_path: Path, handler: type[_Recording]
) -> None:
    _site(tmp_path)
    s = make_syndic()
    with _file_server(tmp_path, handler) as (up, seen):
        # either upstream serves the secret for this spelling to anyone who asks it directly
        assert _raw_get(up, "/about//../private/secret.txt") == (200, SECRET)
        seen.clear()
        app, gate = s.gate_app(parse_policy(POLICY), up)
        with serve(app) as url:
            for target in CORPUS:
                status, body = _raw_get(url, target)
                assert SECRET not in body, target
                assert status in (400, 403), (target, status, body[:200])
            assert seen == []  # none of them was forwarded at all
            for target, (expected, normal) in ALLOWED.items():
                status, body = _raw_get(url, target)
                assert status == expected and SECRET not in body, target
                assert seen[-1] == normal, target  # forwarded as decided, not as sent
            gate.port.flush()
        with s.db.read() as sess:
            rows = sess.execute(select(GateDecision.path, GateDecision.status))
            decided = sorted((p, st) for p, st in rows if st in (200, 404))
        assert decided == sorted((p, st) for st, p in ALLOWED.values())
