"""One-time sign-in links and the sessions they start: once, until they expire, until sign-out."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from syndic.auth.models import Role
from syndic.auth.signin import parse_ttl
from syndic.errors import AuthError, InvalidInput, LinkInvalid, NotFound
from syndic.testing import ManualClock
from tests.conftest import MakeSyndic


def test_a_link_signs_in_once_and_its_session_ends_on_sign_out(
    make_syndic: MakeSyndic, backend: str
) -> None:
    clock = ManualClock()
    s = make_syndic(clock=clock)
    m = s.members.join(handle="alice", name="Alice", payout_account="acct:a")
    token = s.signin.issue_link(role=Role.MEMBER, subject_id=m.id)
    session_token, who = s.signin.redeem(token)
    assert (who.role, who.subject_id, who.key_id) == (Role.MEMBER, m.id, None)
    assert s.signin.authenticate(session_token) == who
    with pytest.raises(LinkInvalid, match="already been used"):
        s.signin.redeem(token)
    s.signin.end(session_token)
    with pytest.raises(AuthError, match="signed out"):
        s.signin.authenticate(session_token)
    kinds = list(s.event_counts())
    assert {"signin.link_issued", "signin.session_started", "signin.session_ended"} <= set(kinds)
    # neither token reaches the log
    for i in range(s.provenance.checkpoint().size):
        entry = s.provenance.entry(i).decode()
        assert token not in entry and session_token not in entry


def test_an_expired_or_unknown_link_is_refused_and_starts_nothing(make_syndic: MakeSyndic) -> None:
    clock = ManualClock()
    s = make_syndic(clock=clock)
    token = s.signin.issue_link(role=Role.STEWARD, subject_id=None, ttl=timedelta(minutes=5))
    clock.advance(timedelta(minutes=5))
    before = s.event_counts()
    with pytest.raises(LinkInvalid, match="expired"):
        s.signin.redeem(token)
    with pytest.raises(LinkInvalid, match="not valid"):
        s.signin.redeem("syl_made-up")
    assert s.event_counts() == before


def test_a_session_expires(make_syndic: MakeSyndic) -> None:
    clock = ManualClock()
    s = make_syndic(clock=clock)
    session_token, _ = s.signin.redeem(s.signin.issue_link(role=Role.STEWARD, subject_id=None))
    clock.advance(s.signin.session_ttl)
    with pytest.raises(AuthError, match="expired"):
        s.signin.authenticate(session_token)


def test_links_are_refused_for_nobody_or_for_too_long(make_syndic: MakeSyndic) -> None:
    s = make_syndic()
    with pytest.raises(InvalidInput, match="need an id"):
        s.signin.issue_link(role=Role.MEMBER, subject_id=None)
    with pytest.raises(InvalidInput, match="takes none"):
        s.signin.issue_link(role=Role.STEWARD, subject_id=3)
    with pytest.raises(NotFound):
        s.signin.issue_link(role=Role.MEMBER, subject_id=99)
    with pytest.raises(InvalidInput, match="7 days"):
        s.signin.issue_link(role=Role.STEWARD, subject_id=None, ttl=timedelta(days=8))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("15m", timedelta(minutes=15)), ("2h", timedelta(hours=2)), ("1d", timedelta(days=1))],
)
def test_ttl_words(text: str, expected: timedelta) -> None:
    assert parse_ttl(text) == expected


@pytest.mark.parametrize("text", ["", "15", "m", "-1m", "0s", "8d", "1w"])
def test_bad_ttl_words_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_ttl(text)


def test_a_link_asked_for_by_e_mail_goes_to_the_outbox(make_syndic: MakeSyndic) -> None:
    s = make_syndic()
    m = s.members.join(
        handle="alice", name="Alice", payout_account="acct:a", email="Alice@Example.org"
    )
    assert s.members.by_email("alice@example.org") == s.members.get(m.id)
    assert s.request_login_link("ALICE@example.org ") is True
    assert s.request_login_link("nobody@example.org") is False
    mails = [
        json.loads(x) for x in (s.settings.data_dir / "outbox.jsonl").read_text().split("\n") if x
    ]
    assert len(mails) == 1
    assert mails[0]["to"] == "alice@example.org"
    url = next(w for w in mails[0]["body"].split() if "/signin/link?token=" in w)
    _, who = s.signin.redeem(url.split("token=", 1)[1])
    assert who.subject_id == m.id


def test_a_malformed_e_mail_address_is_refused_at_joining(make_syndic: MakeSyndic) -> None:
    s = make_syndic()
    with pytest.raises(InvalidInput, match="e-mail"):
        s.members.join(handle="bob", name="", payout_account="acct:b", email="not-an-address")
    assert s.members.list_members() == []
