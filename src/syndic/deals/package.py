"""A licensed dataset as WebDataset-style tar shards: for a mixed pool (texts, images, PDFs).

Each work is one sample whose files share a key (its digest's hex): ``<key>.json`` (title,
collection, media type, metadata, licence), ``<key>.<ext>`` (the original bytes, the
extension from the media type) and ``<key>.txt`` (the text, when there is some). Shards are
``shard-000000.tar``, ... of at most ``per_shard`` samples; ``index.jsonl`` beside them names,
per work, its shard and files. Any WebDataset or plain tar reader can read them.
"""

from __future__ import annotations

import io
import json
import mimetypes
import os
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from syndic.deals.delivery import DatasetRecord
from syndic.errors import OutputFileError

SHARD = "shard-{:06d}.tar"


def extension(media_type: str) -> str:
    """The file extension for a media type (``bin`` when none is known)."""
    base = media_type.split(";", 1)[0].strip().lower()
    if base == "text/plain":
        return "txt"
    guessed = mimetypes.guess_extension(base, strict=False)
    return guessed.lstrip(".") if guessed else "bin"


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0  # the same works give the same bytes
    tar.addfile(info, io.BytesIO(data))


def _sample(record: DatasetRecord) -> dict[str, bytes]:
    key = record.digest.removeprefix("sha256:")
    files = {f"{key}.json": json.dumps(record.header(), ensure_ascii=False).encode("utf-8")}
    ext = extension(record.media_type)
    if record.is_text:
        files[f"{key}.txt"] = record.content
    else:
        files[f"{key}.{'orig.txt' if ext == 'txt' else ext}"] = record.content
        if record.text is not None:
            files[f"{key}.txt"] = record.text.encode("utf-8")
    return files


def write_shards(records: Iterable[DatasetRecord], out: Path, *, per_shard: int = 10_000) -> int:
    """Write ``records`` as shards and ``index.jsonl`` under the directory ``out``; returns
    how many works were written. Each shard is written beside its name and renamed."""
    if per_shard < 1:
        raise OutputFileError("a shard holds at least one work")
    try:
        out.mkdir(parents=True, exist_ok=True)
        index: list[dict[str, Any]] = []
        shard = -1
        tar: tarfile.TarFile | None = None
        part = out / "shard.part"
        try:
            for n, record in enumerate(records):
                if n % per_shard == 0:
                    if tar is not None:
                        tar.close()
                        os.replace(part, out / SHARD.format(shard))
                    shard += 1
                    tar = tarfile.open(part, "w")  # noqa: SIM115 (closed as each shard ends)
                files = _sample(record)
                assert tar is not None
                for name, data in files.items():
                    _add(tar, name, data)
                index.append(
                    {"digest": record.digest, "shard": SHARD.format(shard), "files": list(files)}
                )
            if tar is not None:
                tar.close()
                os.replace(part, out / SHARD.format(shard))
        finally:
            part.unlink(missing_ok=True)
        lines = "".join(json.dumps(x) + "\n" for x in index)
        (out / "index.jsonl").write_text(lines, encoding="utf-8")
    except OSError as exc:
        raise OutputFileError(f"cannot write the dataset under {out}: {exc.strerror}") from exc
    return len(index)
