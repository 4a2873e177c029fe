"""Near copies inside the pool count once: copying one's works gains nothing, and copying
another member's work gains nothing and is flagged as a dispute candidate."""

from __future__ import annotations

from pathlib import Path

from syndic.app import Syndic
from syndic.members.importer import import_arxiv
from syndic.members.models import FULL_SHARE_BP
from syndic.members.service import NewWork
from syndic.members.views import WorkView
from syndic.valuation.params import RunParams
from syndic.vault import Digest
from tests.conftest import MakeSyndic

QUICK = RunParams(repeats=1, folds=3, group_permutations=0)
TOLERANCE = 1.10  # docs/valuation.md: a share may not grow by more than 10%


def _share(s: Syndic, member: int) -> float:
    values = {m.member_id: max(m.value_sum, 0.0) for m in s.valuation.member_values()}
    return values.get(member, 0.0) / sum(values.values())


def _near_copy(s: Syndic, work: WorkView, *, drop: int, holder: int) -> None:
    """The work's text with its ``drop``-th word left out (a different copy for each drop)."""
    words = s.vault.read_bytes(Digest.parse(work.digest)).decode().split(" ")
    del words[5 + drop]
    s.members.register_work(
        NewWork(
            content=" ".join(words).encode(),
            title=f"{work.title} (copy {drop})",
            kind=work.kind,
            collection=work.collection,
            holders=[(holder, FULL_SHARE_BP)],
            meta=work.meta,
        ),
        registered_by=holder,
    )


def test_near_copies_never_raise_a_share_and_copying_another_flags_a_dispute(
    make_syndic: MakeSyndic, fixture_jsonl: Path
) -> None:
    s = make_syndic()
    import_arxiv(s.members, fixture_jsonl)
    s.valuation.run(QUICK)
    copier = s.valuation.member_values()[-1].member_id  # the least valuable member copies
    before = _share(s, copier)
    mine = list(s.members.iter_works(member_id=copier))[:5]
    made = 0
    for k in (1, 3, 10):
        for drop in range(made, k):
            for w in mine:
                _near_copy(s, w, drop=drop, holder=copier)
        made = k
        run = s.valuation.run(QUICK)
        copies = run.summary["near_copies"]
        assert len(copies) == k * len(mine)  # every copy found, none of the rest
        assert all(not c["dispute_candidate"] for c in copies)
        assert _share(s, copier) <= TOLERANCE * before, k
        roles = {w.work_id: w.role for w in s.valuation.work_values(run.id)}
        assert {roles[c["work"]] for c in copies} == {"copy"}

    # another member re-registers the copier's most valuable work, one word dropped
    values = {w.work_id: w.value for w in s.valuation.work_values(member_id=copier)}
    best = max(mine, key=lambda w: values[w.id])
    other = next(m.id for m in s.members.list_members() if m.id != copier)
    other_before = _share(s, other)
    _near_copy(s, best, drop=40, holder=other)
    # registration flagged it already, and recorded the copier's own copies as such
    (candidate,) = s.members.near_copies(candidates_only=True)
    assert candidate["copy_of"] == best.id and candidate["holders"] == [other]
    registered = s.members.near_copies(limit=1000)
    assert sum(c["state"] == "own" for c in registered) == 10 * len(mine)
    run = s.valuation.run(QUICK)
    (flagged,) = [c for c in run.summary["near_copies"] if c["dispute_candidate"]]
    assert flagged["copy_of"] == best.id
    assert flagged["work"] == candidate["work"]  # the run and registration agree
    assert flagged["holders"] == [other] and flagged["original_holders"] == [copier]
    assert _share(s, other) <= other_before * (1 + 1e-9)  # gains nothing
    told = s.valuation.member_value(other, run.id).explanation["near_copies"]
    assert [c["copy_of"] for c in told] == [best.id]
    assert s.valuation.reproduce(run.id)["same"]
