"""Where rows come from: manifests (JSONL, CSV), directories, feeds and sitemaps, and
Crossref or ORCID records. Each reader yields planned works or refusals, line by line; the
line of a feed entry or a record is its position (1-based)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from syndic.catalogue.rows import Defaults, build
from syndic.errors import InputFileError
from syndic.members.bulk import Refusal, Row
from syndic.members.importer import json_rows, open_lines
from syndic.members.limits import Limits

SIDECARS = ("manifest.jsonl", "manifest.csv")


def manifest_format(path: Path, declared: str | None) -> str:
    fmt = declared or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    if fmt not in ("jsonl", "csv"):
        raise InputFileError(f"a manifest is jsonl or csv, not {fmt!r}")
    return fmt


def manifest_rows(path: Path, fmt: str, d: Defaults, limits: Limits) -> Iterator[Row]:
    if fmt == "csv":
        yield from _csv_rows(path, d, limits)
        return
    for n, size, row in json_rows(path, limits):
        yield Refusal(n, row) if isinstance(row, str) else build(n, row, d, limits, size)


def _csv_rows(path: Path, d: Defaults, limits: Limits) -> Iterator[Row]:
    """CSV with a header row; line numbers count the header as line 1."""
    csv.field_size_limit(max(limits.max_work_bytes, limits.max_field_chars) + 1)
    lines = ((n, raw) for n, raw in open_lines(path))
    first = next(lines, None)
    if first is None:
        return
    try:
        header = next(csv.reader([first[1].decode("utf-8-sig")]))
        for n, raw in lines:
            text = raw.decode("utf-8")
            values = next(csv.reader(io.StringIO(text)))
            if len(values) != len(header):
                yield Refusal(n, f"{len(values)} columns where the header has {len(header)}")
                continue
            row = {k: v for k, v in zip(header, values, strict=True) if v != ""}
            yield build(n, row, d, limits, len(raw))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputFileError(f"{path.name}: not a UTF-8 CSV file ({exc})") from exc


def directory_rows(root: Path, d: Defaults, limits: Limits) -> Iterator[Row]:
    """Every file under ``root`` (sorted; dot-files and the sidecar left out), titled after its
    name unless the sidecar (``manifest.jsonl`` or ``.csv``: rows with a ``path``) says more.
    The line of a file with no sidecar row is its place in the sorted list."""
    if not root.is_dir():
        raise InputFileError(f"{root} is not a directory")
    sidecar: dict[str, Row] = {}
    for name in SIDECARS:
        if (root / name).is_file():
            fmt = manifest_format(root / name, None)
            for row in manifest_rows(root / name, fmt, d, limits):
                if isinstance(row, Refusal):
                    yield Refusal(row.line, f"{name}: {row.reason}")
                else:
                    assert isinstance(row.content, Path)
                    sidecar[row.content.resolve().as_posix()] = row
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.name not in SIDECARS
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    for n, file in enumerate(files, start=1):
        known = sidecar.get(file.resolve().as_posix())
        if known is not None:
            yield known
            continue
        title = file.stem.replace("_", " ").replace("-", " ").strip() or file.name
        yield build(n, {"path": str(file.relative_to(root)), "title": title}, d, limits, 0)


def _strip_tags(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def feed_rows(data: bytes, d: Defaults, limits: Limits) -> Iterator[Row]:
    """RSS or Atom entries (feedparser), or sitemap ``<url>`` entries, one row each. A feed
    entry's HTML (its content, else its summary) is the work; a sitemap names pages only,
    so each row is the page's URL for the importer to fetch."""
    head = data[:2048].lower()
    if b"<urlset" in head or b"<sitemapindex" in head:
        yield from _sitemap_rows(data, d, limits)
        return
    import feedparser

    parsed = feedparser.parse(data)
    if parsed.get("bozo") and not parsed.entries:
        raise InputFileError(f"not an RSS or Atom feed: {parsed.get('bozo_exception')}")
    for n, entry in enumerate(parsed.entries, start=1):
        html = ""
        if entry.get("content"):
            html = entry.content[0].get("value", "")
        html = html or entry.get("summary", "")
        row: dict[str, Any] = {
            "title": entry.get("title") or entry.get("link") or f"entry {n}",
            "url": entry.get("link"),
            "published": entry.get("published"),
            "author": entry.get("author"),
        }
        if html.strip():
            row.update(text=html, media_type="text/html")
        elif entry.get("link"):
            row["fetch"] = entry.get("link")
            row["text"] = entry.get("link")  # replaced by the fetched page
        row = {k: v for k, v in row.items() if v is not None}
        yield build(n, row, d, limits, len(html))


