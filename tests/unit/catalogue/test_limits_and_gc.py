"""Size limits name the line; the vault's garbage is reported, collected and logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syndic.app import Syndic
from syndic.config import Settings
from syndic.errors import InputFileError, InvalidInput
from syndic.members.importer import import_arxiv
from syndic.members.service import NewWork
from syndic.testing import ManualClock
from syndic.vault import Digest
from tests.conftest import MakeSyndic


def _paper(i: int, abstract: str = "short") -> str:
    row = {"id": f"x{i}", "title": f"T{i}", "abstract": abstract, "field": "cs", "authors": ["a"]}
    return json.dumps(row) + "\n"


def test_a_100_mb_abstract_is_refused_with_its_line(
    make_syndic: MakeSyndic, tmp_path: Path
) -> None:
    s = make_syndic()
    path = tmp_path / "big.jsonl"
    with path.open("w") as fh:
        fh.write(_paper(1))
        fh.write(_paper(2, "x" * 100_000_000))
    with pytest.raises(InputFileError, match=r"line 2: field 'abstract' holds 100,000,000"):
        import_arxiv(s.members, path)
    assert s.report()["works"] == 0


def test_limits_come_from_settings(tmp_path: Path) -> None:
    s = Syndic.init(
        Settings(data_dir=tmp_path / "d", max_work_bytes=1000, max_field_chars=50),
        name="C",
        clock=ManualClock(),
    )
    try:
        m = s.members.join(handle="a", name="", payout_account="x")
        with pytest.raises(InvalidInput, match="over the limit of 1,000"):
            s.members.register_work(
                NewWork(b"x" * 1001, "T", "text", "c", [(m.id, 10_000)], {}), registered_by=m.id
            )
        path = tmp_path / "p.jsonl"
        path.write_text(_paper(1) + _paper(2, "y" * 60) + _paper(3))
        r = import_arxiv(s.members, path, skip_bad=True)
        assert [(x.line, "'abstract' holds 60" in x.reason) for x in r.refused] == [(2, True)]
        assert r.works_created == 2
    finally:
        s.close()


def test_orphans_and_stray_files_are_reported_then_collected(make_syndic: MakeSyndic) -> None:
    s = make_syndic()
    m = s.members.join(handle="a", name="", payout_account="x")
    kept, _ = s.members.register_work(
        NewWork(b"kept", "K", "text", "c", [(m.id, 10_000)], {}), registered_by=m.id
    )
    orphan = s.vault.put_bytes(b"nobody names me")  # as a killed import leaves it
    s.vault.put_many([(Digest.of_bytes(b"packed orphan"), b"packed orphan")])
    (s.vault.root / "tmp" / "tmpcut").write_bytes(b"half a blob")
    report = s.verify_vault()
    assert report.ok  # garbage is not damage
    assert set(report.orphans) == {orphan, Digest.of_bytes(b"packed orphan")}
    assert [p.name for p in report.stray] == ["tmpcut"]
    events = s.report()["events"]
    assert s.members.collect_garbage(older_than=3600).orphans == []  # too young: left alone
    gone = s.members.collect_garbage(older_than=0)
    assert len(gone.orphans) == 2 and len(gone.stray) == 1
    after = s.verify_vault()
    assert after.ok and not after.orphans and not after.stray
    assert Digest.parse(kept.digest) in s.vault
    assert s.report()["events"] == events + 1
    assert s.provenance.kind_counts()["vault.collected"] == 1
    assert s.members.collect_garbage(older_than=0).orphans == []  # nothing left: not logged
    assert s.report()["events"] == events + 1
