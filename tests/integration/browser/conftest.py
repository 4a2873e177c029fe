"""One coalition, one server and one Chromium for the whole browser session (they are the
expensive parts); each test opens its own browser context."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from syndic.api.serving import serving_app
from syndic.app import Syndic
from syndic.config import Settings
from syndic.testing import ManualClock
from syndic.web.site import create_site
from tests.web_coalition import WebCoalition, build

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"


@dataclass(frozen=True)
class Site:
    url: str
    syndic: Syndic
    coalition: WebCoalition


# Package scope, not session: sync Playwright keeps an event loop running in the main thread
# while it is open, and every later test that calls asyncio.run would find it there.
@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory, fixture_jsonl: Path) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("web") / "data"
    coalition = build(data, fixture_jsonl)
    syndic = Syndic.from_settings(Settings(data_dir=data), clock=ManualClock())
    try:
        with serving_app(create_site(syndic), what="the web pages") as url:
            yield Site(url, syndic, coalition)
    finally:
        syndic.close()


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


_SERIOUS = """async () => {
  const r = await axe.run(document, {resultTypes: ["violations"]});
  return r.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}"""


def axe_check(page: Page) -> None:
    """axe-core in the page (injected through the debugger, so the page's CSP stays on):
    no serious or critical violation."""
    assert AXE.exists(), "axe-core is missing: run `make node_modules/axe-core/axe.min.js`"
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate("() => {" + AXE.read_text(encoding="utf-8") + "\n}")
    found = page.evaluate(_SERIOUS)
    assert found == [], f"{page.url}: {found}"


_TOO_WIDE = """(limit) => Array.from(document.querySelectorAll("body *"))
  .filter((e) => e.getBoundingClientRect().right > limit + 1)
  .slice(0, 3).map((e) => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className)"""


def no_sideways_scroll(page: Page) -> None:
    """The page fits the viewport's width: nothing makes it scroll sideways."""
    viewport = page.viewport_size
    assert viewport is not None
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > viewport["width"]:
        culprits = page.evaluate(_TOO_WIDE, viewport["width"])
        pytest.fail(f"{page.url} is {width} px wide: {culprits}")
