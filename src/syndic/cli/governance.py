"""``syndic charter``, ``vote``, ``delegation``, ``agreement``: governance and signed agreements.

``vote tally`` and ``agreement verify``/``keygen``/``signature`` work offline on files: they
need no coalition, so anyone can recompute a vote or check an agreement.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from syndic.cli.common import (
    command,
    json_option,
    print_json,
    print_table,
    print_told,
    print_tree,
    syndic,
)
from syndic.deals.agreement import (
    DOCUMENT_TYPE,
    AgreementDocument,
    signing_message,
    verify_file,
)
from syndic.errors import InputFileError, InvalidInput, VerificationError
from syndic.governance.voting import ballot_file, methods
from syndic.governance.voting.outcome import OPTIONS
from syndic.keys import generate_key_file, load_key_file, public_b64
from syndic.members.shares import parse_percent
from syndic.storage.files import read_input, write_output


def _json_file(path: Path) -> Any:
    try:
        return json.loads(read_input(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path.name}: not valid JSON ({exc})") from exc


def _votes(specs: tuple[str, ...]) -> dict[str, int] | None:
    if not specs:
        return None
    out: dict[str, int] = {}
    for spec in specs:
        option, sep, n = spec.partition("=")
        if not sep or not n.strip().isdigit():
            raise InvalidInput(f"votes are OPTION=N, e.g. yes=3; got {spec!r}")
        out[option.strip()] = int(n)
    return out


# --- charter ---------------------------------------------------------------------------------
@click.group()
def charter() -> None:
    """The charter: the rules the members govern themselves by."""


@command(charter, "show")
@json_option
def charter_show(as_json: bool) -> None:
    """The charter in force."""
    c = syndic().governance.charter()
    if as_json:
        print_json(c.document())
        return
    click.echo(f"charter version {c.version}" + (" (defaults, not yet founded)" * (not c.version)))
    print_tree({k: v for k, v in c.document().items() if k != "version"})


@command(charter, "history")
@json_option
def charter_history(as_json: bool) -> None:
    """Every adopted version of the charter, and the vote that adopted it."""
    rows = syndic().governance.charter_history()
    if as_json:
        print_json(rows)
    else:
        print_table(
            [r.model_dump() for r in rows],
            ["version", "adopted_at", "proposal_id", "log_index"],
            "Charter",
        )


@command(charter, "found")
@click.argument("path", type=click.Path(path_type=Path))
def charter_found(path: Path) -> None:
    """Adopt the founding charter from a JSON file (only once; later changes need a vote)."""
    c = syndic().governance.found(_json_file(path))
    click.echo(f"charter version {c.version} founded")


@command(charter, "propose")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--member", "member_id", type=int, help="Proposed by this member (else steward).")
@json_option
def charter_propose(path: Path, member_id: int | None, as_json: bool) -> None:
    """Put an amendment (a JSON object of changed fields) to the members' vote."""
    changes = _json_file(path)
    if not isinstance(changes, dict):
        raise InvalidInput("an amendment is a JSON object of the fields it changes")
    p = syndic().governance.propose_amendment(changes, member_id=member_id)
    if as_json:
        print_json(p)
    else:
        click.echo(f"proposal {p.id}: {p.question['text']}; vote open until {p.closes_at}")


# --- votes -----------------------------------------------------------------------------------
@click.group()
def vote() -> None:
    """Members' votes: cast, close, export and recompute."""


@command(vote, "cast")
@click.argument("deal_id", type=int)
@click.option("--member", "member_id", type=int, required=True)
@click.option("--choice", type=click.Choice(OPTIONS))
@click.option("--votes", "votes", multiple=True, help="OPTION=N for quadratic votes (n^2 credits).")
def vote_cast(deal_id: int, member_id: int, choice: str | None, votes: tuple[str, ...]) -> None:
    """Cast a member's vote on a deal."""
    r = syndic().deals.cast_vote(deal_id, member_id=member_id, choice=choice, votes=_votes(votes))
    shown = choice or ", ".join(f"{o} {n}" for o, n in r.votes.items())
    click.echo(f"member {member_id} voted {shown} on deal {deal_id}")


@command(vote, "ballot")
@click.argument("proposal_id", type=int)
@click.option("--member", "member_id", type=int, required=True)
@click.option("--choice", type=click.Choice(OPTIONS))
@click.option("--votes", "votes", multiple=True, help="OPTION=N for quadratic votes (n^2 credits).")
@json_option
def vote_ballot(
    proposal_id: int, member_id: int, choice: str | None, votes: tuple[str, ...], as_json: bool
) -> None:
    """Cast a member's ballot on a proposal (e.g. a charter amendment)."""
    r = syndic().governance.cast(
        proposal_id, member_id=member_id, choice=choice, votes=_votes(votes)
    )
    print_json(r) if as_json else click.echo(
        f"member {member_id}: ballot on proposal {proposal_id} recorded ({r.commitment})"
    )


