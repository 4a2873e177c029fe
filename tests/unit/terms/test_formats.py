"""Every published format round-trips through its reader; the crawler list is data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syndic.errors import InputFileError, InvalidInput
from syndic.terms.crawlers import load_crawlers, parse_crawler_list, refresh_crawlers
from syndic.terms.formats import (
    Preferences,
    Site,
    content_signal,
    content_usage,
    parse_content_signal,
    parse_content_usage,
    parse_headers_file,
    parse_tdmrep,
    read_robots_preferences,
    render_all,
    response_headers,
)
from syndic.terms.models import PaymentType, Terms, Usage
from syndic.terms.robots import RobotsTxt
from syndic.terms.rsl import parse_rsl, terms_from_licenses
from tests.conftest import shared_dir

PAID = Terms(
    permits=frozenset({Usage.AI_TRAIN, Usage.SEARCH}),
    payment_type=PaymentType.TRAINING,
    amount_minor=250_000_00,
)
FREE = Terms(permits=frozenset({Usage.ALL}), payment_type=PaymentType.FREE)
SITE = Site(
    base_url="https://coalition.example",
    coalition="Open Science Coalition",
    version=3,
    license_server="https://coalition.example/v1/olp",
)


def test_every_file_reads_back_to_the_terms() -> None:
    crawlers = load_crawlers()
    files = render_all(PAID, SITE, crawlers)
    assert set(files) == {
        "robots.txt",
        "license.xml",
        ".well-known/tdmrep.json",
        "tdm-policy.json",
        "ai.txt",
        "_headers",
    }
    doc = parse_rsl(files["license.xml"])
    assert doc.contents[0].server == SITE.license_server
    assert terms_from_licenses(doc.contents[0].licenses) == PAID
    prefs, licence = read_robots_preferences(files["robots.txt"])
    assert prefs == Preferences(train_ai=False, ai_input=None, search=True)  # AIPREF cannot say
    assert Preferences.of(PAID) == Preferences(train_ai=False, ai_input=False, search=True)
    assert licence == "https://coalition.example/license.xml"
    robots = RobotsTxt.parse(files["robots.txt"])
    assert not robots.allowed("/paper", "GPTBot")
    assert not robots.allowed("/paper", "CCBot")
    assert robots.allowed("/paper", "Googlebot")
    assert ("content-signal", "search=yes, ai-input=no, ai-train=no") in robots.other
    assert parse_tdmrep(files[".well-known/tdmrep.json"]) == [
        {
            "location": "/*",
            "tdm-reservation": 1,
            "tdm-policy": "https://coalition.example/tdm-policy.json",
        }
    ]
    policy = json.loads(files["tdm-policy.json"])
    assert policy["permission"][0]["duty"][0]["action"] == "compensate"
    assert not RobotsTxt.parse(files["ai.txt"]).allowed("/x", "anybot")
    headers = parse_headers_file(files["_headers"])
    assert headers == response_headers(PAID, SITE)
    assert headers["X-Robots-Tag"] == "noai, noimageai"
    assert headers["Link"].startswith('<https://coalition.example/license.xml>; rel="license"')
    assert headers["tdm-reservation"] == "1"


def test_free_terms_reserve_nothing() -> None:
    files = render_all(FREE, SITE, load_crawlers())
    assert "GPTBot" not in files["robots.txt"]
    assert RobotsTxt.parse(files["robots.txt"]).allowed("/x", "GPTBot")
    assert parse_tdmrep(files[".well-known/tdmrep.json"])[0]["tdm-reservation"] == 0
    assert "X-Robots-Tag" not in response_headers(FREE, SITE)


@pytest.mark.parametrize(
    "p", [Preferences(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)]
)
def test_aipref_and_content_signal_round_trip(p: Preferences) -> None:
    p = Preferences(bool(p.train_ai), bool(p.ai_input), bool(p.search))
    assert parse_content_usage(content_usage(p)) == Preferences(p.train_ai, None, p.search)
    assert parse_content_signal(content_signal(p)) == p


@pytest.mark.parametrize(
    ("text", "match"), [("train-ai", "key=value"), ("train-ai=maybe", "neither y nor n")]
)
def test_bad_preferences_are_refused(text: str, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        parse_content_usage(text)


def test_bad_tdmrep_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_tdmrep("{}")
    with pytest.raises(InvalidInput):
        parse_tdmrep('[{"location": "/", "tdm-reservation": 7}]')


def test_the_crawler_list_is_the_shared_one_and_matches_user_agents() -> None:
    shipped = load_crawlers()
    upstream = json.loads((shared_dir() / "vectors/ai-robots/robots.json").read_text())
    assert shipped.names == list(upstream)
    assert (
        shipped.match(
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"
        ).name
        == "GPTBot"
    )  # type: ignore[union-attr]
    assert shipped.match("CCBot/2.0 (https://commoncrawl.org/faq/)").name == "CCBot"  # type: ignore[union-attr]
    assert shipped.match("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0") is None
    assert shipped.match("NotGPTBotAtAll") is None  # a name only counts as a whole token


def test_refresh_validates_before_it_replaces(tmp_path: Path) -> None:
    good = tmp_path / "robots.json"
    good.write_text(json.dumps({"NewBot": {"operator": "X", "function": "AI training"}}))
    lst = refresh_crawlers(str(good), tmp_path / "data")
    assert lst.names == ["NewBot"]
    assert load_crawlers(tmp_path / "data").names == ["NewBot"]
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(InputFileError, match="non-empty JSON object"):
        refresh_crawlers(str(bad), tmp_path / "data")
    assert load_crawlers(tmp_path / "data").names == ["NewBot"]  # untouched
    with pytest.raises(InputFileError, match="cannot read"):
        refresh_crawlers(str(tmp_path / "missing.json"), tmp_path / "data")
    with pytest.raises(InputFileError, match="not JSON"):
        parse_crawler_list(b"{", source="x")
