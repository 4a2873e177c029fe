"""``syndic payout run`` in this process, stopping after each step until the parent says go.

The parent (``crash.py``) reads one line per step (``posted``, ``committed``, ``line``) and
answers with a newline to go on, or kills this process with SIGKILL right there. Nothing
about the run is changed but the pauses: the real CLI, the real database, the real file.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any

from syndic.cli.main import main
from syndic.payouts import ledger, rails, service


def pause(step: str) -> None:
    sys.stdout.write(step + "\n")
    sys.stdout.flush()
    sys.stdin.readline()


def install() -> None:
    post = ledger.Ledger.post
    deliver = service.PayoutService.deliver

    def paused_post(self: ledger.Ledger, *a: Any, **k: Any) -> int:
        out = post(self, *a, **k)
        pause("posted")
        return out

    def paused_deliver(self: service.PayoutService) -> int:
        pause("committed")
        return deliver(self)

    def paused_write(fd: int, data: bytes) -> int:
        n = os.write(fd, data)
        pause("line")
        return n

    ledger.Ledger.post = paused_post  # type: ignore[method-assign]
    service.PayoutService.deliver = paused_deliver  # type: ignore[method-assign]
    calls = {k: getattr(os, k) for k in dir(os) if not k.startswith("__")}
    rails.os = types.SimpleNamespace(**{**calls, "write": paused_write})  # type: ignore[assignment]


if __name__ == "__main__":
    install()
    sys.exit(main(sys.argv[1:]))
