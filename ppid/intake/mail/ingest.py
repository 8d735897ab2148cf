"""E-mail intake: each new message of a mailbox into one submission, then moved or flagged.

Its attachments (and an objection typed into the body) go through the intake steps under one
group key; the e-mail joins the case's file, the applicant may get the receipt back, and the
case's archive follows. Only once that is committed is the message moved to the Processed
folder (or flagged). The flow hands in how a file is processed and how a case is archived.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imap_tools import AND
from sqlalchemy import select

from ppid.core.files import safe_name
from ppid.core.messages import history_note, quarantine_texts
from ppid.core.models import (
    Case,
    CaseDocument,
    CaseEvent,
    MailMessage,
    MailStatus,
    utcnow,
)
from ppid.core.paths import mail_quarantine, mail_work_folder
from ppid.core.settings import Mail, Settings
from ppid.core.vocabulary import DocumentKind
from ppid.intake import ledger, pairing, steps
from ppid.intake.inbox import QuarantineNote, quarantine_file, unique_path, write_durably
from ppid.intake.ledger import ACTOR, IntakeContext, Outcome
from ppid.intake.mail.imap import (
    Account,
    fetch_raw,
    list_messages,
    open_mailbox,
    settle,
)
from ppid.intake.mail.ledger import (
    begin_message,
    finish_message,
    mark_failed,
    mark_settled,
    message_report,
    record_raw,
    refuse_if_too_big,
    release,
)
from ppid.intake.mail.parse import Attachment, ParsedMail, body_objection, parse_mail
from ppid.intake.mail.reply import acknowledge

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailStages:
    """What the mail flow hands in: how one attachment goes through intake (`process(path,
    group_key)`, the process-file flow as a subflow run per file) and how a case is archived
    after its e-mail joined it (`archive(settings, sessions, number)`, the archive task)."""

    process: Callable[[str, str], dict[str, Any]]
    archive: Callable[[Settings, Any, str], object]


# --- one message into the intake pipeline ---------------------------------------------------


def ingest_message(ctx: IntakeContext, row_id: int, parsed: ParsedMail, stages: MailStages) -> str:
    """Feed the attachments (and a typed objection) to intake as one submission → final status;
    each case it made gets the e-mail in its file (and the receipt back), then its archive."""
    config = ctx.settings.mail
    limit = config.max_attachment_mb * 1024 * 1024
    big = [a for a in parsed.attachments if len(a.data) > limit]
    if big:
        names = ", ".join(f"{safe_name(a.name)} ({len(a.data) / 1048576:.1f} MB)" for a in big)
        finish_message(
            ctx,
            row_id,
            MailStatus.REFUSED,
            error=f"attachment(s) beyond the limit of {config.max_attachment_mb:g} MB "
            f"(mail.max_attachment_mb): {names}; the message stays in the mailbox",
        )
        return MailStatus.REFUSED
    document = body_objection(parsed.body)
    if not parsed.attachments and document is None:
        finish_message(ctx, row_id, MailStatus.EMPTY, outcomes=[])
        return MailStatus.EMPTY
    with ctx.sessions() as session:
        row = session.get_one(MailMessage, row_id)
        group_key = f"mail:{row.message_id or row.sha256}"[:300]
    work = mail_work_folder(ctx.settings, row_id)
    shutil.rmtree(work, ignore_errors=True)  # a retry writes the same names again
    work.mkdir(parents=True, exist_ok=True)
    outcomes = [
        _ingest_attachment(ctx, work, a, group_key, stages.process) for a in parsed.attachments
    ]
    if document is not None:
        body = _write_attachment(work, "isi-email.txt", parsed.body.encode("utf-8"))
        outcomes.append(ingest_body(ctx, body, group_key, document).to_json())
    unfinished = [o for o in outcomes if o["outcome"] in ("retry-later", "busy")]
    if unfinished:
        raise RuntimeError(f"{len(unfinished)} attachment(s) not finished: {unfinished[0]}")
    for number in {o["register_number"] for o in outcomes if o.get("register_number")}:
        link_case(ctx, row_id, number)
        if config.acknowledge:
            acknowledge(ctx, number)
        stages.archive(ctx.settings, ctx.sessions, number)
    finish_message(ctx, row_id, MailStatus.DONE, outcomes=outcomes)
    shutil.rmtree(work, ignore_errors=True)
    return MailStatus.DONE


def _write_attachment(work: Path, name: str, data: bytes) -> Path:
    target = unique_path(work / safe_name(name, fallback="lampiran"))
    write_durably(target, data)
    return target


def _ingest_attachment(
    ctx: IntakeContext,
    work: Path,
    attachment: Attachment,
    group_key: str,
    process: Callable[[str, str], dict[str, Any]],
) -> dict[str, Any]:
    path = _write_attachment(work, attachment.name, attachment.data)
    if attachment.problem:  # a damaged winmail.dat: the files inside could not be taken out
        note = QuarantineNote(*quarantine_texts("quarantine.winmail", problem=attachment.problem))
        return {**_quarantine(ctx, work, path, note), "file": attachment.name}
    outcome = process(str(path), group_key)
    if outcome.get("outcome") == "quarantined" and path.exists():
        reason = str(outcome.get("reason") or "could not be processed")
        note = QuarantineNote(*quarantine_texts("quarantine.attachment", problem=reason))
        _quarantine(ctx, work, path, note)
    outcome["file"] = attachment.name
    return outcome


def _quarantine(ctx: IntakeContext, work: Path, path: Path, note: QuarantineNote) -> dict[str, Any]:
    """Attachments that cannot be read go where the clerk looks: quarantine/email/<message>/."""
    target_dir = mail_quarantine(ctx.settings)
    moved = quarantine_file(path, target_dir, note, work.parent)
    return Outcome(str(moved), "quarantined", None, note.reason_en).to_json()


def ingest_body(ctx: IntakeContext, path: Path, group_key: str, document: Any) -> Outcome:
    """An objection typed into the e-mail: the intake steps, with the fields read from the body."""
    intake_id, state = ledger.claim(ctx, path, source="mail", group_key=group_key)
    if state == "duplicate":
        return ledger.record_duplicate(ctx, intake_id, path)
    if state == "busy":
        return Outcome(str(path), "busy", intake_id=intake_id)
    steps.store_original(ctx, intake_id, path)
    extraction = {
        "file": path.name,
        "documents": [document.to_json()],
        "error": None,
        "texts": [document.text],
    }
    steps.keep_extraction(ctx, intake_id, extraction)
    outcome = steps.check_and_register(ctx, pairing.assemble(ctx, intake_id))
    if outcome.register_number:
        steps.issue_receipt(ctx, outcome.register_number)
    ledger.finish(ctx, intake_id, path)
    outcome.file = "isi-email.txt"
    return outcome


def link_case(ctx: IntakeContext, row_id: int, number: str) -> None:
    """The e-mail itself joins the case file; the sender's address becomes the applicant's."""
    with ctx.sessions() as session, session.begin():
        row = session.get_one(MailMessage, row_id)
        case = session.scalars(select(Case).where(Case.number == number)).one()
        if any(d.role == "email" and d.sha256 == row.sha256 for d in case.documents):
            return
        if not case.applicant_email and row.sender:
            case.applicant_email = row.sender
        session.add(
            CaseDocument(
                case=case,
                kind=DocumentKind.ORIGINAL,
                document_type="email",
                role="email",
                path=str(row.eml_path),
                sha256=str(row.sha256),
                media_type="message/rfc822",
            )
        )
        session.add(
            CaseEvent(
                case=case,
                actor=ACTOR,
                action="email_received",
                note=history_note(
                    "intake.email",
                    sender=row.sender or "-",
                    subject=row.subject or history_note("intake.no_subject"),
                )[:500],
                data={"message_id": row.message_id, "sha256": row.sha256},
            )
        )


# --- draining a mailbox ---------------------------------------------------------------------


def drain_account(ctx: IntakeContext, account: Account, stages: MailStages) -> list[dict[str, Any]]:
    """Every new message of one mailbox folder, in UID order; a lost connection ends the run."""
    config = ctx.settings.mail
    reports = []
    with open_mailbox(account, config) as box:
        uidvalidity, messages = list_messages(box, account, config)
        for uid, size in messages:
            report = handle_message(ctx, box, account, (uidvalidity, uid, size), stages)
            if report is not None:
                reports.append(report)
    return reports


def handle_message(
    ctx: IntakeContext,
    box: Any,
    account: Account,
    key: tuple[int, int, int],
    stages: MailStages,
) -> dict[str, Any] | None:
    """Ledger → fetch → archive .eml → intake → commit → only then move (or flag) it."""
    uidvalidity, uid, size = key
    row_id, action = begin_message(ctx, account, uidvalidity, uid, size)
    if action == "skip":
        return None
    status: str = MailStatus.DONE
    if action == "ingest":
        if refuse_if_too_big(ctx, row_id, size, ctx.settings.mail):
            return message_report(ctx, row_id)
        try:
            raw = fetch_raw(box, uid)
        except BaseException:  # a broken connection ends the run; the message stays as it is
            release(ctx, row_id)
            raise
        try:
            parsed = parse_mail(raw)
            if record_raw(ctx, row_id, raw, parsed) == "duplicate":
                status = MailStatus.DUPLICATE
            else:
                status = ingest_message(ctx, row_id, parsed, stages)
        except Exception as error:  # the message's own fault or a local one: retry with backoff
            log.exception("e-mail %s of %s failed", uid, account.label)
            mark_failed(ctx, row_id, f"{type(error).__name__}: {error}", ctx.settings.mail)
            return message_report(ctx, row_id)
    if status in (MailStatus.DONE, MailStatus.DUPLICATE):
        settle(box, ctx.settings.mail, uid)
        mark_settled(ctx, row_id)
    return message_report(ctx, row_id)


def preview(ctx: IntakeContext, account: Account) -> list[dict[str, Any]]:
    """What the next run would do with each message, without changing anything anywhere."""
    config = ctx.settings.mail
    with open_mailbox(account, config) as box:
        uidvalidity, messages = list_messages(box, account, config)
        sizes = dict(messages)
        headers = {}
        if sizes:
            found = box.fetch(
                AND(uid=[str(u) for u in sizes]), headers_only=True, mark_seen=False, bulk=True
            )
            headers = {int(m.uid): m for m in found if m.uid}
    with ctx.sessions() as session:
        known = {
            row.uid: row
            for row in session.scalars(
                select(MailMessage).where(
                    MailMessage.account == account.label,
                    MailMessage.folder == account.folder,
                    MailMessage.uidvalidity == uidvalidity,
                )
            )
        }
    rows = []
    for uid, size in messages:
        row = known.get(uid)
        header = headers.get(uid)
        rows.append(
            {
                "uid": uid,
                "size": size,
                "from": header.from_ if header else "",
                "subject": header.subject if header else "",
                "action": _planned(row, size, config),
            }
        )
    return rows


def _planned(row: MailMessage | None, size: int, config: Mail) -> str:
    if row is None:
        if size > config.max_attachment_mb * 1024 * 1024 * 1.4 + 256 * 1024:
            return "refuse (too big)"
        return "ingest"
    if row.status in (MailStatus.DONE, MailStatus.DUPLICATE):
        return "skip" if row.settled else "move/flag"
    if row.status == MailStatus.FAILED and row.next_attempt_at and row.next_attempt_at > utcnow():
        return f"retry after {row.next_attempt_at:%Y-%m-%d %H:%M} UTC"
    return "ingest" if row.status in (MailStatus.NEW, MailStatus.FAILED) else f"skip ({row.status})"
