"""The `ppid` command: thin adapters over library functions; errors mapped to one line here."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer._click.exceptions import ClickException

from parsers.model import FileResult
from ppid.core.errors import ConfigError, ExitCode, PpidError
from ppid.core.masking import short_nik
from ppid.core.settings import load_settings, settings_for_display

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


# --- register (ppid/casework/register.py) ---------------------------------------------------------


@app.command()
def cases(
    as_json: bool = typer.Option(False, "--json", help="Print JSON (NIK masked)."),
    year: int | None = typer.Option(None, "--year", help="Only cases registered in this year."),
) -> None:
    """List the objection register (Register Keberatan) in register order."""
    from ppid.casework.register import case_summary, list_cases
    from ppid.core.calendar import calendar_from_settings
    from ppid.core.db import open_db

    settings = load_settings()
    cal = calendar_from_settings(settings)
    with open_db(settings)() as session:
        rows = [case_summary(case, cal) for case in list_cases(session, year)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("Belum ada keberatan teregistrasi" + (f" pada tahun {year}." if year else "."))
        return
    typer.echo(f"{'Nomor registrasi':<30} {'Diterima':<10} {'Batas':<10} {'Nama':<28} Status")
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

    settings = load_settings()
    cal = calendar_from_settings(settings)
    with open_db(settings)() as session:
        case = get_case(session, number)
        detail = case_detail(case, cal)
        for row, event in zip(detail["events"], case.events, strict=True):
            if run := (event.data or {}).get("flow_run"):  # the step's Prefect flow run
                row["flow_run"] = run["id"]
    if as_json:
        typer.echo(json.dumps(detail, indent=2, ensure_ascii=False))
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


# --- form (ppid/output/forms.py) ------------------------------------------------------------------


@app.command("form")
def form_command(
    out: Path = typer.Argument(..., help="Where to write the PDF, e.g. formulir-keberatan.pdf."),
    fillable: bool = typer.Option(
        False, "--fillable", help="A fillable PDF (AcroForm) for the website instead."
    ),
) -> None:
    """Render the objection form: printable for machine reading, or --fillable (AcroForm)."""
    from ppid.output.forms import render_form

    typer.echo(str(render_form(load_settings(), out, fillable=fillable)))


# --- extraction (parsers/) ------------------------------------------------------------------------


@app.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="PDF or image files to read.")],
    as_json: bool = typer.Option(False, "--json", help="One JSON object per file per line."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Files read in parallel."),
) -> None:
    """Read objection forms, ID cards and bundles: fields with confidence, per document."""
    from parsers.extract import extract_files

    limits = load_settings().limits.for_parsers()
    failed = 0
    for result in extract_files(files, jobs=jobs, limits=limits):
        failed += result.error is not None
        if as_json:
            typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            for row in _extract_rows(result):
                typer.echo(row)
    if failed:
        raise PpidError(f"{failed} of {len(files)} file(s) could not be read; see the errors above")


def _extract_rows(result: FileResult) -> list[str]:
    """A readable block per file: one line per document, doubtful fields named, NIK masked."""
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


# --- intake / run (flows/) ------------------------------------------------------------------------


@app.command()
def run() -> None:
    """Start the whole system: Prefect server, intake deployments, inbox watcher, web app."""
    from ppid.runtime.prefect_env import use_prefect
    from ppid.runtime.run import run as run_system

    settings = load_settings()
    use_prefect(settings)  # before Prefect is imported: it reads its settings then
    from ppid.web.app import create_app

    run_system(settings, create_app(settings))


@app.command(hidden=True)
def worker() -> None:
    """A warm flow-run worker (started by `ppid run`; see ppid/runtime/worker.py)."""
    from ppid.runtime.prefect_env import use_prefect
    from ppid.runtime.warm import run_worker

    settings = load_settings()
    use_prefect(settings)
    run_worker(settings)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(None, help="Files or folders; default: the whole inbox."),
    once: bool = typer.Option(True, "--once", help="Process what is there now and exit."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input."),
) -> None:
    """Process the inbox and the mailboxes (or the given files) with the flows `ppid run` serves."""
    from ppid.intake.inbox import utf8_name
    from ppid.runtime.deployments import load_flow
    from ppid.runtime.prefect_env import use_prefect
    from ppid.runtime.worker import lean_flow_runs

    settings = load_settings()
    use_prefect(settings)
    sweep_inbox = load_flow("sweep-inbox")

    # a name that is not UTF-8 cannot be a flow parameter: rename it first, as the sweep does
    named = [p.parent / (utf8_name(p.parent, p.name) or p.name) for p in paths or []]
    with lean_flow_runs():
        outcomes = sweep_inbox([str(p) for p in named] if paths else None)
        if not paths and (settings.mail_url or settings.mail.urls):
            outcomes += load_flow(
                "check-mailboxes"
            )()  # the configured mailboxes are drained as well
    for outcome in outcomes:
        if as_json:
            typer.echo(json.dumps(outcome, ensure_ascii=False))
        else:
            detail = outcome.get("register_number") or outcome.get("reason") or ""
            typer.echo(f"{outcome['outcome']:<12} {outcome['file']}  {detail}")
    if not as_json:
        counts: dict[str, int] = {}
        for outcome in outcomes:
            counts[outcome["outcome"]] = counts.get(outcome["outcome"], 0) + 1
        summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) or "nothing to do"
        typer.echo(f"{len(outcomes)} file(s): {summary}")


@app.command()
def pending(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Submissions waiting for a missing piece (a form without ID, …), with the reason."""
    from ppid.intake.ledger import IntakeContext
    from ppid.intake.pairing import pending_submissions

    rows = pending_submissions(IntakeContext.open(load_settings()))
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("Tidak ada pengajuan yang menunggu.")
    for row in rows:
        typer.echo(f"#{row['id']}  {row['since'][:16]}  {', '.join(row['files'])}")
        typer.echo(f"      {row['reason']}")


