"""Commands on registered cases: the register, one case and its SOP steps, tasks, search, the
DIP catalogue, the printed register and the annual report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ppid.cli.output import echo_json
from ppid.core.errors import BadInputError

commands = typer.Typer()
case_app = typer.Typer(help="One case in the register.", no_args_is_help=True)
dip_app = typer.Typer(help="The DIP catalogue (Daftar Informasi Publik).", no_args_is_help=True)
register_app = typer.Typer(help="The objection register as a document (PDF).", no_args_is_help=True)


@commands.command()
def cases(
    as_json: bool = typer.Option(False, "--json", help="Print JSON (NIK masked)."),
    year: int | None = typer.Option(None, "--year", help="Only cases registered in this year."),
) -> None:
    """List the objection register (Register Keberatan) in register order."""
    from ppid.casework.register import case_summary, list_cases
    from ppid.core.calendar import calendar_from_settings
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    settings = load_settings()
    cal = calendar_from_settings(settings)
    with open_db(settings)() as session:
        rows = [case_summary(case, cal) for case in list_cases(session, year)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("No registered objections" + (f" in {year}." if year else "."))
        return
    typer.echo(f"{'Register number':<30} {'Received':<10} {'Due':<10} {'Name':<28} Status")
    for row in rows:
        typer.echo(
            f"{row['number']:<30} {row['received_at'][:10]:<10} {row['answer_due'] or '-':<10} "
            f"{row['applicant_name'][:28]:<28} {row['status_label']}"
        )


@case_app.command("show")
def case_show(
    number: str = typer.Argument(..., help="Register number, e.g. 001/KEB/PPID-DKUKM/XI/2026."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (NIK masked)."),
) -> None:
    """Show one case: its register row, documents, tasks and history."""
    from ppid.casework.register import case_detail, get_case
    from ppid.core.calendar import calendar_from_settings
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    settings = load_settings()
    cal = calendar_from_settings(settings)
    with open_db(settings)() as session:
        case = get_case(session, number)
        detail = case_detail(case, cal)
        for row, event in zip(detail["events"], case.events, strict=True):
            if run := (event.data or {}).get("flow_run"):  # the step's Prefect flow run
                row["flow_run"] = run["id"]
    if as_json:
        echo_json(detail)
        return
    for key, value in detail.items():
        if value and isinstance(value, list) and isinstance(value[0], dict):
            typer.echo(f"{key}:")
            for item in value:
                typer.echo("  - " + ", ".join(f"{k}={v}" for k, v in item.items() if v))
        elif isinstance(value, list):
            typer.echo(f"{key} = {', '.join(value) or '-'}")
        elif value not in (None, ""):
            typer.echo(f"{key} = {value}")


@commands.command()
def tasks(
    role: str | None = typer.Option(None, "--role", help="petugas, bidang or atasan."),
    overdue: bool = typer.Option(False, "--overdue", help="Only tasks past their due date."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Open workflow tasks, soonest due first, with warnings (segera) and overdue (terlambat)."""
    from ppid.casework.tasks import office_today, task_row, tasks_for
    from ppid.core.calendar import calendar_from_settings
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    settings = load_settings()
    cal, today = calendar_from_settings(settings), office_today(settings)
    with open_db(settings)() as session:
        found = tasks_for(session, role, overdue, today=today)
        rows = [task_row(t, cal, today, settings.workflow.warning_days) for t in found]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("No open tasks.")
    marks = {"overdue": "OVERDUE", "soon": "soon", "ok": ""}
    for row in rows:
        typer.echo(
            f"{row['due'] or '-':<10} {marks[row['state']]:<9} {row['role']:<7} "
            f"{row['case']:<28} {row['step_label']} · {row['applicant'][:24]}"
        )


