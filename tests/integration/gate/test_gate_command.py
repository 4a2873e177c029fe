"""``syndic gate`` as an operator runs it: a real process, and whose X-Forwarded-For it believes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from syndic.api.serving import free_port
from tests.conftest import MakeSyndic
from tests.integration.gate.helpers import active_agreement, serve, upstream_app

POLICY = """
site: alice-site
hosts: [127.0.0.1]
member: {member}
usage: ai-train
rules:
  - name: public
    if: {{path: "/public/*"}}
    then: pass
"""
CLAIMED = "203.0.113.7"


def _wait(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("syndic gate did not start")


@pytest.mark.parametrize(
    ("trust", "client"),
    [(None, CLAIMED), ("127.0.0.1", CLAIMED), ("", "127.0.0.1"), ("192.0.2.1", "127.0.0.1")],
)
def test_gate_believes_forwarded_for_only_from_a_trusted_proxy(
    make_syndic: MakeSyndic, tmp_path: Path, trust: str | None, client: str
) -> None:
    s = make_syndic()
    member, _, _ = active_agreement(s)
    policy = tmp_path / "gate.yaml"
    policy.write_text(POLICY.format(member=member))
    port = free_port()
    cmd = [sys.executable, "-c", "from syndic.cli.main import main; main()", "gate"]
    cmd += ["--data-dir", str(s.settings.data_dir), "--policy", str(policy)]
    cmd += ["--listen", f"127.0.0.1:{port}"]
    if trust is not None:
        cmd += ["--trust-proxy", trust]
    with serve(upstream_app()) as up:
        proc = subprocess.Popen(
            [*cmd, "--upstream", up], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait(url + "/public/x", proc)
            r = httpx.post(
                url + "/public/echo", content=b"hi", headers={"X-Forwarded-For": CLAIMED}
            )
            assert r.status_code == 200, r.text
            # the proxy appends the client it believes in to the header it forwards
            assert r.json()["forwarded_for"].split(", ")[-1] == client
        finally:
            proc.terminate()
            proc.communicate(timeout=15)
