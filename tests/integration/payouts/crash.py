"""Kill a real ``syndic payout run`` with SIGKILL at a chosen step, run it again, and check
that each member was paid exactly once (used by the tests and by the crash benchmark)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from syndic.app import Syndic
from syndic.cli.main import main
from syndic.payouts.ledger import CASH, payable_account

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Outcome:
    """Where the kill landed (``step`` number ``at``, or None if the run ended first) and
    what was found after the re-run."""

    at: int | None
    step: str | None
    lines_before_rerun: int
    paid_once: bool
    reconciled: bool
    problem: str = ""


def owe(s: Syndic, amounts: list[int], *, batch: int = 0) -> dict[str, int]:
    """New members (one per amount) who are owed that much; returns account -> amount.
    Each ``batch`` has its own accounts, so one data dir serves several kill points."""
    out = {}
    for i, amount in enumerate(amounts):
        account = f"IBAN-{batch:03d}-{i:04d}"
        m = s.members.join(handle=f"payee{batch}-{i}", name="", payout_account=account)
        out[account] = amount
        with s.txs.write() as tx:
            s.ledger.post(
                tx.session,
                memo="test credit",
                currency=s.settings.currency,
                lines=[(CASH, amount), (payable_account(m.id), -amount)],
            )
    return out


def rail_file(data_dir: Path) -> Path:
    return data_dir / "payouts" / "payout-instructions.jsonl"


def kill_at(data_dir: Path, at: int | None, env: dict[str, str]) -> str | None:
    """Run ``syndic payout run`` in a child; SIGKILL it when it reaches step ``at`` (counted
    from 1 over every pause); returns that step's name, or None if it finished first."""
    args = ["payout", "run", "--data-dir", str(data_dir)]
    with subprocess.Popen(
        [sys.executable, "-m", "tests.integration.payouts.crash_child", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        killed = None
        for n, line in enumerate(child.stdout, 1):
            if n == at:
                os.kill(child.pid, signal.SIGKILL)
                killed = line.strip()
                break
            child.stdin.write("\n")
            child.stdin.flush()
        _, err = child.communicate(timeout=120)
    if killed is None and child.returncode != 0:
        raise AssertionError(f"payout run failed on its own: {err.strip()[-500:]}")
    return killed


def check(data_dir: Path, owed: dict[str, int], env: dict[str, str]) -> tuple[bool, bool, str]:
    """Run ``payout run`` again (in this process) and reconcile; every account must be on
    the rail once (``owed``: every account owed so far), for what it was owed."""
    os.environ.update(env)
    try:
        assert main(["payout", "run", "--data-dir", str(data_dir)]) == 0
        reconciled = main(["payout", "reconcile", "--data-dir", str(data_dir)]) == 0
    finally:
        for k in env:
            os.environ.pop(k, None)
    lines = [json.loads(x) for x in rail_file(data_dir).read_text().splitlines()]
    per_account = Counter(x["account"] for x in lines)
    amounts = {x["account"]: x["amount_minor"] for x in lines}
    twice = sorted(a for a, c in per_account.items() if c > 1)
    unpaid = sorted(set(owed) - set(per_account))
    twice += sorted(set(per_account) - set(owed))  # paid, and never owed
    wrong = sorted(a for a in owed if a in amounts and amounts[a] != owed[a])
    problem = "; ".join(
        f"{what}: {xs[:3]}"
        for what, xs in (("twice", twice), ("unpaid", unpaid), ("wrong", wrong))
        if xs
    )
    return not problem, reconciled, problem


def lines_in(data_dir: Path) -> int:
    f = rail_file(data_dir)
    return f.read_bytes().count(b"\n") if f.exists() else 0


def crash_and_rerun(
    data_dir: Path, owed: dict[str, int], at: int | None, env: dict[str, str]
) -> Outcome:
    step = kill_at(data_dir, at, env)
    before = lines_in(data_dir)
    ok, reconciled, problem = check(data_dir, owed, env)
    return Outcome(at if step else None, step, before, ok, reconciled, problem)


def steps(members: int) -> int:
    """Pauses in one run that pays ``members`` members: a posting each, the commit, a line
    each."""
    return 2 * members + 1