@command(vote, "close")
@click.argument("proposal_id", type=int)
@click.option("--now", "force", is_flag=True, help="Close before the deadline.")
@json_option
def vote_close(proposal_id: int, force: bool, as_json: bool) -> None:
    """Close a charter amendment vote; if it passes, the new version is adopted."""
    p = syndic().governance.close(proposal_id, force=force)
    if as_json:
        print_json(p)
    else:
        o = p.outcome or {}
        adopted = o.get("adopted")
        click.echo(
            f"proposal {p.id}: {o.get('winner')} ({o.get('reason')})"
            + (f"; charter version {o.get('charter_version')} adopted" if adopted else "")
        )


@command(vote, "list")
@click.option("--open", "only_open", is_flag=True, help="Only votes still open.")
@json_option
def vote_list(only_open: bool, as_json: bool) -> None:
    """Proposals put to the members."""
    rows = syndic().governance.list_proposals(status="open" if only_open else None)
    if as_json:
        print_json(rows)
    else:
        print_table(
            [r.model_dump() for r in rows],
            ["id", "kind", "subject_id", "status", "closes_at"],
            "Proposals",
        )


@command(vote, "show")
@click.argument("proposal_id", type=int)
@json_option
def vote_show(proposal_id: int, as_json: bool) -> None:
    """One proposal: the question, the rule, and the outcome once closed."""
    p = syndic().governance.get(proposal_id)
    if as_json:
        print_json(p)
    else:
        click.echo(f"proposal {p.id} ({p.kind}, {p.status}): {p.question.get('text', '')}")
        print_told(p.question)
        rule = p.frozen_rule()
        click.echo(f"  rule: {rule.method}, quorum {rule.quorum_bp / 100:g}%")
        if p.outcome:
            click.echo(f"  outcome: {p.outcome['winner']} ({p.outcome['reason']})")
            click.echo(f"  totals: {p.outcome['totals']}")


@command(vote, "export")
@click.argument("proposal_id", type=int)
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option(
    "--published",
    is_flag=True,
    help="The file as published to anyone (secret votes: voters under pseudonyms).",
)
def vote_export(proposal_id: int, out: Path | None, published: bool) -> None:
    """The ballot file a closed vote was tallied from; `vote tally` recomputes it."""
    f = syndic().governance.ballot_file(proposal_id, published=published)
    data = json.dumps(f, indent=2) + "\n"
    if out is None:
        click.echo(data, nl=False)
    else:
        write_output(out, data)
        click.echo(f"ballot file written to {out}")


@command(vote, "credits")
@click.argument("member_id", type=int)
@json_option
def vote_credits(member_id: int, as_json: bool) -> None:
    """Voice credits a member holds now (quadratic voting)."""
    n = syndic().governance.credits(member_id)
    print_json({"member": member_id, "credits": n}) if as_json else click.echo(
        f"member {member_id}: {n} voice credits"
    )


@command(vote, "tally")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--method", type=click.Choice(list(methods.NAMES)), default=None)
@click.option(
    "--delegation/--no-delegation",
    default=None,
    help="Apply the file's delegations (always on for `delegated`; default: the file's own).",
)
@click.option(
    "--threshold",
    "threshold_pct",
    default=None,
    help="Share of decisive votes the winner needs, in percent (default: the file's).",
)
@click.option(
    "--chart", type=click.Path(path_type=Path, dir_okay=False), help="Write totals as SVG."
)
@json_option
def vote_tally(
    path: Path,
    method: str | None,
    delegation: bool | None,
    threshold_pct: str | None,
    chart: Path | None,
    as_json: bool,
) -> None:
    """Recompute a vote from a ballot file (offline; format in docs/governance.md)."""
    threshold = None if threshold_pct is None else parse_percent(threshold_pct)
    if threshold is not None and not 5000 <= threshold <= 10_000:
        raise InvalidInput("a threshold is between 50% and 100%")
    outcome = ballot_file.tally(
        ballot_file.load(path), method=method, delegation=delegation, threshold_bp=threshold
    )
    if chart is not None:
        from syndic.web.charts import bar_chart

        write_output(
            chart,
            str(
                bar_chart(
                    list(outcome.totals),
                    list(outcome.totals.values()),
                    title=f"{outcome.method}: winner {outcome.winner or 'none'}",
                    xlabel="votes",
                )
            ),
        )
    if as_json:
        print_json(outcome.to_dict())
        return
    click.echo(f"method {outcome.method}: winner {outcome.winner or 'none'} ({outcome.reason})")
    for option, n in outcome.totals.items():
        click.echo(f"  {option}: {n}")
    click.echo(f"  turnout {outcome.turnout} of {outcome.electorate}")
    if outcome.delegation is not None:
        for carrier, voters in sorted(outcome.delegation.carried.items()):
            click.echo(f"  {carrier} carried {', '.join(voters)}")
        for cycle in outcome.delegation.cycles:
            click.echo(f"  delegation cycle: {' -> '.join([*cycle, cycle[0]])}")


