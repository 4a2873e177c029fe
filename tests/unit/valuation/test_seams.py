"""Valuation's seams: the CLI options come from ``RunParams``, the computing modules import no
storage, and importing the application loads no heavy numerical library."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndic.cli.main import cli
from syndic.valuation.executors import EXECUTORS
from syndic.valuation.features import FEATURIZERS
from syndic.valuation.learners import LEARNERS
from syndic.valuation.methods import METHODS
from syndic.valuation.params import RunParams

HEAVY = ("sklearn", "scipy", "matplotlib", "numba", "torch")
VALUATION = Path(__file__).parents[3] / "src" / "syndic" / "valuation"


def test_value_run_offers_every_run_parameter_with_its_default_and_help() -> None:
    out = CliRunner().invoke(cli, ["value", "run", "--help"], terminal_width=200).output
    flat = re.sub(r"\s+", " ", out)
    for f in fields(RunParams):
        option = f"--{f.name.replace('_', '-')}"
        assert option in out, option
        assert f.metadata["help"] in flat, f.name
        assert f"[default: {f.default}]" in flat, f.name
    for names in (METHODS, FEATURIZERS, LEARNERS, EXECUTORS):
        assert "[" + "|".join(names) + "]" in flat


def test_cli_options_reach_run_params_unchanged() -> None:
    """Parsing with no options gives RunParams' defaults (nothing is written twice)."""
    from syndic.cli import value as value_cli

    seen = dict(value_cli.value_run.make_context("run", []).params)
    seen.pop("as_json")
    seen.pop("data_dir", None)
    assert RunParams(**seen) == RunParams()  # type: ignore[arg-type]


def _loaded_after(statement: str, names: tuple[str, ...]) -> list[str]:
    code = (
        f"import json, sys; {statement}; "
        f"print(json.dumps([m for m in {names!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return list(json.loads(out))


def test_importing_the_application_loads_no_heavy_library() -> None:
    assert _loaded_after("import syndic.app", HEAVY) == []


def test_the_cli_entry_point_loads_neither_the_application_nor_numpy() -> None:
    """`syndic --help` stays fast: commands (and Syndic) are imported when one is run."""
    names = (*HEAVY, "numpy", "syndic.app", "sqlalchemy", "pydantic", "rich")
    assert _loaded_after("import syndic.cli.main", names) == []


COMPUTING = [
    str(p.relative_to(VALUATION))
    for p in sorted(VALUATION.rglob("*.py"))
    if p.name not in ("service.py", "models.py", "stored.py", "audit.py")
]
BANNED = ("syndic.storage", "sqlalchemy", "valuation.service", "valuation.models", "members.models")


@pytest.mark.parametrize("module", COMPUTING)
def test_computing_modules_import_no_storage(module: str) -> None:
    """Only service.py, stored.py (the checks of stored rows), audit.py (those checks in
    `syndic audit`) and models.py touch the database."""
    text = (VALUATION / module).read_text()
    for banned in BANNED:
        assert banned not in text, f"{module} imports {banned}"