def _sitemap_rows(data: bytes, d: Defaults, limits: Limits) -> Iterator[Row]:
    from xml.etree import ElementTree

    try:
        tree = ElementTree.fromstring(data)  # noqa: S314 (expat refuses entity expansion bombs)
    except ElementTree.ParseError as exc:
        raise InputFileError(f"not a sitemap: {exc}") from exc
    n = 0
    for url in tree.iter():
        if not url.tag.endswith("}loc") and url.tag != "loc":
            continue
        n += 1
        loc = (url.text or "").strip()
        row = {"title": loc, "url": loc, "fetch": loc, "text": loc}
        yield build(n, row, d, limits, len(loc))


def scholarly_rows(data: bytes, d: Defaults, limits: Limits) -> Iterator[Row]:
    """Crossref works (``{"message": {"items": [...]}}``, one ``message``, or a list) or an
    ORCID works record (``{"group": [{"work-summary": [...]}]}``): one work per record, its
    text the DOI, the title and the abstract, its metadata the DOI, year and container."""
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"not JSON: {exc}") from exc
    for n, item in enumerate(_records(doc), start=1):
        title = _first(item.get("title")) or _first(
            (item.get("title") or {}).get("title", {}).get("value")
            if isinstance(item.get("title"), dict)
            else None
        )
        doi = item.get("DOI") or _orcid_doi(item)
        abstract = _strip_tags(item.get("abstract") or "")
        if not title:
            yield Refusal(n, "a record with no title")
            continue
        text = "\n".join(x for x in (f"doi:{doi}" if doi else "", title, "", abstract) if x)
        year = _year(item)
        meta = {"doi": doi, "year": year, "container": _first(item.get("container-title"))}
        meta.update(type=item.get("type"), source="crossref" if "DOI" in item else "orcid")
        row = {"title": title, "text": text + "\n", **{k: v for k, v in meta.items() if v}}
        yield build(n, row, d, limits, len(text))


def _records(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, list):
        return [x for x in doc if isinstance(x, dict)]
    if not isinstance(doc, dict):
        raise InputFileError("expected a Crossref or ORCID JSON document")
    if "group" in doc:  # ORCID /works
        return [s for g in doc["group"] for s in g.get("work-summary", []) if isinstance(s, dict)]
    message = doc.get("message", doc)
    if isinstance(message, dict) and isinstance(message.get("items"), list):
        return [x for x in message["items"] if isinstance(x, dict)]
    return [message] if isinstance(message, dict) else []


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _orcid_doi(item: dict[str, Any]) -> str | None:
    ids = (item.get("external-ids") or {}).get("external-id") or []
    for x in ids:
        if isinstance(x, dict) and x.get("external-id-type") == "doi":
            return str(x.get("external-id-value"))
    return None


def _year(item: dict[str, Any]) -> str | None:
    for key in ("published", "issued", "published-print", "published-online"):
        parts = (item.get(key) or {}).get("date-parts")
        if parts and parts[0] and parts[0][0]:
            return str(parts[0][0])
    year = ((item.get("publication-date") or {}).get("year") or {}).get("value")
    return str(year) if year else None
