"""The demo's HTML report in a real browser (Debian Chromium driven by Playwright)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser


@pytest.mark.browser
def test_report_renders_summary_and_charts(
    demo_dir: Path, tmp_path: Path, chromium: Browser
) -> None:
    # the session's Chromium: a second sync Playwright in the same session is refused
    rep = json.loads((demo_dir / "demo-summary.json").read_text())
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        page.goto((demo_dir / "demo-report.html").as_uri())
        summary = {
            row.locator("th").inner_text(): row.locator("td").inner_text()
            for row in page.locator("#summary tr").all()
        }
        assert summary["Members"] == str(rep["members"])
        assert summary["Works"] == str(rep["works"])
        assert summary["Active agreements"] == "1"
        assert summary["Revenue"] == summary["Paid out"]
        assert page.locator("figure svg").count() >= 3
        box = page.locator("figure svg").first.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100
        # every member can find themselves: the search box narrows the full table
        rows = page.locator("#all-members tbody tr")
        assert rows.count() == rep["members"]
        handle = rows.nth(rep["members"] // 2).locator("td").nth(1).inner_text()
        page.fill("#member-search", handle)
        assert page.locator("#all-members tbody tr:visible").count() >= 1
        assert all(
            handle.lower() in r.inner_text().lower()
            for r in page.locator("#all-members tbody tr:visible").all()
        )
        assert page.locator("#member-count").inner_text().endswith(f"of {rep['members']} members.")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    finally:
        context.close()
