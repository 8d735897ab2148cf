"""Commands on documents as files: render our objection form, read forms and ID cards."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ppid.cli.output import echo_json_line
from ppid.core.errors import PpidError

if TYPE_CHECKING:
    from parsers.model import FileResult

commands = typer.Typer()


@commands.command("form")
def form_command(
    out: Path = typer.Argument(..., help="Where to write the PDF, e.g. form.pdf."),
    fillable: bool = typer.Option(
        False, "--fillable", help="A fillable PDF (AcroForm) for the website instead."
    ),
) -> None:
    """Render the objection form: printable for machine reading, or --fillable (AcroForm)."""
    from ppid.core.settings import load_settings
    from ppid.output.forms import render_form

    typer.echo(str(render_form(load_settings(), out, fillable=fillable)))


@commands.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="PDF or image files to read.")],
    as_json: bool = typer.Option(False, "--json", help="One JSON object per file per line."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Files read in parallel."),
) -> None:
    """Read objection forms, ID cards and bundles: fields with confidence, per document."""
    from parsers.extract import extract_files
    from ppid.core.settings import load_settings

    limits = load_settings().limits.for_parsers()
    failed = 0
    for result in extract_files(files, jobs=jobs, limits=limits):
        failed += result.error is not None
        if as_json:
            echo_json_line(result.to_json())
        else:
            for row in _extract_rows(result):
                typer.echo(row)
    if failed:
        raise PpidError("cli.unreadable_files", failed=failed, total=len(files))


def _extract_rows(result: FileResult) -> list[str]:
    """A readable block per file: one line per document, doubtful fields named, NIK masked."""
    from ppid.core.masking import short_nik

    if result.error:
        return [f"{result.file}: ERROR {result.error}"]
    if not result.documents:
        return [f"{result.file}: no documents found"]
    rows = [f"{result.file}:"]
    for doc in result.documents:
        fields = doc.fields.get("applicant") or doc.fields
        name = fields.get("name") or "-"
        nik = fields.get("nik") or ""
        masked = short_nik(nik)
        pages = ",".join(str(p) for p in doc.pages)
        doubtful = sorted(key for key, value in doc.confidence.items() if value < 0.7)
        rows.append(
            f"  p.{pages:<7} {doc.document_type:<15} {doc.method:<8} {name:<30} {masked:<16}"
            + (f" doubtful: {', '.join(doubtful)}" if doubtful else "")
        )
        rows.extend(f"    ! {warning}" for warning in doc.warnings)
    return rows
