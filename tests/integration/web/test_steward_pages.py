"""The steward's pages over HTTP: the pipeline's buttons call the same services as the CLI and
API; members and works search; payouts; the log verified; and only the steward gets in."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from syndic.auth.models import Role
from tests.coalition import FEE, World, active_agreement, licensee_offer, terms, world
from tests.conftest import MakeSyndic
from tests.integration.web.helpers import Visitor, csrf_of

QUADRATIC = {"deal_vote": {"method": "quadratic", "delegation": True, "quorum_bp": 5000}}
PAGES = (
    "/steward",
    "/steward/members",
    "/steward/works",
    "/steward/deals",
    "/steward/payouts",
    "/steward/gate",
    "/steward/log",
    "/steward/valuation",
)


@dataclass
class Desk:
    w: World
    v: Visitor


@pytest.fixture
def desk(make_syndic: MakeSyndic) -> Desk:
    w = world(make_syndic, n=3, charter=QUADRATIC)
    w.s.terms.publish(terms())
    v = Visitor(w.s)
    v.sign_in(Role.STEWARD, None)
    return Desk(w, v)


def test_every_steward_page_opens_and_only_for_the_steward(desk: Desk) -> None:
    for url in PAGES:
        assert desk.v.get(url).status_code == 200, url
    for role, subject in ((Role.MEMBER, desk.w.members[0]), (Role.LICENSEE, desk.w.lab)):
        other = Visitor(desk.w.s)
        other.sign_in(role, subject)
        for url in PAGES:
            r = other.get(url)
            assert r.status_code == 403 and "W0" not in r.text, (role, url)
    assert Visitor(desk.w.s).get("/steward/members").status_code == 401


def test_members_and_works_search_and_filters(desk: Desk) -> None:
    assert "1 of 3 members match" in desk.v.get("/steward/members?q=m1").text
    assert "0 of 3 members match" in desk.v.get("/steward/members?status=left").text
    assert "1 of 3 works match" in desk.v.get("/steward/works?q=W2").text
    assert "3 of 3 works match" in desk.v.get("/steward/works?collection=c").text


def test_open_close_and_sign_on_the_deal_page(desk: Desk) -> None:
    deal = licensee_offer(desk.w)
    page = f"/steward/deals/{deal}"
    assert "Open vote" in desk.v.get(page).text
    r = desk.v.submit(page, f"{page}/open-vote", {}, follow_redirects=False)
    assert r.status_code == 303 and desk.w.s.deals.get_deal(deal).status == "voting"
    for m in desk.w.members[:2]:
        desk.w.s.deals.cast_vote(deal, member_id=m, votes={"yes": 1})
    shown = desk.v.get(page).text
    assert "2 of 3 members" in shown and "Close vote" in shown and "hours left" in shown
    # not yet time, and not everyone voted: refused in the service's words, nothing written
    before = desk.w.events()
    assert desk.v.submit(page, f"{page}/close-vote", {}).status_code == 409
    assert desk.w.events() == before
    desk.w.s.deals.cast_vote(deal, member_id=desk.w.members[2], votes={"yes": 1})
    desk.v.submit(page, f"{page}/close-vote", {"early": "yes"})
    assert desk.w.s.deals.get_deal(deal).status == "approved"
    desk.v.submit(page, f"{page}/sign", {})
    assert desk.w.s.deals.get_deal(deal).status == "signed"
    assert desk.w.kinds()[-1] == "agreement.signed"


def test_book_distribute_and_pay(desk: Desk) -> None:
    agreement = active_agreement(desk.w)
    page = "/steward/payouts"
    action = f"/steward/agreements/{agreement}/revenue"
    before = desk.w.events()
    r = desk.v.submit(page, action, {"amount": "ten"})
    assert r.status_code == 422 and f'id="amount-{agreement}-error"' in r.text
    assert desk.w.events() == before
    desk.v.submit(page, action, {"amount": f"{FEE / 100:.2f}"})
    assert desk.w.s.payouts.undistributed(agreement) == FEE
    desk.v.submit(page, f"/steward/agreements/{agreement}/distribute", {"run": ""})
    assert desk.w.s.payouts.undistributed(agreement) == 0
    assert sum(desk.w.s.payouts.owed_to(m) for m in desk.w.members) == FEE
    desk.v.submit(page, "/steward/payouts/pay", {})
    assert sum(desk.w.s.payouts.owed_to(m) for m in desk.w.members) == 0
    assert desk.w.s.report()["paid_out_minor"] == FEE


def watch(desk: Desk, url: str) -> str:
    """The page at ``url`` once the job it shows has ended (the job runs in a thread)."""
    for _ in range(600):
        shown = desk.v.get(url).text
        if 'data-running="no"' in shown:
            return shown
        time.sleep(0.1)
    pytest.fail(f"{url} still shows its job running")


def test_verify_log_runs_in_the_background_and_says_what_it_checked(desk: Desk) -> None:
    r = desk.v.submit("/steward/log", "/steward/log/verify", {}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/steward/log"
    shown = watch(desk, "/steward/log")
    assert "The log verifies" in shown
    assert f"{desk.w.events()} entries" in shown


def test_forged_csrf_is_refused_on_every_steward_form(desk: Desk) -> None:
    deal = licensee_offer(desk.w)
    agreement = active_agreement(desk.w)
    before = desk.w.events()
    for action in (
        f"/steward/deals/{deal}/open-vote",
        f"/steward/deals/{deal}/close-vote",
        f"/steward/deals/{deal}/sign",
        f"/steward/agreements/{agreement}/revenue",
        f"/steward/agreements/{agreement}/distribute",
        "/steward/payouts/pay",
        "/steward/log/verify",
    ):
        assert desk.v.client.post(action, data={"csrf": "forged", "amount": "1"}).status_code == 403
    # a member's own valid token does not open the steward's forms either
    member = Visitor(desk.w.s)
    member.sign_in(Role.MEMBER, desk.w.members[0])
    token = csrf_of(member.get(f"/members/{desk.w.members[0]}").text)
    r = member.client.post(f"/steward/deals/{deal}/open-vote", data={"csrf": token})
    assert r.status_code == 403
    assert desk.w.s.deals.get_deal(deal).status == "offered"
    assert [k for k in desk.w.kinds()[before:] if not k.startswith("signin.")] == []


def test_a_valuation_run_that_fails_says_why_on_its_progress_page(desk: Desk) -> None:
    page = "/steward/valuation"
    r = desk.v.submit(page, "/steward/valuation/runs", {"seed": "x"})
    assert r.status_code == 422 and 'id="seed-error"' in r.text
    r = desk.v.submit(page, "/steward/valuation/runs", {"seed": "0"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/steward/valuation/progress"
    shown = watch(desk, "/steward/valuation/progress")
    # these works carry no arXiv field to predict: the service's refusal is shown, no run kept
    assert "The run did not finish" in shown and "have no &#39;field&#39;" in shown
    assert desk.w.s.valuation.list_runs() == []
    assert "Start a run" in desk.v.get(page).text  # and another may start


def test_works_page_lists_dispute_candidates_for_the_steward_and_both_members(desk: Desk) -> None:
    from syndic.members.models import FULL_SHARE_BP
    from syndic.members.service import NewWork

    s = desk.w.s
    text = " ".join(f"word{i}" for i in range(60))
    a, b = desk.w.members[0], desk.w.members[1]
    s.members.register_work(
        NewWork(text.encode(), "Tide tables", "text", "c", [(a, FULL_SHARE_BP)], {}),
        registered_by=a,
    )
    copied = text.replace("word30 ", "")
    copy, _ = s.members.register_work(
        NewWork(copied.encode(), "My tide tables", "text", "c", [(b, FULL_SHARE_BP)], {}),
        registered_by=b,
    )
    page = desk.v.get("/steward/works").text
    assert "Dispute candidates" in page and "My tide tables" in page
    for member in (a, b):  # the original's holder and the copier both see it
        v = Visitor(s)
        v.sign_in(Role.MEMBER, member)
        mine = v.get(f"/members/{member}/works").text
        assert "Near copies" in mine and "dispute candidate" in mine and "Tide tables" in mine
    v = Visitor(s)
    v.sign_in(Role.MEMBER, b)
    assert "a dispute candidate" in v.get(f"/works/{copy.id}").text
    s.members.dispute_work(copy.id, reason="copied")
    assert "Dispute candidates" not in desk.v.get("/steward/works").text
