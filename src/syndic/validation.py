"""Pydantic validation errors as one line a person can act on."""

from __future__ import annotations

from pydantic import ValidationError

from syndic.errors import InvalidInput


def first_error(exc: ValidationError, what: str) -> str:
    """``"<what> <field.path>: <message>"`` for the first error (``"<what>: <message>"`` when
    it concerns the whole object), without pydantic's ``Value error,`` prefix."""
    errors = exc.errors()
    if not errors:
        return f"{what}: invalid"
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"])
    msg = str(first["msg"]).removeprefix("Value error, ")
    return f"{what} {where}: {msg}" if where else f"{what}: {msg}"


# One length policy for everything a person names (docs/configuration.md, "Limits"): short
# names fit a table cell and a log entry many times over; titles are a sentence or two.
NAME_MAX = 200
TITLE_MAX = 1000


def clean_text(value: str, *, what: str, limit: int, required: bool = True) -> str:
    """``value`` stripped, or ``InvalidInput`` naming ``what`` when it is empty (and required),
    longer than ``limit`` characters, or holds control characters (they hide in logs)."""
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"{what} must not be empty")
    if len(text) > limit:
        raise InvalidInput(f"{what} is {len(text):,} characters; the limit is {limit:,}")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InvalidInput(f"{what} must not contain control characters (tabs, newlines...)")
    return text


def clean_name(value: str, *, what: str = "a name", required: bool = True) -> str:
    return clean_text(value, what=what, limit=NAME_MAX, required=required)


def clean_title(value: str, *, what: str = "a title") -> str:
    return clean_text(value, what=what, limit=TITLE_MAX)
