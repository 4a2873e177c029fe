"""The round report: one self-contained HTML page a steward can send to members."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from syndic.app import Syndic
from syndic.money import Money
from syndic.storage.files import write_output
from syndic.web.charts import bar_chart, histogram, svg_markup

_env = Environment(loader=PackageLoader("syndic.web", "templates"), autoescape=select_autoescape())


def render_report(syndic: Syndic, *, extra: dict[str, Any] | None = None) -> str:
    rep = syndic.report()
    statements = syndic.payouts.statements()
    members = {m.id: m for m in syndic.members.list_members(limit=1_000_000)}
    by_member: Counter[int] = Counter()
    for st in statements:
        by_member[st.member_id] += st.amount_minor
    top = by_member.most_common(20)
    cur = syndic.settings.currency
    kinds = syndic.event_counts()
    charts = {}
    if by_member:
        charts["payouts_top"] = bar_chart(
            [members[m].handle for m, _ in top],
            [v / 100 for _, v in top],
            title="Top 20 members by payout",
            xlabel=cur,
        )
        charts["payouts_hist"] = histogram(
            [v / 100 for v in by_member.values()],
            title="Payout per member",
            xlabel=cur,
        )
    charts["events"] = bar_chart(
        list(kinds),
        list(kinds.values()),
        title="Logged events by kind",
        xlabel="events (log scale)",
        log=True,
    )
    licensees = {lic.id: lic.name for lic in syndic.deals.list_licensees()}
    return _env.get_template("report.html").render(
        report=rep,
        revenue=Money(rep["revenue_minor"], cur),
        paid=Money(rep["paid_out_minor"], cur),
        agreements=syndic.deals.list_agreements(),
        licensees=licensees,
        top=[(members[m], Money(v, cur)) for m, v in top],
        everyone=_everyone(syndic, members, by_member),
        verify=_verify(syndic),
        gate=_gate(syndic),
        policy=statements[0].policy if statements else "none",
        charts=charts,
        extra=extra or {},
        valuation=_valuation(syndic, members, by_member),
        leverage=_leverage(syndic),
        votes=_votes(syndic),
    )


def _votes(syndic: Syndic) -> list[dict[str, Any]]:
    """Closed votes: the question, the rule, the outcome and its per-option totals as a chart."""
    out = []
    for p in syndic.governance.list_proposals(status="closed"):
        o = p.outcome or {}
        carried = o.get("delegation", {}).get("carried", {})
        out.append(
            {
                "p": p,
                "o": o,
                "carried": sum(len(v) for v in carried.values()),
                "delegates": len(carried),
                "chart": bar_chart(
                    list(o.get("totals", {})),
                    list(o.get("totals", {}).values()),
                    title=f"Proposal {p.id} ({o.get('method')}): votes per option",
                    xlabel="votes",
                ),
            }
        )
    return out


def _everyone(syndic: Syndic, members: dict[int, Any], paid: Counter[int]) -> list[dict[str, Any]]:
    """Every member, so each can find themselves: works, money paid, value and rank."""
    from syndic.errors import NotFound

    works = syndic.members.work_counts()
    try:
        values = {
            v.member_id: v for v in syndic.valuation.member_values(syndic.valuation.show().id)
        }
    except NotFound:
        values = {}
    cur = syndic.settings.currency
    return [
        {
            "m": m,
            "works": works.get(m.id, 0),
            "paid": Money(paid.get(m.id, 0), cur),
            "value": values.get(m.id),
        }
        for m in members.values()
    ]


def _verify(syndic: Syndic) -> dict[str, Any]:
    """What anyone needs to check the log themselves: the key, the latest signed checkpoint."""
    from syndic.errors import NotFound

    try:
        cp = syndic.provenance.published_checkpoint()
    except NotFound:
        cp = None
    return {
        "public_key": syndic.public_key,
        "verifier_key": syndic.provenance.verifier_key(),
        "checkpoint": cp.note if cp is not None else None,
    }


def _gate(syndic: Syndic) -> dict[str, Any]:
    """The crawl report (what the gate decided per member site), with a chart when any."""
    crawl = syndic.crawl_report()
    sites = crawl.get("sites", [])
    chart = None
    if sites:
        chart = bar_chart(
            [s["site"] for s in sites],
            [s.get("requests", 0) for s in sites],
            title="Crawler requests per member site",
            xlabel="requests (log scale)",
            log=True,
        )
    return {"sites": sites, "chart": chart}


def write_report(syndic: Syndic, path: Path, *, extra: dict[str, Any] | None = None) -> Path:
    return write_output(path, render_report(syndic, extra=extra))


def _leverage(syndic: Syndic) -> dict[str, Any] | None:
    """The latest leverage run: the data strike, the equivalent outside data, the price range
    and its chart."""
    from syndic.errors import NotFound

    try:
        run = syndic.leverage.show()
    except NotFound:
        return None
    cur = syndic.settings.currency
    pr = run.result["price_range"]

    def money(v: int | None) -> str:
        return "–" if v is None else str(Money(v, cur))

    return {
        "run": run,
        "chart": svg_markup(syndic.leverage.chart(run.id)),
        "families": [
            {
                "name": f,
                "strike": run.result["strike"][f],
                "equivalent": run.result["equivalent"][f],
                "groups": run.result["groups"][f],
            }
            for f in run.result["strike"]
        ],
        "reservation": money(pr["reservation"]["minor"]),
        "ask": money(pr["ask"]["minor"]),
        "most": money(pr["willingness"]["max_minor"]),
        "price": pr,
    }


def _valuation(
    syndic: Syndic, members: dict[int, Any], paid: Counter[int]
) -> dict[str, Any] | None:
    """The latest valuation run: who is worth what, why, and what they were paid."""
    from syndic.errors import NotFound
    from syndic.valuation import explain

    try:
        run = syndic.valuation.show()
    except NotFound:
        return None
    values = syndic.valuation.member_values(run.id)
    cur = syndic.settings.currency
    rows = [
        {
            "handle": members[v.member_id].handle if v.member_id in members else v.member_id,
            "v": v,
            "paid": Money(paid.get(v.member_id, 0), cur),
        }
        for v in (values[:10] + values[-3:] if len(values) > 13 else values)
    ]
    top = values[0]
    svg = explain.chart(
        top.explanation.get("per_label", {}),
        title=f"Why member {top.member_id} ranks first: contribution per test label",
    )
    charts = {
        "members": histogram(
            [v.value_sum for v in values], title="Value per member", xlabel="value (utility)"
        ),
        "top": svg_markup(svg),
    }
    return {"run": run, "rows": rows, "charts": charts, "top": top}
