"""A member's evidence page in Chromium: a scan finds one of their works; at 375 px the page
lists the scan, passes axe-core, does not scroll sideways, and the keyboard alone reaches the
download button and fetches a bundle that verifies offline. Another member is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from syndic.auth.models import Role
from syndic.detection.evidence import verify_bundle
from syndic.detection.readers import Format
from syndic.detection.service import ScanRequest
from tests.integration.browser.conftest import Site, axe_check, no_sideways_scroll


@pytest.mark.browser
def test_evidence_page_by_keyboard_at_phone_width(
    site: Site, chromium: Browser, tmp_path: Path
) -> None:
    s = site.syndic
    member = site.coalition.member
    work = next(iter(s.members.iter_works(member_id=member)))
    text = s.detection.work_text(work.digest)
    dataset = tmp_path / "crawl.jsonl"
    dataset.write_text(
        json.dumps({"text": "Found on a forum: " + text}) + "\n" + json.dumps({"text": "x"}) + "\n"
    )
    scan = s.detect_scan(ScanRequest(dataset, Format.JSONL)).id

    context = chromium.new_context(viewport={"width": 375, "height": 800}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(s.login_link(role=Role.MEMBER, subject_id=member, base_url=site.url))
        page.get_by_role("button", name="Continue signing in").click()
        expect(page).to_have_url(f"{site.url}/members/{member}")
        page.get_by_role("link", name="Evidence", exact=True).click()
        expect(
            page.get_by_role("heading", name="Evidence of use without a licence")
        ).to_be_visible()
        expect(page.locator("table")).to_contain_text(s.detection.get_scan(scan)["dataset_digest"])
        expect(page.locator("pre.note")).to_contain_text("syndic detect verify")
        axe_check(page)
        no_sideways_scroll(page)

        button = f"Download evidence for scan {scan}"
        for _ in range(60):  # Tab until the download button has the focus
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.textContent.trim()") == button:
                break
        else:
            pytest.fail("the keyboard never reached the download button")
        with page.expect_download() as download:
            page.keyboard.press("Enter")
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        ok = verify_bundle(path.read_bytes().strip(), public_key=s.public_key)
        assert ok.member == member and ok.scan == scan and ok.matches == 1

        # another member is refused the page, and the refusal page passes axe too
        other = s.login_link(role=Role.MEMBER, subject_id=site.coalition.other, base_url=site.url)
        page.goto(other)
        page.get_by_role("button", name="Continue signing in").click()
        response = page.goto(f"{site.url}/members/{member}/evidence")
        assert response is not None and response.status == 403
        axe_check(page)
        page.goto(f"{site.url}/members/{site.coalition.other}/evidence")
        expect(page.locator("main")).to_contain_text("No scan has found any of your works")
        axe_check(page)
        no_sideways_scroll(page)
    finally:
        context.close()
