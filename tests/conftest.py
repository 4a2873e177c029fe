"""Shared fixtures: a factory that builds a real ``Syndic`` on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from syndic.app import Syndic
from syndic.config import Settings
from syndic.testing import ManualClock

PG_ADMIN = os.environ.get("SYNDIC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def shared_dir() -> Path:
    """../shared beside the repo (CI), or SYNDIC_SHARED_DIR, or /work/shared."""
    env = os.environ.get("SYNDIC_SHARED_DIR")
    candidates = [Path(env)] if env else []
    candidates += [Path(__file__).resolve().parents[1].parent / "shared", Path("/work/shared")]
    for c in candidates:
        if (c / "data" / "arxiv").is_dir():
            return c
    raise RuntimeError("cannot find shared/ (set SYNDIC_SHARED_DIR)")


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_dir()


@pytest.fixture(scope="session")
def fixture_jsonl(shared: Path) -> Path:
    return shared / "data" / "arxiv" / "fixture.jsonl"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"syndic_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


MakeSyndic = Callable[..., Syndic]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_syndic(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[MakeSyndic]:
    """Build a new coalition in a temp data dir on the parametrised backend (default SQLite)."""
    built: list[Syndic] = []
    backend = request.getfixturevalue("backend") if "backend" in request.fixturenames else "sqlite"
    url = request.getfixturevalue("pg_url") if backend == "postgres" else None

    def make(name: str = "Test Coalition", clock: ManualClock | None = None) -> Syndic:
        settings = Settings(data_dir=tmp_path / f"data{len(built)}", database_url=url)
        s = Syndic.init(settings, name=name, clock=clock or ManualClock())
        built.append(s)
        return s

    yield make
    for s in built:
        s.close()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    """Run the demo once per test session; tests read what it left behind."""
    import contextlib
    import io

    from syndic.cli.main import main

    d = tmp_path_factory.mktemp("demo") / "syndic-data"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            [
                "demo",
                "--data-dir",
                str(d),
                "--source",
                str(shared / "data/arxiv/producers300.jsonl"),
            ]
        )
    assert code == 0, out.getvalue()
    return d


@pytest.fixture(scope="session")
def pool_dir(tmp_path_factory: pytest.TempPathFactory, fixture_jsonl: Path) -> Path:
    """A coalition holding the 240 fixture works, built once; tests open copies of it."""
    from tests.coalition import build_pool

    return build_pool(tmp_path_factory.mktemp("detection") / "pool", fixture_jsonl)
