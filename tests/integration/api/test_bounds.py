"""Every integer an endpoint reads, at 2^31, 2^63 and -1, on SQLite and PostgreSQL: a refusal
with our error body (or, within what a column holds, an ordinary answer), never a 500."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from syndic.api.deps import GuardedRoute
from syndic.app import Syndic
from syndic.config import Settings
from tests.conftest import MakeSyndic
from tests.integration.api.callers import Coalition, body_for, coalition, operations

OUT_OF_RANGE = (2**63, -1)
IN_RANGE_FOR_BIGINT = 2**31  # past PostgreSQL's INTEGER; a BIGINT holds it


def _integer(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(o.get("type") == "integer" for o in options)


def int_parameters(c: Coalition) -> list[tuple[str, GuardedRoute, str, str]]:
    """(method, route, where, name) for every integer path or query parameter."""
    spec = c.client.get("/openapi.json").json()["paths"]
    out = []
    for method, route in operations():
        op = spec[route.path_format][method.lower()]
        for p in op.get("parameters", []):
            if _integer(p["schema"]):
                out.append((method, route, p["in"], p["name"]))
    return out


def _caller(c: Coalition, route: GuardedRoute) -> str:
    """A caller the route lets through, so the value reaches the route itself."""
    who = route.access.who()
    if "steward" in who:
        return "steward"
    return next((r for r in ("member", "licensee") if any(w.startswith(r) for w in who)), "no key")


def _send(c: Coalition, method: str, route: GuardedRoute, where: str, name: str, value: int):  # type: ignore[no-untyped-def]
    path = c.path(route, **({name: value} if where == "path" else {}))
    params = {name: value} if where == "query" else None
    body = body_for(route.path) if method in ("POST", "PUT") else None
    return c.client.request(
        method, path, params=params, json=body, headers=c.headers(_caller(c, route))
    )


def test_every_integer_parameter_is_bounded(backend: str, make_syndic: MakeSyndic) -> None:
    c = coalition(make_syndic)
    pairs = int_parameters(c)
    assert len(pairs) >= 30  # ids, limits, offsets and run ids across the API
    wrong = []
    with c.client:
        for method, route, where, name in pairs:
            for value in OUT_OF_RANGE:
                r = _send(c, method, route, where, name, value)
                error = r.json().get("error", {}) if r.status_code >= 400 else {}
                if not (
                    r.status_code == 422
                    and error.get("code") == "invalid_input"
                    and name in error.get("message", "")
                ):
                    wrong.append(f"{method} {route.path} {name}={value}: {r.status_code} {r.text}")
            r = _send(c, method, route, where, name, IN_RANGE_FOR_BIGINT)
            if r.status_code >= 500:
                wrong.append(f"{method} {route.path} {name}=2^31: {r.status_code} {r.text}")
    assert wrong == []


def test_body_and_form_integers_are_bounded(backend: str, make_syndic: MakeSyndic) -> None:
    c = coalition(make_syndic)
    steward, lab = c.headers("steward"), c.headers("licensee")
    basic = {
        "Authorization": "Basic "
        + base64.b64encode(f"{c.w.lab}:{c.keys['licensee']}".encode()).decode()
    }
    member = c.ids["member_id"]
    cases = [
        ("POST", "/v1/deals/drafts", steward, {"licensee_id": 2**63, "terms": {}}),
        ("PUT", "/v1/licensees/me/users", lab, {"monthly_active_users": 2**63}),
        ("PUT", "/v1/licensees/me/users", lab, {"monthly_active_users": -1}),
        ("POST", "/v1/works/1/resolve", steward, {"holders": [[2**63, 10_000]]}),
        ("POST", "/v1/works/1/resolve", steward, {"holders": [[member, 2**31]]}),
        ("POST", "/v1/agreements/1/revenue", steward, {"amount_minor": 2**63}),
        ("POST", "/v1/crawl-charges/collections", steward, {"agent": "x", "amount_minor": -1}),
    ]
    with c.client as http:
        for method, path, headers, body in cases:
            r = http.request(method, path, headers=headers, json=body)
            assert r.status_code == 422, (path, body, r.text)
            assert r.json()["error"]["code"] == "invalid_input"
        for agreement in (str(2**63), "-1", "1e3"):
            r = http.post(
                "/v1/olp/token",
                data={"grant_type": "client_credentials", "agreement_id": agreement},
                headers=basic,
            )
            assert r.status_code == 422, (agreement, r.text)


@pytest.mark.postgres
def test_ids_are_bigint_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    """0008_bigint_ids widens the id columns and the sequences behind them: a row can take
    an id past 2^31, and the next one follows it."""
    s = Syndic.init(Settings(data_dir=tmp_path / "d", database_url=pg_url), name="Big")
    try:
        with s.db.write() as session:
            kinds = dict(
                session.execute(
                    text(
                        "SELECT table_name || '.' || column_name, data_type FROM "
                        "information_schema.columns WHERE table_schema = 'public' "
                        "AND (column_name = 'id' OR column_name LIKE '%\\_id')"
                    )
                ).all()
            )
            session.execute(
                text("SELECT setval(pg_get_serial_sequence('members', 'id'), :v)"), {"v": 2**40}
            )
        assert kinds["members.id"] == "bigint" and kinds["deals.licensee_id"] == "bigint"
        assert [k for k, v in kinds.items() if v == "integer"] == []
        m = s.members.join(handle="big", name="", payout_account="acct:big")
        assert m.id == 2**40 + 1
        assert s.members.get(m.id).handle == "big"
    finally:
        s.close()
