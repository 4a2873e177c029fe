"""Starting the CLI loads neither datasketch nor pyarrow: detection imports them when used."""

from __future__ import annotations

import subprocess
import sys

LAZY = ("datasketch", "pyarrow")


def test_the_cli_imports_no_detection_library() -> None:
    code = (
        "import sys, syndic.cli.main, syndic.app; "
        f"print(sorted(m for m in {LAZY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_signing_imports_no_datasketch() -> None:
    """Signatures equal datasketch's without importing it (it loads scipy: half a second
    before every registration)."""
    code = (
        "import sys; from syndic.detection.minhash import signatures; "
        "signatures(['one two three four five six']); print('datasketch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
