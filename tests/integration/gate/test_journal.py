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
