"""The AI crawler list (ai.robots.txt's ``robots.json``), kept as data and refreshable.

The package ships a copy (``data/ai-robots.json``, MIT, see ``data/LICENSE-ai-robots.txt``);
``syndic terms crawlers refresh`` writes a newer one into ``<data_dir>/terms/``, which then
wins. Matching a request's ``User-Agent`` looks for a listed name as a whole token,
case-insensitively, so ``Mozilla/5.0 (compatible; GPTBot/1.2)`` is GPTBot.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

from syndic.errors import InputFileError

FILE_NAME = "ai-robots.json"
MAX_BYTES = 4 << 20


_TOKEN_RUN = re.compile(r"[A-Za-z_-]+")
_SEARCH_FUNCTION = re.compile(r"\bsearch", re.IGNORECASE)  # "search", not "research"


def product_token(name: str) -> str | None:
    """The RFC 9309 product token (``[A-Za-z_-]+``) to name a crawler by in robots.txt: the
    longest one its name starts with, which is what Google's parser and RFC 9309 crawlers read
    from a ``User-agent`` line (``AI2Bot`` is read as ``AI``, ``Brightbot 1.0`` as
    ``Brightbot``); for a name that starts with none, its longest run of token characters."""
    runs: list[str] = _TOKEN_RUN.findall(name)
    if not runs:
        return None
    if _TOKEN_RUN.match(name):
        return runs[0]
    return max(runs, key=len)


@dataclass(frozen=True)
class Crawler:
    name: str
    operator: str = ""
    function: str = ""
    respect: str = ""

    @property
    def token(self) -> str | None:
        """Its robots.txt product token (``product_token``)."""
        return product_token(self.name)

    @property
    def is_search(self) -> bool:
        """Whether the list says it crawls for search (its function mentions search, or its
        name is a ``...SearchBot``): robots.txt lets it in when the terms permit search."""
        return bool(_SEARCH_FUNCTION.search(self.function)) or self.name.lower().endswith(
            "searchbot"
        )


@dataclass(frozen=True)
class CrawlerList:
    crawlers: tuple[Crawler, ...]
    source: str

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        names = sorted({c.name.lower() for c in self.crawlers}, key=len, reverse=True)
        alternation = "|".join(re.escape(n) for n in names) or r"(?!)"
        return re.compile(rf"(?<![a-z0-9_.-])(?:{alternation})(?![a-z0-9_-])")

    @cached_property
    def _by_name(self) -> dict[str, Crawler]:
        return {c.name.lower(): c for c in self.crawlers}

    def match(self, user_agent: str) -> Crawler | None:
        """The listed crawler a ``User-Agent`` names, if any."""
        m = self._regex.search(user_agent.lower())
        return None if m is None else self._by_name[m.group()]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.crawlers]


def parse_crawler_list(data: bytes, *, source: str) -> CrawlerList:
    """Validate a ``robots.json``: an object of name -> {operator, function, ...}."""
    if len(data) > MAX_BYTES:
        raise InputFileError(f"{source}: crawler list is larger than {MAX_BYTES} bytes")
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{source}: crawler list is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or not doc:
        raise InputFileError(f"{source}: crawler list must be a non-empty JSON object")
    out = []
    for name, info in doc.items():
        if not name.strip() or len(name) > 200 or not isinstance(info, dict):
            raise InputFileError(f"{source}: bad crawler entry {name!r}")
        out.append(
            Crawler(
                name=name.strip(),
                operator=str(info.get("operator", "")),
                function=str(info.get("function", "")),
                respect=str(info.get("respect", "")),
            )
        )
    return CrawlerList(tuple(out), source)


def packaged_list() -> bytes:
    return resources.files("syndic.terms").joinpath("data", FILE_NAME).read_bytes()


def load_crawlers(data_dir: Path | None = None) -> CrawlerList:
    """The refreshed list in ``<data_dir>/terms/`` if there is one, else the packaged copy."""
    if data_dir is not None:
        local = data_dir / "terms" / FILE_NAME
        if local.is_file():
            return parse_crawler_list(local.read_bytes(), source=str(local))
    return parse_crawler_list(packaged_list(), source=f"syndic package ({FILE_NAME})")


def refresh_crawlers(source: str, data_dir: Path, *, timeout: float = 30.0) -> CrawlerList:
    """Fetch ``source`` (an http(s) URL or a file), validate it, then replace the local list."""
    if source.startswith(("http://", "https://")):
        import httpx  # only this command fetches; the rest of Syndic starts without it

        try:
            r = httpx.get(source, timeout=timeout, follow_redirects=True)
            r.raise_for_status()
        except httpx.HTTPError as exc:
            raise InputFileError(f"cannot fetch the crawler list from {source}: {exc}") from exc
        data = r.content
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise InputFileError(f"cannot read {source}: {exc.strerror}") from exc
    parsed = parse_crawler_list(data, source=source)  # refuse before writing anything
    dest = data_dir / "terms" / FILE_NAME
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(dest)
    return parsed
