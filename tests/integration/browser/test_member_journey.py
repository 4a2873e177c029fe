"""A member's whole journey in Chromium: sign in with a link, find their value, cast a
quadratic ballot (its cost shown as typed), download a receipt and verify it on the public
page, change their mandate, read a statement, sign out. Once at desktop width, once at
375 px; axe-core checks every page on the way."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from syndic.auth.models import Role
from tests.integration.browser.conftest import Site, axe_check, no_sideways_scroll


def visit(page: Page, narrow: bool) -> None:
    axe_check(page)
    if narrow:
        no_sideways_scroll(page)


def journey(page: Page, site: Site, member: int, tmp: Path, *, narrow: bool) -> None:
    s = site.syndic
    link = s.login_link(role=Role.MEMBER, subject_id=member, base_url=site.url)

    # sign in with a one-time link
    page.goto(link)
    visit(page, narrow)
    page.get_by_role("button", name="Continue signing in").click()
    expect(page).to_have_url(f"{site.url}/members/{member}")
    visit(page, narrow)

    # find their value
    rank = s.valuation.member_value(member).rank
    expect(page.locator("#your-value")).to_contain_text(f"You rank {rank} of")

    # a quadratic ballot, its cost shown as it is typed
    page.get_by_role("link", name="Votes", exact=True).click()
    visit(page, narrow)
    page.locator(f"a[href='/members/{member}/votes/{site.coalition.open_proposal}']").click()
    visit(page, narrow)
    expect(page.locator("#estimate")).to_contain_text("estimated payout")
    # what every member was told about the offer when the vote opened, and their own share
    told = s.governance.get(site.coalition.open_proposal).question["assessment"]
    expect(page.locator("#assessment")).to_contain_text(told["words"][0])
    expect(page.locator("#projected")).to_contain_text("Your projected payout")
    held = s.governance.credits(member)
    page.get_by_label("Votes for yes").fill("3")
    expect(page.locator("#cost")).to_have_text(
        f"This ballot costs 9 of your {held} credits; {held - 9} would be left."
    )
    page.get_by_label("Votes for yes").fill("20")
    expect(page.locator("#cost")).to_contain_text("more than the")
    page.get_by_label("Votes for yes").fill("3")
    page.get_by_role("button", name="Cast vote").click()
    expect(page.get_by_role("heading", name="Your ballot receipt")).to_be_visible()
    expect(page.locator("#ballot-receipt")).to_contain_text("yes: 3")
    visit(page, narrow)
    assert s.governance.credits(member) == held - 9

    # download a receipt, verify it on the public page (nothing uploaded)
    page.get_by_role("link", name="Works", exact=True).click()
    visit(page, narrow)
    page.locator("table a").first.click()
    visit(page, narrow)
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download receipt").click()
    receipt = tmp / "receipt.json"
    dl.value.save_as(receipt)
    page.goto(site.url + "/")
    visit(page, narrow)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method != "GET" else None)
    page.get_by_label("Receipt file (JSON)").set_input_files(str(receipt))
    page.get_by_role("button", name="Verify receipt").click()
    result = page.locator("#verify-result")
    expect(result).to_contain_text("Receipt verified")
    expect(result).to_contain_text("Not proven")
    visit(page, narrow)
    doc = json.loads(receipt.read_text())
    doc["index"] += 1  # a receipt for another entry than its proof
    forged = tmp / "forged.json"
    forged.write_text(json.dumps(doc))
    page.get_by_label("Receipt file (JSON)").set_input_files(str(forged))
    page.get_by_role("button", name="Verify receipt").click()
    expect(result).to_contain_text("Receipt NOT verified")
    assert posts == []  # checked in the browser: nothing was sent

    # change the mandate
    page.goto(f"{site.url}/members/{member}/mandate")
    visit(page, narrow)
    page.get_by_label(re.compile("Search engines")).check()
    page.get_by_label("Refuse them").check()
    page.get_by_role("button", name="Save mandate").click()
    expect(page.get_by_role("status")).to_contain_text("applies to deals signed from now on")
    visit(page, narrow)
    mandate = s.members.get(member).mandate
    assert "search" in mandate["prohibited_usages"] and mandate["allow_vlop"] is False

    # read a statement
    page.get_by_role("link", name="Money", exact=True).click()
    visit(page, narrow)
    page.get_by_role("link", name=f"Read statement {site.coalition.agreement}").click()
    expect(page.locator("p.lead")).to_contain_text("You received")
    visit(page, narrow)

    # my data, then sign out
    page.get_by_role("link", name="My data", exact=True).click()
    visit(page, narrow)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    visit(page, narrow)
    page.goto(f"{site.url}/members/{member}")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


@pytest.mark.browser
def test_the_member_journey(site: Site, chromium: Browser, tmp_path: Path) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        journey(context.new_page(), site, site.coalition.member, tmp_path, narrow=False)
    finally:
        context.close()


@pytest.mark.browser
def test_the_member_journey_on_a_phone(site: Site, chromium: Browser, tmp_path: Path) -> None:
    context = chromium.new_context(
        viewport={"width": 375, "height": 740}, accept_downloads=True, is_mobile=True
    )
    try:
        journey(context.new_page(), site, site.coalition.other, tmp_path, narrow=True)
    finally:
        context.close()
