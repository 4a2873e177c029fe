"""``syndic demo``: one whole bargaining round on a fresh data dir, over real HTTP.

init -> import the arXiv coalition -> publish terms -> a licensee asks for an ai-train
licence through the API -> members vote -> agreement signed -> the licensee downloads its
dataset with its token -> revenue booked -> payouts distributed -> statements and a report.
"""

from __future__ import annotations

import base64
import json
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from math import isqrt
from pathlib import Path

import click
import httpx

from syndic.api.app import create_app
from syndic.api.serving import serving_app
from syndic.app import Syndic
from syndic.auth.service import Role
from syndic.bargaining.params import LeverageParams
from syndic.clock import OffsetClock
from syndic.config import Settings
from syndic.deals.agreement import verify_file
from syndic.deals.offers import Installment, Offer
from syndic.deals.states import Party
from syndic.deals.views import AgreementView
from syndic.demo_gate import demo_gate
from syndic.errors import (
    ConfigError,
    InputFileError,
    IntegrityError,
    LogTampered,
    SyndicError,
    VerificationError,
)
from syndic.governance.voting.ballot_file import parse as ballot_parse
from syndic.governance.voting.ballot_file import tally as ballot_tally
from syndic.keys import generate_key_file, load_key_file, public_b64
from syndic.members.importer import import_arxiv
from syndic.money import Money
from syndic.progress import stage_bars
from syndic.provenance.receipt import verify_receipt
from syndic.terms.models import PaymentType, Terms, Usage
from syndic.valuation.params import RunParams
from syndic.web.charts import bar_chart
from syndic.web.report import write_report

CORPUS = Path("data") / "arxiv" / "producers300.jsonl"  # under the project's shared/ folder
# the builder's outside data: a stratified arXiv sample; the coalition's own papers are dropped
OUTSIDE = "strat25k.jsonl"
LICENCE_FEE_MINOR = 250_000_00
OPENING_OFFER_MINOR = 180_000_00
LICENSEE_KEY_FILE = "licensee-signing.key"  # the demo licensee's own key, kept beside the data
# The founding charter: deals are decided by quadratic voting with liquid delegation.
DEMO_CHARTER = {
    "deal_vote": {"method": "quadratic", "delegation": True, "quorum_bp": 5000, "hours": 72},
    "voice_credits": 100,
    # revenue: 20% pro rata by works as a floor, the rest by each member's value to a model
    "payout_policy": "valuation-weighted",
    "payout_floor_bp": 2000,
}
DEMO_GROUP_PERMUTATIONS = 20  # members as players: permutations of group Shapley per split
DEMO_REPEATS = 1  # cross-fitting repeats: one keeps the demo short (the product default is 3)
DEMO_VALUE_CHARTS = 3  # members whose value chart is written beside their statement


@contextmanager
def serving(syndic: Syndic) -> Iterator[str]:
    """Run the API on a loopback port in a background thread for the duration of the block."""
    with serving_app(create_app(syndic), what="the demo API server") as url:
        yield url


