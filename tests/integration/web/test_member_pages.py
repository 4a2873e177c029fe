"""A member's pages over HTTP: each action calls the same service the CLI and API call, logs
the same event, refuses bad input next to its field and writes nothing then."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from markupsafe import escape

from syndic.app import Syndic
from syndic.auth.models import Role
from syndic.config import Settings
from syndic.money import Money
from syndic.provenance.receipt import verify_receipt
from syndic.testing import ManualClock
from tests.coalition import FEE, World, active_agreement, licensee_offer, world
from tests.integration.web.helpers import Visitor, csrf_of

QUADRATIC = {"deal_vote": {"method": "quadratic", "delegation": True, "quorum_bp": 5000}}


@dataclass
class Round:
    w: World
    v: Visitor
    me: int
    other: int
    agreement: int
    deal: int
    proposal: int


@dataclass
class Built:
    data_dir: Path
    w: World
    agreement: int
    deal: int
    proposal: int


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Built once per module: a quadratic charter; one agreement paid out; a second deal
    open for the vote. Each test gets its own copy of the data dir."""
    root = tmp_path_factory.mktemp("member-pages")
    made: list[Syndic] = []

    def make(name: str = "Test Coalition", clock: ManualClock | None = None) -> Syndic:
        s = Syndic.init(Settings(data_dir=root / "data"), name=name, clock=clock)
        made.append(s)
        return s

    w = world(make, n=3, charter=QUADRATIC)
    agreement = active_agreement(w)
    w.s.payouts.book_revenue(agreement, FEE)
    w.s.distribute(agreement)
    w.s.payouts.pay_out()
    deal = licensee_offer(w, FEE * 2)
    w.s.deals.open_vote(deal)
    proposal = max(p.id for p in w.s.governance.list_proposals(status="open"))
    w.s.close()
    return Built(root / "data", w, agreement, deal, proposal)


@pytest.fixture
def r(built: Built, tmp_path: Path) -> Iterator[Round]:
    """A copy of the built coalition, with its first member signed in."""
    copy = tmp_path / "data"
    shutil.copytree(built.data_dir, copy)
    clock = ManualClock(built.w.clock.now())
    s = Syndic.from_settings(Settings(data_dir=copy), clock=clock)
    w = World(s, clock, built.w.members, built.w.works, built.w.lab)
    v = Visitor(s)
    v.sign_in(Role.MEMBER, w.members[0])
    yield Round(w, v, w.members[0], w.members[1], built.agreement, built.deal, built.proposal)
    s.close()


def test_the_dashboard_shows_money_and_the_vote_waiting(r: Round) -> None:
    page = r.v.get(f"/members/{r.me}").text
    paid = sum(p.amount_minor for p in r.w.s.payouts.payouts_to(r.me))
    assert paid > 0 and f"<dd>{paid // 100}.{paid % 100:02d} EUR</dd>" in page
    assert f"/members/{r.me}/votes/{r.proposal}" in page


def test_works_search_page_and_a_receipt_that_verifies(r: Round) -> None:
    listing = r.v.get(f"/members/{r.me}/works?q=W0").text
    assert "W0" in listing and "1 of your 1 works match" in listing
    assert "0 of your 1" in r.v.get(f"/members/{r.me}/works?q=zzz").text
    work = r.w.works[0]
    page = r.v.get(f"/works/{work}").text
    assert "Download receipt" in page and "sha256:" in page
    receipt = r.v.get(f"/works/{work}/receipt.json")
    assert receipt.headers["content-disposition"].startswith("attachment")
    ok = verify_receipt(receipt.content.strip(), public_key=r.w.s.public_key)
    assert ok.work == r.w.s.members.get_work(work).digest


