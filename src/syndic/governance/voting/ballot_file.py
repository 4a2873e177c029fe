"""The ballot file: everything needed to recompute a vote, in one documented JSON document.

``syndic vote tally`` reads it; ``syndic vote export`` writes one for a closed vote, so anyone
can recompute a published result. The format is described in docs/governance.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from syndic.errors import InputFileError, InvalidInput
from syndic.governance.voting import delegation as deleg
from syndic.governance.voting.methods import QUORUM_BP, THRESHOLD_BP, VOICE_CREDITS, Count, Method
from syndic.governance.voting.methods import voting_method as _method
from syndic.governance.voting.outcome import OPTIONS, Outcome
from syndic.validation import first_error

FORMAT: Final = "syndic.ballots/v1"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class VoterIn(_Strict):
    id: str = Field(min_length=1, max_length=200)
    weight: int = Field(default=1, ge=0)
    credits: int | None = Field(default=None, ge=0)


class BallotIn(_Strict):
    voter: str
    choice: str | None = None
    votes: dict[str, int] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> BallotIn:
        if (self.choice is None) == (self.votes is None):
            raise ValueError("a ballot has either a choice or votes, not both or neither")
        return self

    def as_votes(self) -> dict[str, int]:
        return {self.choice: 1} if self.choice is not None else dict(self.votes or {})


class DelegationIn(_Strict):
    voter: str = Field(alias="from")
    delegate: str = Field(alias="to")
    topic: str | None = None


class BallotFile(_Strict):
    format: Literal["syndic.ballots/v1"] = FORMAT
    question: str = ""
    topic: str | None = None
    method: Method | None = None
    delegation: bool | None = None
    options: list[str] = Field(default_factory=lambda: [str(o) for o in OPTIONS], min_length=1)
    status_quo: str | None = None
    quorum_bp: int = Field(default=QUORUM_BP, ge=0, le=10_000)
    threshold_bp: int | None = Field(default=None, ge=5000, le=10_000)
    credits: int = Field(default=VOICE_CREDITS, ge=0)
    electorate: int | None = Field(default=None, ge=0)
    voters: list[VoterIn]
    ballots: list[BallotIn] = Field(default_factory=list)
    delegations: list[DelegationIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> BallotFile:
        if len(set(self.options)) != len(self.options):
            raise ValueError("options are listed twice")
        if self.status_quo is not None and self.status_quo not in self.options:
            raise ValueError(f"status quo {self.status_quo!r} is not one of the options")
        ids = [v.id for v in self.voters]
        if len(set(ids)) != len(ids):
            raise ValueError("a voter is listed twice")
        self._check_ballots(set(ids))
        self._check_delegations(set(ids))
        return self

    def _check_ballots(self, known: set[str]) -> None:
        seen: set[str] = set()
        for b in self.ballots:
            if b.voter not in known:
                raise ValueError(f"{b.voter} is not a voter and cannot vote")
            if b.voter in seen:
                raise ValueError(f"{b.voter} voted twice")
            seen.add(b.voter)
            for option in b.as_votes():
                if option not in self.options:
                    raise ValueError(f"{b.voter} votes for {option!r}, which is not an option")

    def _check_delegations(self, known: set[str]) -> None:
        for d in self.delegations:
            for who in (d.voter, d.delegate):
                if who not in known:
                    raise ValueError(f"delegation names {who}, who is not a voter")
            if d.voter == d.delegate:
                raise ValueError(f"{d.voter} cannot delegate to themselves")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def parse(data: Any) -> BallotFile:
    try:
        return BallotFile.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(first_error(exc, "ballot file")) from exc


def load(path: Path) -> BallotFile:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputFileError(f"no such file: {path}") from exc
    except IsADirectoryError as exc:
        raise InputFileError(f"{path} is a directory, not a ballot file") from exc
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path.name}: not valid JSON ({exc})") from exc
    return parse(data)


def tally(
    f: BallotFile,
    *,
    method: str | None = None,
    delegation: bool | None = None,
    threshold_bp: int | None = None,
) -> Outcome:
    """Recompute the outcome. ``delegated`` is a majority with delegations applied; any other
    method applies the file's delegations when ``delegation`` is true.

    The threshold is ``threshold_bp``, else the file's; a supermajority whose threshold is not
    above half (a file written for a simple majority) uses two-thirds.
    """
    spec = _method(method or f.method)
    use_delegation = spec.always_delegates or bool(
        f.delegation if delegation is None else delegation
    )
    ballots = {b.voter: b.as_votes() for b in f.ballots}
    carriers: dict[str, str] = {}
    report = None
    if use_delegation:
        delegates = deleg.effective(
            (deleg.Delegation(d.voter, d.delegate, d.topic) for d in f.delegations), f.topic
        )
        carriers, report = deleg.resolve((v.id for v in f.voters), delegates, set(ballots))
    weights = {v.id: v.weight for v in f.voters}
    if f.electorate is not None:
        electorate = f.electorate
    else:
        electorate = len(f.voters) if spec.spends_credits else sum(weights.values())
    return spec.count(
        Count(
            ballots=ballots,
            options=f.options,
            weights=weights,
            credits={v.id: f.credits if v.credits is None else v.credits for v in f.voters},
            electorate=electorate,
            quorum_bp=f.quorum_bp,
            threshold_bp=threshold_bp or f.threshold_bp or THRESHOLD_BP,
            status_quo=f.status_quo,
            carriers=carriers,
            delegation=report,
        )
    )