def _api_error(r: httpx.Response) -> str:
    try:
        return str(r.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {r.status_code}"


@dataclass
class Round:
    """What the steps of one demo round share. Each step prints one numbered line."""

    syndic: Syndic
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


def default_source() -> Path:
    """The demo corpus: under $SYNDIC_SHARED_DIR, else ../shared from here, else the shared/
    folder beside this checkout (so ``syndic demo`` also works from another directory)."""
    env = os.environ.get("SYNDIC_SHARED_DIR")
    roots = [Path(env)] if env else []
    roots += [Path("..") / "shared", Path(__file__).resolve().parents[3] / "shared"]
    for root in roots:
        if (root / CORPUS).is_file():
            return root / CORPUS
    return roots[0] / CORPUS  # not found: the refusal names the first place looked


def run_demo(settings: Settings, *, source: Path | None = None, seed: int = 0) -> dict[str, object]:
    src = source or default_source()
    if not src.is_file():
        raise InputFileError(f"demo corpus not found: {src} (pass --source)")
    clock = OffsetClock()
    syndic = Syndic.init(settings, name="Open Science Coalition (demo)", clock=clock)
    try:
        r = Round(syndic=syndic, clock=clock, seed=seed)
        r.say(f"coalition created in {syndic.settings.data_dir}")
        _pool(r, src)
        _publish_terms(r)
        lic = syndic.deals.register_licensee(
            name="Example AI Lab", contact="licensing@example.org", monthly_active_users=2_000_000
        )
        r.licensee_key = syndic.keys.create(
            role=Role.LICENSEE, subject_id=lic.id, label="demo licensee"
        )
        with serving(syndic) as base, httpx.Client(base_url=base, timeout=60) as http:
            r.http = http
            deal_id = _request_licence(r, lic.name)
            _negotiate(r, deal_id)
            # valued and measured before the vote opens: the members vote knowing the offer's
            # assessment against this leverage run
            _value(r)
            _leverage(r, src.parent / OUTSIDE, deal_id)
            _vote(r, deal_id)
            agreement = _sign(r, deal_id)
            delivered = _deliver(r, agreement)
            _gate(r)
        r.http = None
        _pay(r, agreement)
        _prove(r)
        return _report(r, delivered)
    finally:
        syndic.close()


def _pool(r: Round, src: Path) -> None:
    with stage_bars(indent="   ") as bars:
        res = import_arxiv(
            r.syndic.members,
            src,
            start=lambda n: bars.start("importing works", n),
            advance=lambda n: bars.advance("importing works", n),
        )
    r.say(f"pooled {res.works_created} works from {res.members_created} members ({src.name})")


def _publish_terms(r: Round) -> None:
    terms = Terms(
        permits=frozenset({Usage.AI_TRAIN, Usage.AI_INPUT, Usage.SEARCH}),
        payment_type=PaymentType.TRAINING,
        amount_minor=LICENCE_FEE_MINOR,
        currency=r.syndic.settings.currency,
        duration_days=365,
    )
    version = r.syndic.terms.publish(terms)
    fee = Money(LICENCE_FEE_MINOR, terms.currency)
    out = r.syndic.settings.data_dir / "terms"
    files = r.syndic.publish_terms(out)  # the same code as `syndic terms publish`
    r.say(
        f"terms v{version} published: {', '.join(sorted(terms.permits))} at {fee}; "
        f"{len(files)} files in {out.name}/ (RSL license.xml, robots.txt with the AI crawler "
        f"list, TDMRep, ai.txt, headers)"
    )


def _request_licence(r: Round, licensee_name: str) -> int:
    """The coalition's founding charter; then the licensee registers its signing key and asks
    for a licence, both over HTTP."""
    charter = r.syndic.governance.found(DEMO_CHARTER)
    rule = charter.deal_vote
    r.say(
        f"charter v{charter.version} founded: deals decided by {rule.method} voting "
        f"({charter.voice_credits} voice credits per {charter.credit_period_days} days) with "
        f"delegation, quorum {rule.quorum_bp / 100:g}%, open {rule.hours} h; "
        f"{charter.binding} binding"
    )
    headers = {"Authorization": f"Bearer {r.licensee_key}"}
    signer = generate_key_file(r.syndic.settings.data_dir / LICENSEE_KEY_FILE)
    r.client.put(
        "/v1/licensees/me/key", json={"public_key": public_b64(signer)}, headers=headers
    ).raise_for_status()
    offer = {
        "terms": {
            "permits": ["ai-train"],
            "payment_type": "training",
            "amount_minor": OPENING_OFFER_MINOR,
            "currency": r.syndic.settings.currency,
            "duration_days": 365,
        }
    }
    resp = r.client.post("/v1/deals", json=offer, headers=headers)
    resp.raise_for_status()
    deal_id = int(resp.json()["id"])
    r.say(
        f"{licensee_name} registered its Ed25519 key and offered "
        f"{Money(OPENING_OFFER_MINOR, r.syndic.settings.currency)} for an ai-train licence "
        f"over HTTP: deal {deal_id}"
    )
    return deal_id


def _negotiate(r: Round, deal_id: int) -> None:
    """The coalition counters at its published price, paid in two installments; the licensee
    reads the difference and accepts, over HTTP."""
    syndic = r.syndic
    cur = syndic.settings.currency
    half = LICENCE_FEE_MINOR // 2
    counter = Offer(
        terms=Terms(
            permits=frozenset({Usage.AI_TRAIN}),
            payment_type=PaymentType.TRAINING,
            amount_minor=LICENCE_FEE_MINOR,
            currency=cur,
            duration_days=365,
        ),
        payment_schedule=[
            Installment(due_days=0, amount_minor=half),
            Installment(due_days=180, amount_minor=LICENCE_FEE_MINOR - half),
        ],
    )
    syndic.deals.counter(deal_id, counter, party=Party.COALITION, actor="steward")
    headers = {"Authorization": f"Bearer {r.licensee_key}"}
    offers = r.client.get(f"/v1/deals/{deal_id}/offers", headers=headers)
    offers.raise_for_status()
    changed = [c["field"] for c in offers.json()[-1]["diff"]]
    r.client.post(f"/v1/deals/{deal_id}/accept", headers=headers).raise_for_status()
    r.say(
        f"the coalition countered at {Money(LICENCE_FEE_MINOR, cur)} in two installments "
        f"(changed: {', '.join(changed)}); the licensee accepted over HTTP"
    )


def _vote(r: Round, deal_id: int) -> None:
    """Members vote under the charter: quadratic ballots, some delegate (a few also vote
    directly, which overrides their delegation); the ballot file is exported and re-tallied."""
    syndic = r.syndic
    deal = syndic.deals.open_vote(deal_id)
    cov = syndic.deals.coverage(deal_id)
    rng = random.Random(r.seed)  # noqa: S311  (simulated voters, not crypto)
    members = [m.id for m in syndic.members.list_members(limit=1_000_000)]
    credits = syndic.governance.charter().voice_credits
    direct = 0
    for m in members:
        roll = rng.random()
        if roll < 0.15:
            syndic.governance.delegate(m, rng.choice([x for x in members if x != m]), topic="deals")
            if rng.random() > 0.2:
                continue  # most delegators leave it to their delegate
        elif roll > 0.93:
            continue  # does not vote at all
        n = rng.randint(1, isqrt(credits))
        choice = "yes" if rng.random() < 0.75 else "no"
        syndic.deals.cast_vote(deal_id, member_id=m, votes={choice: n})
        direct += 1
    assert deal.vote_closes_at is not None
    r.clock.advance(deal.vote_closes_at - r.clock.now())
    deal = syndic.deals.close_vote(deal_id)
    out = deal.outcome or {}
    proposal = syndic.governance.get(int(out["proposal"]))
    assert proposal.outcome is not None
    votes_dir = syndic.settings.data_dir / "votes"
    votes_dir.mkdir(exist_ok=True)
    ballots = syndic.governance.ballot_file(proposal.id)
    (votes_dir / f"deal-{deal_id}-ballots.json").write_text(json.dumps(ballots, indent=2) + "\n")
    again = ballot_tally(ballot_parse(ballots))
    if again.totals != out["totals"] or again.winner != out["winner"]:
        raise SyndicError("the exported ballot file does not reproduce the published result")
    totals = out["totals"]
    (votes_dir / f"deal-{deal_id}.svg").write_text(
        str(
            bar_chart(
                list(totals),
                list(totals.values()),
                title=f"Deal {deal_id}: quadratic votes per option",
                xlabel="votes",
            )
        )
    )
    d = proposal.outcome["delegation"]
    carried = sum(len(v) for v in d["carried"].values())
    r.say(
        f"vote closed under charter v{proposal.charter_version} ({out['method']} with "
        f"delegation; {cov['works_covered']} works covered, "
        f"{len(cov['excluded_members'])} members excluded by their mandates): "
        f"{direct} ballots, {carried} votes carried by {len(d['carried'])} delegates, "
        f"{len(d['cycles'])} delegation cycles; yes {totals['yes']} / no {totals['no']} votes "
        f"-> {deal.status}; ballots and chart in {votes_dir.name}/; the members were told: "
        + "; ".join((proposal.question.get("assessment") or {}).get("words", [])[:2])
    )
    if deal.status != "approved":
        raise SyndicError("the members rejected the deal; the demo stops here")


def _sign(r: Round, deal_id: int) -> AgreementView:
    """The coalition signs; the licensee fetches the exact document bytes over HTTP, signs them
    with its own key and posts the signature; the file then verifies offline."""
    syndic = r.syndic
    pending = syndic.deals.sign(deal_id)
    headers = {"Authorization": f"Bearer {r.licensee_key}"}
    doc = r.client.get(f"/v1/agreements/{pending.id}/document", headers=headers)
    doc.raise_for_status()
    signer = load_key_file(syndic.settings.data_dir / LICENSEE_KEY_FILE)
    signature = base64.b64encode(signer.sign(doc.content)).decode()
    resp = r.client.post(
        f"/v1/agreements/{pending.id}/signature", json={"signature": signature}, headers=headers
    )
    resp.raise_for_status()
    agreement = syndic.deals.get_agreement(pending.id)
    path = syndic.deals.agreement_path(agreement.id)
    data = path.read_bytes()
    verify_file(data, coalition_key=syndic.public_key, licensee_key=public_b64(signer))
    tampered = bytearray(data)
    tampered[len(data) // 2] ^= 0x01
    try:
        verify_file(bytes(tampered))
    except VerificationError:
        pass
    else:
        raise IntegrityError("a tampered agreement file verified")
    rsl = path.with_suffix(".rsl.xml")
    rsl.write_text(syndic.deals.rsl(agreement.id, base_url=syndic.settings.public_url))
    r.say(
        f"agreement {agreement.id} signed by the coalition and by the licensee (over HTTP): "
        f"{agreement.works_count} works, scope {agreement.scope_root[:23]}…; "
        f"{path.name} verifies offline, one changed byte is refused; RSL licence {rsl.name}"
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
    out = r.syndic.settings.data_dir / "licensee-dataset.jsonl"
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


def _value(r: Round) -> None:
    """Value every work (exact KNN-Shapley) and every member (sum of works, group Shapley)."""
    syndic = r.syndic
    with stage_bars(indent="   valuing: ") as progress:
        run = syndic.valuation.run(
            RunParams(
                method="knn-shapley",
                label="field",
                seed=r.seed,
                repeats=DEMO_REPEATS,
                group_permutations=DEMO_GROUP_PERMUTATIONS,
            ),
            progress=progress,
        )
    r.results["valuation_run"] = run.id
    top = syndic.valuation.member_values(run.id)[0]
    r.say(
        f"valuation run {run.id}: {run.summary['works']} works valued by exact KNN-Shapley "
        f"(K=5, task: predict 'field', cross-fitted over {run.summary['repeats']} x "
        f"{run.summary['folds']} folds, seed {run.seed}) on "
        f"snapshot {run.snapshot_size} ({run.snapshot_root[:12]}…); {run.summary['members']} "
        f"members also valued as players ({DEMO_GROUP_PERMUTATIONS} group-Shapley permutations); "
        f"top member {top.member_id}: rank 1, interval {top.rank_low}-{top.rank_high}"
    )


def _leverage(r: Round, outside: Path, deal_id: int) -> None:
    """What the pool is worth to a builder with other arXiv papers: the data strike, the
    equivalent outside data and the price range; then where the accepted offer's price sits."""
    syndic = r.syndic
    if not outside.is_file():
        r.say(f"leverage: no outside data at {outside}; skipped")
        return
    with stage_bars(indent="   leverage: ") as progress:
        run = syndic.leverage.run(
            LeverageParams(seed=r.seed), outside=outside.read_bytes(), progress=progress
        )
    res = run.result
    st = res["strike"]["linear"]
    lo, hi = st["accuracy_points_interval"]
    pr = res["price_range"]
    cur = syndic.settings.currency

    def money(v: int | None) -> str:
        return "-" if v is None else str(Money(v, cur))

    a = syndic.assess_deal(deal_id)
    r.say(
        f"leverage run {run.id}: {res['counts']['outside']:,} outside works "
        f"({res['outside_dropped_as_pool']:,} of {outside.name} dropped as the coalition's own); "
        f"a data strike costs the builder {st['accuracy_points']:.1f} accuracy points "
        f"[{lo:.1f}, {hi:.1f}] (linear); equivalent outside data: "
        f"{res['equivalent']['linear']['words']}; price range: reservation "
        f"{money(pr['reservation']['minor'])}, ask {money(pr['ask']['minor'])}, builder's most "
        f"{money(pr['willingness']['max_minor'])}; the deal's price is {a['position']['words']}"
    )


def _gate(r: Round) -> None:
    """A member's site behind the gate on loopback (the licence token comes from the OLP-style
    token endpoint over HTTP)."""
    resp = r.client.post(
        "/v1/olp/token",
        data={"grant_type": "client_credentials", "usage": "ai-train"},
        headers={"Authorization": f"Bearer {r.licensee_key}"},
    )
    resp.raise_for_status()
    g = demo_gate(r.syndic, licence_token=resp.json()["access_token"], seed=r.seed)
    rep = g["report"]
    assert isinstance(rep, dict)
    r.say(
        f"gate in front of a member's site: GPTBot without a licence -> {g['ai_crawler']}; "
        f"licensee with its OLP token -> {g['licensed']}; signed crawler -> {g['price_asked']}, "
        f"then {g['paid']}; {rep['requests']} decisions logged ({rep['by_outcome']})"
    )


def _pay(r: Round, agreement: AgreementView) -> None:
    """Book the fee and distribute it under the charter (valuation-weighted with a floor)."""
    syndic = r.syndic
    syndic.payouts.book_revenue(agreement.id, LICENCE_FEE_MINOR)
    run_id = int(str(r.results["valuation_run"]))
    statements = syndic.distribute(agreement.id, run_id=run_id)
    paid = syndic.payouts.pay_out()
    stmt_dir = syndic.settings.data_dir / "statements"
    stmt_dir.mkdir(exist_ok=True)
    for st in statements:
        (stmt_dir / f"member-{st.member_id}.json").write_text(
            json.dumps(st.model_dump(), indent=2) + "\n"
        )
    for v in syndic.valuation.member_values(run_id)[:DEMO_VALUE_CHARTS]:
        (stmt_dir / f"member-{v.member_id}-value.svg").write_bytes(
            syndic.valuation.chart(v.member_id, run_id)
        )
    charter = syndic.governance.charter()
    r.say(
        f"revenue {Money(LICENCE_FEE_MINOR, syndic.settings.currency)} booked; distributed to "
        f"{len(statements)} members under charter v{charter.version} ({charter.payout_policy}, "
        f"floor {charter.payout_floor_bp / 100:g}% pro rata by works); "
        f"paid out {Money(paid, syndic.settings.currency)}"
    )


def _prove(r: Round) -> None:
    """Every member gets a receipt per work, and each verifies offline with the public key."""
    syndic = r.syndic
    out = syndic.settings.data_dir / "receipts"
    out.mkdir(exist_ok=True)
    works = list(syndic.members.iter_works())
    public_key = syndic.provenance.public_key
    holders: set[int] = set()
    for w, rec in zip(works, syndic.provenance.receipts(w.log_index for w in works), strict=True):
        data = rec.to_json()
        (out / f"{w.id}.json").write_bytes(data)
        verify_receipt(data, public_key=public_key, origin=syndic.provenance.origin)
        holders.update(h.member_id for h in w.holders)
    audit = syndic.provenance.verify()
    if not audit.ok:
        raise LogTampered(f"the demo's own log does not verify: {audit.problems[0]}")
    cp = syndic.provenance.checkpoint()
    r.say(
        f"{len(works)} receipts for {len(holders)} members written to {out.name}/ and verified "
        f"offline with the coalition's public key; log audit OK ({audit.entries_checked} "
        f"entries); final checkpoint:"
    )
    click.echo("   " + cp.note.rstrip("\n").replace("\n", "\n   "))


def _report(r: Round, delivered: int) -> dict[str, object]:
    syndic = r.syndic
    rep = syndic.report()
    path = write_report(
        syndic,
        syndic.settings.data_dir / "demo-report.html",
        extra={"Works delivered to the licensee": delivered},
    )
    (syndic.settings.data_dir / "demo-summary.json").write_text(json.dumps(rep, indent=2) + "\n")
    r.say(f"report: {path}")
    click.echo(json.dumps(rep, indent=2))
    return rep
