"""The crawler gate under wrk: requests/s and p50/p99 through the gate vs straight to the
upstream, for the pass-through, licensed and 402 paths; and proof-of-work verify time.

Everything runs on loopback: the upstream (a minimal ASGI app) and the gate (`syndic gate`)
each in their own process under uvicorn, wrk in a third. Each path is measured at one
connection (latency: the gate's added p50) and at --connections (throughput).

Usage: python benchmarks/bench_gate.py [--duration 5] [--connections 16] [--pow 2000]
Needs wrk (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

BODY = b"x" * 1024


async def upstream_app(scope, receive, send):  # type: ignore[no-untyped-def]
    """The fastest honest upstream: 1 KiB of bytes for every GET."""
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"1024")],
        }
    )
    await send({"type": "http.response.body", "body": BODY})


POLICY = """\
site: bench-site
hosts: [127.0.0.1]
member: any
usage: ai-train
price: EUR 0.01
rules:
  - name: licensed
    if: {licence: present}
    then: license
  - name: ai-crawlers
    if: {crawler: known-ai}
    then: {refuse: 402}
  - name: readers
    if: {unsafe_allow_all: true}
    then: pass
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listening on {port}")


def coalition(data: Path) -> str:
    """A coalition with one signed agreement; returns a licence token for it."""
    from syndic.app import Syndic
    from syndic.config import Settings
    from syndic.keys import public_b64
    from syndic.members.service import NewWork
    from syndic.terms.models import PaymentType, Terms, Usage

    s = Syndic.init(Settings(data_dir=data), name="Bench Coalition")
    terms = Terms(
        permits=frozenset({Usage.AI_TRAIN}), payment_type=PaymentType.TRAINING, amount_minor=100
    )
    s.terms.publish(terms)
    m = s.members.join(handle="m", name="M", payout_account="iban:M")
    s.members.register_work(
        NewWork(b"bench", "Bench", "text", "c", [(m.id, 10_000)], {}), registered_by=m.id
    )
    key = Ed25519PrivateKey.generate()
    lic = s.deals.register_licensee(name="L", contact="l@x", public_key=public_b64(key))
    deal = s.deals.offer(licensee_id=lic.id, terms=terms, actor="licensee")
    s.deals.open_vote(deal.id)
    s.deals.cast_vote(deal.id, member_id=m.id, choice="yes")
    s.deals.close_vote(deal.id, force=True)
    a = s.deals.sign(deal.id)
    if hasattr(s.deals, "countersign") and s.deals.get_agreement(a.id).status != "active":
        sig = base64.b64encode(key.sign(s.deals.agreement_document(a.id))).decode()
        s.deals.countersign(a.id, sig, licensee_id=lic.id, actor="licensee")
    token = s.deals.issue_token(a.id)
    s.close()
    return token


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, *, connections: int, duration: int, headers: dict[str, str]) -> dict[str, float]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out)
        assert m, out
        lat[pct] = float(m.group(1)) * _UNITS[m.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": lat["50"],
        "p99": lat["99"],
        "non2xx": float(non2xx.group(1)) if non2xx else 0.0,
    }


def bench_pow(n: int) -> tuple[float, float]:
    """(µs per verify, ms per solve) at difficulty 4, over n challenges."""
    from syndic.gate.pow import PowIssuer, client_id, solve

    issuer = PowIssuer(os.urandom(32))
    who = client_id("127.0.0.1", "bench")
    solved = []
    t0 = time.perf_counter()
    for _ in range(n):
        ch = issuer.issue(client=who, difficulty=4, now=1000, ttl_s=60)
        solved.append((ch.text, solve(ch.text, 4)))
    solve_ms = (time.perf_counter() - t0) / n * 1e3
    t0 = time.perf_counter()
    for text, nonce in solved:
        issuer.check(text, nonce, client=who, now=1001)
    verify_us = (time.perf_counter() - t0) / n * 1e6
    return verify_us, solve_ms


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--pow", type=int, default=2000)
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-gate-"))
    token = coalition(tmp / "data")
    (tmp / "policy.yaml").write_text(POLICY)
    up_port, gate_port = free_port(), free_port()
    here = Path(__file__).resolve()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import sys; sys.path.insert(0, {str(here.parent)!r}); "
                "import uvicorn, bench_gate; "
                "uvicorn.run(bench_gate.upstream_app, host='127.0.0.1', "
                f"port={up_port}, log_level='warning')",
            ],
            stderr=subprocess.PIPE,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "syndic.cli.main",
                "gate",
                "--data-dir",
                str(tmp / "data"),
                "--upstream",
                f"http://127.0.0.1:{up_port}",
                "--policy",
                str(tmp / "policy.yaml"),
                "--listen",
                f"127.0.0.1:{gate_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        ),
    ]
    try:
        wait_port(up_port, procs[0])
        wait_port(gate_port, procs[1])
        direct = f"http://127.0.0.1:{up_port}/papers/1"
        gated = f"http://127.0.0.1:{gate_port}/papers/1"
        paths = {
            "pass-through": {"User-Agent": "Mozilla/5.0 reader"},
            "licensed": {"User-Agent": "LabCrawler", "Authorization": f"License {token}"},
            "402 (AI crawler)": {"User-Agent": "Mozilla/5.0 (compatible; GPTBot/1.2)"},
        }
        print(f"wrk -t1 -d{args.duration}s --latency; upstream: 1 KiB body; gate: syndic gate")
        print(
            f"{'path':<18} {'conns':>5} {'direct rps':>11} {'gate rps':>9} "
            f"{'direct p50':>10} {'gate p50':>9} {'direct p99':>10} {'gate p99':>9} "
            f"{'p50 added':>9}"
        )
        for name, headers in paths.items():
            for conns in (1, args.connections):
                wrk(gated, connections=conns, duration=1, headers=headers)  # warm up
                d = wrk(direct, connections=conns, duration=args.duration, headers=headers)
                g = wrk(gated, connections=conns, duration=args.duration, headers=headers)
                print(
                    f"{name:<18} {conns:>5} {d['rps']:>11.0f} {g['rps']:>9.0f} "
                    f"{d['p50']:>8.2f}ms {g['p50']:>7.2f}ms {d['p99']:>8.2f}ms {g['p99']:>7.2f}ms "
                    f"{g['p50'] - d['p50']:>7.2f}ms"
                    + (f"  ({g['non2xx']:.0f} non-2xx via gate)" if g["non2xx"] else "")
                )
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    verify_us, solve_ms = bench_pow(args.pow)
    print(
        f"proof of work, difficulty 4 (4 hex zeros), {args.pow} challenges: "
        f"verify {verify_us:.1f} µs each (HMAC + one SHA-256); solve {solve_ms:.1f} ms each "
        f"(mean; 65536 hashes expected)"
    )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
