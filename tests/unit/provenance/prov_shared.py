"""Where the peer vectors live, for the provenance tests (a uniquely named helper module)."""

from __future__ import annotations

import os
from pathlib import Path


def shared_dir() -> Path:
    """``../shared`` beside the repo (CI), else ``$SYNDIC_SHARED_DIR``, else ``/work/shared``."""
    beside = Path(__file__).resolve().parents[3] / ".." / "shared"
    if beside.is_dir():
        return beside
    env = os.environ.get("SYNDIC_SHARED_DIR")
    if env:
        return Path(env)
    return Path("/work/shared")


VECTORS = shared_dir() / "vectors"