@app.command()
def quarantine(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Files that could not be processed, with the reason; move one back into the inbox to retry."""
    from ppid.intake.inbox import list_quarantine

    settings = load_settings()
    assert settings.quarantine is not None
    rows = [{"file": str(p), "reason": r} for p, r in list_quarantine(settings.quarantine)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("Karantina kosong.")
    for row in rows:
        typer.echo(f"{row['file']}\n      {row['reason']}")


# --- mail (ppid/intake/mail/ledger.py, flows/mail.py) ---------------------------------------------

mail_app = typer.Typer(help="E-mail intake: the IMAP mailboxes objections arrive in.")
app.add_typer(mail_app, name="mail")


@mail_app.command("check")
def mail_check(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Test the connection to each mailbox and list what the next run would ingest."""
    from ppid.intake.ledger import IntakeContext
    from ppid.intake.mail import imap, ingest

    settings = load_settings()
    accounts = imap.accounts(settings)
    if not accounts:
        raise ConfigError("no mailbox configured: set mail_url in ppid.toml or PPID_MAIL_URL")
    ctx = IntakeContext.open(settings)
    failed: list[str] = []
    for account in accounts:
        try:
            rows = ingest.preview(ctx, account)
        except PpidError as error:
            if len(accounts) == 1:
                raise  # one mailbox: its reason is the one line
            typer.echo(f"error: {error.message}", err=True)
            failed.append(account.label)
            continue
        if as_json:
            typer.echo(json.dumps({"account": account.label, "messages": rows}, ensure_ascii=False))
            continue
        typer.echo(f"{account.label}/{account.folder}: OK, {len(rows)} message(s)")
        for row in rows:
            typer.echo(
                f"  #{row['uid']:<6} {row['size'] / 1024:>8.0f} KB  {row['action']:<18} "
                f"{row['from'][:30]:<30} {row['subject'][:60]}"
            )
    if failed:
        raise imap.MailError(f"{len(failed)} of {len(accounts)} mailbox(es) failed the check")


@mail_app.command("status")
def mail_status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The e-mail ledger: processed messages, and failing ones with their errors."""
    from ppid.intake.ledger import IntakeContext
    from ppid.intake.mail import ledger

    rows = ledger.status_rows(IntakeContext.open(load_settings()))
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("Belum ada e-mail yang diproses.")
    for row in rows:
        numbers = ", ".join(row["register_numbers"]) or "-"
        typer.echo(
            f"#{row['id']:<5} {row['status']:<10} {row['account']} #{row['uid']}  "
            f"{(row['sender'] or '-')[:30]}  {(row['subject'] or '')[:50]}  → {numbers}"
        )
        if row["error"]:
            retry = row["next_attempt_at"]
            typer.echo(f"       {row['error']}" + (f" (retry after {retry[:16]})" if retry else ""))


# --- archive (ppid/archive/: bags, dossier, hardcopy) ---------------------------------------------

archive_app = typer.Typer(help="The case archive: BagIt bags, fixity, dossier, retention.")
app.add_typer(archive_app, name="archive", no_args_is_help=True)


@archive_app.command("update")
def archive_update(
    number: str = typer.Argument(None, help="Register number; default: every registered case."),
) -> None:
    """Bring case bags up to date with the register (sealing closed cases), then index.html."""
    from ppid.archive.bags import update_all
    from ppid.core.db import open_db

    settings = load_settings()
    for bag in update_all(settings, open_db(settings), number):
        typer.echo(str(bag))


@archive_app.command("verify")
def archive_verify(
    year: int | None = typer.Option(None, "--year", help="Only the bags of this year."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per bag."),
) -> None:
    """Validate every bag's checksums (SHA-256, SHA-512); exit non-zero on any mismatch."""
    from ppid.archive.fixity import check_fixity, fixity_failure
    from ppid.core.db import open_db

    settings = load_settings()
    results = check_fixity(settings, open_db(settings), year)
    for result in results:
        if as_json:
            typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            typer.echo(f"{'OK' if result.ok else 'RUSAK':<6} {result.bag}")
            for problem in result.problems:
                typer.echo(f"       ! {problem}")
    if error := fixity_failure(results):
        raise error
    if not as_json:
        typer.echo(f"{len(results)} bag(s) verified, all intact.")


@archive_app.command("dossier")
def archive_dossier(
    number: str = typer.Argument(..., help="Register number, e.g. 001/KEB/PPID-DKUKM/XI/2026."),
    out: Path = typer.Argument(..., help="Where to write the dossier PDF."),
) -> None:
    """Write the case's dossier (PDF/A, bookmarks): cover, form, masked ID, letters, history."""
    from ppid.archive.dossier import render_dossier
    from ppid.casework.register import get_case
    from ppid.core.db import open_db

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

    settings = load_settings()
    with open_db(settings)() as session, session.begin():
        due = due_for_destruction(settings, session)
        destroyed = destroy_due(settings, session, due, by) if yes else []
    if as_json:
        rows = [{**d.to_json(), "destroyed": d in destroyed} for d in due]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for item in due:
        mark = "DIMUSNAHKAN" if item in destroyed else "jatuh tempo"
        typer.echo(f"{mark:<12} {item.due_on}  {item.number:<30} {item.role:<10} {item.file}")
    pending = [d for d in due if d.role in DESTROYABLE and d not in destroyed]
    typer.echo(f"{len(due)} dokumen lewat masa retensi; {len(destroyed)} dimusnahkan.")
    if pending and not yes:
        typer.echo(f"Jalankan dengan --yes untuk memusnahkan {len(pending)} scan KTP.")


@archive_app.command("export")
def archive_export(out: Path = typer.Argument(..., help="The tar file to write.")) -> None:
    """Pack the whole archive into one tar (after a fixity check) to move it to a new server."""
    from ppid.archive.records import export_archive
    from ppid.core.db import open_db

    settings = load_settings()
    results = export_archive(settings, open_db(settings), out)
    typer.echo(f"{out}: {len(results)} bag(s), all verified.")


@archive_app.command("import")
def archive_import(
    tar: Path = typer.Argument(..., help="A tar made by `ppid archive export`."),
) -> None:
    """Unpack an exported archive into an empty archive folder and validate every bag."""
    from ppid.archive.records import import_archive

    results = import_archive(load_settings(), tar)
    typer.echo(f"{len(results)} bag(s) imported and verified.")


@app.command("print")
def print_command(
    day: str = typer.Option(None, "--date", help="Office date YYYY-MM-DD; default today."),
) -> None:
    """Print the day's generated documents (QR per page): to CUPS if configured, else a PDF."""
    from datetime import date

    from ppid.archive.hardcopy import print_batch
    from ppid.core.db import open_db

    settings = load_settings()
    when = date.fromisoformat(day) if day else None
    with open_db(settings)() as session:
        out, count = print_batch(settings, session, when)
    if out is None:
        typer.echo("Tidak ada dokumen untuk dicetak.")
        return
    where = f" dikirim ke printer {settings.archival.printer}" if settings.archival.printer else ""
    typer.echo(f"{out} ({count} dokumen){where}")


@app.command("sheet")
def sheet_command(
    number: str = typer.Argument(..., help="Register number the paper pages belong to."),
    out: Path = typer.Option(None, "--out", help="PDF to write; default lembar-pemisah-<n>.pdf."),
) -> None:
    """A separator sheet (QR): put it on top of a case's paper pages before scanning them."""
    from ppid.archive.hardcopy import separator_sheet
    from ppid.casework.register import get_case
    from ppid.core.db import open_db
    from ppid.core.paths import case_slug

    settings = load_settings()
    with open_db(settings)() as session:
        case = get_case(session, number)
        target = out or Path(f"lembar-pemisah-{case_slug(case)}.pdf")
        typer.echo(str(separator_sheet(settings, case, target)))


# --- web (ppid/web/, ppid/intake/desk.py, ppid/casework/search.py) --------------------------------

user_app = typer.Typer(help="Web app accounts (petugas, bidang, atasan, arsiparis, admin).")
app.add_typer(user_app, name="user", no_args_is_help=True)
desk_app = typer.Typer(help="Intake desk: join a form and an ID, dismiss, retry quarantine.")
app.add_typer(desk_app, name="desk", no_args_is_help=True)


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="Login name, e.g. rina.petugas."),
    role: str = typer.Option(..., "--role", help="petugas, bidang, atasan, arsiparis or admin."),
    name: str = typer.Option("", "--name", help="Display name shown in the app and history."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (scripts)."
    ),
) -> None:
    """Add a web user; the password is asked for (twice) unless --password-stdin."""
    from ppid.core.db import open_db
    from ppid.core.errors import BadInputError
    from ppid.web.auth import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Kata sandi", hide_input=True, confirmation_prompt=True)
    if not password:
        raise BadInputError("no password given; type one or pipe it to --password-stdin")
    with open_db(load_settings())() as session, session.begin():
        user = add_user(session, username, role, password, name)
        typer.echo(f"added {user.username} ({user.role})")


