"""The licence terms model: what usages are permitted or prohibited, and at what price.

Usage tokens are RSL 1.0's: ``all`` covers everything, ``ai-all`` covers every AI usage
(``ai-train``, ``ai-input``, ``ai-index``); ``search`` is not an AI usage.

Deciding a usage: the most specific token that names it wins (a leaf token beats ``ai-all``,
which beats ``all``); at equal specificity a prohibition beats a permission; a usage that no
token names is refused.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import JSON, Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from syndic.money import check_currency, check_minor
from syndic.storage.base import Base


class Usage(StrEnum):
    ALL = "all"
    AI_ALL = "ai-all"
    AI_TRAIN = "ai-train"
    AI_INPUT = "ai-input"
    AI_INDEX = "ai-index"
    SEARCH = "search"


AI_USAGES = frozenset({Usage.AI_TRAIN, Usage.AI_INPUT, Usage.AI_INDEX})
LEAF_USAGES = frozenset({*AI_USAGES, Usage.SEARCH})

# RSL 0.9 and IETF AIPREF spellings accepted when reading someone else's file.
_ALIASES = {
    "train-ai": Usage.AI_TRAIN,
    "train-genai": Usage.AI_TRAIN,
    "ai-use": Usage.AI_INPUT,
    "ai-training": Usage.AI_TRAIN,
}


def parse_usage(token: str) -> Usage:
    """One usage token, RSL 1.0 or an older spelling; ``ValueError`` if unknown."""
    t = token.strip().lower()
    if t in _ALIASES:
        return _ALIASES[t]
    return Usage(t)


def parse_usage_list(text: str) -> frozenset[Usage]:
    """A comma- or space-separated list of usage tokens (RSL element text)."""
    return frozenset(parse_usage(t) for t in text.replace(",", " ").split())


def _specificity(token: Usage, usage: Usage) -> int:
    """How specifically ``token`` names ``usage``: 2 exact, 1 via ai-all, 0 via all, -1 not."""
    if token is usage:
        return 2
    if token is Usage.AI_ALL and usage in AI_USAGES:
        return 1
    if token is Usage.ALL:
        return 0
    return -1


def decide(permits: frozenset[Usage], prohibits: frozenset[Usage], usage: Usage) -> bool:
    """Whether ``usage`` (a leaf) is allowed: most specific rule wins, prohibition on a tie."""
    best_permit = max((_specificity(t, usage) for t in permits), default=-1)
    best_prohibit = max((_specificity(t, usage) for t in prohibits), default=-1)
    return best_permit >= 0 and best_permit > best_prohibit


def expand(usages: frozenset[Usage] | set[Usage] | list[Usage]) -> frozenset[Usage]:
    """The concrete (leaf) usages a set of tokens covers."""
    out: set[Usage] = set()
    for u in usages:
        if u is Usage.ALL:
            out |= LEAF_USAGES
        elif u is Usage.AI_ALL:
            out |= AI_USAGES
        else:
            out.add(u)
    return frozenset(out)


class PaymentType(StrEnum):
    """RSL payment types that Syndic prices."""

    FREE = "free"
    PURCHASE = "purchase"
    SUBSCRIPTION = "subscription"
    TRAINING = "training"
    CRAWL = "crawl"
    USE = "use"
    ATTRIBUTION = "attribution"


class Terms(BaseModel):
    """One set of licence terms. Immutable; a new version is a new object."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    permits: frozenset[Usage] = Field(default_factory=frozenset)
    prohibits: frozenset[Usage] = Field(default_factory=frozenset)
    payment_type: PaymentType = PaymentType.TRAINING
    amount_minor: int = 0
    currency: str = "EUR"
    duration_days: int = Field(default=365, ge=1, le=36500)

    @field_validator("amount_minor")
    @classmethod
    def _amount(cls, v: int) -> int:
        return check_minor(v)

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return check_currency(v)

    @model_validator(mode="after")
    def _consistent(self) -> Terms:
        free = self.payment_type in (PaymentType.FREE, PaymentType.ATTRIBUTION)
        if not free and self.amount_minor == 0 and self.permits:
            raise ValueError(f"payment type {self.payment_type} needs an amount greater than zero")
        return self

    def document(self) -> dict[str, Any]:
        """The terms as JSON: how they are stored, logged and served (usage lists sorted, so
        equal terms give equal bytes)."""
        doc = self.model_dump(mode="json")
        doc["permits"] = sorted(doc["permits"])
        doc["prohibits"] = sorted(doc["prohibits"])
        return doc

    def allows(self, usage: Usage) -> bool:
        """Every leaf usage ``usage`` covers is allowed (see ``decide``)."""
        return all(decide(self.permits, self.prohibits, u) for u in expand([usage]))


class TermsColumn(TypeDecorator[Terms]):
    """A column that holds ``Terms``: stored as their JSON document, read back as ``Terms``,
    so nothing parses terms by hand. A dict is accepted on the way in (validated first)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Terms | dict[str, Any] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        terms = value if isinstance(value, Terms) else Terms.model_validate(value)
        return terms.document()

    def process_result_value(self, value: Any, dialect: Dialect) -> Terms | None:
        return None if value is None else Terms.model_validate(value)


class TermsVersion(Base):
    """One published version of the terms (the newest is in force); ``document`` is the
    ``Terms`` as JSON, ``log_index`` its ``terms.published`` event."""

    __tablename__ = "terms_versions"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    document: Mapped[Terms] = mapped_column(TermsColumn())
    published_at: Mapped[datetime]
    log_index: Mapped[int]
