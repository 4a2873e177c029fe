"""Size limits on what an import or a registration may store: per work and per field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syndic.members.bulk import Planned

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """``max_work_bytes``: the most a work's content (a file, or inline text) may hold;
    ``max_field_chars``: the most characters any one metadata field or title may hold.
    Settings ``max_work_bytes`` and ``max_field_chars`` (``SYNDIC_*``) set them."""

    max_work_bytes: int = 256 * MIB
    max_field_chars: int = 100_000

    def work_size(self, size: int) -> str | None:
        if size > self.max_work_bytes:
            return (
                f"the work is {size:,} bytes, over the limit of {self.max_work_bytes:,} "
                "(max_work_bytes)"
            )
        return None

    def field(self, name: str, value: Any) -> str | None:
        """Why ``value`` is too long for a field, or None. Nested lists and objects count
        their strings."""
        size = _chars(value)
        if size > self.max_field_chars:
            return (
                f"field {name!r} holds {size:,} characters, over the limit of "
                f"{self.max_field_chars:,} (max_field_chars)"
            )
        return None

    def check_planned(self, p: Planned) -> str | None:
        """Why a planned row's content or title breaks a limit, or None (a file's size is its
        size on disk). Its metadata fields are checked by the reader, which knows when a whole
        line is too short to break the field limit."""
        from pathlib import Path

        if isinstance(p.content, Path):
            try:
                size = p.content.stat().st_size
            except OSError as exc:
                return f"cannot read {p.content.name}: {exc.strerror or exc}"
        else:
            size = len(p.content)
        return self.work_size(size) or self.field("title", p.title)

    def fields(self, row: dict[str, Any]) -> str | None:
        """Why one of ``row``'s fields is too long, or None."""
        return next((r for k, v in row.items() if (r := self.field(k, v)) is not None), None)


def _chars(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(len(str(k)) + _chars(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return sum(_chars(v) for v in value)
    return len(str(value))
