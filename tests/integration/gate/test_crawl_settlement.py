"""Pay-per-crawl money reaches the member whose site was crawled: charges made through the real
gate over HTTP, collected from the crawler, credited to the member, paid by a payout run."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from syndic.api.app import create_app
from syndic.auth.service import Role
from syndic.cli.main import main
from syndic.errors import InvalidInput, NotFound
from syndic.gate.port import DecisionRecord
from syndic.payouts.ledger import CASH, Ledger
from syndic.payouts.models import CrawlSettlement, Payout
from tests.conftest import MakeSyndic
from tests.integration.gate.helpers import serve
from tests.integration.gate.test_gate_http import Env, _env


@pytest.fixture
def env(backend: str, make_syndic: MakeSyndic) -> Iterator[Env]:
    yield from _env(make_syndic)


def _charge(env: Env, nonce: str) -> None:
    headers = env.signed("/papers/9", extra={"crawler-max-price": "EUR 0.10"}, nonce=nonce)
    r = env.http.get("/papers/9", headers=headers)
    assert r.status_code == 200 and r.headers["crawler-charged"] == "EUR 0.05"


def _balances(env: Env) -> dict[str, int]:
    accounts = {
        "cash": CASH,
        "receivable": f"receivable:crawler:{env.agent}"[:120],
        "charged": "crawl:charged:alice-site",
        "member": f"payable:member:{env.member}",
    }
    with env.s.db.read() as s:
        return {k: Ledger.balance(s, a) for k, a in accounts.items()}


def test_collected_money_is_credited_to_the_site_member_and_paid_out(env: Env) -> None:
    _charge(env, "a")
    _charge(env, "b")
    (row,) = env.s.payouts.crawl_owed()
    assert (row.agent, row.site, row.member_id, row.currency) == (
        env.agent,
        "alice-site",
        env.member,
        "EUR",
    )
    assert (row.charged_minor, row.settled_minor, row.owed_minor) == (10, 0, 10)

    parts = env.s.payouts.collect_crawl(env.agent, 4)
    assert [(p.site, p.member_id, p.amount_minor) for p in parts] == [("alice-site", env.member, 4)]
    assert _balances(env) == {"cash": 4, "receivable": 6, "charged": -6, "member": -4}

    before = _balances(env)
    with pytest.raises(InvalidInput, match=r"owes 0\.06 EUR payable to members; cannot collect"):
        env.s.payouts.collect_crawl(env.agent, 7)
    assert _balances(env) == before  # a refusal writes nothing

    env.s.payouts.collect_crawl(env.agent, 6)
    assert env.s.payouts.crawl_owed()[0].owed_minor == 0
    with pytest.raises(NotFound, match="owes nothing"):
        env.s.payouts.collect_crawl(env.agent, 1)
    assert env.s.payouts.pay_out() == 10
    assert _balances(env) == {"cash": 0, "receivable": 0, "charged": 0, "member": 0}
    with env.s.db.read() as s:
        paid = s.scalars(select(Payout)).all()
        assert [(p.member_id, p.amount_minor) for p in paid] == [(env.member, 10)]
        assert s.scalar(select(func.sum(CrawlSettlement.amount_minor))) == 10


def test_refusals(env: Env) -> None:
    with pytest.raises(NotFound, match="owes nothing"):
        env.s.payouts.collect_crawl("https://nobody.example", 5)
    _charge(env, "a")
    for bad in (0, -5):
        with pytest.raises(InvalidInput):
            env.s.payouts.collect_crawl(env.agent, bad)
    # a charge on a site whose policy names no member stays owed: nobody to pay it to
    shared = DecisionRecord(
        site="coalition-site",
        outcome="charged",
        rule="pay-per-crawl",
        status=200,
        agent=env.agent,
        path="/x",
        at=env.clock.now(),
        member_id=None,
        charged_minor=7,
        currency="EUR",
        charge_nonce="test:shared",
    )
    env.gate.port.book_charge(shared)  # receivable against the site's account
    with pytest.raises(InvalidInput, match=r"coalition-site \(EUR\) cannot be paid to a member"):
        env.s.payouts.collect_crawl(env.agent, 6)
    parts = env.s.payouts.collect_crawl(env.agent, 5)  # what alice-site is owed can be
    assert [(p.site, p.amount_minor) for p in parts] == [("alice-site", 5)]


@pytest.fixture
def env_sqlite(make_syndic: MakeSyndic) -> Iterator[Env]:
    yield from _env(make_syndic)


def test_cli_lists_and_collects(env_sqlite: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env = env_sqlite
    _charge(env, "a")
    d = ["--data-dir", str(env.s.settings.data_dir)]
    assert main([*d, "payout", "crawl-owed", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["owed_minor"] == 5 and row["member"] == env.member
    assert main([*d, "payout", "crawl-collect", "--agent", env.agent, "--amount", "1.00"]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "cannot collect 1.00 EUR" in err and "Traceback" not in err
    code = main([*d, "payout", "crawl-collect", "--agent", env.agent, "--amount", "0.05", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["credited"] == [{"site": "alice-site", "member": env.member, "amount_minor": 5}]


def test_api_lists_and_collects_for_the_steward_only(env_sqlite: Env) -> None:
    env = env_sqlite
    _charge(env, "a")
    steward = {"Authorization": f"Bearer {env.s.keys.create(role=Role.STEWARD, subject_id=None)}"}
    member = {
        "Authorization": f"Bearer {env.s.keys.create(role=Role.MEMBER, subject_id=env.member)}"
    }
    with serve(create_app(env.s)) as url, httpx.Client(base_url=url) as api:
        assert api.get("/v1/crawl-charges").status_code == 401
        assert api.get("/v1/crawl-charges", headers=member).status_code == 403
        (row,) = api.get("/v1/crawl-charges", headers=steward).json()
        assert row["owed_minor"] == 5 and row["agent"] == env.agent
        body = {"agent": env.agent, "amount_minor": 6}
        r = api.post("/v1/crawl-charges/collections", headers=steward, json=body)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
        body["amount_minor"] = 5
        r = api.post("/v1/crawl-charges/collections", headers=steward, json=body)
        assert r.status_code == 201, r.text
        assert r.json()["credited"] == [
            {"site": "alice-site", "member": env.member, "amount_minor": 5}
        ]
        unknown = {"agent": "nobody", "amount_minor": 1}
        r = api.post("/v1/crawl-charges/collections", headers=steward, json=unknown)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
