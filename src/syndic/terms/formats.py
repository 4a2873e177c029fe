"""The coalition's terms in every format crawlers and AI builders already read.

From one ``Terms`` (and where it is published) this writes: the RSL licence, robots.txt
(AI crawler list, ``License:``, IETF AIPREF ``Content-Usage:``, ``Content-Signal:``), W3C
TDMRep (``/.well-known/tdmrep.json`` and a policy), Spawning's ai.txt, and the HTTP headers
a site adds to every response (``X-Robots-Tag``, ``Link rel=license``, ``tdm-reservation``,
``tdm-policy``). Each has a reader, so a round trip is testable.

What a preference says: a usage is "y" only when the terms allow it for free; a paid or
prohibited usage is "n", and the ``License`` pointer tells a crawler how to get a licence.
Search is "y" whenever the terms permit it (being found is not what the coalition sells), and
then robots.txt lets the list's search crawlers in, so the two files say the same thing.

IETF AIPREF ``Content-Usage`` follows the current vocabulary draft: ``train-ai`` and
``search`` only (the working group removed ``ai-use`` in August 2025). RSL's ``ai-input`` has
no AIPREF category: it is stated by ``Content-Signal: ai-input=`` (and by the RSL licence and
TDMRep), and a ``Content-Usage`` read back leaves it unknown (None).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from syndic.errors import InvalidInput
from syndic.terms import rsl
from syndic.terms.crawlers import Crawler, CrawlerList
from syndic.terms.models import PaymentType, Terms, Usage
from syndic.terms.robots import RobotsGroup, RobotsTxt, write_robots

RSL_PATH = "license.xml"
TDM_POLICY_PATH = "tdm-policy.json"
# a TDMRep policy's @context, exactly as the TDMRep report requires it
TDMREP_CONTEXT = ("http://www.w3.org/ns/odrl.jsonld", "http://www.w3.org/ns/tdmrep.jsonld")
FREE = (PaymentType.FREE, PaymentType.ATTRIBUTION)


@dataclass(frozen=True)
class Preferences:
    """Yes/no per category: ``train-ai`` and ``search`` (AIPREF and Content-Signal) and
    ``ai-input`` (Content-Signal only; None when a Content-Usage, which cannot say, was read)."""

    train_ai: bool
    ai_input: bool | None
    search: bool

    @classmethod
    def of(cls, terms: Terms) -> Preferences:
        free = terms.payment_type in FREE
        return cls(
            train_ai=free and terms.allows(Usage.AI_TRAIN),
            ai_input=free and terms.allows(Usage.AI_INPUT),
            search=terms.allows(Usage.SEARCH),
        )

    @property
    def reserves_tdm(self) -> bool:
        return not (self.train_ai and self.ai_input)


@dataclass(frozen=True)
class Site:
    """Where the terms are published: ``base_url`` serves license.xml and robots.txt."""

    base_url: str
    coalition: str
    version: int
    license_server: str | None = None  # the OLP licence server (clients POST <server>/token)
    # the market-leader clause (the charter's): what small builders may use without a deal
    open_licence: str | None = None
    vlop_mau_threshold: int | None = None

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def market_leader(self) -> list[str]:
        """The comment lines that state the market-leader clause (none without an open
        licence)."""
        if not self.open_licence or self.vlop_mau_threshold is None:
            return []
        return [
            f"Builders with fewer than {self.vlop_mau_threshold} monthly active users may use "
            f"these works under {self.open_licence}; very large platforms need a licence "
            f"negotiated with {self.coalition}: {self.url(RSL_PATH)}"
        ]


# --- AIPREF Content-Usage and Content-Signal --------------------------------------------------
def content_usage(p: Preferences) -> str:
    """AIPREF ``Content-Usage`` (an RFC 9651 dictionary): the draft's two categories."""
    yn = {True: "y", False: "n"}
    return f"train-ai={yn[p.train_ai]}, search={yn[p.search]}"


def content_signal(p: Preferences) -> str:
    yn = {True: "yes", False: "no"}
    ai_input = yn[bool(p.ai_input)]  # unknown is not a yes
    return f"search={yn[p.search]}, ai-input={ai_input}, ai-train={yn[p.train_ai]}"


