"""CLI start-up: `syndic --help` and `syndic report --json` against `python -c "import click"`.

The target (issue: within 0.3 s of importing click) is a difference of medians over rounds,
each command run as a fresh process, as a person would. Bytecode is cached as an installed
package's is (``PYTHONDONTWRITEBYTECODE`` is dropped for the runs, and one untimed round
writes the caches first): without it every start compiles every module again.
Usage: python benchmarks/bench_cli_startup.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SYNDIC = [sys.executable, "-c", "from syndic.cli.main import main; raise SystemExit(main())"]


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        data = str(Path(tmp) / "d")
        subprocess.run([*SYNDIC, "init", "--data-dir", data, "--name", "Bench"], check=True)
        cases = {
            "python -c 'import click'": [sys.executable, "-c", "import click"],
            "syndic --help": [*SYNDIC, "--help"],
            "syndic report --json": [*SYNDIC, "report", "--json", "--data-dir", data],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for cmd in cases.values():  # untimed: writes the bytecode caches
            timed(cmd)
        for _ in range(rounds):  # interleaved, so machine load hits every case alike
            for name, cmd in cases.items():
                times[name].append(timed(cmd))
    base = statistics.median(times["python -c 'import click'"])
    print(f"# {platform.node()} {platform.machine()} python {platform.python_version()}")
    print(f"{'command':<28}{'median s':>10}{'min s':>8}{'max s':>8}{'- click s':>11}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<28}{med:>10.3f}{min(ts):>8.3f}{max(ts):>8.3f}{med - base:>11.3f}")


if __name__ == "__main__":
    main()
