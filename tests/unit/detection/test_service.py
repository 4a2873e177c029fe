"""Detection end to end on a real coalition: the index follows the pool, a scan finds copies
(verbatim, perturbed, embedded, truncated) and canaries, evidence verifies offline, and bad
datasets are refused with nothing stored."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from syndic.app import Syndic
from syndic.detection.evidence import verify_bundle
from syndic.detection.models import Scan
from syndic.detection.readers import Fields, Format
from syndic.detection.service import ScanRequest
from syndic.errors import InputFileError, InvalidInput, NotFound, VerificationError
from syndic.keys import public_b64
from syndic.members.service import NewWork
from syndic.testing import ManualClock
from syndic.vault import Digest
from tests.coalition import open_pool_copy, signed_pool_agreement
from tests.conftest import MakeSyndic

LAB_KEY = Ed25519PrivateKey.from_private_bytes(b"\x05" * 32)


def _rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def _scans(s: Syndic) -> int:
    with s.db.read() as sess:
        return sess.query(Scan).count()


@pytest.fixture
def pool(pool_dir: Path, tmp_path: Path) -> Iterator[tuple[Syndic, ManualClock]]:
    clock = ManualClock()
    s = open_pool_copy(pool_dir, tmp_path, clock)
    yield s, clock
    s.close()


def _dataset(tmp_path: Path, fixture_jsonl: Path, strat: list[str]) -> tuple[Path, dict[str, int]]:
    rows = _rows(fixture_jsonl)
    rng = random.Random(4)
    a, b, c, d = (r["abstract"] for r in rows[:4])
    words = b.split()
    kept = [w for w in words if rng.random() > 0.1]
    records = [
        {"id": "verbatim", "text": a},
        {"id": "edited", "text": " ".join(kept)},
        {"id": "embedded", "text": strat[0] + " " + c + " " + strat[1]},
        {"id": "half", "text": " ".join(d.split()[: len(d.split()) // 2])},
        *({"id": f"other{i}", "text": t} for i, t in enumerate(strat[2:30])),
    ]
    path = tmp_path / "third-party.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path, {"verbatim": 0, "edited": 1, "embedded": 2, "half": 3}


def test_scan_finds_copies_and_evidence_verifies(
    pool: tuple[Syndic, ManualClock], tmp_path: Path, fixture_jsonl: Path, shared: Path
) -> None:
    s, _ = pool
    with (shared / "data/arxiv/strat25k.jsonl").open() as fh:
        strat = [json.loads(x)["abstract"] for x, _ in zip(fh, range(40), strict=False)]
    path, expect = _dataset(tmp_path, fixture_jsonl, strat)
    summary = s.detect_scan(ScanRequest(path, Format.JSONL, Fields(id="id")))
    works = s.members.list_works(limit=4)
    found = {m["record"]: m for m in summary.matches}
    assert set(found) == set(expect)  # no unrelated abstract matches
    for rid, i in expect.items():
        assert found[rid]["work"] == works[i].id
        assert found[rid]["digest"] == works[i].digest
    # a work is "arXiv:<id>", its title and its abstract: the abstract alone is most of it
    assert found["verbatim"]["jaccard"] > 0.8
    assert found["verbatim"]["record_containment"] == 1.0
    assert found["embedded"]["containment"] > 0.85  # all but the id and title
    assert found["half"]["record_containment"] == 1.0
    text = _rows(fixture_jsonl)[0]["abstract"]
    span = found["verbatim"]["span"]
    assert span["words"] > 50 and span["record"] == [0, len(text.rstrip().rstrip("."))]
    stored = s.detection.get_scan(summary.id)
    assert stored["records"] == 32 and stored["matches"] == 4
    assert stored["dataset_digest"] == summary.dataset_digest

    member = found["embedded"]["members"][0]
    bundle = s.evidence_bundle(summary.id, member)
    ok = verify_bundle(bundle, public_key=s.public_key)
    assert ok.member == member and ok.matches >= 1
    doc = json.loads(bundle)
    assert doc["bundle"]["matches"][0]["receipt"]["work"] == doc["bundle"]["matches"][0]["digest"]
    doc["bundle"]["matches"][0]["work_passage"] = "tampered"
    with pytest.raises(VerificationError):
        verify_bundle(json.dumps(doc).encode(), public_key=s.public_key)
    with pytest.raises(VerificationError):
        verify_bundle(bundle, public_key=public_b64(LAB_KEY))  # not the coalition's key
    with pytest.raises(NotFound):
        s.evidence_bundle(summary.id, 10_000)


def test_index_follows_registration_and_withdrawal(pool: tuple[Syndic, ManualClock]) -> None:
    s, _ = pool
    first = s.members.list_works(limit=1)[0]
    copy = s.vault.read_bytes(Digest.parse(first.digest)).replace(b"arXiv:", b"Reposted arXiv:")
    m = s.members.join(handle="copier", name="", payout_account="acct:x")
    again, _ = s.members.register_work(
        NewWork(copy, "again", "paper", "c", [(m.id, 10_000)], {}), registered_by=m.id
    )
    groups = s.detection.near_copies(threshold=0.8)
    assert [[x["work"] for x in g] for g in groups] == [[first.id, again.id]]
    s.members.withdraw_work(again.id, reason="a duplicate")
    index = s.detection.reindex()
    assert len(index) == 240
    s.members.withdraw_work(first.id, reason="left")
    index = s.detection.sync()
    assert index is not None and len(index) == 239 and index.row(first.id) is None
    assert index.version.tree_size > 240


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        (b'{"text": "a"}\n{"text": \n', Format.JSONL, "line 2 is not JSON"),
        (b'{"text": "a"}\n{"body": "b"}\n', Format.JSONL, "line 2: no text field 'text'"),
        (b'{"text": "a\\u0000b"}\n', Format.JSONL, "binary content"),
        (b"\xff\xfe\x00\x01binary\n", Format.JSONL, "line 1: binary content"),
        (b"PAR1 not really parquet", Format.PARQUET, "not a readable Parquet file"),
    ],
)
def test_bad_datasets_are_refused_and_nothing_is_stored(
    pool: tuple[Syndic, ManualClock], tmp_path: Path, content: bytes, fmt: Format, message: str
) -> None:
    s, _ = pool
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        s.detect_scan(ScanRequest(path, fmt))
    assert _scans(s) == 0


def test_oversized_record_and_truncated_parquet_are_refused(
    pool: tuple[Syndic, ManualClock], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from syndic.detection import readers

    s, _ = pool
    monkeypatch.setattr(readers, "MAX_RECORD_BYTES", 1 << 20)  # the same path as 8 MiB, smaller
    big = tmp_path / "big.jsonl"
    big.write_text('{"text": "ok"}\n' + json.dumps({"text": "x " * (1 << 20)}) + "\n")
    with pytest.raises(InvalidInput, match="line 2: record is over 1 MiB"):
        s.detect_scan(ScanRequest(big, Format.JSONL))
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"text": [f"row {i} " * 40 for i in range(2000)]}), good)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputFileError, match="Parquet"):
        s.detect_scan(ScanRequest(cut, Format.PARQUET))
    with pytest.raises(InvalidInput, match="no column 'body'"):
        s.detect_scan(ScanRequest(good, Format.PARQUET, Fields(text="body")))
    assert _scans(s) == 0
    summary = s.detect_scan(ScanRequest(good, Format.PARQUET))
    assert summary.records == 2000 and summary.matches == []


def test_canaries_in_a_dataset_name_their_agreement(
    pool: tuple[Syndic, ManualClock], tmp_path: Path
) -> None:
    s, clock = pool
    agreement = signed_pool_agreement(s, clock)
    canary = s.access.canaries(agreement)[2]
    path = tmp_path / "ds.jsonl"
    path.write_text(
        json.dumps({"text": "an unrelated line"})
        + "\n"
        + json.dumps({"text": "A model wrote: " + canary.text.upper()})
        + "\n"
    )
    summary = s.detect_scan(ScanRequest(path, Format.JSONL))
    assert summary.canaries == [{"position": 1, "record": "1", "agreement": agreement}]
    output = tmp_path / "model-output.txt"  # a text a model produced names it too
    output.write_text("Sure! " + canary.text.replace(" ", "  ") + " Anything else?")
    traced = s.access.trace(output, Format.TXT, Fields())
    assert traced["canaries"] == [agreement] and traced["verdict"] == "no licensee"
    output.write_text("")
    with pytest.raises(InvalidInput, match="nothing to trace"):
        s.access.trace(output, Format.TXT, Fields())


def test_scan_and_evidence_on_both_backends(
    make_syndic: MakeSyndic, backend: str, tmp_path: Path, fixture_jsonl: Path
) -> None:
    """A stored scan and its evidence on SQLite and PostgreSQL, with a
    dataset given as a directory of text files."""
    clock = ManualClock()
    s = make_syndic(clock=clock)
    rows = _rows(fixture_jsonl)[:12]
    for i, r in enumerate(rows):
        m = s.members.join(handle=f"p{i}", name="", payout_account=f"acct:{i}")
        s.members.register_work(
            NewWork(r["abstract"].encode(), r["title"], "paper", "c", [(m.id, 10_000)], {}),
            registered_by=m.id,
        )
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "a.txt").write_text("Someone's notes. " + rows[3]["abstract"])
    (docs / "sub" / "b.txt").write_text("nothing of ours")
    summary = s.detect_scan(ScanRequest(docs, Format.TXT_DIR))
    assert [(m["record"], m["members"]) for m in summary.matches] == [("a.txt", [4])]
    assert verify_bundle(s.evidence_bundle(summary.id, 4), public_key=s.public_key).matches == 1
    [found] = s.evidence_findings(4)  # what member 4's Evidence page lists
    assert (found["scan"], found["records"], found["records_scanned"]) == (summary.id, 1, 2)
    assert found["top_containment"] >= 0.3 and s.evidence_findings(5) == []
    (docs / "c.bin").write_bytes(b"\x00\x01\x02")
    with pytest.raises(InvalidInput, match=r"file c\.bin: binary content"):
        s.detect_scan(ScanRequest(docs, Format.TXT_DIR))
    assert _scans(s) == 1


def test_usage_reconcile_finds_overdue_reports(pool: tuple[Syndic, ManualClock]) -> None:
    s, clock = pool
    agreement = signed_pool_agreement(s, clock)
    grant = s.deals.authorize_delivery(s.deals.issue_token(agreement), agreement)
    lines = list(s.licensed_dataset(grant))
    assert len(lines) == 240 + 4
    clock.advance(timedelta(days=200))
    rec = s.access.reconcile(agreement)
    assert len(rec["unreported_deliveries"]) == 1 and len(rec["overdue_reports"]) == 2
    start = s.deals.get_agreement(agreement).starts_at
    s.access.report_usage(
        agreement, period_start=start - timedelta(days=1), period_end=start + timedelta(days=90),
        records_used=244,
    )  # fmt: skip
    rec = s.access.reconcile(agreement)
    assert rec["unreported_deliveries"] == [] and len(rec["overdue_reports"]) == 1
    with pytest.raises(InvalidInput, match="negative"):
        s.access.report_usage(
            agreement, period_start=start, period_end=clock.now(), records_used=-1
        )
