"""Reading a dataset record by record: JSONL, Parquet, a directory of text files, or one text
file (a document, or what a model produced).

Readers stream (one line, one Parquet batch or one file at a time) so memory stays flat, and
refuse bad input with one line naming where it is: a line that is not JSON (its number), a
record without the text field, binary content, a record over ``MAX_RECORD_BYTES``, a Parquet
file that is corrupt or truncated. The caller stores nothing until the whole dataset is read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from syndic.errors import InputFileError, InvalidInput

MAX_RECORD_BYTES = 8 << 20
"""A record larger than this (8 MiB; a long book is about 1 MiB of text) is refused."""
PARQUET_BATCH = 1024
JSONL_BLOCK = 1 << 20  # bytes read at a time; whole lines of a block are decoded at once
_DECODE = json.JSONDecoder().decode


class Format(StrEnum):
    JSONL = "jsonl"
    PARQUET = "parquet"
    TXT_DIR = "txt-dir"
    TXT = "txt"  # one text file is one record (a document, a model's output)


class Record(NamedTuple):
    """One record: its position in the dataset (0-based), its id, where it sits, its text.
    (A named tuple: a scan makes one per record, and a tuple is the cheapest to make.)"""

    position: int
    id: str
    where: str  # "line 12", "row 40", "file a/b.txt"
    text: str


@dataclass(frozen=True)
class Fields:
    text: str = "text"
    id: str | None = None  # None: the record's position


def dataset_digest(path: Path, fmt: Format) -> str:
    """SHA-256 of the dataset: of the file, or for a directory of the sorted (name, digest)
    list of its text files."""
    if fmt is Format.TXT_DIR:
        h = hashlib.sha256()
        for f in _txt_files(path):
            h.update(f"{f.relative_to(path).as_posix()}\0{_file_sha256(f)}\n".encode())
        return "sha256:" + h.hexdigest()
    return "sha256:" + _file_sha256(path)


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return h.hexdigest()


def read_records(path: Path, fmt: Format, fields: Fields) -> Iterator[Record]:
    """The records of the dataset at ``path``, in order."""
    if fmt is Format.JSONL:
        return _jsonl(path, fields)
    if fmt is Format.PARQUET:
        return _parquet(path, fields)
    if fmt is Format.TXT:
        return _txt_file(path)
    return _txt_dir(path)


def _text(raw: bytes, where: str) -> str:
    if len(raw) > MAX_RECORD_BYTES:
        _refuse_size(where)
    if b"\0" in raw:
        raise InvalidInput(f"{where}: binary content, not text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{where}: binary content, not UTF-8 text") from exc


def _field_text(row: dict[str, Any], fields: Fields, where: str) -> str:
    value = row.get(fields.text)
    if not isinstance(value, str):
        raise InvalidInput(f"{where}: no text field {fields.text!r}")
    if len(value) > MAX_RECORD_BYTES:
        raise InvalidInput(f"{where}: record is over {MAX_RECORD_BYTES >> 20} MiB; refused")
    if "\0" in value:
        raise InvalidInput(f"{where}: binary content, not text")
    return value


def _record_id(row: dict[str, Any], fields: Fields, position: int, where: str) -> str:
    if fields.id is None:
        return str(position)
    value = row.get(fields.id)
    if value is None or isinstance(value, dict | list):
        raise InvalidInput(f"{where}: no id field {fields.id!r}")
    return str(value)


def _line_blocks(fh: BinaryIO) -> Iterator[list[bytes]]:
    """The lines of ``fh`` (without their newline), a block of whole lines at a time. A line
    longer than ``MAX_RECORD_BYTES`` is refused as soon as that much of it is read."""
    rest = b""
    number = 0
    while block := fh.read(JSONL_BLOCK):
        lines = (rest + block).split(b"\n")
        rest = lines.pop()
        if len(rest) > MAX_RECORD_BYTES:
            _refuse_size(f"line {number + len(lines) + 1}")
        if lines:
            number += len(lines)
            yield lines
    if rest:
        yield [rest]


def _refuse_size(where: str) -> None:
    raise InvalidInput(f"{where}: record is over {MAX_RECORD_BYTES >> 20} MiB; refused")


def _block_texts(lines: list[bytes]) -> list[str] | None:
    """A block's lines decoded at once (a newline never falls inside a UTF-8 character), or
    None when some line is bad: the caller then checks line by line to name it."""
    if max(map(len, lines), default=0) > MAX_RECORD_BYTES:
        return None
    try:
        text = b"\n".join(lines).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\0" in text else text.split("\n")


def _jsonl(path: Path, fields: Fields) -> Iterator[Record]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with fh:
        position = 0
        number = 0
        for lines in _line_blocks(fh):
            texts: Iterable[str] | None = _block_texts(lines)
            if texts is None:  # line by line, to name the first bad one
                base = number
                texts = (_text(raw, f"line {base + i}") for i, raw in enumerate(lines, 1))
            for decoded in texts:
                number += 1
                line = decoded.strip()
                if not line:
                    continue
                where = f"line {number}"
                try:
                    row = _DECODE(line)
                except json.JSONDecodeError as exc:
                    raise InvalidInput(f"{where} is not JSON: {exc.msg}") from exc
                if not isinstance(row, dict):
                    raise InvalidInput(f"{where} is not a JSON object")
                text = _field_text(row, fields, where)
                ident = (
                    str(position) if fields.id is None else _record_id(row, fields, position, where)
                )
                yield Record(position, ident, where, text)
                position += 1


def _parquet(path: Path, fields: Fields) -> Iterator[Record]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
    except (OSError, pa.ArrowException) as exc:
        raise InputFileError(f"{path} is not a readable Parquet file: {exc}") from exc
    wanted = [f for f in (fields.text, fields.id) if f is not None]
    for f in wanted:
        if f not in names:
            raise InvalidInput(f"{path}: no column {f!r} (columns: {', '.join(sorted(names))})")
    position = 0
    try:
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH, columns=wanted):
            for row in batch.to_pylist():
                where = f"row {position + 1}"
                text = _field_text(row, fields, where)
                yield Record(position, _record_id(row, fields, position, where), where, text)
                position += 1
    except (OSError, pa.ArrowException) as exc:
        raise InputFileError(f"{path} is corrupt or truncated: {exc}") from exc


def _txt_files(path: Path) -> list[Path]:
    if not path.is_dir():
        raise InputFileError(f"{path} is not a directory")
    return sorted(p for p in path.rglob("*") if p.is_file())


def _txt_file(path: Path) -> Iterator[Record]:
    where = f"file {path.name}"
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            raise InvalidInput(f"{where}: record is over {MAX_RECORD_BYTES >> 20} MiB; refused")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if raw.strip():
        yield Record(0, path.name, where, _text(raw, where))


def _txt_dir(path: Path) -> Iterator[Record]:
    for position, f in enumerate(_txt_files(path)):
        name = f.relative_to(path).as_posix()
        where = f"file {name}"
        try:
            if f.stat().st_size > MAX_RECORD_BYTES:
                raise InvalidInput(f"{where}: record is over {MAX_RECORD_BYTES >> 20} MiB; refused")
            raw = f.read_bytes()
        except OSError as exc:
            raise InputFileError(f"cannot read {f}: {exc.strerror or exc}") from exc
        yield Record(position, name, where, _text(raw, where))
