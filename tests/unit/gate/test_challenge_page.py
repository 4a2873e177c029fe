"""Who gets the challenge page, and that nothing in it can be made to run as script."""

from __future__ import annotations

import pytest

from syndic.gate.challenge_page import challenge_page, wants_html


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),  # Chromium
        ("TEXT/HTML", True),
        ("application/json", False),
        ("application/json, text/html;q=0.5", False),
        ("*/*", False),
        ("", False),
    ],
)
def test_only_a_browser_navigation_gets_the_page(accept: str, html: bool) -> None:
    assert wants_html(accept) is html


def test_site_and_challenge_are_escaped() -> None:
    page = challenge_page(
        site="<b>alice</b>", challenge='x</script><script>alert(1)//"', difficulty=4
    ).decode()
    assert "<b>alice</b>" not in page and "&lt;b&gt;alice&lt;/b&gt;" in page
    assert page.count("</script>") == 1  # only the page's own
    assert '"x\\u003c/script>\\u003cscript>alert(1)//\\""' in page
    assert "repeat(4)" in page
