"""axe-core on the pages the journeys do not pass through: forms with their errors shown, the
error pages (403, 404, a dead sign-in link), and keyboard use: every control is reachable
with Tab and the skip link goes to the content."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from syndic.auth.models import Role
from tests.integration.browser.conftest import Site, axe_check


@pytest.mark.browser
def test_forms_with_errors_and_error_pages_pass_axe(site: Site, chromium: Browser) -> None:
    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    try:
        # a dead link's page, then the sign-in form with an error
        page.goto(f"{site.url}/signin/link?token=syl_not-a-real-one")
        page.get_by_role("button", name="Continue signing in").click()
        expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
        axe_check(page)
        page.goto(f"{site.url}/signin")
        page.get_by_label("Your e-mail address").fill("x@y")
        page.get_by_role("button", name="Send me a sign-in link").click()
        expect(page.locator("#email-error")).to_be_visible()
        axe_check(page)

        member = site.coalition.member
        link = site.syndic.login_link(role=Role.MEMBER, subject_id=member, base_url=site.url)
        page.goto(link)
        page.get_by_role("button", name="Continue signing in").click()

        # the registration form, with shares that do not add up
        page.goto(f"{site.url}/members/{member}/works/new")
        axe_check(page)
        page.get_by_label("File").set_input_files(
            files=[{"name": "w.txt", "mimeType": "text/plain", "buffer": b"new work"}]
        )
        page.get_by_label("Title").fill("A new work")
        page.get_by_label("Your share (%)").fill("50")
        page.get_by_role("button", name="Register work").click()
        expect(page.locator("#holders-error")).to_be_visible()
        axe_check(page)

        # works search, votes and data pages
        page.goto(f"{site.url}/members/{member}/works?q=learning")
        axe_check(page)
        page.goto(f"{site.url}/members/{member}/data")
        axe_check(page)

        # someone else's page, and no page at all
        response = page.goto(f"{site.url}/members/{site.coalition.other}/money")
        assert response is not None and response.status == 403
        axe_check(page)
        response = page.goto(f"{site.url}/no/such/page")
        assert response is not None and response.status == 404
        axe_check(page)
    finally:
        context.close()


@pytest.mark.browser
def test_the_keyboard_reaches_the_content_and_every_control(site: Site, chromium: Browser) -> None:
    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    try:
        page.goto(site.url + "/")
        page.keyboard.press("Tab")
        expect(page.locator("a.skip")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()
        reached = set()
        for _ in range(40):
            page.keyboard.press("Tab")
            reached.add(
                page.evaluate(
                    "() => document.activeElement.id || document.activeElement.textContent.trim()"
                )
            )
        assert "receipt-file" in reached and "Verify receipt" in reached
    finally:
        context.close()