@user_app.command("list")
def user_list() -> None:
    """List web users with role and status."""
    from ppid.core.db import open_db
    from ppid.web.auth import list_users

    with open_db(load_settings())() as session:
        for user in list_users(session):
            state = "aktif" if user.active else "nonaktif"
            typer.echo(f"{user.username:<24} {user.role:<10} {state:<9} {user.display_name}")


@app.command("search")
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
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("Tidak ada keberatan yang cocok.")
    for row in rows:
        typer.echo(f"{row['number']:<30} {row['applicant_name'][:30]:<30} {row['status_label']}")
        if row["snippet"]:
            typer.echo(f"      {row['snippet']}")


@desk_app.command("attach")
def desk_attach(
    source: int = typer.Argument(..., help="Pending submission whose files move (e.g. the ID)."),
    target: int = typer.Argument(..., help="Pending submission they join (e.g. the form)."),
) -> None:
    """Join two pending submissions (see `ppid pending`) and register them if now complete."""
    from ppid.archive.sequences import REGISTER_SUBMISSION
    from ppid.intake.desk import attach_submission
    from ppid.intake.ledger import IntakeContext

    ctx = IntakeContext.open(load_settings())
    outcome = attach_submission(ctx, source, target, REGISTER_SUBMISSION)
    typer.echo(f"{outcome.outcome} {outcome.register_number or outcome.reason or ''}".strip())


