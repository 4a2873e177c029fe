"""The decision journal when the database fails: nothing dropped by a failed write, the
background flusher survives it, and the queue stays bounded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from syndic.gate.journal import Journal
from syndic.gate.models import GateDecision
from syndic.gate.port import DecisionRecord
from syndic.testing import ManualClock
from tests.conftest import MakeSyndic


class FlakyLog:
    """The real log, failing while ``down`` is set."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.down = True
        self.calls = 0

    def append_many(self, *args: Any, **kw: Any) -> Any:
        self.calls += 1
        if self.down:
            raise RuntimeError("database unavailable")
        return self.real.append_many(*args, **kw)


def _rec(i: int) -> DecisionRecord:
    return DecisionRecord("site", "passed", "r", 200, "agent", f"/{i}", datetime.now(UTC))


def _rows(s: Any) -> int:
    with s.db.read() as sess:
        return int(sess.scalar(select(func.count(GateDecision.id))) or 0)


def test_a_failed_flush_puts_the_batch_back(make_syndic: MakeSyndic) -> None:
    s = make_syndic(clock=ManualClock())
    flaky = FlakyLog(s.log)
    j = Journal(s.db, flaky, s.clock, max_batch=2)  # type: ignore[arg-type]
    for i in range(5):
        j.add(_rec(i))
    with pytest.raises(RuntimeError):
        j.flush()
    assert j.pending == 5 and j.failures == 1 and _rows(s) == 0
    flaky.down = False
    assert j.flush() == 5
    assert j.pending == 0 and _rows(s) == 5
    with s.db.read() as sess:
        paths = list(sess.scalars(select(GateDecision.path).order_by(GateDecision.id)))
    assert paths == [f"/{i}" for i in range(5)]  # in order, none twice


def test_the_queue_is_bounded_and_counts_what_it_drops(make_syndic: MakeSyndic) -> None:
    s = make_syndic(clock=ManualClock())
    j = Journal(s.db, FlakyLog(s.log), s.clock, max_pending=3)  # type: ignore[arg-type]
    for i in range(5):
        j.add(_rec(i))
    assert j.pending == 3 and j.dropped == 2
    with pytest.raises(RuntimeError):
        j.flush()
    assert j.pending == 3 and j.dropped == 2


def test_the_background_flusher_survives_a_failing_database(make_syndic: MakeSyndic) -> None:
    s = make_syndic(clock=ManualClock())
    flaky = FlakyLog(s.log)
    j = Journal(s.db, flaky, s.clock, flush_every_s=0.01)  # type: ignore[arg-type]

    async def scenario() -> None:
        j.start()
        j.add(_rec(1))
        while flaky.calls < 2:  # it failed, and tried again
            await asyncio.sleep(0.01)
        assert j._task is not None and not j._task.done()
        flaky.down = False
        while j.written < 1:
            await asyncio.sleep(0.01)
        await j.aclose()

    asyncio.run(asyncio.wait_for(scenario(), timeout=60))
    assert _rows(s) == 1 and j.failures >= 2


def test_fields_are_bounded_before_the_journal(make_syndic: MakeSyndic) -> None:
    s = make_syndic(clock=ManualClock())
    j = Journal(s.db, s.log, s.clock)
    long = DecisionRecord("site", "passed", "r", 200, "a" * 5000, "/" + "x" * 65536, _NOW)
    assert len(long.path) == 500 and long.path.endswith("…") and len(long.agent) == 200
    j.add(long)
    j.add(_rec(1))
    assert j.flush() == 2 and j.lost == 0
    with s.db.read() as sess:
        assert [len(p) for p in sess.scalars(select(GateDecision.path))] == [500, 2]


def test_a_batch_that_cannot_be_written_never_blocks_the_ones_after_it(
    backend: str, make_syndic: MakeSyndic, caplog: pytest.LogCaptureFixture
) -> None:
    s = make_syndic(clock=ManualClock())
    j = Journal(s.db, s.log, s.clock, max_batch=4)
    for i in range(10):
        # a status no column holds: the log entry is fine, the row cannot be written
        j.add(_rec(i) if i != 5 else DecisionRecord("site", "x", "r", 2**64, "a", "/5", _NOW))
    assert j.flush() == 9
    assert j.lost == 1 and j.pending == 0 and j.metrics()["lost"] == 1
    assert any("gate decision lost" in r.message for r in caplog.records)
    with s.db.read() as sess:
        paths = list(sess.scalars(select(GateDecision.path).order_by(GateDecision.id)))
    assert paths == [f"/{i}" for i in range(10) if i != 5]
    j.add(_rec(10))  # and the journal goes on
    assert j.flush() == 1 and _rows(s) == 10


_NOW = datetime(2026, 1, 1, tzinfo=UTC)
