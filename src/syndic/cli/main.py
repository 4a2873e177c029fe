"""Entry point: the ``syndic`` group, and the one place errors become messages.

Commands are loaded on first use (``LazyGroup``): ``syndic --help`` and every command pay only
for the modules they need, so no command waits for the valuation stack or the HTTP server to
import. The help line of each command is written here once; a test checks that it matches the
command's own docstring.
"""

from __future__ import annotations

import importlib
import sys

import click

from syndic import __version__
from syndic.cli.common import Ctx, data_dir_option
from syndic.errors import SyndicError

# name -> ("module:attribute", the command's short help, as its docstring's first sentence)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": (
        "syndic.cli.ops:init",
        "Create a coalition: data dir, database, signing key.",
    ),
    "member": (
        "syndic.cli.members:member",
        "Members and their mandates.",
    ),
    "work": (
        "syndic.cli.members:work",
        "Works in the pool.",
    ),
    "import": (
        "syndic.cli.members:import_",
        "Import works from a corpus.",
    ),
    "licensee": (
        "syndic.cli.deals:licensee",
        "AI builders who license the pool.",
    ),
    "terms": (
        "syndic.cli.terms:terms",
        "The coalition's published licence terms.",
    ),
    "gate": (
        "syndic.cli.gate:gate",
        "Run the crawler gate: a reverse proxy that licenses, charges, challenges or refuses.",
    ),
    "deal": (
        "syndic.cli.deals:deal",
        "Negotiation, the members' vote, and agreements.",
    ),
    "vote": (
        "syndic.cli.governance:vote",
        "Members' votes: cast, close, export and recompute.",
    ),
    "charter": (
        "syndic.cli.governance:charter",
        "The charter: the rules the members govern themselves by.",
    ),
    "delegation": (
        "syndic.cli.governance:delegation",
        "Liquid delegation: a member lets another carry their vote.",
    ),
    "agreement": (
        "syndic.cli.governance:agreement",
        "Signed agreements: check, show, render as RSL; a licensee's key and signature.",
    ),
    "export": (
        "syndic.cli.deals:export",
        "Write the dataset an agreement licenses (metered and logged).",
    ),
    "payout": (
        "syndic.cli.ops:payout",
        "Revenue, distribution and payouts.",
    ),
    "report": (
        "syndic.cli.report:report",
        "Counts and money, read from the database.",
    ),
    "vault": (
        "syndic.cli.ops:vault",
        "The content-addressed vault.",
    ),
    "log": (
        "syndic.cli.log:log",
        "The public, append-only transparency log (RFC 9162, C2SP checkpoints and tiles).",
    ),
    "audit": (
        "syndic.cli.audit:audit",
        "Verify the log, then replay it against the tables money and rights rest on.",
    ),
    "receipt": (
        "syndic.cli.receipt:receipt",
        "Registration receipts: proof that a work entered the log, checkable offline.",
    ),
    "value": (
        "syndic.cli.value:value",
        "Data valuation: what each work and each member is worth to a model, and why.",
    ),
    "detect": (
        "syndic.cli.detect:detect",
        "Find members' works in datasets others publish or use; evidence bundles.",
    ),
    "trace": (
        "syndic.cli.detect:trace",
        "Name the licensee a leaked copy (a file, or a sample of its records) came from.",
    ),
    "usage": (
        "syndic.cli.detect:usage",
        "Licensees' usage reports, checked against the delivery meter.",
    ),
    "leverage": (
        "syndic.cli.leverage:leverage",
        "Leverage: learning curves with and without the pool, the data strike, a price range.",
    ),
    "key": (
        "syndic.cli.ops:key",
        "API keys.",
    ),
    "login-link": (
        "syndic.cli.web:login_link",
        "Print a one-time sign-in link for the web pages (it works once, then expires).",
    ),
    "serve": (
        "syndic.cli.ops:serve",
        "Serve the web pages (at /) and the API (under /v1) over the data dir.",
    ),
    "demo": (
        "syndic.cli.ops:demo",
        "Run one whole bargaining round on a fresh data dir.",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when one of them is run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, _, attr = COMMANDS[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module), attr)
            if not isinstance(command, click.Command):  # pragma: no cover  (a wiring bug)
                raise TypeError(f"{COMMANDS[cmd_name][0]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The table of commands from COMMANDS, without importing any of them.
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="syndic")
@data_dir_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Syndic: pool works, publish terms, value, bargain, license, enforce and pay."""
    ctx.ensure_object(Ctx)
    ctx.call_on_close(ctx.obj.close)


def all_commands() -> dict[str, click.Command]:
    """Every top-level command, imported (for tests and documentation checks)."""
    ctx = click.Context(cli)
    found = {name: cli.get_command(ctx, name) for name in cli.list_commands(ctx)}
    return {name: cmd for name, cmd in found.items() if cmd is not None}


def _usage_line(exc: click.UsageError) -> str:
    """A usage error in one line: what was wrong, and where to look."""
    where = exc.ctx.command_path if exc.ctx is not None else "syndic"
    return f"error: {exc.format_message()} (see '{where} --help')"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI. A ``SyndicError`` becomes one line on stderr and a non-zero exit; the
    layers below wrap their dependencies' errors (database, files) as ``SyndicError``s, so
    anything else is a bug, reported in one line too."""
    try:
        cli.main(args=argv, prog_name="syndic", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except Exception as exc:
        message, code = failure(exc)
        click.echo(message, err=True)
        return code
    return 0


def failure(exc: Exception) -> tuple[str, int]:
    """The one line, and the exit code, for anything a command raised."""
    if isinstance(exc, click.Abort):
        return "aborted", 130
    if isinstance(exc, click.UsageError):
        return _usage_line(exc), exc.exit_code
    if isinstance(exc, click.ClickException):
        return f"error: {one_line(exc.format_message())}", exc.exit_code
    if isinstance(exc, SyndicError):
        return f"error: {one_line(exc.message)}", 2 if exc.status < 500 else 1
    # a bug: still one line for the user, never a traceback
    first = one_line(str(exc))
    return f"error: unexpected {type(exc).__name__}: {first}".rstrip(": "), 1


def one_line(message: str) -> str:
    """The first non-empty line of a message (errors are promised to be one line)."""
    return next((line.strip() for line in message.splitlines() if line.strip()), "")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
