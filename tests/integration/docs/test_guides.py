"""The guides, run as written: every ```sh block of each guide, in order, in one shell, on a
fresh folder, with `syndic` on the PATH. A guide that drifts from the software fails here.

`syndic serve` in a block starts the real server in the background on a free port; the guides
call it at `$API`. `$SHARED` is the folder that holds the arXiv demo data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from syndic.api.serving import free_port

DOCS = Path(__file__).parents[3] / "docs"
BLOCK = re.compile(r"^([ \t]*)```sh\n(.*?)^\1```", re.S | re.M)
SERVE = re.compile(r"^syndic serve\b.*$", re.M)


def guide_script(path: Path) -> str:
    """The guide's shell blocks as one script (indented blocks in lists are dedented)."""
    blocks = []
    for indent, body in BLOCK.findall(path.read_text()):
        lines = [line.removeprefix(indent) for line in body.splitlines()]
        blocks.append("\n".join(lines))
    script = "\n".join(blocks)
    # the server runs in the background for the rest of the guide, and stops with it
    return SERVE.sub(
        'syndic serve --port "$PORT" > serve.log 2>&1 & SERVER=$!\n'
        "trap 'kill $SERVER' EXIT\n"
        'until curl -sf "$API/v1/coalition" > /dev/null; do sleep 0.2; done',
        script,
    )


@pytest.mark.parametrize("guide", ["guide-steward.md", "guide-licensee.md", "guide-member.md"])
def test_the_guide_runs_as_written(guide: str, tmp_path: Path, shared: Path) -> None:
    script = guide_script(DOCS / guide)
    assert script.count("\n") > 5, "the guide has no runnable blocks"
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "SHARED": str(shared),
        "PORT": str(port),
        "API": f"http://127.0.0.1:{port}",
    }
    env.pop("SYNDIC_DATA_DIR", None)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{guide} stopped:\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr
