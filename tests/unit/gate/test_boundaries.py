"""The gate's boundaries: no import of payouts or of the app layer, and payouts imports no
gate module (``syndic.gateway`` joins them)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import syndic

SRC = Path(syndic.__file__).parent


def _imports(package: str) -> set[tuple[str, str]]:
    out = set()
    for f in (SRC / package).rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out |= {(f.name, a.name) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                out.add((f.name, node.module))
    return out


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("gate", ("syndic.payouts", "syndic.app", "syndic.gateway", "syndic.cli", "syndic.api")),
        ("payouts", ("syndic.gate",)),
    ],
)
def test_no_import_across_the_boundary(package: str, forbidden: tuple[str, ...]) -> None:
    assert {(f, m) for f, m in _imports(package) if m.startswith(forbidden)} == set()
