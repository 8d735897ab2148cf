"""The `ppid` command: thin adapters over library functions; errors mapped to one line here."""

from __future__ import annotations

import json
import logging
import sys

import typer
from typer._click.exceptions import ClickException

from ppid.errors import ExitCode, PpidError
from ppid.settings import load_settings, settings_for_display

log = logging.getLogger(__name__)

app = typer.Typer(
    name="ppid",
    help="Meja keberatan PPID — objection desk: intake, extraction, register, review, archive.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
case_app = typer.Typer(help="One case in the register.", no_args_is_help=True)
app.add_typer(case_app, name="case")


@app.command()
def config(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print the effective settings (ppid.toml + PPID_* environment), secrets hidden."""
    data = settings_for_display(load_settings())
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for key, value in _flatten(data):
        typer.echo(f"{key} = {value}")


def _flatten(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(_flatten(value, name + "."))
        else:
            rows.append((name, value))
    return rows


# --- register (ppid/register.py) -----------------------------------------------------------


# --- form (ppid/forms.py) ------------------------------------------------------------------


# --- extraction (parsers/) ------------------------------------------------------------------


# --- intake / run (flows/) ------------------------------------------------------------------


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
    except ClickException as error:
        error.show()
        sys.exit(int(ExitCode.BAD_ARGS))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # the last line of defence: never show a traceback
        log.debug("unexpected error", exc_info=True)
        typer.echo(f"error: unexpected {type(error).__name__}: {error}", err=True)
        sys.exit(int(ExitCode.FAILED))
