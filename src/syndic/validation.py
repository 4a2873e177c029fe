"""Pydantic validation errors as one line a person can act on."""

from __future__ import annotations

from pydantic import ValidationError


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
