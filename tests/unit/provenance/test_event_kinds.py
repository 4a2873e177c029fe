"""Every event kind is a registered, typed event, and every registered kind is documented."""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

import syndic
from syndic.provenance.events import EVENT_KINDS, Event

DOCS = Path(__file__).resolve().parents[3] / "docs" / "provenance.md"


def _import_everything() -> None:
    """Import every module of the package, so every event class is defined (and registered).
    A module that needs an optional extra that is not installed is left out."""
    for info in pkgutil.walk_packages(syndic.__path__, prefix="syndic."):
        if ".migrations." in info.name:
            continue
        try:
            importlib.import_module(info.name)
        except ModuleNotFoundError as exc:
            if exc.name is None or exc.name.split(".")[0] == "syndic":
                raise


def _documented() -> set[str]:
    table = DOCS.read_text(encoding="utf-8").split("## Event kinds", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_.]+)` \|", table, flags=re.MULTILINE))


def test_every_registered_kind_is_documented() -> None:
    _import_everything()
    assert EVENT_KINDS, "no event kinds registered"
    ours = {k for k, cls in EVENT_KINDS.items() if cls.__module__.startswith("syndic.")}
    missing = sorted(ours - _documented())
    assert not missing, f"event kinds missing from the table in docs/provenance.md: {missing}"


def test_the_foundation_kinds_are_registered() -> None:
    _import_everything()
    for kind in (
        "coalition.created",
        "member.joined",
        "member.left",
        "work.registered",
        "work.withdrawn",
        "work.disputed",
        "work.dispute_resolved",
        "terms.published",
        "apikey.created",
        "access.denied",
    ):
        assert kind in EVENT_KINDS, kind
        assert EVENT_KINDS[kind].kind == kind


def test_the_documented_table_lists_each_kind_once() -> None:
    table = DOCS.read_text(encoding="utf-8").split("## Event kinds", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+\.[a-z_.]+)` \|", table, flags=re.MULTILINE)
    assert len(rows) == len(set(rows))


def test_a_kind_is_defined_once() -> None:
    with pytest.raises(TypeError, match="defined twice"):

        @dataclass(frozen=True)
        class Impostor(Event):  # another class claiming a kind already taken
            kind: ClassVar[str] = "work.registered"
