"""robots.txt: every case of Google's RFC 9309 compliance suite, and the writer."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndic.terms.robots import RobotsGroup, RobotsTxt, path_of, write_robots
from tests.conftest import shared_dir
from tests.unit.terms.textproto import robots_cases

CASES = robots_cases(shared_dir() / "vectors" / "robotstxt" / "correctness")


def test_the_suite_is_all_there() -> None:
    assert len(CASES) >= 140  # 146 expectations in 16 files when this was written


@pytest.mark.parametrize(
    ("body", "url", "agent", "allowed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_ctc_correctness_vector(body: bytes, url: str, agent: str, allowed: bool) -> None:
    assert RobotsTxt.parse(body).allowed(url, agent) is allowed


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("", "/"),
        ("http://a.example", "/"),
        ("http://a.example?q=1", "/?q=1"),
        ("https://a.example/x/y?z#frag", "/x/y?z"),
        ("/x#y", "/x"),
    ],
)
def test_path_of(url: str, path: str) -> None:
    assert path_of(url) == path


def test_writer_output_parses_back_to_the_same_policy(tmp_path: Path) -> None:
    text = write_robots(
        [
            RobotsGroup(agents=["GPTBot", "CCBot"], disallow=["/"]),
            RobotsGroup(
                agents=["*"],
                allow=["/"],
                disallow=["/private/"],
                extra=[("Content-Usage", "train-ai=n")],
            ),
        ],
        header=["terms of the coalition"],
        footer=[("License", "https://c.example/license.rsl")],
    )
    assert text.startswith("# terms of the coalition\n")
    parsed = RobotsTxt.parse(text)
    assert not parsed.allowed("/paper/1", "GPTBot")
    assert not parsed.allowed("/paper/1", "ccbot")
    assert parsed.allowed("/paper/1", "Googlebot")
    assert not parsed.allowed("/private/x", "Googlebot")
    assert ("license", "https://c.example/license.rsl") in parsed.other
    assert ("content-usage", "train-ai=n") in parsed.other
    with pytest.raises(ValueError, match="user agent"):
        write_robots([RobotsGroup(agents=[])])
