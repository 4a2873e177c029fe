"""A reader for the protobuf text format the robots.txt CTC vectors are written in.

Only what those files use: messages in braces, repeated fields in brackets, adjacent string
literals that concatenate, C escapes (``\\xHH``, octal, ``\\n``...) and enum identifiers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_TOKEN = re.compile(
    rb'\s+|#[^\n]*|(?P<str>"(?:[^"\\\n]|\\.)*")|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[:\[\]{},])'
)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b'"': b'"', b"'": b"'", b"\\": b"\\"}


def _unescape(body: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i : i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        if nxt in (b"x", b"X"):
            m = re.match(rb"[0-9A-Fa-f]{1,2}", body[i + 2 : i + 4])
            assert m, body
            out.append(int(m.group(), 16))
            i += 2 + len(m.group())
        elif nxt.isdigit():
            m = re.match(rb"[0-7]{1,3}", body[i + 1 : i + 4])
            assert m, body
            out.append(int(m.group(), 8))
            i += 1 + len(m.group())
        else:
            out += _ESCAPES[nxt]
            i += 2
    return bytes(out)


def _tokens(data: bytes) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(data):
        m = _TOKEN.match(data, pos)
        if m is None:
            raise ValueError(f"cannot tokenise at byte {pos}: {data[pos : pos + 20]!r}")
        pos = m.end()
        if m.group("str") is not None:
            value = _unescape(m.group("str")[1:-1])
            if out and out[-1][0] == "bytes":
                out[-1] = ("bytes", out[-1][1] + value)  # adjacent literals concatenate
            else:
                out.append(("bytes", value))
        elif m.group("ident") is not None:
            out.append(("ident", m.group("ident").decode()))
        elif m.group("punct") is not None:
            out.append(("punct", m.group("punct").decode()))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.t = tokens
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self, punct: str | None = None) -> tuple[str, Any]:
        tok = self.t[self.i]
        if punct is not None and tok != ("punct", punct):
            raise ValueError(f"expected {punct!r}, got {tok!r}")
        self.i += 1
        return tok

    def message(self, end: str | None) -> dict[str, list[Any]]:
        fields: dict[str, list[Any]] = {}
        while (tok := self.peek()) is not None and tok != ("punct", end):
            kind, name = self.take()
            assert kind == "ident", (kind, name)
            if self.peek() == ("punct", ":"):
                self.take(":")
            fields.setdefault(name, []).extend(self.values())
            if self.peek() == ("punct", ","):
                self.take(",")
        if end is not None:
            self.take(end)
        return fields

    def values(self) -> list[Any]:
        if self.peek() == ("punct", "["):
            self.take("[")
            items: list[Any] = []
            while self.peek() != ("punct", "]"):
                items.append(self.value())
                if self.peek() == ("punct", ","):
                    self.take(",")
            self.take("]")
            return items
        return [self.value()]

    def value(self) -> Any:
        tok = self.peek()
        if tok == ("punct", "{"):
            self.take("{")
            return self.message("}")
        return self.take()[1]


def load(path: Path) -> dict[str, list[Any]]:
    return _Parser(_tokens(path.read_bytes())).message(None)


def robots_cases(folder: Path) -> list[tuple[str, bytes, str, str, bool]]:
    """(id, robots.txt bytes, url, user agent, allowed) for every expectation in the folder."""
    cases = []
    for f in sorted(folder.glob("*.textproto")):
        for n, test in enumerate(load(f)["tests"]):
            body = test.get("robotstxt", [b""])[0]
            for m, exp in enumerate(test["test_expectations"]):
                outcome = exp["expected_outcome"][0]
                assert outcome in ("ALLOWED", "DISALLOWED"), outcome
                cases.append(
                    (
                        f"{f.stem}-{n}-{m}",
                        body,
                        exp["testurl"][0].decode("utf-8"),
                        exp["useragent"][0].decode("utf-8"),
                        outcome == "ALLOWED",
                    )
                )
    return cases
