"""A bargaining round in Chromium, both sides of it: the licensee signs in and makes an offer;
the steward opens the members' vote, closes it and signs; the licensee countersigns in the
browser (the key read from its file by WebCrypto, never sent) and downloads the dataset; the
steward books the fee, distributes it and pays. axe-core checks every page on the way."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, Page, expect

from syndic.auth.models import Role
from tests.coalition import LAB_KEY
from tests.integration.browser.conftest import Site, axe_check

PEM = LAB_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)


def sign_in(page: Page, site: Site, role: Role, subject: int | None, lands: str) -> None:
    page.goto(site.syndic.login_link(role=role, subject_id=subject, base_url=site.url))
    page.get_by_role("button", name="Continue signing in").click()
    expect(page).to_have_url(site.url + lands)
    axe_check(page)


@pytest.mark.browser
def test_a_round_from_offer_to_payout(site: Site, chromium: Browser, tmp_path: Path) -> None:
    s = site.syndic
    lab = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    desk = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        licensee, steward = lab.new_page(), desk.new_page()
        sign_in(licensee, site, Role.LICENSEE, site.coalition.licensee, "/licensee")
        expect(licensee.get_by_role("heading", name="The catalogue")).to_be_visible()

        # the licensee makes an offer
        licensee.get_by_role("link", name="Make an offer", exact=True).first.click()
        axe_check(licensee)
        licensee.get_by_label("Price (EUR)").fill("5000")
        licensee.get_by_role("button", name="Send offer").click()
        expect(licensee.locator("#permits-error")).to_be_visible()  # no use chosen yet
        axe_check(licensee)
        licensee.get_by_label("training AI models").check()
        licensee.get_by_role("button", name="Send offer").click()
        expect(licensee.get_by_role("heading", name="Offers, oldest first")).to_be_visible()
        axe_check(licensee)
        deal = int(licensee.url.rsplit("/", 1)[1])
        assert s.deals.get_deal(deal).terms["amount_minor"] == 5000_00

        # the steward opens the vote; the members vote; the steward closes it and signs
        sign_in(steward, site, Role.STEWARD, None, "/steward")
        steward.get_by_role("navigation").get_by_role("link", name="Deals").click()
        axe_check(steward)
        steward.locator(f"a[href='/steward/deals/{deal}']").first.click()
        steward.get_by_role("button", name="Open vote").click()
        expect(steward.get_by_role("status")).to_contain_text("vote opened")
        axe_check(steward)
        members = [m.id for m in s.members.list_members()]
        for m in members:
            s.deals.cast_vote(deal, member_id=m, votes={"yes": 1})
        steward.reload()
        expect(steward.locator("main")).to_contain_text(f"{len(members)} of {len(members)} members")
        steward.get_by_label("Close before its time").check()
        steward.get_by_role("button", name="Close vote").click()
        expect(steward.get_by_role("button", name="Sign", exact=True)).to_be_visible()
        steward.get_by_role("button", name="Sign", exact=True).click()
        expect(steward.get_by_role("status")).to_contain_text("licensee signs next")
        agreement = next(a.id for a in s.deals.list_agreements() if a.deal_id == deal)

        # the licensee countersigns in the browser: the key file never leaves it
        sent: list[str] = []
        licensee.on("request", lambda r: sent.append(r.post_data or ""))
        licensee.goto(f"{site.url}/licensee/agreements/{agreement}")
        axe_check(licensee)
        licensee.get_by_label("Your private key file").set_input_files(
            files=[{"name": "lab.key", "mimeType": "text/plain", "buffer": PEM}]
        )
        licensee.get_by_role("button", name="Sign in this browser").click()
        expect(licensee.locator("#sign-status")).to_contain_text("Signed the document")
        licensee.get_by_role("button", name="Sign agreement").click()
        expect(licensee.get_by_role("button", name="Download dataset")).to_be_visible()
        axe_check(licensee)
        assert s.deals.get_agreement(agreement).status == "active"
        key_body = b"".join(PEM.splitlines()[1:-1]).decode()
        assert sent and not any(key_body in body for body in sent)

        with licensee.expect_download() as dl:
            licensee.get_by_role("button", name="Download dataset").click()
        data = tmp_path / "dataset.jsonl"
        dl.value.save_as(data)
        lines = data.read_text().splitlines()
        assert len(lines) == s.deals.get_agreement(agreement).works_count > 0
        assert all(isinstance(json.loads(x), dict) for x in lines)

        # the steward books the fee, distributes and pays
        steward.get_by_role("navigation").get_by_role("link", name="Payouts").click()
        axe_check(steward)
        box = steward.locator(f"#amount-{agreement}")
        box.fill("5000")
        box.locator("xpath=ancestor::form").get_by_role("button", name="Book revenue").click()
        expect(steward.get_by_role("status")).to_contain_text("booked")
        owed_before = sum(s.payouts.owed_to(m) for m in members)
        steward.locator(f"form[action='/steward/agreements/{agreement}/distribute'] button").click()
        expect(steward.get_by_role("status")).to_contain_text("distributed")
        assert sum(s.payouts.owed_to(m) for m in members) == owed_before + 5000_00
        steward.get_by_role("button", name="Pay", exact=True).click()
        expect(steward.get_by_role("status")).to_contain_text("paid")
        assert sum(s.payouts.owed_to(m) for m in members) == 0
        axe_check(steward)

        # the steward's other pages pass axe too
        for path in ("/steward/members?q=a", "/steward/works", "/steward/gate"):
            steward.goto(site.url + path)
            axe_check(steward)

        # a valuation run started on the page, watched to its end, its results shown
        runs = len(s.valuation.list_runs())
        steward.goto(site.url + "/steward/valuation")
        axe_check(steward)
        steward.get_by_label("Permutations for members' group values").fill("2")
        steward.get_by_role("button", name="Start a run").click()
        expect(steward).to_have_url(site.url + "/steward/valuation/progress")
        axe_check(steward)
        done = steward.get_by_role("link", name=re.compile("results"))
        expect(done).to_be_visible(timeout=120_000)
        assert len(s.valuation.list_runs()) == runs + 1
        done.click()
        expect(steward.locator("figure.chart img")).to_be_visible()
        axe_check(steward)
        steward.goto(site.url + "/steward/log")
        steward.get_by_role("button", name="Verify log").click()
        expect(steward.get_by_role("status")).to_contain_text("The log verifies", timeout=60_000)
        axe_check(steward)

        # a licensee opening the steward's pages gets a 403 page
        response = licensee.goto(site.url + "/steward/payouts")
        assert response is not None and response.status == 403
        axe_check(licensee)
    finally:
        lab.close()
        desk.close()
