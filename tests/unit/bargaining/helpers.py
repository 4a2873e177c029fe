"""Small synthetic learning tasks for the bargaining tests: papers whose words depend on
their field, written as arXiv-style JSONL (the pool through the importer, the outside data as
the builder's file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from syndic.app import Syndic
from syndic.members.importer import import_arxiv

FIELDS = ("Physics", "Mathematics", "Biology")
COMMON = [f"common{i}" for i in range(60)]


def papers(n: int, *, seed: int, prefix: str, producers: int = 6) -> list[dict[str, Any]]:
    """``n`` papers; each field has its own 40 words, mixed with common words."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        field = FIELDS[i % len(FIELDS)]
        own = [f"{field.lower()}{j}" for j in range(40)]
        words = [
            own[int(rng.integers(40))] if rng.random() < 0.12 else COMMON[int(rng.integers(60))]
            for _ in range(25)
        ]
        out.append(
            {
                "id": f"{prefix}.{i:05d}",
                "title": f"{prefix} paper {i} on {words[0]} {words[1]}",
                "abstract": " ".join(words),
                "field": field,
                "producer": f"{prefix}-author-{i % producers}",
            }
        )
    return out


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def pool(s: Syndic, tmp: Path, n: int = 120, seed: int = 1) -> list[dict[str, Any]]:
    rows = papers(n, seed=seed, prefix="pool")
    import_arxiv(s.members, write_jsonl(tmp / "pool.jsonl", rows))
    return rows


def outside(
    tmp: Path, n: int = 240, seed: int = 2, extra: list[dict[str, Any]] | None = None
) -> Path:
    return write_jsonl(tmp / "outside.jsonl", papers(n, seed=seed, prefix="out") + (extra or []))