@desk_app.command("dismiss")
def desk_dismiss(
    submission: int = typer.Argument(..., help="Pending submission number."),
    note: str = typer.Option(..., "--note", help="Why this is not an objection."),
    actor: str = typer.Option("petugas", "--as", help="Who decides (kept with the note)."),
) -> None:
    """Mark a pending submission as not an objection."""
    from ppid.intake.desk import dismiss_submission
    from ppid.intake.ledger import IntakeContext

    dismiss_submission(IntakeContext.open(load_settings()), submission, actor, note)
    typer.echo(f"submission #{submission}: not an objection")


@desk_app.command("retry")
def desk_retry(
    file: str = typer.Argument(..., help="Path relative to the quarantine folder."),
) -> None:
    """Move a quarantined file back into the inbox so intake takes it again."""
    from ppid.intake.desk import retry_quarantined

    typer.echo(str(retry_quarantined(load_settings(), file)))


# --- workflow (ppid/casework/: workflow, dip, letters, reports) -----------------------------------

dip_app = typer.Typer(help="The DIP catalogue (Daftar Informasi Publik).", no_args_is_help=True)
app.add_typer(dip_app, name="dip")
register_app = typer.Typer(help="The Register Keberatan as a document.", no_args_is_help=True)
app.add_typer(register_app, name="register")


