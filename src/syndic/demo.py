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
from dataclasses import dataclass, field
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
from syndic.deals.views import AgreementView
from syndic.errors import ConfigError, InputFileError, LogTampered, SyndicError
from syndic.members.importer import import_arxiv
from syndic.money import Money
from syndic.provenance.receipt import verify_receipt
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


@dataclass
class Round:
    """What the steps of one demo round share. Each step prints one numbered line."""

    s: Syndic
    clock: OffsetClock
    seed: int
    http: httpx.Client | None = None
    licensee_key: str = ""
    results: dict[str, object] = field(default_factory=dict)
    _step: int = 0

    def say(self, text: str) -> None:
        self._step += 1
        click.echo(f"{self._step}. {text}")

    @property
    def client(self) -> httpx.Client:
        if self.http is None:
            raise ConfigError("this demo step needs the API server")
        return self.http


def run_demo(settings: Settings, *, source: Path | None = None, seed: int = 0) -> dict[str, object]:
    src = source or DEFAULT_SOURCE
    if not src.is_file():
        raise InputFileError(f"demo corpus not found: {src} (pass --source)")
    clock = OffsetClock()
    s = Syndic.init(settings, name="Open Science Coalition (demo)", clock=clock)
    try:
        r = Round(s=s, clock=clock, seed=seed)
        r.say(f"coalition created in {s.settings.data_dir}")
        _pool(r, src)
        _publish_terms(r)
        lic = s.deals.register_licensee(
            name="Example AI Lab", contact="licensing@example.org", monthly_active_users=2_000_000
        )
        r.licensee_key = s.keys.create(role=Role.LICENSEE, subject_id=lic.id, label="demo licensee")
        with serving(s) as base, httpx.Client(base_url=base, timeout=60) as http:
            r.http = http
            deal_id = _request_licence(r, lic.name)
            _vote(r, deal_id)
            agreement = _sign(r, deal_id)
            delivered = _deliver(r, agreement)
        r.http = None
        _pay(r, agreement)
        _prove(r)
        return _report(r, delivered)
    finally:
        s.close()


