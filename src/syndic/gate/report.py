"""The crawl report: what the gate decided, per member site, from its decision rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from syndic.gate.models import GateDecision
from syndic.storage.db import Database


def crawl_report(db: Database, *, site: str | None = None, top: int = 10) -> dict[str, Any]:
    """Per site: requests by outcome, by agent and by rule, money charged, busiest paths."""
    d = GateDecision
    cond = [] if site is None else [d.site == site]
    sites: dict[str, dict[str, Any]] = {}

    def entry(name: str) -> dict[str, Any]:
        return sites.setdefault(
            name,
            {
                "site": name,
                "requests": 0,
                "by_outcome": {},
                "by_agent": {},
                "by_rule": {},
                "charged": {},
                "top_paths": [],
                "first": None,
                "last": None,
            },
        )

    with db.read() as s:
        for name, n, first, last in s.execute(
            select(d.site, func.count(d.id), func.min(d.at), func.max(d.at))
            .where(*cond)
            .group_by(d.site)
        ):
            e = entry(name)
            e["requests"] = int(n)
            e["first"], e["last"] = first.isoformat(), last.isoformat()
        for col, key in ((d.outcome, "by_outcome"), (d.agent, "by_agent"), (d.rule, "by_rule")):
            rows = s.execute(
                select(d.site, col, func.count(d.id)).where(*cond).group_by(d.site, col)
            )
            for name, value, n in rows:
                entry(name)[key][value] = int(n)
        for name, cur, total in s.execute(
            select(d.site, d.currency, func.sum(d.charged_minor))
            .where(d.charged_minor > 0, *cond)
            .group_by(d.site, d.currency)
        ):
            entry(name)["charged"][cur] = int(total)
        for name, e in sites.items():
            rows = s.execute(
                select(d.path, func.count(d.id))
                .where(d.site == name)
                .group_by(d.path)
                .order_by(func.count(d.id).desc(), d.path)
                .limit(top)
            )
            e["top_paths"] = [{"path": r[0], "requests": int(r[1])} for r in rows]
    for e in sites.values():
        for key in ("by_outcome", "by_agent", "by_rule"):
            e[key] = dict(sorted(e[key].items(), key=lambda kv: (-kv[1], kv[0])))
    return {"sites": [sites[k] for k in sorted(sites)]}
