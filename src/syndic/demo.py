"""``syndic demo``: one whole bargaining round on a fresh data dir, over real HTTP.

init -> import the arXiv coalition -> publish terms -> a licensee asks for an ai-train
licence through the API -> members vote -> agreement signed -> the licensee downloads its
dataset with its token -> revenue booked -> payouts distributed -> statements and a report.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import click
import httpx
import uvicorn
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from syndic.api.app import create_app
from syndic.app import Syndic
from syndic.auth.service import Role
from syndic.clock import OffsetClock
from syndic.config import Settings
from syndic.errors import ConfigError, InputFileError, SyndicError
from syndic.members.importer import import_arxiv
from syndic.money import Money
from syndic.terms.models import PaymentType, Terms, Usage
from syndic.web.report import write_report

DEFAULT_SOURCE = Path("..") / "shared" / "data" / "arxiv" / "producers300.jsonl"
LICENCE_FEE_MINOR = 250_000_00
POLICY = "pro-rata-works (placeholder until valuation-weighted payouts land)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(s: Syndic) -> Iterator[str]:
    """Run the API on a loopback port in a background thread for the duration of the block."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(s), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise ConfigError("the demo API server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _api_error(r: httpx.Response) -> str:
    try:
        return str(r.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {r.status_code}"


def run_demo(settings: Settings, *, source: Path | None = None, seed: int = 0) -> dict[str, object]:
    src = source or DEFAULT_SOURCE
    if not src.is_file():
        raise InputFileError(f"demo corpus not found: {src} (pass --source)")
    clock = OffsetClock()
    s = Syndic.init(settings, name="Open Science Coalition (demo)", clock=clock)
    try:
        return _round(s, src, clock, seed)
    finally:
        s.close()


def _round(s: Syndic, src: Path, clock: OffsetClock, seed: int) -> dict[str, object]:
    echo = click.echo
    echo(f"1. coalition created in {s.settings.data_dir}")
    with Progress(
        TextColumn("   importing works"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("import", total=None)
        res = import_arxiv(
            s.members,
            src,
            start=lambda n: bar.update(task, total=n),
            advance=lambda n: bar.advance(task, n),
        )
    echo(f"2. pooled {res.works_created} works from {res.members_created} members ({src.name})")

    terms = Terms(
        permits=frozenset({Usage.AI_TRAIN, Usage.AI_INPUT, Usage.SEARCH}),
        payment_type=PaymentType.TRAINING,
        amount_minor=LICENCE_FEE_MINOR,
        currency=s.settings.currency,
        duration_days=365,
    )
    version = s.terms.publish(terms)
    fee = Money(LICENCE_FEE_MINOR, terms.currency)
    echo(f"3. terms v{version} published: {', '.join(sorted(terms.permits))} at {fee}")

    lic = s.deals.register_licensee(
        name="Example AI Lab", contact="licensing@example.org", monthly_active_users=2_000_000
    )
    lic_key = s.keys.create(role=Role.LICENSEE, subject_id=lic.id, label="demo licensee")
    with serving(s) as base, httpx.Client(base_url=base, timeout=60) as http:
        auth = {"Authorization": f"Bearer {lic_key}"}
        offer = {
            "terms": {
                "permits": ["ai-train"],
                "payment_type": "training",
                "amount_minor": LICENCE_FEE_MINOR,
                "currency": s.settings.currency,
                "duration_days": 365,
            }
        }
        r = http.post("/v1/deals", json=offer, headers=auth)
        r.raise_for_status()
        deal_id = int(r.json()["id"])
        echo(f"4. {lic.name} asked for an ai-train licence over HTTP: deal {deal_id}")

        s.deals.open_vote(deal_id, hours=72, quorum_bp=5000)
        rng = random.Random(seed)  # noqa: S311  (simulated voters, not crypto)
        members = s.members.list_members(limit=1_000_000)
        cast = 0
        for m in members:
            if rng.random() < 0.8:
                s.deals.cast_vote(
                    deal_id, member_id=m.id, choice="yes" if rng.random() < 0.75 else "no"
                )
                cast += 1
        clock.advance(timedelta(hours=72))
        deal = s.deals.close_vote(deal_id)
        assert deal.outcome is not None
        t = deal.outcome["totals"]
        echo(
            f"5. vote closed ({deal.outcome['method']}, quorum 50%): {cast}/{len(members)} voted, "
            f"yes {t['yes']} / no {t['no']} -> {deal.status}"
        )
        if deal.status != "approved":
            raise SyndicError("the members rejected the deal; the demo stops here")

        agreement = s.deals.sign(deal_id)
        echo(
            f"6. agreement {agreement.id} signed by the coalition: {agreement.works_count} works, "
            f"scope {agreement.scope_root[:23]}…"
        )

        r = http.post(f"/v1/agreements/{agreement.id}/tokens", headers=auth)
        r.raise_for_status()
        token = r.json()["token"]
        out = s.settings.data_dir / "licensee-dataset.jsonl"
        n = 0
        with http.stream(
            "GET",
            f"/v1/agreements/{agreement.id}/dataset.jsonl",
            headers={"Authorization": f"License {token}"},
        ) as resp:
            resp.raise_for_status()
            with out.open("wb") as fh:
                for line in resp.iter_lines():
                    fh.write(line.encode() + b"\n")
                    n += 1
        forged = http.get(
            f"/v1/agreements/{agreement.id}/dataset.jsonl",
            headers={"Authorization": "License syl_forged"},
        )
        outside = http.get(
            f"/v1/agreements/{agreement.id + 1}/dataset.jsonl",
            headers={"Authorization": f"License {token}"},
        )
        echo(
            f"7. licensee downloaded {n} works over HTTP with its token -> {out.name}; "
            f"forged token -> {forged.status_code} {_api_error(forged)}, "
            f"other agreement -> {outside.status_code} {_api_error(outside)}"
        )

    s.payouts.book_revenue(agreement.id, LICENCE_FEE_MINOR)
    statements = s.payouts.distribute(agreement.id, s.deals.members_of(agreement.id), policy=POLICY)
    paid = s.payouts.pay_out()
    stmt_dir = s.settings.data_dir / "statements"
    stmt_dir.mkdir(exist_ok=True)
    for st in statements:
        (stmt_dir / f"member-{st.member_id}.json").write_text(
            json.dumps(st.model_dump(), indent=2) + "\n"
        )
    echo(
        f"8. revenue {Money(LICENCE_FEE_MINOR, s.settings.currency)} booked; distributed to "
        f"{len(statements)} members ({POLICY}); paid out {Money(paid, s.settings.currency)}"
    )

    rep = s.report()
    path = write_report(
        s, s.settings.data_dir / "demo-report.html", extra={"Works delivered to the licensee": n}
    )
    (s.settings.data_dir / "demo-summary.json").write_text(json.dumps(rep, indent=2) + "\n")
    echo(f"9. report: {path}")
    echo(json.dumps(rep, indent=2))
    return rep
