"""Import the arXiv corpus: one member per producer, one work per paper.

One format of the bulk import (``members.bulk``): every line is checked first (a malformed
line names its number and, unless ``skip_bad``, nothing is written), then the works go in
batches, each one transaction with its log entries. Re-importing adds nothing: works dedupe
by content digest, members by handle.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from syndic.errors import InputFileError
from syndic.members.bulk import (
    BATCH,
    Advance,
    ImportOptions,
    ImportResult,
    Planned,
    Refusal,
    Row,
    run_import,
)
from syndic.members.limits import Limits
from syndic.members.service import MemberService

_REQUIRED_STR = ("id", "title", "abstract", "field")
_decode = json.JSONDecoder().decode  # built once; the line decoded as UTF-8 first


def open_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, raw bytes) of each non-blank line; a file that cannot be read is one
    clear error."""
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
            if raw.strip():
                yield n, raw


def json_rows(path: Path, limits: Limits) -> Iterator[tuple[int, int, dict[str, Any] | str]]:
    """(line, its size, the line as a JSON object or why it is not one: too long, not JSON,
    not an object)."""
    for n, raw in open_lines(path):
        if (why := limits.work_size(len(raw))) is not None:
            yield n, len(raw), f"the line is too long: {why}"
            continue
        try:
            row = _decode(raw.decode("utf-8-sig", "surrogatepass"))  # as json.loads decodes
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            yield n, len(raw), f"not valid JSON ({exc})"
            continue
        yield n, len(raw), row if isinstance(row, dict) else "expected a JSON object"


def _producer(row: dict[str, Any], limits: Limits, size: int) -> str:
    """The member to credit; raises ``ValueError`` with the reason when the row is bad. A line
    of ``size`` bytes shorter than the field limit cannot hold a field that breaks it."""
    for key in _REQUIRED_STR:
        value = row.get(key)
        if not isinstance(value, str) or not value or value.isspace():  # (no stripped copy)
            raise ValueError(f"field {key!r} is missing or not a non-empty string")
    if size > limits.max_field_chars:
        for key, value in row.items():
            if (why := limits.field(key, value)) is not None:
                raise ValueError(why)
    producer = row.get("producer")
    if producer is None:
        authors = row.get("authors")
        if (
            not isinstance(authors, list)
            or not authors
            or not isinstance(authors[0], str)
            or not authors[0].strip()
        ):
            raise ValueError("no producer and no first author to credit")
        producer = authors[0]
    if not isinstance(producer, str) or not producer.strip():
        raise ValueError("producer is not a non-empty string")
    if len(producer.strip()) > 200:
        raise ValueError("producer is longer than 200 characters")
    return producer.strip()


def arxiv_rows(path: Path, limits: Limits) -> Iterator[Row]:
    """The file's lines as planned works, or refusals naming what is wrong."""
    for n, size, row in json_rows(path, limits):
        if isinstance(row, str):
            yield Refusal(n, row)
            continue
        try:
            producer = _producer(row, limits, size)
        except ValueError as exc:
            yield Refusal(n, str(exc))
            continue
        yield _work(n, row, producer)


def _work(n: int, row: dict[str, Any], producer: str) -> Planned:
    title = " ".join(row["title"].split())
    # The arXiv id is part of the work: two submissions may share a title and abstract.
    text = f"arXiv:{row['id'].strip()}\n{title}\n\n{row['abstract'].strip()}\n"
    meta: dict[str, Any] = {
        k: row[k] for k in ("id", "authors", "field", "subjects", "date", "comment") if k in row
    }
    meta["source"] = "arxiv"
    return Planned(
        line=n,
        content=text.encode("utf-8"),
        title=title,
        kind="paper",
        collection=f"arxiv:{row['field']}",
        producer=producer,
        meta=meta,
    )


def import_arxiv(
    members: MemberService,
    path: Path,
    *,
    actor: str = "steward",
    skip_bad: bool = False,
    batch: int = BATCH,
    start: Advance | None = None,
    advance: Advance | None = None,
) -> ImportResult:
    """Import ``path``. Calls ``start(total)`` after validation, ``advance(n)`` as rows land."""
    limits = members.limits
    return run_import(
        members,
        lambda: arxiv_rows(path, limits),
        limits=limits,
        options=ImportOptions(
            actor=actor,
            skip_bad=skip_bad,
            batch=batch,
            account="arxiv-producer:{handle}",
            start=start,
            advance=advance,
        ),
        name=path.name,
    )