def test_registering_a_work_with_a_co_holder(r: Round) -> None:
    before = r.w.events()
    form = {"title": "Shared piece", "collection": "c", "my_share": "60"}
    form |= {"holder_1": str(r.other), "share_1": "40"}
    files = {"content": ("piece.txt", b"a shared piece", "text/plain")}
    page = f"/members/{r.me}/works/new"
    done = r.v.submit(page, f"/members/{r.me}/works", form, files=files, follow_redirects=False)
    assert done.status_code == 303
    work_id = int(done.headers["location"].split("/")[2].split("?")[0])
    w = r.w.s.members.get_work(work_id)
    assert {(h.member_id, h.share_bp) for h in w.holders} == {(r.me, 6000), (r.other, 4000)}
    assert r.w.events() == before + 1
    assert r.w.payloads("work.registered")[-1]["holders"][0]["share_bp"] in (6000, 4000)


def test_registering_another_members_text_on_the_page_flags_it(r: Round) -> None:
    from syndic.members.service import NewWork

    text = " ".join(f"tide{i}" for i in range(80))
    r.w.s.members.register_work(
        NewWork(text.encode(), "Tides", "text", "c", [(r.other, 10_000)], {}),
        registered_by=r.other,
    )
    form = {"title": "My tides", "collection": "c", "my_share": "100"}
    files = {"content": ("tides.txt", text.replace("tide40 ", "").encode(), "text/plain")}
    page = f"/members/{r.me}/works/new"
    done = r.v.submit(page, f"/members/{r.me}/works", form, files=files)
    assert done.status_code == 200 and "a dispute candidate</strong>" in done.text
    logged = r.w.payloads("work.registered")[-1]["near_copy"]
    assert logged["dispute_candidate"] is True


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"title": "x", "my_share": "60", "holder_1": "2", "share_1": "30"}, "holders", "90%"),
        ({"title": "", "my_share": "100"}, "title", "Give the work a title"),
        ({"title": "x", "my_share": "100", "holder_1": "bob"}, "holders", "give the member"),
    ],
)
def test_a_bad_registration_is_shown_next_to_its_field_and_writes_nothing(
    r: Round, form: dict[str, str], field: str, message: str
) -> None:
    before = r.w.events()
    files = {"content": ("f.txt", b"fresh content", "text/plain")}
    page = f"/members/{r.me}/works/new"
    bad = r.v.submit(page, f"/members/{r.me}/works", form, files=files)
    assert bad.status_code == 422
    assert f'id="{field}-error"' in bad.text and message in bad.text
    assert r.w.events() == before


def test_changing_the_mandate_on_the_page_is_logged_as_the_member(r: Round) -> None:
    page = f"/members/{r.me}/mandate"
    form = {"red_lines": ["ai-input", "search"], "floor_price": "12.50", "vlop": "refuse"}
    done = r.v.submit(page, page, form)
    assert done.status_code == 200 and "applies to deals signed from now on" in done.text
    mandate = r.w.s.members.get(r.me).mandate
    assert mandate["prohibited_usages"] == ["ai-input", "search"]
    assert (mandate["floor_price_minor"], mandate["allow_vlop"]) == (1250, False)
    assert r.w.payloads("member.mandate_changed")[-1]["after"] == mandate
    before = r.w.events()
    bad = r.v.submit(page, page, {"floor_price": "twelve"})
    assert bad.status_code == 422 and 'id="floor-error"' in bad.text
    assert r.w.events() == before


def test_a_quadratic_ballot_on_the_page_is_the_same_event_as_through_the_api(r: Round) -> None:
    page = f"/members/{r.me}/votes/{r.proposal}"
    brief = r.v.get(page).text
    assert "It respects your mandate" in brief and "Covered" in brief
    held = r.w.s.governance.credits(r.me)
    assert held > 100 - 11 * 11 and f'data-credits="{held}"' in brief
    before = r.w.events()
    over = r.v.submit(page, page, {"votes_yes": "11"})  # 121 credits: more than held
    assert over.status_code == 422 and "credits" in over.text
    assert r.w.events() == before
    done = r.v.submit(page, page, {"votes_yes": "3", "votes_no": "1"})
    assert done.status_code == 200 and "Your ballot receipt" in done.text
    assert re.search(r"Voice credits spent</dt><dd>10<", done.text)
    cast = r.w.payloads("vote.cast")[-1]
    assert (cast["member"], cast["deal"], cast["votes"]) == (r.me, r.deal, {"no": 1, "yes": 3})
    assert r.w.s.governance.credits(r.me) == held - 10
    assert "You have voted on this" in r.v.get(page).text
    again = r.v.submit(page, page, {"votes_yes": "1"})
    assert again.status_code == 409 and "already voted" in again.text


