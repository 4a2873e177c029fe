"""Canonical JSON (RFC 8785, JCS): the exact bytes that are logged, hashed and signed."""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from syndic.errors import InvalidInput

_SAFE = 2**53
# one encoder, built once (``json.dumps`` with options builds a new one every call)
_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def _plain(value: Any) -> bool:
    """True when ``json.dumps`` writes ``value`` exactly as RFC 8785 does: no floats (JCS has
    its own number form), integers the reference accepts (I-JSON: below 2**53), and only ASCII
    keys (JCS sorts keys by UTF-16 code units, ``sort_keys`` by code points; they agree on
    ASCII). Exact type checks, and strings, integers and the like are checked in the loop over
    a container (no call, no generator per value): this runs for every log entry."""
    t = type(value)
    if t is dict:
        for k, v in value.items():
            if type(k) is not str or not (k in _ASCII_KEYS or _ascii_key(k)):
                return False
            if not _leaf(v) and not _plain(v):
                return False
        return True
    if t is list or t is tuple:
        return all(_leaf(v) or _plain(v) for v in value)
    return _leaf(value)


def _leaf(v: Any) -> bool:
    """A string, bool, None or safe integer (False for anything else, containers included)."""
    t = type(v)
    return t is str or t is bool or v is None or (t is int and -_SAFE < v < _SAFE)


_ASCII_KEYS: set[str] = set()  # keys seen to be ASCII (the few every entry uses)


def _ascii_key(k: str) -> bool:
    if not k.isascii():
        return False
    if len(_ASCII_KEYS) < 4096:
        _ASCII_KEYS.add(k)
    return True


def canonical_bytes(value: Any) -> bytes:
    """Serialise ``value`` to RFC 8785 canonical JSON bytes.

    Values of strings, integers, lists and ASCII-keyed objects (every log entry but a few)
    take ``json.dumps``, which writes the same bytes for them (strings escaped alike: only
    ``"``, ``\\`` and control characters, in lowercase hex) many times faster; anything else
    goes through the reference implementation."""
    if _plain(value):
        try:
            return _ENCODE(value).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let the reference refuse it
            pass
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidInput(f"value cannot be canonicalised: {exc}") from exc


def parse_canonical(data: bytes) -> Any:
    """Parse bytes and insist they are already canonical (no second spelling of one value)."""
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"not JSON: {exc}") from exc
    if canonical_bytes(value) != data:
        raise InvalidInput("JSON is not in canonical (RFC 8785) form")
    return value
