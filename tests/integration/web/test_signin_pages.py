"""Signing in and out on the pages, and what is refused: forged forms, replayed cookies,
other members' pages, the wrong role, dead links; error pages that show nothing secret."""

from __future__ import annotations

import re

import pytest

from syndic.auth.models import Role
from tests.coalition import World, world
from tests.conftest import MakeSyndic
from tests.integration.web.helpers import Visitor, csrf_of


@pytest.fixture
def w(make_syndic: MakeSyndic) -> World:
    return world(make_syndic, n=2)


def test_a_member_signs_in_with_a_link_and_lands_on_their_dashboard(w: World) -> None:
    v = Visitor(w.s)
    r = v.sign_in(Role.MEMBER, w.members[0])
    assert r.status_code == 303 and r.headers["location"] == f"/members/{w.members[0]}"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    page = v.get(f"/members/{w.members[0]}")
    assert page.status_code == 200 and "m0" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"


def test_a_used_or_expired_link_gets_a_page_offering_a_new_one(w: World) -> None:
    v = Visitor(w.s)
    url = w.s.login_link(role=Role.MEMBER, subject_id=w.members[0], base_url="http://testserver")
    token = url.split("token=", 1)[1]
    assert v.submit(url, "/signin/link", {"token": token}).status_code == 200
    again = Visitor(w.s).submit(url, "/signin/link", {"token": token})
    assert again.status_code == 410
    assert "already been used" in again.text and "Send me a new link" in again.text
    late = w.s.login_link(role=Role.MEMBER, subject_id=w.members[0], base_url="http://testserver")
    w.clock.advance(w.s.signin.session_ttl)
    r = Visitor(w.s).submit(late, "/signin/link", {"token": late.split("token=", 1)[1]})
    assert r.status_code == 410 and "expired" in r.text


def test_a_forged_csrf_token_is_refused_and_nothing_is_written(w: World) -> None:
    v = Visitor(w.s)
    v.sign_in(Role.MEMBER, w.members[0])
    before = w.events()
    r = v.client.post("/signout", data={"csrf": "forged"})
    assert r.status_code == 403 and "did not come from this site" in r.text
    r = v.client.post("/signout", data={})
    assert r.status_code == 403
    assert w.events() == before
    assert v.get(f"/members/{w.members[0]}").status_code == 200  # still signed in


def test_a_cookie_replayed_after_sign_out_is_worth_nothing(w: World) -> None:
    v = Visitor(w.s)
    v.sign_in(Role.MEMBER, w.members[0])
    stolen = v.session_cookie()
    page = f"/members/{w.members[0]}"
    out = v.submit(page, "/signout", {})
    assert out.status_code == 200 and "signed out" in out.text
    thief = Visitor(w.s)
    thief.client.cookies.set("syndic_session", stolen)
    r = thief.get(page)
    assert r.status_code == 401 and "Sign in" in r.text and not shows(r.text, "m0")
    # a cookie made up without the server's secret is refused before the database is asked
    thief.client.cookies.set("syndic_session", stolen.rsplit(".", 1)[0] + ".forged")
    assert thief.get(page).status_code == 401


def test_one_member_cannot_open_anothers_pages_and_the_attempt_is_logged(w: World) -> None:
    a, b = w.members
    v = Visitor(w.s)
    v.sign_in(Role.MEMBER, a)
    for path in (
        f"/members/{b}",
        f"/members/{b}/money",
        f"/members/{b}/statements/1",
        f"/members/{b}/data.zip",
        f"/works/{w.works[1]}",
        f"/works/{w.works[1]}/receipt.json",
    ):
        r = v.get(path)
        assert r.status_code == 403, path
        assert not shows(r.text, "m1") and not shows(r.text, "W1")
    before = w.s.members.get(b).mandate
    token = csrf_of(v.get(f"/members/{a}/mandate").text)  # a's own, valid token
    r = v.client.post(f"/members/{b}/mandate", data={"csrf": token, "vlop": "refuse"})
    assert r.status_code == 403 and w.s.members.get(b).mandate == before
    denied = w.payloads("access.denied")
    assert {d["resource"] for d in denied} >= {f"member:{b}", f"work:{w.works[1]}"}


def shows(html: str, word: str) -> bool:
    """Whether ``word`` is on the page as text (not inside a tag, where random tokens live)."""
    return re.search(rf"\b{re.escape(word)}\b", re.sub(r"<[^>]*>", " ", html)) is not None


def test_the_wrong_role_gets_a_403_page_not_data(w: World) -> None:
    v = Visitor(w.s)
    v.sign_in(Role.LICENSEE, w.lab)
    r = v.get(f"/members/{w.members[0]}")
    assert r.status_code == 403 and "member or steward role" in r.text
    assert not shows(r.text, "m0")


def test_pages_without_a_session_ask_to_sign_in(w: World) -> None:
    r = Visitor(w.s).get(f"/members/{w.members[0]}")
    assert r.status_code == 401 and "Send me a sign-in link" in r.text


def test_the_sign_in_form_says_the_same_for_known_and_unknown_addresses(w: World) -> None:
    v = Visitor(w.s)
    known = v.submit("/signin", "/signin", {"email": "lab@example.org"})
    unknown = v.submit("/signin", "/signin", {"email": "stranger@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("lab@example.org", "X") == unknown.text.replace(
        "stranger@example.org", "X"
    ).replace(csrf_of(unknown.text), csrf_of(known.text))
    bad = v.submit("/signin", "/signin", {"email": "nope"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    assert 'id="email-error"' in bad.text


def test_an_error_page_shows_no_traceback_or_secret(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = Visitor(w.s)
    v.sign_in(Role.MEMBER, w.members[0])
    cookie = v.session_cookie()

    def broken(member_id: int) -> None:
        raise RuntimeError(f"database password hunter2 leaked for {member_id}")

    monkeypatch.setattr(w.s.members, "get", broken)
    r = v.get(f"/members/{w.members[0]}")
    assert r.status_code == 500
    for secret in ("hunter2", "Traceback", "RuntimeError", cookie.split(".")[0]):
        assert secret not in r.text
    assert v.get("/no/such/page").status_code == 404


def test_api_keys_keep_working_beside_the_pages(w: World) -> None:
    key = w.s.keys.create(role=Role.MEMBER, subject_id=w.members[0])
    v = Visitor(w.s)
    r = v.client.get(f"/v1/members/{w.members[0]}", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.json()["handle"] == "m0"
    assert v.get("/v1/members/1").json()["error"]["code"] == "unauthorized"
