"""The OpenAPI description tells the truth (who may call, our error body, media types), the
docs page needs no network, and a wrong method is a 405 that says what is allowed."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.coalition import terms
from tests.conftest import MakeSyndic
from tests.integration.api.callers import Coalition, coalition, documented, operations


@pytest.fixture
def api(make_syndic: MakeSyndic) -> Coalition:
    return coalition(make_syndic)


def _spec(c: Coalition) -> dict[str, Any]:
    r = c.client.get("/openapi.json")
    assert r.status_code == 200
    return dict(r.json())


def test_security_schemes_and_each_routes_role(api: Coalition) -> None:
    spec = _spec(api)
    assert set(spec["components"]["securitySchemes"]) == {
        "apiKey",
        "licenceToken",
        "clientCredentials",
    }
    table = documented()
    for method, route in operations():
        op = spec["paths"][route.path_format][method.lower()]
        who = table[(method, route.path)]
        assert ", ".join(op["x-roles"]) == who, route.path
        assert f"**Who:** {who}" in op["description"]
        schemes = {name for requirement in op["security"] for name in requirement}
        if who == "anyone":
            assert op["security"] == []
        elif who == "access token":
            assert schemes == {"licenceToken"}
        elif who == "licensee (client credentials)":
            assert schemes == {"clientCredentials", "apiKey"}
        else:
            assert "apiKey" in schemes
            assert {"401", "403"} <= set(op["responses"]) or who.startswith("anyone")


def test_errors_are_documented_with_our_body(api: Coalition) -> None:
    spec = _spec(api)
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["Error"]["properties"]["error"]["required"] == ["code", "message"]
    text = str(spec)
    assert "HTTPValidationError" not in text
    seen: set[str] = set()
    for path in spec["paths"].values():
        for op in path.values():
            for code, answer in op["responses"].items():
                if int(code) >= 400:
                    seen.add(code)
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/Error"
    assert {"401", "403", "404", "409", "413", "422", "503"} <= seen
    busy = spec["paths"]["/v1/members"]["post"]["responses"]["503"]
    assert "Retry-After" in busy["headers"]


def test_media_types(api: Coalition) -> None:
    paths = _spec(api)["paths"]

    def types(path: str) -> set[str]:
        return set(paths[path]["get"]["responses"]["200"]["content"])

    assert types("/license.xml") == {"application/rsl+xml"}
    assert types("/v1/agreements/{agreement_id}/rsl") == {"application/rsl+xml"}
    assert types("/v1/valuation/members/{member_id}/chart.svg") == {"image/svg+xml"}
    assert types("/v1/agreements/{agreement_id}/dataset.jsonl") == {"application/jsonl"}
    api.w.s.terms.publish(terms())
    with api.client as http:
        served = http.get("/license.xml")
        assert served.status_code == 200
        assert served.headers["content-type"].startswith("application/rsl+xml")


def test_docs_page_is_served_offline(api: Coalition) -> None:
    with api.client as http:
        page = http.get("/docs")
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and all(a.startswith("/docs/assets/") for a in assets), assets
        assert "://" not in " ".join(assets)
        for asset in assets:
            r = http.get(asset)
            assert r.status_code == 200 and len(r.content) > 500, asset
        js = http.get("/docs/assets/swagger-ui-bundle.js")
        assert "SwaggerUIBundle" in js.text


def test_a_wrong_method_is_405_with_allow(api: Coalition) -> None:
    with api.client as http:
        r = http.delete("/v1/charter")
        assert r.status_code == 405
        assert set(r.headers["Allow"].split(", ")) == {"GET", "POST"}
        assert r.json()["error"]["code"] == "method_not_allowed"
        r = http.patch("/v1/delegations", headers=api.headers("member"))
        assert set(r.headers["Allow"].split(", ")) == {"GET", "PUT", "DELETE"}
        r = http.get("/v1/payouts")
        assert r.status_code == 405 and r.headers["Allow"] == "POST"


def test_a_body_over_the_limit_is_413(api: Coalition) -> None:
    from syndic.api.deps import MAX_BODY

    big = b'{"handle": "' + b"x" * MAX_BODY + b'"}'
    with api.client as http:
        r = http.post(
            "/v1/members",
            content=big,
            headers={**api.headers("steward"), "Content-Type": "application/json"},
        )
        assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
        # who may send it is decided first: a stranger gets 401, not 413
        assert http.post("/v1/members", content=big).status_code == 401
