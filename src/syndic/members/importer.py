"""Import the arXiv corpus: one member per producer, one work per paper.

Two streaming passes keep memory flat: the first validates every line (so a malformed file
writes nothing, and the error names the line), the second writes everything in ONE
transaction, flushing in batches (log entries too: they take their indices at once and are
written a batch at a time). Re-importing adds nothing: works dedupe by content digest,
members by handle.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from syndic.errors import InputFileError
from syndic.members.models import FULL_SHARE_BP, Member
from syndic.members.service import MemberService, NewWork

Advance = Callable[[int], None]
BATCH = 500
_REQUIRED_STR = ("id", "title", "abstract", "field")


@dataclass(frozen=True)
class ImportResult:
    lines: int
    members_created: int
    works_created: int
    works_existing: int


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        fh = path.open("rb")
    except FileNotFoundError as exc:
        raise InputFileError(f"no such file: {path}") from exc
    except IsADirectoryError as exc:
        raise InputFileError(f"{path} is a directory, not a JSONL file") from exc
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror}") from exc
    with fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputFileError(f"{path.name} line {n}: not valid JSON ({exc})") from exc
            if not isinstance(row, dict):
                raise InputFileError(f"{path.name} line {n}: expected a JSON object")
            yield n, row


def _producer(path: Path, n: int, row: dict[str, Any]) -> str:
    for key in _REQUIRED_STR:
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise InputFileError(
                f"{path.name} line {n}: field {key!r} is missing or not a non-empty string"
            )
    producer = row.get("producer")
    if producer is None:
        authors = row.get("authors")
        if (
            not isinstance(authors, list)
            or not authors
            or not isinstance(authors[0], str)
            or not authors[0].strip()
        ):
            raise InputFileError(f"{path.name} line {n}: no producer and no first author to credit")
        producer = authors[0]
    if not isinstance(producer, str) or not producer.strip():
        raise InputFileError(f"{path.name} line {n}: producer is not a non-empty string")
    return producer.strip()


def validate(path: Path) -> int:
    """First pass: check every line; return how many works the file holds."""
    count = 0
    for n, row in _lines(path):
        _producer(path, n, row)
        count += 1
    if count == 0:
        raise InputFileError(f"{path.name} holds no works")
    return count


def _work(row: dict[str, Any], member_id: int) -> NewWork:
    title = " ".join(row["title"].split())
    # The arXiv id is part of the work: two submissions may share a title and abstract.
    text = f"arXiv:{row['id'].strip()}\n{title}\n\n{row['abstract'].strip()}\n"
    meta: dict[str, Any] = {
        k: row[k] for k in ("id", "authors", "field", "subjects", "date", "comment") if k in row
    }
    meta["source"] = "arxiv"
    return NewWork(
        content=text.encode("utf-8"),
        title=title,
        kind="paper",
        collection=f"arxiv:{row['field']}",
        holders=[(member_id, FULL_SHARE_BP)],
        meta=meta,
    )


def import_arxiv(
    members: MemberService,
    path: Path,
    *,
    actor: str = "steward",
    start: Advance | None = None,
    advance: Advance | None = None,
) -> ImportResult:
    """Import ``path``. Calls ``start(total)`` after validation, ``advance(n)`` as rows land."""
    total = validate(path)
    if start:
        start(total)
    created_members = created_works = existing_works = lines = 0
    handles: dict[str, int] = {}
    with members.db.write() as session, members.events.log.batched(session) as write_log:
        for n, row in _lines(path):
            handle = _producer(path, n, row)
            member_id = handles.get(handle)
            if member_id is None:
                member_id = session.scalar(select(Member.id).where(Member.handle == handle))
                if member_id is None:
                    m = members._join(
                        session,
                        handle=handle,
                        name=handle,
                        payout_account=f"arxiv-producer:{handle}",
                        prohibited_usages=(),
                        floor_price_minor=0,
                        allow_vlop=True,
                        actor=actor,
                    )
                    member_id = m.id
                    created_members += 1
                handles[handle] = member_id
            _, created = members._register(
                session, _work(row, member_id), registered_by=member_id, actor=actor
            )
            created_works += created
            existing_works += not created
            lines += 1
            if lines % BATCH == 0:
                write_log()
                session.flush()
                session.expunge_all()
                if advance:
                    advance(BATCH)
        if advance:
            advance(lines % BATCH)
    return ImportResult(lines, created_members, created_works, existing_works)
