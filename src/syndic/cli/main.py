"""Entry point: the ``syndic`` group, and the one place errors become messages."""

from __future__ import annotations

import sys

import click

from syndic import __version__
from syndic.cli import (
    deals,
    gate,
    governance,
    leverage,
    log,
    members,
    ops,
    receipt,
    terms,
    value,
)
from syndic.cli.common import Ctx, data_dir_option
from syndic.errors import SyndicError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="syndic")
@data_dir_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Syndic: pool works, publish terms, value, bargain, license, enforce and pay."""
    ctx.ensure_object(Ctx)
    ctx.call_on_close(ctx.obj.close)


for group in (
    ops.init,
    members.member,
    members.work,
    members.import_,
    deals.licensee,
    terms.terms,
    gate.gate,
    deals.deal,
    governance.vote,
    governance.charter,
    governance.delegation,
    governance.agreement,
    deals.export,
    ops.payout,
    ops.report,
    ops.vault,
    log.log,
    receipt.receipt,
    value.value,
    leverage.leverage,
    ops.key,
    ops.serve,
    ops.demo,
):
    cli.add_command(group)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI. A ``SyndicError`` becomes one line on stderr and a non-zero exit; the
    layers below wrap their dependencies' errors (database, files) as ``SyndicError``s, so
    anything else is a bug, reported in one line too."""
    try:
        cli.main(args=argv, prog_name="syndic", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return 130
    except SyndicError as exc:
        click.echo(f"error: {exc.message}", err=True)
        return 2 if exc.status < 500 else 1
    except Exception as exc:  # a bug: still one line for the user, never a traceback
        first = (str(exc).splitlines() or [""])[0]
        click.echo(f"error: unexpected {type(exc).__name__}: {first}".rstrip(": "), err=True)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
