"""Checks of stored valuation runs against their log entries: what payouts read is what was
logged.

A run's log entry (``valuation.run``) carries the result digest and the corpus digest; the log
itself is checked by ``log verify``. Here the stored rows are read back and re-hashed: the work
and member rows (the values payouts read), the run's summary (whether it converged), and the
corpus they were computed from. An edited value, an edited summary or an edited run row is
found, with the run named. ``check_stored_values(session)`` checks every run and returns the
problems found (none: all is well); it is a plain function so that an audit can register it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndic.members.models import FULL_SHARE_BP, Work
from syndic.provenance.models import LogEntry
from syndic.valuation.corpus import Corpus
from syndic.valuation.digest import MEMBER_COLUMNS, WORK_COLUMNS, result_digest
from syndic.valuation.events import ValuationRan
from syndic.valuation.models import MemberValue, ValuationRun, WorkValue

__all__ = ["check_run", "check_stored_values", "stored_digests"]


def stored_digests(session: Session, run_id: int) -> tuple[str, str]:
    """(result digest, corpus digest) re-hashed from the rows stored for ``run_id``."""
    run = session.get(ValuationRun, run_id)
    summary: dict[str, Any] = run.summary if run is not None else {}
    works = list(
        session.scalars(
            select(WorkValue).where(WorkValue.run_id == run_id).order_by(WorkValue.work_id)
        )
    )
    members = session.scalars(select(MemberValue).where(MemberValue.run_id == run_id))
    digest = result_digest(
        [{c: getattr(w, c) for c in WORK_COLUMNS} for w in works],
        [{c: getattr(m, c) for c in MEMBER_COLUMNS} for m in members],
        summary,
    )
    content = dict(
        session.execute(
            select(Work.id, Work.digest).where(Work.id.in_([w.work_id for w in works]))
        ).all()
    )
    corpus = Corpus.of(
        [w.work_id for w in works],
        [content[w.work_id] for w in works],
        [""] * len(works),
        [w.label for w in works],
        [[(int(m), int(bp)) for m, bp in w.holders] for w in works],
        full_share_bp=FULL_SHARE_BP,
    )
    return digest, corpus.digest()


def _logged(session: Session, run: ValuationRun) -> dict[str, Any] | None:
    entry = session.get(LogEntry, run.log_index)
    if entry is None or entry.kind != ValuationRan.kind:
        return None
    payload: dict[str, Any] = json.loads(entry.entry).get("payload", {})
    return payload if payload.get("run") == run.id else None


def check_run(session: Session, run_id: int) -> list[str]:
    """What is wrong with stored run ``run_id`` (an empty list: nothing)."""
    run = session.get(ValuationRun, run_id)
    if run is None:
        return [f"valuation run {run_id}: not stored"]
    logged = _logged(session, run)
    if logged is None:
        return [f"valuation run {run.id}: log entry {run.log_index} is not this run's event"]
    problems = []
    expected = {
        "method": run.method,
        "params": run.params,
        "seed": run.seed,
        "snapshot": {"size": run.snapshot_size, "root": run.snapshot_root},
        "corpus_digest": run.corpus_digest,
        "result_digest": run.result_digest,
    }
    for key, value in expected.items():
        if logged.get(key) != value:
            problems.append(f"valuation run {run.id}: its stored {key} differs from its log entry")
    digest, corpus_digest = stored_digests(session, run.id)
    if digest != logged.get("result_digest"):
        problems.append(
            f"valuation run {run.id}: its stored values hash to {digest}, not to the logged "
            f"{logged.get('result_digest')} (a stored value, summary or explanation was changed)"
        )
    if corpus_digest != logged.get("corpus_digest"):
        problems.append(
            f"valuation run {run.id}: its stored works hash to corpus {corpus_digest}, not to the "
            f"logged {logged.get('corpus_digest')} (a stored label or share was changed)"
        )
    return problems


def check_stored_values(session: Session) -> list[str]:
    """Every stored valuation run checked against its log entry; the problems found."""
    problems: list[str] = []
    for run_id in session.scalars(select(ValuationRun.id).order_by(ValuationRun.id)):
        problems += check_run(session, run_id)
    return problems
