"""Every transparency-dev/merkle vector: happy paths verify, each ``wantErr`` case is refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from syndic.errors import VerificationError
from syndic.provenance.merkle import verify_consistency, verify_inclusion

from .prov_shared import VECTORS

MERKLE = VECTORS / "merkle"


def _cases(kind: str) -> list[Path]:
    return sorted((MERKLE / kind).rglob("*.json"))


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(MERKLE)) for p in paths]


def test_vector_set_is_complete() -> None:
    # guard against a silently empty parametrisation (a test that cannot fail)
    inclusion, consistency = _cases("inclusion"), _cases("consistency")
    assert len(inclusion) > 50
    assert len(consistency) > 50
    assert any(_load(p)["wantErr"] for p in inclusion)
    assert any(not _load(p)["wantErr"] for p in consistency)


@pytest.mark.parametrize("path", _cases("inclusion"), ids=_ids(_cases("inclusion")))
def test_inclusion_vector(path: Path) -> None:
    case = _load(path)
    kwargs = {
        "leaf_hash": _b64(case["leafHash"]),
        "index": case["leafIdx"],
        "size": case["treeSize"],
        "proof": [_b64(p) for p in case["proof"] or []],
        "root": _b64(case["root"]),
    }
    if case["wantErr"]:
        with pytest.raises(VerificationError):
            verify_inclusion(**kwargs)
    else:
        verify_inclusion(**kwargs)


@pytest.mark.parametrize("path", _cases("consistency"), ids=_ids(_cases("consistency")))
def test_consistency_vector(path: Path) -> None:
    case = _load(path)
    kwargs = {
        "old_size": case["size1"],
        "new_size": case["size2"],
        "old_root": _b64(case["root1"]),
        "new_root": _b64(case["root2"]),
        "proof": [_b64(p) for p in case["proof"] or []],
    }
    if case["wantErr"]:
        with pytest.raises(VerificationError):
            verify_consistency(**kwargs)
    else:
        verify_consistency(**kwargs)
