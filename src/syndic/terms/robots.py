"""robots.txt (RFC 9309): a parser and matcher, and the writer for the coalition's file.

Hand-written because the maintained Python parsers we tried (protego 0.7) fail cases of
Google's compliance suite (byte-order marks, percent-encoding of non-ASCII patterns,
product-token extraction from ``User-agent`` lines); this one passes every case in
``shared/vectors/robotstxt/correctness``. It follows RFC 9309 plus the lenient parsing the
suite expects (a missing colon, ``Allow: .../index.html`` also allowing the directory).

Decision: the groups naming the crawler's product token (merged), else the ``*`` groups; the
matching rule with the longest pattern wins; on a tie, allow; no matching rule, allow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_BOM = b"\xef\xbb\xbf"
_LINES = re.compile(rb"\r\n|\r|\n")
_AGENT_KEYS = {"user-agent", "useragent", "user agent"}
_ALLOW_KEYS = {"allow"}
_DISALLOW_KEYS = {"disallow", "dissallow", "dissalow", "disalow", "diasllow", "disallaw"}
_SITEMAP_KEYS = {"sitemap", "site-map"}
_TOKEN = re.compile(r"[A-Za-z_-]*")
_PCT = re.compile(r"%([0-9a-fA-F]{2})")
MAX_BYTES = 500 * 1024  # RFC 9309 2.5: parse at least 500 KiB; we stop there


def escape_pattern(raw: bytes) -> str:
    """Percent-encode non-ASCII octets and upper-case existing escapes (RFC 9309 2.2.2)."""
    text = "".join(chr(b) if b < 0x80 else f"%{b:02X}" for b in raw)
    return _PCT.sub(lambda m: "%" + m.group(1).upper(), text)


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def decode_unreserved(text: str) -> str:
    """Decode escapes of unreserved characters and upper-case the rest (RFC 3986 6.2.2)."""

    def one(m: re.Match[str]) -> str:
        octet = int(m.group(1), 16)
        return chr(octet) if octet in _UNRESERVED else "%" + m.group(1).upper()

    return _PCT.sub(one, text)


def normalise_pattern(pattern: str) -> str:
    """A path pattern in the form the gate gives request targets (``gate/target.py``)."""
    return decode_unreserved(escape_pattern(pattern.encode("utf-8")))


def _compile(pattern: str) -> re.Pattern[str]:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    rx = ".*".join(re.escape(part) for part in body.split("*"))
    return re.compile(rx + (r"\Z" if anchored else ""), re.DOTALL)


@dataclass(frozen=True)
class Rule:
    allow: bool
    pattern: str
    regex: re.Pattern[str] = field(compare=False, repr=False)

    @classmethod
    def of(cls, allow: bool, pattern: str) -> Rule:
        return cls(allow, pattern, _compile(pattern))

    def priority(self, path: str) -> int:
        """Length of the pattern when it matches ``path``, else -1."""
        if self.regex.match(path):
            return len(self.pattern)
        if self.allow and (
            self.pattern.endswith("/index.htm") or self.pattern.endswith("/index.html")
        ):
            # an allowed index page also allows its directory (the suite's "index-page" case)
            directory = self.pattern[: self.pattern.rindex("/") + 1] + "$"
            if _compile(directory).match(path):
                return len(directory)
        return -1


@dataclass
class Group:
    agents: list[str] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)


def _agent_token(value: str) -> str:
    if value.startswith("*") and (len(value) == 1 or value[1] in " \t"):
        return "*"
    m = _TOKEN.match(value)
    return m.group() if m else ""


def _split_line(line: bytes) -> tuple[str, bytes] | None:
    line = line.split(b"#", 1)[0].strip(b" \t")
    if not line:
        return None
    if b":" in line:
        key, _, value = line.partition(b":")
    else:
        parts = line.split()
        if len(parts) != 2:  # a missing colon is accepted only for "key value"
            return None
        key, value = parts
    return key.strip(b" \t").decode("latin-1").lower(), value.strip(b" \t")


def path_of(url: str) -> str:
    """Path, params and query of a URL (or of a path), without the fragment; "/" if empty."""
    url = url.split("#", 1)[0]
    if not url.startswith("/"):
        scheme = url.find("://")
        if scheme >= 0:
            rest = url[scheme + 3 :]
            cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=-1)
            url = "" if cut < 0 else rest[cut:]
    if not url:
        return "/"
    return url if url.startswith("/") else "/" + url


@dataclass
class RobotsTxt:
    groups: list[Group] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    # lines this parser does not act on but publishers use (License, Content-Usage, ...)
    other: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def parse(cls, data: bytes | str) -> RobotsTxt:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        raw = raw[:MAX_BYTES]
        for n in (3, 2, 1):  # a (possibly truncated) byte-order mark is skipped
            if raw[:n] == _BOM[:n]:
                raw = raw[n:]
                break
        out = cls()
        current: Group | None = None
        in_agents = False
        for line in _LINES.split(raw):
            kv = _split_line(line)
            if kv is None:
                continue
            key, value = kv
            if key in _AGENT_KEYS:
                if current is None or not in_agents:
                    current = Group()
                    out.groups.append(current)
                current.agents.append(_agent_token(value.decode("utf-8", "replace")))
                in_agents = True
            elif key in _ALLOW_KEYS or key in _DISALLOW_KEYS:
                in_agents = False
                if current is not None:  # rules before any user-agent line are ignored
                    current.rules.append(Rule.of(key in _ALLOW_KEYS, escape_pattern(value)))
            elif key in _SITEMAP_KEYS:
                out.sitemaps.append(value.decode("utf-8", "replace"))
            else:
                out.other.append((key, value.decode("utf-8", "replace")))
        return out

    def _rules_for(self, user_agent: str) -> tuple[bool, list[Rule]]:
        ua = user_agent.lower()
        specific = [g for g in self.groups if any(a.lower() == ua for a in g.agents if a != "*")]
        if specific:
            return True, [r for g in specific for r in g.rules]
        return False, [r for g in self.groups if "*" in g.agents for r in g.rules]

    def allowed(self, url: str, user_agent: str) -> bool:
        """Whether ``user_agent`` (a product token) may fetch ``url`` (a URL or a path)."""
        path = path_of(url)
        _, rules = self._rules_for(user_agent)
        best_allow = max((r.priority(path) for r in rules if r.allow), default=-1)
        best_disallow = max((r.priority(path) for r in rules if not r.allow), default=-1)
        if best_allow <= 0 and best_disallow <= 0:
            return True  # nothing but empty patterns matched
        return best_disallow <= best_allow


@dataclass(frozen=True)
class RobotsGroup:
    """One group to write: its user agents, rules and extension lines."""

    agents: Sequence[str]
    allow: Sequence[str] = ()
    disallow: Sequence[str] = ()
    extra: Sequence[tuple[str, str]] = ()


def write_robots(
    groups: Iterable[RobotsGroup],
    *,
    header: Sequence[str] = (),
    footer: Sequence[tuple[str, str]] = (),
) -> str:
    """A robots.txt: comment header, groups, then file-wide lines (License, Sitemap)."""
    out = [f"# {h}" for h in header]
    for g in groups:
        if not g.agents:
            raise ValueError("a robots.txt group needs at least one user agent")
        if out:
            out.append("")
        out += [f"User-Agent: {a}" for a in g.agents]
        out += [f"Allow: {p}" for p in g.allow]
        out += [f"Disallow: {p}" for p in g.disallow]
        out += [f"{k}: {v}" for k, v in g.extra]
    if footer:
        out.append("")
        out += [f"{k}: {v}" for k, v in footer]
    return "\n".join(out) + "\n"