def _pool(r: Round, src: Path) -> None:
    with Progress(
        TextColumn("   importing works"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("import", total=None)
        res = import_arxiv(
            r.s.members,
            src,
            start=lambda n: bar.update(task, total=n),
            advance=lambda n: bar.advance(task, n),
        )
    r.say(f"pooled {res.works_created} works from {res.members_created} members ({src.name})")


def _publish_terms(r: Round) -> None:
    terms = Terms(
        permits=frozenset({Usage.AI_TRAIN, Usage.AI_INPUT, Usage.SEARCH}),
        payment_type=PaymentType.TRAINING,
        amount_minor=LICENCE_FEE_MINOR,
        currency=r.s.settings.currency,
        duration_days=365,
    )
    version = r.s.terms.publish(terms)
    fee = Money(LICENCE_FEE_MINOR, terms.currency)
    r.say(f"terms v{version} published: {', '.join(sorted(terms.permits))} at {fee}")


def _request_licence(r: Round, licensee_name: str) -> int:
    offer = {
        "terms": {
            "permits": ["ai-train"],
            "payment_type": "training",
            "amount_minor": LICENCE_FEE_MINOR,
            "currency": r.s.settings.currency,
            "duration_days": 365,
        }
    }
    resp = r.client.post(
        "/v1/deals", json=offer, headers={"Authorization": f"Bearer {r.licensee_key}"}
    )
    resp.raise_for_status()
    deal_id = int(resp.json()["id"])
    r.say(f"{licensee_name} asked for an ai-train licence over HTTP: deal {deal_id}")
    return deal_id


def _vote(r: Round, deal_id: int) -> None:
    s = r.s
    s.deals.open_vote(deal_id, hours=72, quorum_bp=5000)
    rng = random.Random(r.seed)  # noqa: S311  (simulated voters, not crypto)
    members = s.members.list_members(limit=1_000_000)
    cast = 0
    for m in members:
        if rng.random() < 0.8:
            s.deals.cast_vote(
                deal_id, member_id=m.id, choice="yes" if rng.random() < 0.75 else "no"
            )
            cast += 1
    r.clock.advance(timedelta(hours=72))
    deal = s.deals.close_vote(deal_id)
    totals = (deal.outcome or {}).get("totals", {})
    method = (deal.outcome or {}).get("method", "?")
    r.say(
        f"vote closed ({method}, quorum 50%): {cast}/{len(members)} voted, "
        f"yes {totals.get('yes', 0)} / no {totals.get('no', 0)} -> {deal.status}"
    )
    if deal.status != "approved":
        raise SyndicError("the members rejected the deal; the demo stops here")


def _sign(r: Round, deal_id: int) -> AgreementView:
    agreement = r.s.deals.sign(deal_id)
    r.say(
        f"agreement {agreement.id} signed by the coalition: {agreement.works_count} works, "
        f"scope {agreement.scope_root[:23]}…"
    )
    return agreement


def _deliver(r: Round, agreement: AgreementView) -> int:
    http = r.client
    resp = http.post(
        f"/v1/agreements/{agreement.id}/tokens",
        headers={"Authorization": f"Bearer {r.licensee_key}"},
    )
    resp.raise_for_status()
    token = resp.json()["token"]
    out = r.s.settings.data_dir / "licensee-dataset.jsonl"
    n = 0
    with http.stream(
        "GET",
        f"/v1/agreements/{agreement.id}/dataset.jsonl",
        headers={"Authorization": f"License {token}"},
    ) as stream:
        stream.raise_for_status()
        with out.open("wb") as fh:
            for line in stream.iter_lines():
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
    r.say(
        f"licensee downloaded {n} works over HTTP with its token -> {out.name}; "
        f"forged token -> {forged.status_code} {_api_error(forged)}, "
        f"other agreement -> {outside.status_code} {_api_error(outside)}"
    )
    return n


def _pay(r: Round, agreement: AgreementView) -> None:
    s = r.s
    s.payouts.book_revenue(agreement.id, LICENCE_FEE_MINOR)
    statements = s.payouts.distribute(agreement.id, s.deals.members_of(agreement.id), policy=POLICY)
    paid = s.payouts.pay_out()
    stmt_dir = s.settings.data_dir / "statements"
    stmt_dir.mkdir(exist_ok=True)
    for st in statements:
        (stmt_dir / f"member-{st.member_id}.json").write_text(
            json.dumps(st.model_dump(), indent=2) + "\n"
        )
    r.say(
        f"revenue {Money(LICENCE_FEE_MINOR, s.settings.currency)} booked; distributed to "
        f"{len(statements)} members ({POLICY}); paid out {Money(paid, s.settings.currency)}"
    )


def _prove(r: Round) -> None:
    """Every member gets a receipt per work, and each verifies offline with the public key."""
    s = r.s
    out = s.settings.data_dir / "receipts"
    out.mkdir(exist_ok=True)
    works = list(s.members.iter_works())
    public_key = s.provenance.public_key
    holders: set[int] = set()
    for w, rec in zip(works, s.provenance.receipts(w.log_index for w in works), strict=True):
        data = rec.to_json()
        (out / f"{w.id}.json").write_bytes(data)
        verify_receipt(data, public_key=public_key, origin=s.provenance.origin)
        holders.update(h.member_id for h in w.holders)
    audit = s.provenance.verify()
    if not audit.ok:
        raise LogTampered(f"the demo's own log does not verify: {audit.problems[0]}")
    cp = s.provenance.checkpoint()
    r.say(
        f"{len(works)} receipts for {len(holders)} members written to {out.name}/ and verified "
        f"offline with the coalition's public key; log audit OK ({audit.entries_checked} "
        f"entries); final checkpoint:"
    )
    click.echo("   " + cp.note.rstrip("\n").replace("\n", "\n   "))


def _report(r: Round, delivered: int) -> dict[str, object]:
    s = r.s
    rep = s.report()
    path = write_report(
        s,
        s.settings.data_dir / "demo-report.html",
        extra={"Works delivered to the licensee": delivered},
    )
    (s.settings.data_dir / "demo-summary.json").write_text(json.dumps(rep, indent=2) + "\n")
    r.say(f"report: {path}")
    click.echo(json.dumps(rep, indent=2))
    return rep
