"""The steward's pages: members and works (search and filters), deals as a pipeline (offers,
coverage, Open vote, progress, Close vote, Sign), payouts (book revenue, Distribute, Pay),
the gate's crawl report, the log (Verify log) and valuation runs. Only the steward gets in;
anyone else gets a 403 page."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import Form, Request, Response

from syndic.api.bounds import PathId
from syndic.auth.models import Role
from syndic.auth.policy import Need
from syndic.errors import InvalidInput, NotFound, ValuationError
from syndic.money import parse_major
from syndic.web.jobs import Jobs
from syndic.web.pages.common import page_router, see_other, syndic_of
from syndic.web.render import render
from syndic.web.session import Viewer, require

router = page_router()
STEWARD = Need.of(Role.STEWARD)
PAGE = 100  # rows shown per list
PIPELINE = ("offered", "countered", "accepted", "voting", "approved", "signed", "rejected")


def steward(request: Request) -> Viewer:
    return require(request, STEWARD)


@router.get("/steward")
def home(request: Request) -> Response:
    steward(request)
    return render(request, "steward/home.html", title="Steward", counts=syndic_of(request).report())


# --- members and works ------------------------------------------------------------------------
@router.get("/steward/members")
def members(request: Request, q: str = "", status: str = "") -> Response:
    steward(request)
    syndic = syndic_of(request)
    every = syndic.members.list_members(limit=100_000)
    counts = syndic.members.work_counts()
    needle = q.strip().lower()
    found = [
        m
        for m in every
        if (not needle or needle in m.handle.lower() or needle in m.name.lower())
        and (not status or m.status == status)
    ]
    return render(
        request,
        "steward/members.html",
        title="Members",
        members=found[:PAGE],
        found=len(found),
        total=len(every),
        counts=counts,
        q=q,
        status_filter=status,
        statuses=sorted({m.status for m in every}),
    )


@router.get("/steward/works")
def works(request: Request, q: str = "", collection: str = "", status: str = "") -> Response:
    steward(request)
    needle = q.strip().lower()
    found = []
    collections: set[str] = set()
    total = 0
    for w in syndic_of(request).members.iter_works():
        total += 1
        collections.add(w.collection)
        if needle and needle not in w.title.lower() and needle not in w.digest:
            continue
        if (collection and w.collection != collection) or (status and w.status != status):
            continue
        found.append(w)
    return render(
        request,
        "steward/works.html",
        title="Works",
        works=found[:PAGE],
        found=len(found),
        total=total,
        q=q,
        collection=collection,
        status_filter=status,
        collections=sorted(collections),
        candidates=syndic_of(request).members.near_copies(candidates_only=True),
    )


# --- deals ------------------------------------------------------------------------------------
@router.get("/steward/deals")
def deals(request: Request) -> Response:
    steward(request)
    syndic = syndic_of(request)
    every = syndic.deals.list_deals()
    names = {x.id: x.name for x in syndic.deals.list_licensees()}
    stages = [(s, [d for d in every if d.status == s]) for s in PIPELINE]
    others = [d for d in every if d.status not in PIPELINE]
    if others:
        stages.append(("other", others))
    return render(request, "steward/deals.html", title="Deals", stages=stages, names=names)


def _proposal_of(request: Request, deal_id: PathId) -> dict[str, Any] | None:
    """The newest vote on this deal, with its turnout against its quorum."""
    syndic = syndic_of(request)
    mine = [
        p
        for p in syndic.governance.list_proposals()
        if p.kind == "deal" and p.subject_id == deal_id
    ]
    if not mine:
        return None
    p = max(mine, key=lambda x: x.id)
    voted, electorate = syndic.governance.turnout(p.id)
    quorum_bp = int(p.rule.get("quorum_bp", 0) or 0)
    needed = -(-electorate * quorum_bp // 10_000)  # members needed for the quorum, rounded up
    left = p.closes_at - syndic.clock.now()
    return {
        "proposal": p,
        "voted": voted,
        "electorate": electorate,
        "quorum_bp": quorum_bp,
        "needed": needed,
        "turnout_pct": round(100 * voted / electorate) if electorate else 0,
        "hours_left": max(int(left.total_seconds() // 3600), 0),
        "open": p.status == "open",
    }


@router.get("/steward/deals/{deal_id}")
def deal(request: Request, deal_id: PathId, done: str = "") -> Response:
    steward(request)
    syndic = syndic_of(request)
    d = syndic.deals.get_deal(deal_id)
    return render(
        request,
        "steward/deal.html",
        title=f"Deal {deal_id}",
        deal=d,
        licensee=syndic.deals.get_licensee(d.licensee_id),
        offers=syndic.deals.offers(deal_id),
        coverage=syndic.deals.coverage(deal_id),
        vote=_proposal_of(request, deal_id),
        agreements=[a for a in syndic.deals.list_agreements() if a.deal_id == deal_id],
        done=done,
    )


@router.post("/steward/deals/{deal_id}/open-vote")
def open_vote(request: Request, deal_id: PathId) -> Response:
    viewer = steward(request)
    syndic_of(request).deals.open_vote(deal_id, actor=viewer.principal.actor)
    return see_other(f"/steward/deals/{deal_id}?done=opened")


@router.post("/steward/deals/{deal_id}/close-vote")
def close_vote(request: Request, deal_id: PathId, early: Annotated[str, Form()] = "") -> Response:
    viewer = steward(request)
    syndic_of(request).deals.close_vote(deal_id, force=early == "yes", actor=viewer.principal.actor)
    return see_other(f"/steward/deals/{deal_id}?done=closed")


@router.post("/steward/deals/{deal_id}/sign")
def sign(request: Request, deal_id: PathId) -> Response:
    viewer = steward(request)
    syndic_of(request).deals.sign(deal_id, actor=viewer.principal.actor)
    return see_other(f"/steward/deals/{deal_id}?done=signed")


# --- payouts ----------------------------------------------------------------------------------
def _payouts_page(
    request: Request, *, status: int = 200, errors: dict[str, str] | None = None, done: str = ""
) -> Response:
    syndic = syndic_of(request)
    accounts = []
    for lic in syndic.deals.list_licensees():
        for a in syndic.licensee_portal.accounts(lic.id):
            accounts.append((lic.name, a, syndic.payouts.undistributed(a.agreement_id)))
    accounts.sort(key=lambda x: x[1].agreement_id)
    try:
        runs = syndic.valuation.list_runs()
    except NotFound:
        runs = []
    return render(
        request,
        "steward/payouts.html",
        status=status,
        title="Payouts",
        accounts=accounts,
        totals=syndic.report(),
        runs=runs,
        errors=errors or {},
        done=done,
    )


@router.get("/steward/payouts")
def payouts(request: Request, done: str = "") -> Response:
    steward(request)
    return _payouts_page(request, done=done)


@router.post("/steward/agreements/{agreement_id}/revenue")
def book_revenue(
    request: Request, agreement_id: PathId, amount: Annotated[str, Form()] = ""
) -> Response:
    viewer = steward(request)
    syndic = syndic_of(request)
    key = f"amount-{agreement_id}"
    try:
        minor = parse_major(amount.strip(), syndic.settings.currency)
        syndic.payouts.book_revenue(agreement_id, minor, actor=viewer.principal.actor)
    except InvalidInput as exc:
        return _payouts_page(request, status=422, errors={key: exc.message})
    return see_other("/steward/payouts?done=booked")


@router.post("/steward/agreements/{agreement_id}/distribute")
def distribute(
    request: Request, agreement_id: PathId, run: Annotated[str, Form()] = ""
) -> Response:
    viewer = steward(request)
    run_id = int(run) if run.strip().isdigit() else None
    syndic_of(request).distribute(agreement_id, run_id=run_id, actor=viewer.principal.actor)
    return see_other("/steward/payouts?done=distributed")


@router.post("/steward/payouts/pay")
def pay(request: Request) -> Response:
    viewer = steward(request)
    syndic_of(request).payouts.pay_out(actor=viewer.principal.actor)
    return see_other("/steward/payouts?done=paid")


# --- the gate, the log, valuation ----------------------------------------------------------------
@router.get("/steward/gate")
def gate(request: Request) -> Response:
    steward(request)
    report = syndic_of(request).crawl_report()
    charts = {}
    if report["sites"]:
        from syndic.web.charts import bar_chart_uri  # matplotlib only when there is a chart

        for site in report["sites"]:
            outcomes = site["by_outcome"]
            charts[site["site"]] = bar_chart_uri(
                list(outcomes), list(outcomes.values()), title=site["site"], xlabel="requests"
            )
    return render(
        request, "steward/gate.html", title="Crawl report", sites=report["sites"], charts=charts
    )


def _log_page(request: Request) -> Response:
    syndic = syndic_of(request)
    try:
        checkpoint = syndic.provenance.published_checkpoint()
    except NotFound:
        checkpoint = None
    return render(
        request,
        "steward/log.html",
        title="The log",
        size=syndic.report()["events"],
        checkpoint=checkpoint,
        kinds=syndic.event_counts(),
        job=_jobs(request).current.get("audit"),
    )


@router.get("/steward/log")
def log_page(request: Request) -> Response:
    steward(request)
    return _log_page(request)


@router.post("/steward/log/verify")
def verify_log(request: Request) -> Response:
    """Re-check every entry, node, checkpoint and blob, in a thread; the log page shows its
    progress and then what it found."""
    steward(request)
    verify = syndic_of(request).provenance.verify
    _jobs(request).start("audit", "Verifying the log", lambda p: verify(progress=p))
    return see_other("/steward/log")


def _jobs(request: Request) -> Jobs:
    jobs: Jobs = request.app.state.jobs
    return jobs


@router.post("/steward/valuation/runs")
def start_run(
    request: Request,
    seed: Annotated[str, Form()] = "0",
    group_permutations: Annotated[str, Form()] = "",
) -> Response:
    viewer = steward(request)
    errors: dict[str, str] = {}
    if not seed.strip().isdigit():
        errors["seed"] = "Enter a whole number, 0 or more."
    perms = group_permutations.strip()
    if perms and not perms.isdigit():
        errors["group_permutations"] = "Enter a whole number, 0 or more."
    if errors:
        return _valuation_page(request, None, status=422, errors=errors)
    from syndic.valuation.params import RunParams  # the valuation stack only when it runs

    params = RunParams(seed=int(seed))
    if perms:
        params = dataclasses.replace(params, group_permutations=int(perms))
    try:
        params.check()
    except ValuationError as exc:
        return _valuation_page(
            request, None, status=422, errors={"group_permutations": exc.message}
        )
    valuation = syndic_of(request).valuation
    about = f"Seed {params.seed}, method {params.method}"
    _jobs(request).start(
        "valuation",
        about,
        lambda p: valuation.run(params, actor=viewer.principal.actor, progress=p).id,
    )
    return see_other("/steward/valuation/progress")


@router.get("/steward/valuation/progress")
def run_progress(request: Request) -> Response:
    steward(request)
    job = _jobs(request).current.get("valuation")
    if job is None:
        raise NotFound("no valuation run has been started from these pages")
    return render(request, "steward/progress.html", title="Valuation run in progress", job=job)


@router.get("/steward/valuation")
def valuation(request: Request, run: int | None = None) -> Response:
    steward(request)
    return _valuation_page(request, run)


def _valuation_page(
    request: Request,
    run: int | None,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    syndic = syndic_of(request)
    runs = syndic.valuation.list_runs()
    shown = None
    values: list[Any] = []
    chart = None
    if runs:
        shown = syndic.valuation.show(run)
        values = syndic.valuation.member_values(shown.id)
        if values:
            from syndic.web.charts import bar_chart_uri

            top = values[:15]
            chart = bar_chart_uri(
                [f"member {v.member_id}" for v in top],
                [v.value_sum for v in top],
                title=f"Run {shown.id}: value per member (top {len(top)})",
                xlabel="value",
            )
    return render(
        request,
        "steward/valuation.html",
        status=status,
        errors=errors or {},
        job=_jobs(request).current.get("valuation"),
        title="Valuation runs",
        runs=runs,
        shown=shown,
        values=values[:PAGE],
        chart=chart,
    )
