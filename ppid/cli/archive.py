"""Commands of the case archive: bags, fixity, dossier, retention, moving it whole; printing and
separator sheets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from ppid.cli.output import echo_json, echo_json_line

commands = typer.Typer()
archive_app = typer.Typer(help="The case archive: BagIt bags, fixity, dossier, retention.")


@archive_app.command("update")
def archive_update(
    number: str = typer.Argument(None, help="Register number; default: every registered case."),
) -> None:
    """Bring case bags up to date with the register (sealing closed cases), then index.html."""
    from ppid.archive.bags import update_all
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    settings = load_settings()
    for bag in update_all(settings, open_db(settings), number):
        typer.echo(str(bag))


@archive_app.command("verify")
def archive_verify(
    year: int | None = typer.Option(None, "--year", help="Only the bags of this year."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per bag."),
) -> None:
    """Validate every bag's checksums (SHA-256, SHA-512) and its PDFs (PDF/A-3b checker), one
    line per bag as it is done, then every file of the content store against the SHA-256 its
    path names; exit non-zero on any mismatch or refused PDF."""
    from ppid.archive.fixity import archival_failure, check_fixity, fixity_failure
    from ppid.archive.store_fixity import store_failure, verify_store
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    settings = load_settings()
    sessions = open_db(settings)
    show = _show_json if as_json else _show_line
    results = check_fixity(settings, sessions, year, report=show)
    _clear_progress()
    damage = verify_store(settings, sessions)
    for item in damage:
        if as_json:
            echo_json_line({"store": item.to_json()})
        else:
            typer.echo(f"{'DAMAGED':<7} {item.path}\n        ! {item.problem}")
    if error := fixity_failure(results) or store_failure(damage) or archival_failure(results):
        raise error
    if not as_json:
        typer.echo(
            f"{len(results)} bag(s) and the content store verified, all intact and PDF/A-3b."
        )


def _show_json(done: int, total: int, result: Any) -> None:
    echo_json_line(result.to_json())
    _progress(done, total)


def _show_line(done: int, total: int, result: Any) -> None:
    _clear_progress()
    word = "DAMAGED" if not result.ok else "PDF/A!" if result.not_archival else "OK"
    typer.echo(f"{word:<7} {result.bag}")
    for problem in [*result.problems, *result.not_archival]:
        typer.echo(f"        ! {problem}")
    _progress(done, total)


def _progress(done: int, total: int) -> None:
    """`n/N bags` on the terminal's error stream, rewritten in place (nothing when redirected)."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{done}/{total} bag(s) verified")
        sys.stderr.flush()


def _clear_progress() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


@archive_app.command("dossier")
def archive_dossier(
    number: str = typer.Argument(..., help="Register number, e.g. 001/KEB/PPID-DKUKM/XI/2026."),
    out: Path = typer.Argument(..., help="Where to write the dossier PDF."),
) -> None:
    """Write the case's dossier (PDF/A, bookmarks): cover, form, masked ID, letters, history."""
    from ppid.archive.dossier import render_dossier
    from ppid.casework.register import get_case
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    settings = load_settings()
    with open_db(settings)() as session:
        typer.echo(str(render_dossier(settings, get_case(session, number), out)))


@archive_app.command("retention")
def archive_retention(
    yes: bool = typer.Option(False, "--yes", help="Destroy the due ID scans (recorded)."),
    by: str = typer.Option("arsiparis", "--by", help="Who approves the destruction."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List documents past their retention period; with --yes destroy the due ID scans."""
    from ppid.archive.records import DESTROYABLE, destroy_due, due_for_destruction
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    settings = load_settings()
    with open_db(settings)() as session, session.begin():
        due = due_for_destruction(settings, session)
        destroyed = destroy_due(settings, session, due, by) if yes else []
    if as_json:
        rows = [{**d.to_json(), "destroyed": d in destroyed} for d in due]
        echo_json(rows)
        return
    for item in due:
        mark = "DESTROYED" if item in destroyed else "due"
        typer.echo(f"{mark:<12} {item.due_on}  {item.number:<30} {item.role:<10} {item.file}")
    pending = [d for d in due if d.role in DESTROYABLE and d not in destroyed]
    typer.echo(f"{len(due)} document(s) past retention; {len(destroyed)} destroyed.")
    if pending and not yes:
        typer.echo(f"Run with --yes to destroy {len(pending)} ID card scan(s).")


@archive_app.command("export")
def archive_export(out: Path = typer.Argument(..., help="The tar file to write.")) -> None:
    """Pack the whole archive into one tar (after a fixity check) to move it to a new server."""
    from ppid.archive.records import export_archive
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    settings = load_settings()
    results = export_archive(settings, open_db(settings), out)
    typer.echo(f"{out}: {len(results)} bag(s), all verified.")


@archive_app.command("import")
def archive_import(
    tar: Path = typer.Argument(..., help="A tar made by `ppid archive export`."),
) -> None:
    """Unpack an exported archive into an empty archive folder and validate every bag."""
    from ppid.archive.records import import_archive
    from ppid.core.settings import load_settings

    results = import_archive(load_settings(), tar)
    typer.echo(f"{len(results)} bag(s) imported and verified.")


@commands.command("print")
def print_command(
    day: str = typer.Option(None, "--date", help="Office date YYYY-MM-DD; default today."),
) -> None:
    """Print the day's generated documents (QR per page): to CUPS if configured, else a PDF."""
    from datetime import date

    from ppid.archive.hardcopy import print_batch
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    settings = load_settings()
    when = date.fromisoformat(day) if day else None
    with open_db(settings)() as session:
        out, count = print_batch(settings, session, when)
    if out is None:
        typer.echo("Nothing to print.")
        return
    where = f" sent to printer {settings.archival.printer}" if settings.archival.printer else ""
    typer.echo(f"{out} ({count} document(s)){where}")


@commands.command("sheet")
def sheet_command(
    number: str = typer.Argument(..., help="Register number the paper pages belong to."),
    out: Path = typer.Option(None, "--out", help="PDF to write; default lembar-pemisah-<n>.pdf."),
) -> None:
    """A separator sheet (QR): put it on top of a case's paper pages before scanning them."""
    from ppid.archive.hardcopy import separator_sheet
    from ppid.casework.register import get_case
    from ppid.core.db import open_db
    from ppid.core.paths import case_slug
    from ppid.core.settings import load_settings

    settings = load_settings()
    with open_db(settings)() as session:
        case = get_case(session, number)
        target = out or Path(f"lembar-pemisah-{case_slug(case)}.pdf")
        typer.echo(str(separator_sheet(settings, case, target)))
