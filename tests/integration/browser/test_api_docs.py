"""/docs in a real browser with every request off the loopback refused: Swagger UI loads from
Syndic's own assets and shows the operations, with who may call each."""

from __future__ import annotations

import pytest
from playwright.sync_api import Route, sync_playwright

from syndic.api.app import create_app
from syndic.api.serving import serving_app
from tests.conftest import MakeSyndic
from tests.integration.browser.conftest import ARGS, CHROMIUM


@pytest.mark.browser
def test_the_api_docs_render_offline(make_syndic: MakeSyndic) -> None:
    s = make_syndic()
    off_loopback: list[str] = []

    def only_loopback(route: Route) -> None:
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            off_loopback.append(route.request.url)
            route.abort()

    with serving_app(create_app(s), what="the API") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_loopback)
            page.goto(url + "/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            assert page.locator(".opblock").count() >= 70
            page.locator(
                ".opblock-summary-path", has_text="/v1/deals/{deal_id}/accept"
            ).first.click()
            page.wait_for_selector("text=licensee (own)", timeout=10_000)
        finally:
            browser.close()
    assert off_loopback == []