@app.command()
def tasks(
    role: str | None = typer.Option(None, "--role", help="petugas, bidang or atasan."),
    overdue: bool = typer.Option(False, "--overdue", help="Only tasks past their due date."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Open workflow tasks, soonest due first, with warnings (segera) and overdue (terlambat)."""
    from ppid.casework.tasks import office_today, task_row, tasks_for
    from ppid.core.calendar import calendar_from_settings
    from ppid.core.db import open_db

    settings = load_settings()
    cal, today = calendar_from_settings(settings), office_today(settings)
    with open_db(settings)() as session:
        found = tasks_for(session, role, overdue, today=today)
        rows = [task_row(t, cal, today, settings.workflow.warning_days) for t in found]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("Tidak ada tugas terbuka.")
    marks = {"overdue": "TERLAMBAT", "soon": "segera", "ok": ""}
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
    note: str | None = typer.Option(None, "--note", help="Why: reasons, findings, disposition."),
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
    from ppid.core.errors import BadInputError
    from ppid.runtime.steps import take_step

    settings = load_settings()
    data: dict = {"dip_items": items, **({"pasal17": pasal17} if pasal17 else {})}
    if fixes:
        if bad := [fix for fix in fixes if "=" not in fix]:
            raise BadInputError(f"--set takes FIELD=VALUE, got {bad}")
        data["corrections"] = dict(fix.split("=", 1) for fix in fixes)
    result = take_step(
        settings,
        open_db(settings),
        number,
        role,
        actor or getpass.getuser(),
        decision,
        note,
        data,
    )
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    if result["message"]:
        typer.echo(result["message"], err=True)
    typer.echo(f"{result['number']}: {result['status_label']}")
    if result["flow_run"]:
        typer.echo(f"  flow run: {result['flow_run']['name']} {result['flow_run']['url']}")
    for task in result["open_tasks"]:
        typer.echo(f"  next: {task['role']} {task['step']} (batas {task['due']})")
    for path in result["letters"]:
        typer.echo(f"  letter: {path}")


@dip_app.command("import")
def dip_import(
    file: Path = typer.Argument(..., help="CSV: title, category, pasal17, unit, year, link, …"),
) -> None:
    """Import DIP items from a CSV (all or nothing; the same title and year updates the item)."""
    from ppid.casework.dip import import_csv
    from ppid.core.db import open_db

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

    with open_db(load_settings())() as session:
        items = search(session, text)
        rows = [item.to_json() for item in items]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("Tidak ditemukan.")
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

    settings = load_settings()
    target = out or Path(f"register-keberatan-{year}" + (f"-{month:02d}" if month else "") + ".pdf")
    with open_db(settings)() as session:
        typer.echo(str(render_register(session, settings, year, month, target)))


@app.command()
def report(
    year: int = typer.Option(..., "--year", help="Report year."),
    out: Path | None = typer.Option(None, "--out", help="PDF path; default in the current folder."),
) -> None:
    """The annual objection report: received, answered on time or late, reasons, decisions."""
    from ppid.casework.reports import render_report
    from ppid.core.db import open_db

    settings = load_settings()
    target = out or Path(f"laporan-keberatan-{year}.pdf")
    with open_db(settings)() as session:
        typer.echo(str(render_report(session, settings, year, target)))


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
