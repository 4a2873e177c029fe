"""The builder's outside data: what they can get without the coalition, as a JSONL file.

One JSON object per line with ``id`` (a string), ``title``, the task's label field, and the
text as ``text`` or as ``abstract`` (then the text is laid out as the arXiv importer lays out
a work: ``arXiv:<id>``, the title, a blank line, the abstract, so the same paper has the same
content digest). Works also in the pool are dropped: same content digest, same normalised
title, or same id as a pool work's ``id`` metadata. The whole file is checked before anything
else happens; a bad line names itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from syndic.errors import InputFileError

_SPACE = re.compile(r"[^0-9a-z]+")


def normal_title(title: str) -> str:
    """Lower case, runs of anything but letters and digits as one space."""
    return _SPACE.sub(" ", title.lower()).strip()


@dataclass(frozen=True)
class OutsideWork:
    id: str
    title: str
    text: str
    label: str

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def _text(row: dict[str, Any], where: str) -> str:
    text = row.get("text")
    if isinstance(text, str) and text.strip():
        return text
    abstract = row.get("abstract")
    if not isinstance(abstract, str) or not abstract.strip():
        raise InputFileError(f"{where}: no 'text' or 'abstract' to learn from")
    title = " ".join(str(row["title"]).split())
    return f"arXiv:{str(row['id']).strip()}\n{title}\n\n{abstract.strip()}\n"


def _work(row: Any, where: str, label: str) -> OutsideWork:
    if not isinstance(row, dict):
        raise InputFileError(f"{where}: expected a JSON object")
    for key in ("id", "title"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise InputFileError(f"{where}: field {key!r} is missing or not a non-empty string")
    value = row.get(label)
    if (
        isinstance(value, bool)
        or not isinstance(value, str | int | float)
        or not str(value).strip()
    ):
        raise InputFileError(f"{where}: no label {label!r} (outside works need the task's label)")
    return OutsideWork(row["id"].strip(), row["title"], _text(row, where), str(value).strip())


def parse(data: bytes, *, label: str, name: str = "outside data") -> list[OutsideWork]:
    """Every work in the file, in file order; refuses the whole file at its first bad line."""
    out = []
    for n, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputFileError(f"{name} line {n}: not valid JSON ({exc})") from exc
        out.append(_work(row, f"{name} line {n}", label))
    if not out:
        raise InputFileError(f"{name} holds no works")
    return out


@dataclass(frozen=True)
class PoolKeys:
    """What identifies a pool work for de-duplication."""

    digests: frozenset[str]
    titles: frozenset[str]
    ids: frozenset[str]


def without_pool(works: list[OutsideWork], pool: PoolKeys) -> tuple[list[int], int]:
    """The rows (in file order) of the outside works that are not pool works (nor repeats of
    an earlier outside work), and how many were dropped."""
    kept: list[int] = []
    seen: set[str] = set()
    for i, w in enumerate(works):
        title = normal_title(w.title)
        if w.digest in pool.digests or title in pool.titles or w.id in pool.ids or w.digest in seen:
            continue
        seen.add(w.digest)
        kept.append(i)
    return kept, len(works) - len(kept)
