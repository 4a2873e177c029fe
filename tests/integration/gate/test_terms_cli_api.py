"""terms publish / crawlers refresh / gate check over the real CLI, and the terms files and
the OLP-style token endpoint over real HTTP."""

from __future__ import annotations

import base64
import contextlib
import io
import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from syndic.api.app import create_app
from syndic.auth.service import Role
from syndic.cli.main import main
from syndic.terms.robots import RobotsTxt
from syndic.terms.rsl import parse_rsl
from syndic.testing import ManualClock
from tests.conftest import MakeSyndic
from tests.integration.gate.helpers import active_agreement, serve


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_terms_publish_writes_every_format(make_syndic: MakeSyndic, tmp_path: Path) -> None:
    s = make_syndic()
    d = str(s.settings.data_dir)
    assert run("terms", "set", "--permit", "ai-train", "--price", "100.00", "--data-dir", d)[0] == 0
    code, out, _ = run(
        "terms",
        "publish",
        "--out",
        str(tmp_path / "www"),
        "--base-url",
        "https://c.example",
        "--json",
        "--data-dir",
        d,
    )
    assert code == 0
    assert sorted(json.loads(out)["files"]) == sorted(
        [
            "_headers",
            ".well-known/tdmrep.json",
            "ai.txt",
            "license.xml",
            "robots.txt",
            "tdm-policy.json",
        ]
    )
    robots = (tmp_path / "www/robots.txt").read_text()
    assert "License: https://c.example/license.xml" in robots
    assert not RobotsTxt.parse(robots).allowed("/", "GPTBot")
    lic = parse_rsl((tmp_path / "www/license.xml").read_bytes())
    assert lic.contents[0].server == "https://c.example/v1/olp"  # the server, not its /token


def test_terms_publish_without_terms_is_a_clear_error(
    make_syndic: MakeSyndic, tmp_path: Path
) -> None:
    s = make_syndic()
    code, _, err = run(
        "terms", "publish", "--out", str(tmp_path / "www"), "--data-dir", str(s.settings.data_dir)
    )
    assert code == 2 and err.startswith("error: ") and "not published terms" in err
    assert not (tmp_path / "www").exists()


def test_crawler_list_refresh_from_a_url(make_syndic: MakeSyndic) -> None:
    s = make_syndic()
    d = str(s.settings.data_dir)
    body = json.dumps({"FreshBot": {"operator": "x", "function": "AI data scraper"}}).encode()

    async def robots_json(request: object) -> Response:
        return Response(body, media_type="application/json")

    async def broken(request: object) -> Response:
        return Response(b"<html>oops", media_type="text/html")

    app = Starlette(routes=[Route("/robots.json", robots_json), Route("/broken.json", broken)])
    with serve(app) as url:
        code, _, err = run(
            "terms", "crawlers", "refresh", "--from", url + "/broken.json", "--data-dir", d
        )
        assert code == 2 and "not JSON" in err
        assert (
            run("terms", "crawlers", "refresh", "--from", url + "/robots.json", "--data-dir", d)[0]
            == 0
        )
    code, out, _ = run("terms", "crawlers", "list", "--json", "--data-dir", d)
    assert json.loads(out)["crawlers"][0]["name"] == "FreshBot"


def test_gate_refuses_a_bad_policy_at_start_naming_the_line(
    make_syndic: MakeSyndic, tmp_path: Path
) -> None:
    s = make_syndic()
    bad = tmp_path / "policy.yaml"
    bad.write_text("site: a\nrules:\n  - if: {always: true}\n    then: fly\n")
    code, _, err = run(
        "gate",
        "--upstream",
        "http://127.0.0.1:9",
        "--policy",
        str(bad),
        "--data-dir",
        str(s.settings.data_dir),
    )
    assert code == 2 and "line 4" in err and "unknown action" in err
    code, _, err = run("gate", "check", str(bad))
    assert code == 2 and "line 4" in err
    good = tmp_path / "good.yaml"
    good.write_text(
        "site: a\nrules:\n  - name: all\n    if: {always: true}\n    then: {refuse: 403}\n"
        "hosts: [a.example]\n"
    )
    code, out, _ = run("gate", "check", str(good))
    assert code == 0 and "line 3: all -> refuse 403" in out
    code, _, err = run(
        "gate",
        "--upstream",
        "ftp://x",
        "--policy",
        str(good),
        "--data-dir",
        str(s.settings.data_dir),
    )
    assert code != 0 and "http(s) URL" in err