@case_app.command("advance")
def case_advance(
    number: str = typer.Argument(..., help="Register number, e.g. 001/KEB/PPID-DKUKM/XI/2026."),
    role: str = typer.Option(..., "--as", help="Your role: petugas, bidang or atasan."),
    decision: str = typer.Option(
        ...,
        "--decision",
        help="forward|return, recommend, order|dismiss, available|exempt|not_held, "
        "send|revise, signed (signed copy back without a scan: --note why), "
        "accepted|dispute|no_response, or correction (undo the last step).",
    ),
    note: str | None = typer.Option(
        None, "--note", help="For the file: findings, what to revise, why (never printed)."
    ),
    letter_text: str | None = typer.Option(
        None,
        "--letter-text",
        help="Printed in the step's letter: the return's reason, the order's instruction, "
        "the dismissal's written reasons, the answer's considerations.",
    ),
    consequence: str | None = typer.Option(
        None, "--consequence", help="exempt: the consequence test printed in the rejection."
    ),
    actor: str | None = typer.Option(None, "--actor", help="Your name (default: login name)."),
    items: list[int] = typer.Option([], "--item", help="DIP item id given (repeatable)."),
    pasal17: str | None = typer.Option(None, "--pasal17", help="Exemption ground, a letter a–j."),
    fixes: list[str] = typer.Option(
        [], "--set", help="Verification: correct a misread field, e.g. --set applicant_name=Ani."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Take the case's next SOP step as ROLE; the history records who, when, what and why.

    A Prefect flow run named after the case while `ppid run` is up; else recorded directly.
    """
    import getpass

    from ppid.core.db import open_db
    from ppid.core.settings import load_settings
    from ppid.runtime.steps import take_step

    settings = load_settings()
    typed = {"pasal17": pasal17, "letter_text": letter_text, "consequence": consequence}
    data: dict = {"dip_items": items, **{k: v for k, v in typed.items() if v}}
    if fixes:
        if bad := [fix for fix in fixes if "=" not in fix]:
            raise BadInputError("cli.bad_set", bad=bad)
        data["corrections"] = dict(fix.split("=", 1) for fix in fixes)
    sessions, actor = open_db(settings), actor or getpass.getuser()
    result = take_step(
        settings, sessions, number, role, actor, decision, note, data, direct=_direct_step
    )
    if as_json:
        echo_json(result)
        return
    if result["message"]:
        typer.echo(result["message"], err=True)
    typer.echo(f"{result['number']}: {result['status_label']}")
    if result["flow_run"]:
        typer.echo(f"  flow run: {result['flow_run']['name']} {result['flow_run']['url']}")
    for task in result["open_tasks"]:
        typer.echo(f"  next: {task['role']} {task['step']} (due {task['due']})")
    for path in result["letters"]:
        typer.echo(f"  letter: {path}")


def _direct_step() -> Any:
    """The step's stages without Prefect: imported only when Prefect is not running (the archive
    and the intake behind it cost a step's command half a second to import)."""
    from ppid.archive.sequences import DIRECT_STEP

    return DIRECT_STEP


@commands.command("search")
def search_command(
    words: Annotated[list[str], typer.Argument(help="Words (prefixes match: 'kopera').")],
    year: int | None = typer.Option(None, "--year", help="Only cases of this year."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (NIK masked)."),
) -> None:
    """Full-text search of the register and the OCR text, best match first (NIK masked)."""
    from datetime import datetime

    from ppid.casework.search import HIT_END, HIT_START, Filters, refresh_if_stale, search_cases
    from ppid.core.calendar import calendar_from_settings
    from ppid.core.db import open_db
    from ppid.core.masking import mask_nik
    from ppid.core.settings import load_settings

    settings = load_settings()
    today = datetime.now(calendar_from_settings(settings).tz).date()
    sessions = open_db(settings)
    refresh_if_stale(sessions)
    with sessions() as session:
        found = search_cases(session, " ".join(words), Filters(year=year), today, refresh=False)
        rows = [
            {
                "number": case.number,
                "applicant_name": case.applicant_name,
                "applicant_nik": mask_nik(case.applicant_nik),
                "status_label": case.status_label,
                "snippet": (hit.snippet if hit else "")
                .replace(HIT_START, "[")
                .replace(HIT_END, "]"),
            }
            for case, hit in found
        ]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("No matching objections.")
    for row in rows:
        typer.echo(f"{row['number']:<30} {row['applicant_name'][:30]:<30} {row['status_label']}")
        if row["snippet"]:
            typer.echo(f"      {row['snippet']}")


@dip_app.command("import")
def dip_import(
    file: Path = typer.Argument(..., help="CSV: title, category, pasal17, unit, year, link, …"),
) -> None:
    """Import DIP items from a CSV (all or nothing; the same title and year updates the item)."""
    from ppid.casework.dip import import_csv
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    with open_db(load_settings())() as session, session.begin():
        result = import_csv(session, file)
    typer.echo(f"{result.created} new, {result.updated} updated")


@dip_app.command("search")
def dip_search(
    text: str = typer.Argument(..., help="Words to find in titles and descriptions."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Find DIP items (every word must appear in the title or description)."""
    from ppid.casework.dip import search
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    with open_db(load_settings())() as session:
        items = search(session, text)
        rows = [item.to_json() for item in items]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("Nothing found.")
    for row in rows:
        ground = f" (Pasal 17 huruf {row['pasal17']})" if row["pasal17"] else ""
        typer.echo(f"#{row['id']:<4} {row['category']:<13} {row['title']}{ground}")


@register_app.command("print")
def register_print(
    year: int = typer.Option(..., "--year", help="Registration year."),
    month: int | None = typer.Option(None, "--month", min=1, max=12, help="Only this month."),
    out: Path | None = typer.Option(None, "--out", help="PDF path; default in the current folder."),
) -> None:
    """Print the Register Keberatan of a year or month (landscape A4 PDF, NIK masked)."""
    from ppid.casework.reports import render_register
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    settings = load_settings()
    target = out or Path(f"register-keberatan-{year}" + (f"-{month:02d}" if month else "") + ".pdf")
    with open_db(settings)() as session:
        typer.echo(str(render_register(session, settings, year, month, target)))


@commands.command()
def report(
    year: int = typer.Option(..., "--year", help="Report year."),
    out: Path | None = typer.Option(None, "--out", help="PDF path; default in the current folder."),
) -> None:
    """The annual objection report: received, answered on time or late, reasons, decisions."""
    from ppid.casework.reports import render_report
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    settings = load_settings()
    target = out or Path(f"laporan-keberatan-{year}.pdf")
    with open_db(settings)() as session:
        typer.echo(str(render_report(session, settings, year, target)))
