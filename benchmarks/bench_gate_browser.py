"""How long a person waits at the gate's proof-of-work page, per difficulty.

Headless Chromium (Debian's, through Playwright) opens a page behind a gate whose only rule
is `challenge`; the clock runs from navigation until the site's page is shown: the challenge
page loads, its script solves the proof of work, redeems it and reloads with the pass cookie.
Each try is a fresh browser context (no cookie). Everything runs on loopback.

Usage: python benchmarks/bench_gate_browser.py [--difficulties 2,3,4] [--tries 8]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from syndic.api.serving import serving_app
from syndic.app import Syndic
from syndic.config import Settings
from syndic.gate.policy import parse_policy

CHROMIUM = "/usr/bin/chromium"
POLICY = """
site: bench
hosts: [127.0.0.1]
member: any
pow: {{difficulty: {difficulty}, ttl: 600}}
rules:
  - name: everyone
    if: {{always: true}}
    then: challenge
"""


async def _page(request: Request) -> Response:
    return PlainTextResponse(f"article {request.path_params['rest']}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--difficulties", default="2,3,4")
    ap.add_argument("--tries", type=int, default=8)
    args = ap.parse_args()
    print(f"# {platform.machine()}, {os.cpu_count()} cores, headless Chromium, loopback")
    print(f"{'difficulty':>10} {'tries':>6} {'median s':>9} {'min s':>7} {'max s':>7}")
    upstream = Starlette(routes=[Route("/{rest:path}", _page)])
    with tempfile.TemporaryDirectory() as tmp, serving_app(upstream) as up:
        s = Syndic.init(Settings(data_dir=Path(tmp) / "d"), name="bench")
        try:
            for difficulty in (int(d) for d in args.difficulties.split(",")):
                app, _ = s.gate_app(parse_policy(POLICY.format(difficulty=difficulty)), up)
                with serving_app(app) as url, sync_playwright() as p:
                    browser = p.chromium.launch(
                        executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
                    )
                    waits = []
                    for i in range(args.tries):
                        ctx = browser.new_context()
                        page = ctx.new_page()
                        t0 = time.perf_counter()
                        page.goto(f"{url}/a{i}", wait_until="commit")
                        page.wait_for_function(
                            f"document.body.innerText.includes('article a{i}')", timeout=600_000
                        )
                        waits.append(time.perf_counter() - t0)
                        ctx.close()
                    browser.close()
                print(
                    f"{difficulty:>10} {len(waits):>6} {statistics.median(waits):>9.2f} "
                    f"{min(waits):>7.2f} {max(waits):>7.2f}"
                )
        finally:
            s.close()


if __name__ == "__main__":
    main()
