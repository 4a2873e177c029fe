"""A person behind a browser meets the gate's proof of work and gets through on their own."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import sync_playwright

from syndic.gate.policy import parse_policy
from tests.conftest import MakeSyndic
from tests.integration.browser.conftest import ARGS, CHROMIUM
from tests.integration.gate.helpers import active_agreement, serve, upstream_app

POLICY = """
site: alice-site
hosts: [127.0.0.1]
member: {member}
pow: {{difficulty: 3, ttl: 60}}
rules:
  - name: everyone
    if: {{always: true}}
    then: challenge
"""


@pytest.mark.browser
def test_a_browser_solves_the_challenge_page_and_reaches_the_site(
    make_syndic: MakeSyndic,
) -> None:
    s = make_syndic()
    member, _, _ = active_agreement(s)
    policy = parse_policy(POLICY.format(member=member))
    with serve(upstream_app()) as up:
        app, _ = s.gate_app(policy, up)
        with serve(app) as url:
            # a program still gets JSON; a browser asking for HTML gets the page
            r = httpx.get(url + "/articles/1", headers={"Accept": "application/json"})
            assert r.status_code == 401 and "challenge" in r.json()
            page_html = httpx.get(url + "/articles/1", headers={"Accept": "text/html"})
            assert page_html.status_code == 401
            assert page_html.headers["content-type"].startswith("text/html")
            assert page_html.headers["www-authenticate"].startswith("Syndic-PoW")

            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                try:
                    ctx = browser.new_context()
                    page = ctx.new_page()
                    first = page.goto(url + "/articles/1")
                    assert first is not None and first.status == 401
                    page.wait_for_function(
                        "document.body.innerText.includes('page articles/1')", timeout=30_000
                    )
                    cookies = {c["name"] for c in ctx.cookies()}
                    assert "syndic_pass" in cookies
                    again = page.goto(url + "/articles/2")  # the pass serves the next page at once
                    assert again is not None and again.status == 200
                    assert "page articles/2" in page.content()
                finally:
                    browser.close()