def test_the_vote_page_shows_the_offer_assessment_members_were_told(r: Round) -> None:
    told = r.w.s.governance.get(r.proposal).question["assessment"]
    page = r.v.get(f"/members/{r.me}/votes/{r.proposal}").text
    assert "Is this a good deal?" in page and "no leverage run existed yet" in page
    for line in told["words"]:
        assert str(escape(line)) in page
    mine = told["payouts_minor"].get(str(r.me), 0)
    assert mine > 0 and f"({told['payout_policy']}): <strong>{Money(mine, 'EUR')}" in page


def test_a_deal_that_crosses_a_red_line_says_so_and_leaves_the_works_out(r: Round) -> None:
    r.w.s.members.change_mandate(r.me, prohibited_usages=["ai-train"])
    brief = r.v.get(f"/members/{r.me}/votes/{r.proposal}").text
    assert "It crosses your mandate" in brief and "Left out" in brief


def test_delegate_and_revoke(r: Round) -> None:
    page = f"/members/{r.me}/votes"
    done = r.v.submit(page, f"/members/{r.me}/delegation", {"delegate_id": str(r.other)})
    assert done.status_code == 200 and "Your delegation is in force" in done.text
    assert [d.delegate_id for d in r.w.s.governance.delegations(member_id=r.me)] == [r.other]
    bad = r.v.submit(page, f"/members/{r.me}/delegation", {"delegate_id": str(r.me)})
    assert bad.status_code == 422 and "cannot delegate to themselves" in bad.text
    gone = r.v.submit(page, f"/members/{r.me}/delegation/revoke", {"topic": ""})
    assert "revoked" in gone.text
    assert r.w.s.governance.delegations(member_id=r.me) == []


def test_money_statement_and_someone_elses_statement(r: Round) -> None:
    money = r.v.get(f"/members/{r.me}/money").text
    assert 'src="data:image/svg+xml;base64,' in money and "Payouts sent to you" in money
    assert 'alt="Bar chart of the payouts to you over time: ' in money  # a text alternative
    st = r.v.get(f"/members/{r.me}/statements/{r.agreement}")
    assert st.status_code == 200 and "You received" in st.text
    assert r.v.get(f"/members/{r.other}/statements/{r.agreement}").status_code == 403
    assert r.v.get(f"/members/{r.me}/statements/999").status_code == 404


def test_my_data_downloads_everything_and_leaving_shows_consequences_first(r: Round) -> None:
    data = r.v.get(f"/members/{r.me}/data.zip")
    z = zipfile.ZipFile(io.BytesIO(data.content))
    doc = json.loads(z.read("member.json"))
    assert doc["member"]["id"] == r.me and len(doc["works"]) == 1
    assert doc["works"][0]["receipt"]["work"] == doc["works"][0]["digest"]
    assert any(n.startswith("works/") for n in z.namelist())
    page = f"/members/{r.me}/data"
    assert "Agreements already signed keep covering your works" in r.v.get(page).text
    unconfirmed = r.v.submit(page, f"/members/{r.me}/leave", {})
    assert unconfirmed.status_code == 422 and r.w.s.members.get(r.me).status == "active"
    r.v.submit(page, f"/members/{r.me}/leave", {"confirm": "leave"})
    assert r.w.s.members.get(r.me).status == "left"
    assert r.w.payloads("member.left")[-1] == {"member": r.me}


def test_withdraw_and_dispute_from_the_work_page(r: Round) -> None:
    work = r.w.works[0]
    page = f"/works/{work}"
    empty = r.v.submit(page, f"{page}/dispute", {"reason": " "})
    assert empty.status_code == 422 and 'id="reason-error"' in empty.text
    r.v.submit(page, f"{page}/dispute", {"reason": "a co-author is missing"})
    assert r.w.s.members.get_work(work).status == "disputed"
    other = Visitor(r.w.s)
    other.sign_in(Role.MEMBER, r.other)
    refused = other.client.post(
        f"/works/{r.w.works[2]}/withdraw", data={"csrf": "x"}
    )  # not a holder, and a forged token
    assert refused.status_code == 403
    assert r.w.s.members.get_work(r.w.works[2]).status == "active"


