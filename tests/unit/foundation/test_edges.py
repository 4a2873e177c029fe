"""The edges (CLI, API, pages, demo) go through ``Syndic``: none imports SQLAlchemy."""

from __future__ import annotations

import ast
from pathlib import Path

import syndic

SRC = Path(syndic.__file__).resolve().parent
EDGES = [SRC / "cli", SRC / "api", SRC / "web", SRC / "demo.py"]


def _modules() -> list[Path]:
    out: list[Path] = []
    for edge in EDGES:
        out.extend(sorted(edge.rglob("*.py")) if edge.is_dir() else [edge])
    return out


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_edge_imports_sqlalchemy() -> None:
    modules = _modules()
    assert len(modules) > 10
    offenders = {
        str(p.relative_to(SRC)): sorted(n for n in _imports(p) if n.split(".")[0] == "sqlalchemy")
        for p in modules
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_edge_reaches_for_tables() -> None:
    """Tables are the domains' business: no edge imports a ``models`` module's rows."""
    offenders = {
        str(p.relative_to(SRC)): sorted(
            n for n in _imports(p) if n.endswith(".models") and n.startswith("syndic.")
        )
        for p in _modules()
    }
    allowed = {"syndic.terms.models", "syndic.auth.models"}  # value types (Terms, Role)
    assert {k: sorted(set(v) - allowed) for k, v in offenders.items() if set(v) - allowed} == {}
