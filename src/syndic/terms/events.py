"""The events the terms part records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from syndic.provenance.events import Event


@dataclass(frozen=True)
class TermsPublished(Event):
    """A new version of the coalition's terms, as the document stored for it."""

    kind: ClassVar[str] = "terms.published"
    version: int
    terms: dict[str, Any]
