"""Schemathesis against the app, from its own OpenAPI description, for every kind of caller:
valid and invalid requests to every operation, and not one 5xx answer.

Seeded (derandomized) so a failure reproduces; ``SYNDIC_FUZZ_EXAMPLES`` raises the number of
cases per operation and mode for a longer run (docs/api.md records the figures)."""

from __future__ import annotations

import contextlib
import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.conftest import MakeSyndic
from tests.integration.api.callers import coalition

ROLES = ("no key", "member", "licensee", "steward")
EXAMPLES = int(os.environ.get("SYNDIC_FUZZ_EXAMPLES", "3"))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> tuple[int, list[str]]:
    """Send ``EXAMPLES`` generated requests to one operation; the cases run and the 5xx."""
    cases = 0
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        nonlocal cases
        cases += 1
        response = case.call(headers=headers)
        if response.status_code >= 500:
            failures.append(f"{operation.label} [{mode.value}]: {response.text[:200]}")

    with contextlib.suppress(Unsatisfiable):  # no invalid input for an operation taking none
        call()
    return cases, failures


@pytest.mark.parametrize("role", ROLES)
def test_no_operation_answers_5xx(role: str, make_syndic: MakeSyndic) -> None:
    c = coalition(make_syndic)
    schema = schemathesis.openapi.from_asgi("/openapi.json", c.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    cases = 0
    failures: list[str] = []
    for operation in operations:
        for mode in MODES:
            ran, failed = fuzz(operation, mode, c.headers(role))
            cases += ran
            failures += failed
    print(
        f"schemathesis as {role}: {len(operations)} operations, {cases} cases, "
        f"{len(failures)} answered 5xx"
    )
    assert cases >= len(operations) * EXAMPLES
    assert failures == []
