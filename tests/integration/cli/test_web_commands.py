"""``syndic login-link`` and ``syndic member mandate``, through the real entry point; and the
mandate over the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from syndic.api.app import create_app
from syndic.app import Syndic
from syndic.auth.models import Role
from tests.integration.cli.test_cli import run


@pytest.fixture
def data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    d = str(tmp_path / "d")
    assert run(capsys, "--data-dir", d, "init", "--name", "C")[0] == 0
    for h in ("alice", "bob"):
        args = ["member", "join", "--handle", h, "--payout-account", f"acct:{h}", "--data-dir", d]
        assert run(capsys, *args)[0] == 0
    return d


def test_login_link_prints_a_link_that_works_once(
    data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "login-link", "--member", "1", "--ttl", "2h", "--data-dir", data_dir)
    assert code == 0
    url = out.strip()
    assert url.startswith("http://127.0.0.1:8000/signin/link?token=syl_")
    s = Syndic.open(data_dir)
    try:
        _, who = s.signin.redeem(url.split("token=", 1)[1])
        assert (who.role, who.subject_id) == (Role.MEMBER, 1)
    finally:
        s.close()
    assert run(capsys, "login-link", "--steward", "--data-dir", data_dir)[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of"),
        (["--member", "1", "--steward"], "exactly one of"),
        (["--member", "9"], "no member with id 9"),
        (["--licensee", "1"], "no licensee"),
        (["--steward", "--ttl", "forever"], "a lifetime is"),
    ],
)
def test_login_link_refusals_are_one_line(
    data_dir: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "login-link", *args, "--data-dir", data_dir)
    assert code != 0 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_member_mandate_changes_and_refuses(
    data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        *["member", "mandate", "1", "--prohibit", "ai-train", "--floor-price", "12.50"],
        *["--no-vlop", "--json", "--data-dir", data_dir],
    )
    assert code == 0
    mandate = json.loads(out)["mandate"]
    assert mandate["prohibited_usages"] == ["ai-train"]
    assert mandate["floor_price_minor"] == 1250 and mandate["allow_vlop"] is False
    code, out, err = run(
        capsys, "member", "mandate", "1", "--prohibit", "x", "--data-dir", data_dir
    )
    assert code == 2 and "unknown usage 'x'" in err
    code, _, err = run(capsys, "member", "mandate", "1", "--no-red-lines", "--data-dir", data_dir)
    assert code == 0
    s = Syndic.open(data_dir)
    try:
        assert s.members.get(1).mandate["prohibited_usages"] == []
        assert s.event_counts()["member.mandate_changed"] == 2
    finally:
        s.close()


def test_the_mandate_over_the_api_is_the_members_own(data_dir: str) -> None:
    s = Syndic.open(data_dir)
    try:
        alice = s.keys.create(role=Role.MEMBER, subject_id=1)
        with TestClient(create_app(s)) as c:
            r = c.put(
                "/v1/members/1/mandate",
                json={"allow_vlop": False},
                headers={"Authorization": f"Bearer {alice}"},
            )
            assert r.status_code == 200 and r.json()["mandate"]["allow_vlop"] is False
            r = c.put(
                "/v1/members/2/mandate",
                json={"allow_vlop": False},
                headers={"Authorization": f"Bearer {alice}"},
            )
            assert r.status_code == 403
            assert s.members.get(2).mandate["allow_vlop"] is True
    finally:
        s.close()