def _pairs(text: str, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"bad {what} item {item.strip()!r} (expected key=value)")
        out[key.strip().lower()] = value.strip().lower()
    return out


def _flag(pairs: dict[str, str], key: str, what: str) -> bool:
    value = pairs.get(key, "n")
    if value in ("y", "yes"):
        return True
    if value in ("n", "no"):
        return False
    raise InvalidInput(f"{what} {key}={value!r} is neither y nor n")


def parse_content_usage(text: str) -> Preferences:
    """AIPREF ``Content-Usage`` (``train-ai=n, search=y``); an absent category reads as n.
    AIPREF has no ``ai-input``: it is unknown (None), unless an older file still says
    ``ai-use``, the category the draft had until August 2025."""
    pairs = _pairs(text, "Content-Usage")
    return Preferences(
        train_ai=_flag(pairs, "train-ai", "Content-Usage"),
        ai_input=_flag(pairs, "ai-use", "Content-Usage") if "ai-use" in pairs else None,
        search=_flag(pairs, "search", "Content-Usage"),
    )


def parse_content_signal(text: str) -> Preferences:
    pairs = _pairs(text, "Content-Signal")
    return Preferences(
        train_ai=_flag(pairs, "ai-train", "Content-Signal"),
        ai_input=_flag(pairs, "ai-input", "Content-Signal"),
        search=_flag(pairs, "search", "Content-Signal"),
    )


# --- robots.txt and ai.txt --------------------------------------------------------------------
def _tokens(crawlers: list[Crawler], *, besides: frozenset[str] = frozenset()) -> list[str]:
    """Their product tokens, each once (case-insensitively), in list order."""
    out: list[str] = []
    seen = set(besides)
    for c in crawlers:
        token = c.token
        if token is not None and token.lower() not in seen:
            seen.add(token.lower())
            out.append(token)
    return out


def robots_txt(terms: Terms, site: Site, crawlers: CrawlerList) -> str:
    """Every listed crawler is named by its RFC 9309 product token (``Crawler.token``), so
    each parser reads the name that was written. When AI use needs a licence, the crawlers
    are refused, except that the list's search crawlers are let in while the terms permit
    search (``Content-Usage: search=y``); a token both groups would name is refused."""
    p = Preferences.of(terms)
    groups = []
    if p.reserves_tdm:
        search = [c for c in crawlers.crawlers if p.search and c.is_search]
        refused = _tokens([c for c in crawlers.crawlers if c not in search])
        groups.append(RobotsGroup(agents=refused, disallow=["/"]))
        allowed = _tokens(search, besides=frozenset(t.lower() for t in refused))
        if allowed:
            groups.append(RobotsGroup(agents=allowed, allow=["/"]))
    groups.append(
        RobotsGroup(
            agents=["*"],
            allow=["/"],
            extra=[("Content-Usage", content_usage(p)), ("Content-Signal", content_signal(p))],
        )
    )
    return write_robots(
        groups,
        header=[
            f"{site.coalition}: licence terms version {site.version}.",
            f"AI use of these works needs a licence: {site.url(RSL_PATH)}",
            *site.market_leader(),
            f"AI crawler list: ai.robots.txt ({crawlers.source}), MIT licence.",
        ],
        footer=[("License", site.url(RSL_PATH))],
    )


def ai_txt(terms: Terms, site: Site) -> str:
    """Spawning's ai.txt: robots.txt syntax, read by dataset builders before they collect."""
    p = Preferences.of(terms)
    group = (
        RobotsGroup(agents=["*"], allow=["/"])
        if p.train_ai
        else RobotsGroup(agents=["*"], disallow=["/"])
    )
    return write_robots(
        [group],
        header=[
            f"{site.coalition}: AI training needs a licence: {site.url(RSL_PATH)}",
            *site.market_leader(),
        ],
    )