# --- delegation ------------------------------------------------------------------------------
@click.group()
def delegation() -> None:
    """Liquid delegation: a member lets another carry their vote."""


@command(delegation, "set")
@click.option("--member", "member_id", type=int, required=True)
@click.option("--to", "delegate_id", type=int, required=True)
@click.option("--topic", default=None, help="deals or charter (default: every topic).")
def delegation_set(member_id: int, delegate_id: int, topic: str | None) -> None:
    """Delegate a member's vote (replaces their delegation on the same topic)."""
    syndic().governance.delegate(member_id, delegate_id, topic=topic)
    click.echo(f"member {member_id} delegates to {delegate_id} on {topic or 'every topic'}")


@command(delegation, "revoke")
@click.option("--member", "member_id", type=int, required=True)
@click.option("--topic", default=None)
def delegation_revoke(member_id: int, topic: str | None) -> None:
    """Take a delegation back."""
    syndic().governance.revoke_delegation(member_id, topic=topic)
    click.echo(f"member {member_id}: delegation on {topic or 'every topic'} revoked")


@command(delegation, "list")
@click.option("--member", "member_id", type=int, default=None)
@json_option
def delegation_list(member_id: int | None, as_json: bool) -> None:
    """Delegations in force."""
    rows = syndic().governance.delegations(member_id=member_id)
    if as_json:
        print_json(rows)
    else:
        print_table(
            [r.model_dump() for r in rows],
            ["member_id", "delegate_id", "topic", "created_at"],
            "Delegations",
        )


# --- agreements ------------------------------------------------------------------------------
@click.group()
def agreement() -> None:
    """Signed agreements: check, show, render as RSL; a licensee's key and signature."""


@command(agreement, "verify")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--coalition-key", default=None, help="The coalition key you trust (base64).")
@click.option("--licensee-key", default=None, help="The licensee key you trust (base64).")
@json_option
def agreement_verify(
    path: Path, coalition_key: str | None, licensee_key: str | None, as_json: bool
) -> None:
    """Check an agreement file offline: both signatures, the scope, the schedule."""
    v = verify_file(read_input(path), coalition_key=coalition_key, licensee_key=licensee_key)
    if as_json:
        print_json(v.to_dict())
        return
    click.echo(
        f"OK: agreement {v.agreement} between {v.coalition} and {v.licensee}, {v.works} works "
        f"(scope {v.scope_root}), {v.starts_at} to {v.ends_at}"
    )
    if not v.keys_pinned:
        click.echo(
            "note: checked against the keys the document names; pass --coalition-key and "
            "--licensee-key to check who they belong to"
        )


@command(agreement, "show")
@click.argument("agreement_id", type=int)
@json_option
def agreement_show(agreement_id: int, as_json: bool) -> None:
    """One agreement and its signed document."""
    app = syndic()
    a = app.deals.get_agreement(agreement_id)
    doc = AgreementDocument.parse(app.deals.agreement_document(agreement_id)).as_json()
    doc["scope"]["digests"] = f"<{len(doc['scope']['digests'])} digests>"
    if as_json:
        print_json({"agreement": a, "document": doc})
    else:
        click.echo(
            f"agreement {a.id} ({a.status}) with licensee {a.licensee_id}: {a.works_count} works, "
            f"{a.starts_at:%Y-%m-%d} to {a.ends_at:%Y-%m-%d}; file {app.deals.agreement_path(a.id)}"
        )


@command(agreement, "rsl")
@click.argument("agreement_id", type=int)
@click.option("--base-url", default=None, help="Where the API is served (default: public_url).")
def agreement_rsl(agreement_id: int, base_url: str | None) -> None:
    """The agreement as an RSL 1.0 licence over its licensed dataset."""
    app = syndic()
    click.echo(app.deals.rsl(agreement_id, base_url=base_url or app.settings.public_url), nl=False)


@command(agreement, "keygen")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
def agreement_keygen(out: Path) -> None:
    """A licensee's Ed25519 key (file mode 0600); prints the public key to register."""
    click.echo(public_b64(generate_key_file(out)))


@command(agreement, "signature")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path), required=True)
@click.option("--coalition-key", default=None, help="The coalition key you trust (base64).")
def agreement_signature(path: Path, key_path: Path, coalition_key: str | None) -> None:
    """Sign an agreement file with a licensee key, once the coalition's signature, the scope
    and the schedule check out; prints the signature (base64)."""
    import base64

    raw = read_input(path)
    try:
        message = signing_message(raw, coalition_key=coalition_key)
    except VerificationError as exc:
        if _is_bare_document(raw):
            raise InvalidInput(
                f"{path.name} is a bare agreement document: sign the agreement file, which "
                "carries the coalition's signature to check first"
            ) from exc
        raise
    click.echo(base64.b64encode(load_key_file(key_path).sign(message)).decode())


def _is_bare_document(raw: bytes) -> bool:
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    return isinstance(doc, dict) and doc.get("type") == DOCUMENT_TYPE