def _copied(r: Round, fixture_jsonl: Path, tmp_path: Path) -> int:
    """A long work of the signed-in member, found by a scan of a dataset embedding it."""
    from syndic.detection.readers import Format
    from syndic.detection.service import ScanRequest
    from syndic.members.service import NewWork

    rows = [json.loads(x) for x in fixture_jsonl.read_text().splitlines()[:5]]
    text = rows[0]["abstract"]
    r.w.s.members.register_work(
        NewWork(text.encode(), "A copied paper", "text", "c", [(r.me, 10_000)], {}),
        registered_by=r.me,
    )
    dataset = tmp_path / "third-party.jsonl"
    records = [rows[1]["abstract"] + " " + text, rows[2]["abstract"], text]
    dataset.write_text("".join(json.dumps({"text": t}) + "\n" for t in records))
    return r.w.s.detect_scan(ScanRequest(dataset, Format.JSONL)).id


def test_evidence_lists_scans_and_downloads_the_signed_bundle(
    r: Round, fixture_jsonl: Path, tmp_path: Path
) -> None:
    from syndic.detection.evidence import verify_bundle

    page = f"/members/{r.me}/evidence"
    before = r.v.get(page).text
    assert "No scan has found any of your works so far." in before and "<table" not in before
    scan = _copied(r, fixture_jsonl, tmp_path)
    listing = r.v.get(page).text
    digest = r.w.s.detection.get_scan(scan)["dataset_digest"]
    assert digest in listing and "2 of 3" in listing  # two records of three hold the work
    assert f'action="/members/{r.me}/evidence/{scan}"' in listing
    assert f"--key {r.w.s.public_key}" in listing  # how to check it offline
    issued = len(r.w.payloads("detection.evidence_issued"))
    got = r.v.submit(page, f"/members/{r.me}/evidence/{scan}", {})
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    ok = verify_bundle(got.content.strip(), public_key=r.w.s.public_key)
    assert (ok.member, ok.scan, ok.matches, ok.dataset_digest) == (r.me, scan, 2, digest)
    logged = r.w.payloads("detection.evidence_issued")
    assert len(logged) == issued + 1 and logged[-1]["member"] == r.me
    # what the CLI writes, but for the receipts' checkpoint (the log grew by one entry)
    web, cli = (json.loads(b)["bundle"] for b in (got.content, r.w.s.evidence_bundle(scan, r.me)))
    for bundle in (web, cli):
        for m in bundle["matches"]:
            assert m.pop("receipt")["work"] == m["digest"]
    assert web == cli
    # the steward reads it too
    steward = Visitor(r.w.s)
    steward.sign_in(Role.STEWARD, None)
    assert digest in steward.get(page).text


def test_another_member_cannot_see_or_fetch_my_evidence(
    r: Round, fixture_jsonl: Path, tmp_path: Path
) -> None:
    scan = _copied(r, fixture_jsonl, tmp_path)
    other = Visitor(r.w.s)
    other.sign_in(Role.MEMBER, r.other)
    own = other.get(f"/members/{r.other}/evidence").text
    assert "No scan has found any of your works so far." in own  # theirs: nothing found
    issued = len(r.w.payloads("detection.evidence_issued"))
    denied = len(r.w.payloads("access.denied"))
    page = other.get(f"/members/{r.me}/evidence")
    assert page.status_code == 403 and "A copied paper" not in page.text
    assert r.w.s.detection.get_scan(scan)["dataset_digest"] not in page.text
    token = csrf_of(own)  # their own, valid token
    fetch = other.client.post(f"/members/{r.me}/evidence/{scan}", data={"csrf": token})
    assert fetch.status_code == 403 and b'"signature"' not in fetch.content
    assert len(r.w.payloads("detection.evidence_issued")) == issued  # nothing issued
    assert len(r.w.payloads("access.denied")) == denied + 2