def read_robots_preferences(text: str | bytes) -> tuple[Preferences | None, str | None]:
    """Content-Usage preferences and the License URL a robots.txt states."""
    parsed = RobotsTxt.parse(text)
    prefs = licence = None
    for key, value in parsed.other:
        if key == "content-usage" and prefs is None:
            prefs = parse_content_usage(value)
        elif key == "license" and licence is None:
            licence = value
    return prefs, licence


# --- TDMRep ----------------------------------------------------------------------------------
def tdmrep_json(terms: Terms, site: Site) -> str:
    p = Preferences.of(terms)
    entry: dict[str, Any] = {"location": "/*", "tdm-reservation": 1 if p.reserves_tdm else 0}
    if p.reserves_tdm:
        entry["tdm-policy"] = site.url(TDM_POLICY_PATH)
    return json.dumps([entry], indent=2) + "\n"


def tdm_policy(terms: Terms, site: Site) -> str:
    """A TDMRep policy (ODRL offer): text and data mining is permitted against the licence."""
    duty = []
    if terms.payment_type not in FREE:
        duty.append({"action": "compensate", "target": site.url(RSL_PATH)})
    doc = {
        "@context": list(TDMREP_CONTEXT),
        "@type": "Offer",
        "profile": "http://www.w3.org/ns/tdmrep",
        "uid": site.url(f"{TDM_POLICY_PATH}#v{site.version}"),
        "assigner": {"uid": site.base_url, "vcard:fn": site.coalition},
        "permission": [{"target": site.url("/"), "action": "tdm:mine", "duty": duty}],
    }
    return json.dumps(doc, indent=2) + "\n"


def parse_tdmrep(text: str | bytes) -> list[dict[str, Any]]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"tdmrep.json is not JSON: {exc}") from exc
    if not isinstance(doc, list) or not all(
        isinstance(e, dict)
        and isinstance(e.get("location"), str)
        and e.get("tdm-reservation") in (0, 1)
        for e in doc
    ):
        raise InvalidInput("tdmrep.json must be a list of {location, tdm-reservation: 0|1}")
    return doc


# --- HTTP headers ----------------------------------------------------------------------------
def response_headers(terms: Terms, site: Site) -> dict[str, str]:
    """Headers a member's site (or the gate) adds to every response."""
    p = Preferences.of(terms)
    headers = {
        "Link": f'<{site.url(RSL_PATH)}>; rel="license"; type="{rsl.MEDIA_TYPE}"',
        "Content-Usage": content_usage(p),
        "tdm-reservation": "1" if p.reserves_tdm else "0",
    }
    if p.reserves_tdm:
        headers["tdm-policy"] = site.url(TDM_POLICY_PATH)
    if not p.train_ai:
        headers["X-Robots-Tag"] = "noai, noimageai"
    return headers


def headers_file(headers: dict[str, str]) -> str:
    """The ``_headers`` format static hosts read: a path, then indented ``Name: value`` lines."""
    return "/*\n" + "".join(f"  {k}: {v}\n" for k, v in headers.items())


def parse_headers_file(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith((" ", "\t")) and ":" in line:
            k, _, v = line.strip().partition(":")
            out[k.strip()] = v.strip()
    return out


# --- everything at once ----------------------------------------------------------------------
FILES = {
    "robots.txt": "text/plain; charset=utf-8",
    RSL_PATH: rsl.MEDIA_TYPE,
    ".well-known/tdmrep.json": "application/json",
    TDM_POLICY_PATH: "application/ld+json",
    "ai.txt": "text/plain; charset=utf-8",
    "_headers": "text/plain; charset=utf-8",
}


def render_all(terms: Terms, site: Site, crawlers: CrawlerList) -> dict[str, str]:
    """Every published file, by path relative to the site root."""
    return {
        "robots.txt": robots_txt(terms, site, crawlers),
        RSL_PATH: rsl.render_terms(terms, content_urls=[site.url("/")], server=site.license_server),
        ".well-known/tdmrep.json": tdmrep_json(terms, site),
        TDM_POLICY_PATH: tdm_policy(terms, site),
        "ai.txt": ai_txt(terms, site),
        "_headers": headers_file(response_headers(terms, site)),
    }
