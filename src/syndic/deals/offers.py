"""An offer's full content (terms, scope, payment schedule, reporting duties) and the
difference between two offers, field by field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from syndic.errors import InvalidInput
from syndic.money import check_minor
from syndic.terms.models import Terms
from syndic.terms.registry import terms_document
from syndic.validation import first_error


class Installment(BaseModel):
    """One payment: ``amount_minor`` due ``due_days`` after the agreement starts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    due_days: int = Field(ge=0, le=36500)
    amount_minor: int

    @model_validator(mode="after")
    def _amount(self) -> Installment:
        check_minor(self.amount_minor, allow_zero=False)
        return self


class Reporting(BaseModel):
    """What the licensee must report, and how often."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    usage_report_days: int = Field(default=90, ge=1, le=366)
    report_monthly_active_users: bool = True
    audit_rights: bool = True


class Offer(BaseModel):
    """Everything one side proposes. Each offer is complete: nothing is inherited."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    terms: Terms
    scope: list[str] = Field(default_factory=list)  # collections; empty = the whole pool
    payment_schedule: list[Installment] = Field(default_factory=list)
    reporting: Reporting = Reporting()

    @model_validator(mode="after")
    def _schedule_adds_up(self) -> Offer:
        if self.payment_schedule:
            total = sum(i.amount_minor for i in self.payment_schedule)
            if total != self.terms.amount_minor:
                raise ValueError(
                    f"the payment schedule adds up to {total}, "
                    f"not the price of {self.terms.amount_minor} minor units"
                )
        return self

    @classmethod
    def build(cls, **fields: Any) -> Offer:
        """Validate an offer; errors become ``InvalidInput`` naming the problem."""
        try:
            return cls(**fields)
        except ValidationError as exc:
            raise InvalidInput(first_error(exc, "offer")) from exc

    def schedule(self) -> list[dict[str, int]]:
        """The schedule, or one payment of the whole price at the start."""
        items = self.payment_schedule or (
            [Installment(due_days=0, amount_minor=self.terms.amount_minor)]
            if self.terms.amount_minor
            else []
        )
        return [i.model_dump() for i in sorted(items, key=lambda i: i.due_days)]

    def clauses(self) -> dict[str, Any]:
        return {"payment_schedule": self.schedule(), "reporting": self.reporting.model_dump()}

    def document(self) -> dict[str, Any]:
        return {
            "terms": terms_document(self.terms),
            "scope": sorted(set(self.scope)),
            **self.clauses(),
        }


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def diff(previous: dict[str, Any] | None, new: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed from ``previous`` to ``new``: one entry per field (lists compared whole),
    sorted by field name. The first offer differs from nothing in every field."""
    old = _flatten(previous or {})
    cur = _flatten(new)
    return [
        {"field": f, "from": old.get(f), "to": cur.get(f)}
        for f in sorted(old.keys() | cur.keys())
        if old.get(f) != cur.get(f)
    ]
