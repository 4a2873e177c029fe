"""Canonical JSON (RFC 8785, JCS): the exact bytes that are logged, hashed and signed."""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from syndic.errors import InvalidInput


def canonical_bytes(value: Any) -> bytes:
    """Serialise ``value`` to RFC 8785 canonical JSON bytes."""
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