def test_terms_files_and_licence_tokens_over_http(make_syndic: MakeSyndic) -> None:
    s = make_syndic(clock=ManualClock())
    _, licensee, agreement = active_agreement(s)
    key = s.keys.create(role=Role.LICENSEE, subject_id=licensee, label="lab")
    member_key = s.keys.create(role=Role.STEWARD, subject_id=None, label="steward")
    with serve(create_app(s)) as url, httpx.Client(base_url=url) as http:
        r = http.get("/license.xml")
        assert r.headers["content-type"].startswith("application/rsl+xml")
        content = parse_rsl(r.content).contents[0]
        assert content.licenses[0].permits.usage and content.server is not None
        assert "User-Agent: GPTBot" in http.get("/robots.txt").text
        assert http.get("/.well-known/tdmrep.json").json()[0]["tdm-reservation"] == 1
        basic = "Basic " + base64.b64encode(f"{licensee}:{key}".encode()).decode()
        tok = http.post(  # OLP: the client POSTs to <server>/token, as the licence names it
            urlsplit(content.server).path + "/token",
            data={"grant_type": "client_credentials", "usage": "ai-train"},
            headers={"Authorization": basic},
        )
        assert tok.status_code == 200, tok.text
        body = tok.json()
        assert body["token_type"] == "License" and body["agreement_id"] == agreement
        intro = http.post("/v1/olp/introspect", data={"token": body["access_token"]}).json()
        assert intro["active"] and intro["agreement_id"] == agreement
        assert http.post("/v1/olp/introspect", data={"token": "syl_forged"}).json() == {
            "active": False
        }
        rsl_req = '<license><permits type="usage">ai-train</permits></license>'
        assert (
            http.post(
                "/v1/olp/token",
                json={"grant_type": "rsl", "license": rsl_req},
                headers={"Authorization": basic},
            ).status_code
            == 200
        )
        refusals = [
            (
                http.post(
                    "/v1/olp/token",
                    data={"grant_type": "client_credentials", "usage": "ai-input"},
                    headers={"Authorization": basic},
                ),
                400,
                "invalid_grant",
            ),
            (
                http.post(
                    "/v1/olp/token",
                    data={"grant_type": "password"},
                    headers={"Authorization": basic},
                ),
                422,
                "invalid_input",
            ),
            (
                http.post(
                    "/v1/olp/token",
                    data={"grant_type": "client_credentials"},
                    headers={"Authorization": "Basic " + base64.b64encode(b"1:syk_wrong").decode()},
                ),
                401,
                "unauthorized",
            ),
            (
                http.post("/v1/olp/token", data={"grant_type": "client_credentials"}),
                401,
                "unauthorized",
            ),
            (
                http.post(
                    "/v1/olp/token",
                    data={"grant_type": "client_credentials"},
                    headers={"Authorization": f"Bearer {member_key}"},
                ),
                401,
                "unauthorized",
            ),
            (
                http.post(
                    "/v1/olp/token",
                    data={"grant_type": "rsl", "license": "<license><permits>"},
                    headers={"Authorization": basic},
                ),
                422,
                "rsl_invalid",
            ),
            (
                http.post(
                    "/v1/olp/token",
                    data={"grant_type": "client_credentials", "agreement_id": "x"},
                    headers={"Authorization": basic},
                ),
                422,
                "invalid_input",
            ),
        ]
        for r, status, code in refusals:
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text


@pytest.mark.parametrize("path", ["/license.xml", "/robots.txt", "/ai.txt"])
def test_terms_files_before_terms_exist_are_404(make_syndic: MakeSyndic, path: str) -> None:
    s = make_syndic()
    with serve(create_app(s)) as url:
        r = httpx.get(url + path)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
