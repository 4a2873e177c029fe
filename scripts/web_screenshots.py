"""Take the screenshots of docs/web.md: build the small test coalition, serve it, and open
each main page in Debian's Chromium (Playwright), as the public, a member, the licensee
and the steward.

    .venv/bin/python scripts/web_screenshots.py docs/screenshots   (or: make screenshots)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test coalition lives in tests/

from playwright.sync_api import Page, sync_playwright  # noqa: E402
from tests.conftest import shared_dir  # noqa: E402
from tests.web_coalition import build  # noqa: E402

from syndic.api.serving import serving_app  # noqa: E402
from syndic.app import Syndic  # noqa: E402
from syndic.auth.models import Role  # noqa: E402
from syndic.config import Settings  # noqa: E402
from syndic.testing import ManualClock  # noqa: E402
from syndic.web.site import create_site  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def shoot(page: Page, url: str, out: Path, name: str) -> None:
    page.goto(url)
    page.screenshot(path=str(out / f"{name}.png"))  # the first screenful
    print(f"{name}.png  {url}")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        c = build(data, shared_dir() / "data" / "arxiv" / "fixture.jsonl")
        syndic = Syndic.from_settings(Settings(data_dir=data), clock=ManualClock())
        try:
            with serving_app(create_site(syndic), what="the pages") as url, sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                page = browser.new_page(viewport={"width": 1000, "height": 760})
                shoot(page, url + "/", out, "public")
                shoot(page, url + "/signin", out, "signin")
                link = syndic.login_link(role=Role.MEMBER, subject_id=c.member, base_url=url)
                page.goto(link)
                page.get_by_role("button", name="Continue signing in").click()
                me = f"{url}/members/{c.member}"
                first = next(syndic.members.iter_works(member_id=c.member))
                for name, path in [
                    ("dashboard", me),
                    ("works", f"{me}/works"),
                    ("work", f"{url}/works/{first.id}"),
                    ("mandate", f"{me}/mandate"),
                    ("votes", f"{me}/votes"),
                    ("vote", f"{me}/votes/{c.open_proposal}"),
                    ("money", f"{me}/money"),
                    ("statement", f"{me}/statements/{c.agreement}"),
                    ("data", f"{me}/data"),
                ]:
                    shoot(page, path, out, name)
                phone = browser.new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
                phone.context.add_cookies(page.context.cookies())
                shoot(phone, f"{me}/votes/{c.open_proposal}", out, "vote-phone")
                for role, subject, pages in [
                    (
                        Role.LICENSEE,
                        c.licensee,
                        [
                            ("licensee", "/licensee"),
                            ("offer", "/licensee/offer"),
                            ("licensee-deal", f"/licensee/deals/{c.open_deal}"),
                            ("agreement", f"/licensee/agreements/{c.agreement}"),
                        ],
                    ),
                    (
                        Role.STEWARD,
                        None,
                        [
                            ("steward", "/steward"),
                            ("steward-members", "/steward/members"),
                            ("steward-deals", "/steward/deals"),
                            ("steward-deal", f"/steward/deals/{c.open_deal}"),
                            ("steward-payouts", "/steward/payouts"),
                            ("steward-log", "/steward/log"),
                            ("steward-valuation", "/steward/valuation"),
                        ],
                    ),
                ]:
                    other = browser.new_page(viewport={"width": 1000, "height": 760})
                    other.goto(syndic.login_link(role=role, subject_id=subject, base_url=url))
                    other.get_by_role("button", name="Continue signing in").click()
                    for name, path in pages:
                        shoot(other, url + path, out, name)
                browser.close()
        finally:
            syndic.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
