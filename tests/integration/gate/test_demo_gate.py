"""The demo's gate step on its own: three visitors through a real gate on loopback."""

from __future__ import annotations

from syndic.demo_gate import demo_gate
from syndic.testing import ManualClock
from tests.conftest import MakeSyndic
from tests.integration.gate.helpers import active_agreement


def test_the_demo_gate_step(make_syndic: MakeSyndic) -> None:
    s = make_syndic(clock=ManualClock())
    _, _, agreement = active_agreement(s)
    got = demo_gate(s, licence_token=s.deals.issue_token(agreement), seed=3)
    assert got["ai_crawler"] == "402 EUR 0.01"
    assert got["licensed"] == 200
    assert got["price_asked"] == "402 EUR 0.01"
    assert got["paid"] == "200 charged EUR 0.01"
    report = got["report"]
    assert isinstance(report, dict) and report["requests"] == 4
    assert report["charged"] == {"EUR": 1}
