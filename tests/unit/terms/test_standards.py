"""The published files as third-party parsers read them: robots.txt by Google's rules (our
matcher passes Google's compliance suite, test_robots.py) and by Scrapy's Protego;
Content-Usage and Content-Signal by an RFC 9651 structured-field parser (http-sf); the
TDMRep policy's context exactly as the TDMRep report requires."""

from __future__ import annotations

import json
import re

import http_sf
import pytest
from protego import Protego

from syndic.terms.crawlers import Crawler, load_crawlers, product_token
from syndic.terms.formats import TDMREP_CONTEXT, Site, render_all
from syndic.terms.models import PaymentType, Terms, Usage
from syndic.terms.robots import RobotsTxt

SITE = Site(base_url="https://c.example", coalition="C", version=1, license_server=None)
PAID = Terms(
    permits=frozenset({Usage.AI_TRAIN, Usage.SEARCH}),
    payment_type=PaymentType.TRAINING,
    amount_minor=100_00,
)
NO_SEARCH = PAID.model_copy(
    update={"permits": frozenset({Usage.AI_TRAIN}), "prohibits": frozenset({Usage.SEARCH})}
)
CRAWLERS = load_crawlers()
TOKEN = re.compile(r"[A-Za-z_-]+")


def _user_agents(c: Crawler) -> list[str]:
    """How a crawler names itself: its bare name, and inside a browser-style User-Agent."""
    return [c.name, f"Mozilla/5.0 (compatible; {c.name}/1.0; +https://bot.example/info)"]


def _robots(terms: Terms) -> str:
    return render_all(terms, SITE, CRAWLERS)["robots.txt"]


def test_every_user_agent_written_is_an_rfc_9309_product_token() -> None:
    agents = re.findall(r"^User-Agent: (.*)$", _robots(PAID), re.MULTILINE)
    assert agents and all(a == "*" or TOKEN.fullmatch(a) for a in agents)
    # 21 names of the list are not tokens; each is written as the token it starts with
    assert sum(c.token != c.name for c in CRAWLERS.crawlers) == 21
    assert product_token("AI2Bot") == "AI" and product_token("Brightbot 1.0") == "Brightbot"
    assert product_token("MistralAI-User/1.0") == "MistralAI-User"
    assert product_token("4chan bot") == "chan"  # no leading token: the longest run


@pytest.mark.parametrize("terms", [PAID, NO_SEARCH], ids=["search-permitted", "search-refused"])
def test_every_crawler_is_blocked_by_google_and_protego_alike(terms: Terms) -> None:
    text = _robots(terms)
    google, scrapy = RobotsTxt.parse(text), Protego.parse(text)
    search_ok = terms.allows(Usage.SEARCH)
    for c in CRAWLERS.crawlers:
        allowed = search_ok and c.is_search
        assert c.token is not None
        # Google's rules: a crawler obeys the group naming its product token
        assert google.allowed("/papers/1", c.token) is allowed, c.name
        for ua in _user_agents(c):
            assert scrapy.can_fetch("https://c.example/papers/1", ua) is allowed, (c.name, ua)
    # people and ordinary search engines are not refused
    for ua in ("Googlebot", "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"):
        assert google.allowed("/papers/1", ua.split("/")[0])
        assert scrapy.can_fetch("https://c.example/papers/1", ua)


@pytest.mark.parametrize("terms", [PAID, NO_SEARCH], ids=["search-permitted", "search-refused"])
def test_search_crawlers_and_content_usage_say_the_same(terms: Terms) -> None:
    files = render_all(terms, SITE, CRAWLERS)
    usage = http_sf.parse(
        files["_headers"].split("Content-Usage: ")[1].split("\n")[0].encode(), tltype="dictionary"
    )
    search_y = str(usage["search"][0]) == "y"
    assert search_y is terms.allows(Usage.SEARCH)
    scrapy = Protego.parse(files["robots.txt"])
    for name in ("OAI-SearchBot", "Applebot", "PerplexityBot", "Claude-SearchBot"):
        assert scrapy.can_fetch("https://c.example/x", name) is search_y, name
    for name in ("GPTBot", "Applebot-Extended", "ClaudeBot", "CCBot"):
        assert not scrapy.can_fetch("https://c.example/x", name), name


def test_content_usage_is_the_current_aipref_vocabulary() -> None:
    files = render_all(PAID, SITE, CRAWLERS)
    robots = RobotsTxt.parse(files["robots.txt"])
    lines = dict(robots.other)
    usage = http_sf.parse(lines["content-usage"].encode(), tltype="dictionary")
    assert list(usage) == ["train-ai", "search"]  # no ai-use: removed from the draft
    assert {k: str(v[0]) for k, v in usage.items()} == {"train-ai": "n", "search": "y"}
    signal = http_sf.parse(lines["content-signal"].encode(), tltype="dictionary")
    assert {k: str(v[0]) for k, v in signal.items()} == {
        "search": "yes",
        "ai-input": "no",
        "ai-train": "no",
    }


def test_the_tdmrep_policy_context_is_exactly_the_reports() -> None:
    policy = json.loads(render_all(PAID, SITE, CRAWLERS)["tdm-policy.json"])
    assert policy["@context"] == [
        "http://www.w3.org/ns/odrl.jsonld",
        "http://www.w3.org/ns/tdmrep.jsonld",
    ]
    assert tuple(policy["@context"]) == TDMREP_CONTEXT
    assert policy["profile"] == "http://www.w3.org/ns/tdmrep"
