"""One catalogue row, whatever its source, as a planned work or a refusal with its line.

A row's fields, after the mapping (ours = theirs): ``path`` (a file, relative to the
manifest) or ``text`` (the work inline), ``title``, ``holders`` or ``producer``, and optional
``kind``, ``collection``, ``media_type``; every other field is kept as metadata (``meta``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syndic.errors import SharesError
from syndic.members.bulk import HolderRef, Planned, Refusal, Row
from syndic.members.limits import Limits
from syndic.members.models import FULL_SHARE_BP, PLAIN_TEXT
from syndic.members.shares import parse_percent

SNIFF = ""  # media type not yet known: found from the file's bytes when it is read
CORE = ("path", "text", "title", "holders", "producer", "kind", "collection", "media_type")


@dataclass(frozen=True)
class Defaults:
    """What a row that does not say takes: the holders (``--holder``), the producer, the kind
    and collection; ``base`` is where relative paths start."""

    base: Path = Path()
    holders: list[tuple[HolderRef, int]] | None = None
    producer: str | None = None
    kind: str = "text"
    collection: str = "default"
    mapping: dict[str, str] = field(default_factory=dict)  # ours -> theirs


def parse_mapping(specs: list[str]) -> dict[str, str]:
    """``OURS=THEIRS`` pairs, e.g. ``title=headline`` or ``meta.section=desk``."""
    out: dict[str, str] = {}
    for spec in specs:
        ours, sep, theirs = spec.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise SharesError(f"a mapping is OURS=THEIRS, got {spec!r}")
        out[ours.strip()] = theirs.strip()
    return out


def holder_refs(value: Any) -> list[tuple[HolderRef, int]]:
    """Holders given as ``alice=60;bob=40`` (handles or member ids, percent), as one handle
    (the whole share), or as a list of ``{"member", "share"}`` (percent) objects."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(",", ";").split(";") if p.strip()]
        if len(parts) == 1 and "=" not in parts[0]:
            return [(_ref(parts[0]), FULL_SHARE_BP)]
        out = []
        for part in parts:
            who, sep, pct = part.partition("=")
            if not sep:
                raise SharesError(f"a holder is MEMBER=PERCENT, got {part!r}")
            out.append((_ref(who.strip()), parse_percent(pct)))
        return out
    if isinstance(value, list):
        out = []
        for item in value:
            if not isinstance(item, dict) or "member" not in item:
                raise SharesError('each holder is {"member": ..., "share": PERCENT}')
            share = item.get("share", 100)
            out.append((_ref(item["member"]), parse_percent(str(share))))
        return out
    raise SharesError("holders are MEMBER=PERCENT;... or a list of {member, share}")


def _ref(value: Any) -> HolderRef:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not text:
        raise SharesError("a holder has no member")
    return int(text) if text.isdigit() else text


def remap(raw: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """The row under our names: mapped fields renamed (``meta.x`` goes into meta as ``x``),
    the rest as they are."""
    if not mapping:
        return dict(raw)
    taken = set(mapping.values())
    out = {k: v for k, v in raw.items() if k not in taken}
    for ours, theirs in mapping.items():
        if theirs in raw:
            out[ours] = raw[theirs]
    return out


def build(n: int, raw: dict[str, Any], d: Defaults, limits: Limits, size: int) -> Row:
    """A planned work from one row, or the reason it is refused."""
    row = remap(raw, d.mapping)
    if size > limits.max_field_chars and (why := limits.fields(row)) is not None:
        return Refusal(n, why)
    title = row.get("title")
    if not isinstance(title, str) or not title.strip():
        return Refusal(n, "no title")
    content = _content(row, d)
    who = _holders(row, d)
    if isinstance(content, str) or isinstance(who, str):
        return Refusal(n, content if isinstance(content, str) else str(who))
    holders, producer = who
    meta = {k: v for k, v in row.items() if k not in CORE}
    for k in [k for k in meta if k.startswith("meta.")]:
        meta[k.removeprefix("meta.")] = meta.pop(k)
    if isinstance(content, Path):
        meta.setdefault("filename", content.name)
    return Planned(
        line=n,
        content=content,
        title=" ".join(title.split()),
        kind=str(row.get("kind") or d.kind)[:32],
        collection=str(row.get("collection") or d.collection)[:200],
        holders=holders,
        producer=producer,
        meta=meta,
        # a file's type is found when it is read (SNIFF), unless the row declares it
        media_type=str(
            row.get("media_type") or (SNIFF if isinstance(content, Path) else PLAIN_TEXT)
        ),
    )


def _content(row: dict[str, Any], d: Defaults) -> bytes | Path | str:
    """The work's bytes, or its file, or why there are none."""
    path, text = row.get("path"), row.get("text")
    if (path is None) == (text is None):
        return "give either a file path or the text inline, not both or neither"
    if path is not None:
        file = d.base / str(path)
        return file if file.is_file() else f"no such file: {path}"
    if isinstance(text, str) and text.strip():
        return text.encode("utf-8")
    return "the inline text is empty"


def _holders(
    row: dict[str, Any], d: Defaults
) -> tuple[list[tuple[HolderRef, int]] | None, str | None] | str:
    """(holders, producer): the row's own, else the defaults; or why there are none."""
    if row.get("holders"):
        try:
            return holder_refs(row["holders"]), None
        except SharesError as exc:
            return exc.message
    producer = row.get("producer")
    if producer is None:
        if d.holders is None and not d.producer:
            return "no holders and no producer: say who holds the work"
        return d.holders, None if d.holders is not None else d.producer
    if not isinstance(producer, str) or not producer.strip() or len(producer) > 200:
        return "the producer is not a handle of 1-200 characters"
    return None, producer.strip()
