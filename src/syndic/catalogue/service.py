"""``CatalogueImporter``: every catalogue format through the one bulk import.

Each format reads rows (``sources``), the bulk import checks them all, and while writing,
``_prepare`` reads each file, finds its media type and extracts its text. Pages are fetched
only from the sites the member says are theirs (``sites``): a feed's or sitemap's link to
anywhere else is refused with its line, never fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from syndic.catalogue import sources
from syndic.catalogue.extract import extract
from syndic.catalogue.rows import SNIFF, Defaults
from syndic.errors import InputFileError, InvalidInput
from syndic.members.bulk import ImportOptions, ImportResult, Planned, Refusal, Row, run_import
from syndic.members.models import PLAIN_TEXT
from syndic.members.service import MemberService, NewWork
from syndic.members.views import WorkView
from syndic.storage.files import read_input

FETCH_TIMEOUT = 20.0


@dataclass(frozen=True)
class Fetching:
    """Whether to fetch linked pages, and from which hosts (the member's own sites)."""

    enabled: bool = False
    sites: frozenset[str] = frozenset()

    def allows(self, url: str) -> str | None:
        """Why ``url`` may not be fetched, or None."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return f"{url} is not an http(s) URL"
        host = (parts.hostname or "").lower()
        if host not in self.sites:
            owned = ", ".join(sorted(self.sites)) or "none given"
            return f"{host} is not one of the member's own sites ({owned}); not fetched"
        return None


class CatalogueImporter:
    def __init__(self, members: MemberService) -> None:
        self.members = members

    def manifest(
        self, path: Path, *, fmt: str | None, defaults: Defaults, options: ImportOptions
    ) -> ImportResult:
        """A JSONL or CSV manifest: one work per row (see ``catalogue.rows``)."""
        fmt = sources.manifest_format(path, fmt)
        d = replace(defaults, base=path.parent)
        limits = self.members.limits
        return self._run(lambda: sources.manifest_rows(path, fmt, d, limits), options, path.name)

    def directory(self, root: Path, *, defaults: Defaults, options: ImportOptions) -> ImportResult:
        """Every file under ``root``, with ``manifest.jsonl`` or ``.csv`` beside them if any."""
        d = replace(defaults, base=root)
        limits = self.members.limits
        return self._run(lambda: sources.directory_rows(root, d, limits), options, root.name)

    def feed(
        self,
        source: str,
        *,
        defaults: Defaults,
        options: ImportOptions,
        fetching: Fetching,
    ) -> ImportResult:
        """An RSS or Atom feed or a sitemap, from a saved file or a URL on the member's site."""
        data = self._feed_bytes(source, fetching)
        limits = self.members.limits
        return self._run(
            lambda: sources.feed_rows(data, defaults, limits),
            options,
            source,
            fetching=fetching,
        )

    def scholarly(self, path: Path, *, defaults: Defaults, options: ImportOptions) -> ImportResult:
        """Crossref or ORCID works JSON, read offline."""
        data = read_input(path)
        limits = self.members.limits
        return self._run(lambda: sources.scholarly_rows(data, defaults, limits), options, path.name)

    def add_file(
        self,
        content: bytes,
        *,
        name: str,
        title: str,
        holders: list[tuple[int, int]],
        kind: str,
        collection: str,
    ) -> tuple[WorkView, bool]:
        """One file as a work (``syndic work add``): its media type found, its text extracted
        as an import does."""
        found = extract(name, content)
        return self.members.register_work(
            NewWork(
                content=content,
                title=title,
                kind=kind,
                collection=collection,
                holders=holders,
                meta={"filename": name, **found.meta},
                media_type=found.media_type,
                text=found.text,
            ),
            registered_by=holders[0][0],
        )

    # --- the shared path ------------------------------------------------------------------
    def _run(
        self,
        rows: Callable[[], Iterator[Row]],
        options: ImportOptions,
        name: str,
        *,
        fetching: Fetching | None = None,
    ) -> ImportResult:
        fetch = fetching or Fetching()

        def checked() -> Iterator[Row]:
            for row in rows():
                url = None if isinstance(row, Refusal) else row.meta.get("fetch")
                if isinstance(url, str) and not fetch.enabled:
                    yield Refusal(row.line, f"{url}: a page to fetch; pass --fetch to fetch it")
                elif isinstance(url, str) and (why := fetch.allows(url)) is not None:
                    yield Refusal(row.line, why)
                else:
                    yield row

        return run_import(
            self.members,
            checked,
            limits=self.members.limits,
            options=options,
            prepare=self._prepare,
            name=name,
        )

    def _prepare(self, p: Planned) -> Planned | Refusal:
        """Read the row's file (or fetch its page), find its media type, extract its text."""
        url = p.meta.get("fetch")
        meta = {k: v for k, v in p.meta.items() if k != "fetch"}
        if isinstance(url, str):
            got = self._fetch(url)
            if isinstance(got, str):
                return Refusal(p.line, got)
            data, declared = got
            name = urlsplit(url).path or "page.html"
        elif isinstance(p.content, Path):
            try:
                data = p.content.read_bytes()
            except OSError as exc:
                return Refusal(p.line, f"cannot read {p.content.name}: {exc.strerror}")
            name, declared = p.content.name, None if p.media_type == SNIFF else p.media_type
        else:
            data, name = p.content, "inline"
            declared = p.media_type
        if declared == PLAIN_TEXT and isinstance(p.content, bytes) and not url:
            return replace(p, meta=meta)  # inline text: the work is its own text
        found = extract(name, data, declared)
        return replace(
            p,
            content=data,
            media_type=found.media_type,
            text=found.text,
            meta={**meta, **found.meta},
            note=found.note,
        )

    def _fetch(self, url: str) -> tuple[bytes, str | None] | str:
        import httpx

        limit = self.members.limits.max_work_bytes
        try:
            with httpx.stream("GET", url, timeout=FETCH_TIMEOUT, follow_redirects=False) as r:
                if r.status_code != 200:
                    return f"{url}: HTTP {r.status_code}"
                body = bytearray()
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        return f"{url}: {self.members.limits.work_size(len(body))}"
                kind = r.headers.get("content-type")
                return bytes(body), kind.split(";", 1)[0].strip() if kind else None
        except httpx.HTTPError as exc:
            return f"{url}: cannot fetch ({type(exc).__name__})"

    def _feed_bytes(self, source: str, fetching: Fetching) -> bytes:
        if "://" not in source:
            return read_input(Path(source))
        host = (urlsplit(source).hostname or "").lower()
        allowed = Fetching(True, fetching.sites or frozenset({host}))
        if (why := allowed.allows(source)) is not None:
            raise InvalidInput(why)
        got = self._fetch(source)
        if isinstance(got, str):
            raise InputFileError(got)
        return got[0]
