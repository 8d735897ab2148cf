"""The root of the `ppid` command: every command group in one Typer app, errors mapped to exits.

Each group lives in its own module (`system`, `documents`, `intake`, `mail`, `casework`,
`archive`, `users`); this module puts them together and, in `main`, turns every error into one
readable line and its exit code (`ppid.core.errors.ExitCode`).
"""

from __future__ import annotations

import logging
import sys

import typer

from ppid.cli import archive, casework, documents, intake, mail, system, users
from ppid.core.errors import ExitCode, PpidError

log = logging.getLogger(__name__)


def exit_codes() -> str:
    """The exit codes for `ppid --help`, from `ExitCode` (kept unwrapped: one code a line)."""
    return "\b\nExit codes:\n" + "\n".join(f"  {int(code):>3}  {code.meaning}" for code in ExitCode)


app = typer.Typer(
    name="ppid",
    help="PPID objection desk: intake, extraction, register, review, archive.",
    epilog=exit_codes(),
    rich_markup_mode=None,  # plain help: Rich costs 0.3 s of CPU a call, twice the rest of --help
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for commands in (system, documents, intake, casework, archive):
    app.add_typer(commands.commands)
app.add_typer(casework.case_app, name="case")
app.add_typer(mail.mail_app, name="mail")
app.add_typer(archive.archive_app, name="archive", no_args_is_help=True)
app.add_typer(users.user_app, name="user", no_args_is_help=True)
app.add_typer(intake.desk_app, name="desk", no_args_is_help=True)
app.add_typer(casework.dip_app, name="dip")
app.add_typer(casework.register_app, name="register")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the Typer app and turn every error into one readable line."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(args=argv, standalone_mode=False)
    except PpidError as error:
        typer.echo(f"error: {error.message}", err=True)
        sys.exit(int(error.exit_code))
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(int(ExitCode.FAILED))
    except typer.TyperException as error:  # a usage error: unknown command, bad option, ...
        if hasattr(error, "show"):
            error.show()
        else:
            typer.echo(f"error: {error.message}", err=True)
        sys.exit(int(ExitCode.BAD_ARGS))
    except KeyboardInterrupt:
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as error:  # the last line of defence: never show a traceback
        log.debug("unexpected error", exc_info=True)
        typer.echo(f"error: unexpected {type(error).__name__}: {error}", err=True)
        sys.exit(int(ExitCode.FAILED))
