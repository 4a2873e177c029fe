"""API keys listed and revoked (revocation takes effect on the very next request, over real
HTTP), a member who left rejoins, and one length policy for names and titles."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from syndic.api.app import create_app
from syndic.api.serving import serving_app
from syndic.app import Syndic
from syndic.auth.service import Role
from syndic.cli.main import main
from syndic.errors import InvalidInput
from syndic.members.service import NewWork
from syndic.validation import NAME_MAX, TITLE_MAX
from tests.conftest import MakeSyndic


def h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_keys_are_listed_and_revocation_is_immediate_over_http(make_syndic: MakeSyndic) -> None:
    syndic = make_syndic()
    m = syndic.members.join(handle="ana", name="Ana", payout_account="acct:ana")
    b = syndic.members.join(handle="bo", name="Bo", payout_account="acct:bo")
    steward = syndic.keys.create(role=Role.STEWARD, subject_id=None, label="desk")
    ana = syndic.keys.create(role=Role.MEMBER, subject_id=m.id, label="laptop")
    ana2 = syndic.keys.create(role=Role.MEMBER, subject_id=m.id, label="phone")
    bo = syndic.keys.create(role=Role.MEMBER, subject_id=b.id)
    with serving_app(create_app(syndic), what="the API") as base, httpx.Client(base_url=base) as c:
        listed = c.get("/v1/keys", headers=h(steward)).json()
        assert [k["label"] for k in listed] == ["desk", "laptop", "phone", ""]
        assert all(set(k) >= {"id", "role", "created_at"} and "key" not in k for k in listed)
        mine = c.get("/v1/keys", headers=h(ana)).json()
        assert [k["label"] for k in mine] == ["laptop", "phone"]
        phone_id = mine[1]["id"]
        # another member's key is not theirs to revoke, and is not even said to exist
        bo_id = listed[3]["id"]
        r = c.post(f"/v1/keys/{bo_id}/revoke", headers=h(ana))
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        assert c.get(f"/v1/members/{b.id}", headers=h(bo)).status_code == 200
        # the member revokes their own phone key: it fails on the next request
        assert c.get(f"/v1/members/{m.id}", headers=h(ana2)).status_code == 200
        r = c.post(f"/v1/keys/{phone_id}/revoke", headers=h(ana), json={"reason": "lost"})
        assert r.status_code == 200 and r.json()["revoked_at"] is not None
        assert c.get(f"/v1/members/{m.id}", headers=h(ana2)).status_code == 401
        assert c.get(f"/v1/members/{m.id}", headers=h(ana)).status_code == 200
        again = c.post(f"/v1/keys/{phone_id}/revoke", headers=h(steward))
        assert again.status_code == 409
        # the steward revokes Bo's key
        assert c.post(f"/v1/keys/{bo_id}/revoke", headers=h(steward)).status_code == 200
        assert c.get(f"/v1/members/{b.id}", headers=h(bo)).status_code == 401
        in_force = c.get("/v1/keys", headers=h(steward)).json()
        assert [k["label"] for k in in_force] == ["desk", "laptop"]
        every = c.get("/v1/keys", params={"revoked": "true"}, headers=h(steward)).json()
        assert len(every) == 4
    assert syndic.event_counts().get("apikey.revoked") == 2


def test_key_list_and_revoke_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(tmp_path / "d")]
    assert main([*d, "init", "--name", "C"]) == 0
    assert main([*d, "key", "create", "--role", "steward", "--label", "ops"]) == 0
    assert main([*d, "key", "list", "--json"]) == 0
    capsys.readouterr()
    assert main([*d, "key", "revoke", "1", "--reason", "rotated"]) == 0
    assert capsys.readouterr().out.strip() == "API key 1 revoked"
    assert main([*d, "key", "revoke", "1"]) == 2
    assert capsys.readouterr().err.strip() == "error: API key 1 was already revoked"
    assert main([*d, "key", "revoke", "99"]) == 2
    assert capsys.readouterr().err.strip() == "error: no API key with id 99"


def test_a_member_who_left_rejoins(make_syndic: MakeSyndic) -> None:
    syndic = make_syndic()
    m = syndic.members.join(handle="ana", name="Ana", payout_account="acct:ana")
    steward = syndic.keys.create(role=Role.STEWARD, subject_id=None)
    own = syndic.keys.create(role=Role.MEMBER, subject_id=m.id)
    with serving_app(create_app(syndic), what="the API") as base, httpx.Client(base_url=base) as c:
        r = c.post(f"/v1/members/{m.id}/rejoin", headers=h(steward))
        assert r.status_code == 409 and "has not left" in r.json()["error"]["message"]
        assert c.post(f"/v1/members/{m.id}/leave", headers=h(own)).json()["status"] == "left"
        assert c.post(f"/v1/members/{m.id}/rejoin", headers=h(own)).status_code == 403
        r = c.post(f"/v1/members/{m.id}/rejoin", headers=h(steward))
        assert r.status_code == 200 and r.json()["status"] == "active"
    counts = syndic.event_counts()
    assert counts["member.left"] == counts["member.rejoined"] == 1


def _entries(syndic: Syndic) -> int:
    return sum(syndic.event_counts().values())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("handle", "x" * 5000, f"a member handle is 5,000 characters; the limit is {NAME_MAX}"),
        ("name", "y" * (NAME_MAX + 1), "a member name is 201 characters"),
        ("handle", "   ", "a member handle must not be empty"),
        ("handle", "a\nb", "must not contain control characters"),
        ("payout_account", "z" * 300, "a payout account is 300 characters"),
    ],
)
def test_one_length_policy_for_names(
    make_syndic: MakeSyndic, field: str, value: str, message: str
) -> None:
    syndic = make_syndic()
    before = _entries(syndic)
    args = {"handle": "ok", "name": "Ok", "payout_account": "acct:ok", field: value}
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(")):
        syndic.members.join(**args)
    assert _entries(syndic) == before and syndic.members.list_members() == []


def test_a_title_over_the_limit_is_refused_before_anything_is_stored(
    make_syndic: MakeSyndic,
) -> None:
    syndic = make_syndic()
    m = syndic.members.join(handle="ana", name="Ana", payout_account="acct:ana")
    before = _entries(syndic)
    blobs = sorted(p for p in syndic.settings.vault_dir.rglob("*") if p.is_file())
    work = NewWork(
        content=b"text",
        title="t" * 70_000,
        kind="text",
        collection="",
        holders=[(m.id, 10_000)],
        meta={},
    )
    with pytest.raises(InvalidInput, match=f"the limit is {TITLE_MAX:,}"):
        syndic.members.register_work(work, registered_by=m.id)
    assert _entries(syndic) == before
    assert sorted(p for p in syndic.settings.vault_dir.rglob("*") if p.is_file()) == blobs
