"""E-mail intake: the exactly-once message ledger, one submission per message, the reply.

A message is keyed by (account, folder, UIDVALIDITY, UID) and by the SHA-256 of its raw bytes
(and its Message-ID for re-sent copies). Its raw `.eml` is archived, its attachments (and an
objection typed into the body) go through the intake steps of `ppid.intake` under one group key,
and only once that is committed is it moved to the Processed folder (or flagged). A failing
message stays in the mailbox with its error recorded and is retried with backoff.
"""

from __future__ import annotations

import logging
import os
import shutil
import smtplib
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ppid.core.db import write_session
from ppid.core.errors import ConfigError
from ppid.core.files import safe_name
from ppid.core.models import (
    Case,
    CaseDocument,
    CaseEvent,
    IntakeFile,
    IntakeStatus,
    MailMessage,
    MailStatus,
    utcnow,
)
from ppid.core.paths import mail_quarantine, mail_work_folder, stored_mail
from ppid.core.settings import Mail, Settings
from ppid.core.smtp import send_mail
from ppid.core.vocabulary import DocumentKind
from ppid.intake import steps as intake
from ppid.intake.inbox import QuarantineNote, fsync_dir, quarantine_file, unique_path
from ppid.intake.mail.imap import (  # re-exported: the mail intake API is ppid.mail
    Account,
    MailError,
    MailLoginError,
    accounts,
    fetch_raw,
    list_messages,
    open_mailbox,
    parse_mail_url,
    settle,
    short_error,
)
from ppid.intake.mail.parse import Attachment, ParsedMail, body_objection, parse_mail
from ppid.intake.steps import IntakeContext, Outcome

log = logging.getLogger(__name__)

__all__ = ["Account", "MailError", "MailLoginError", "accounts", "parse_mail_url"]

MAX_BACKOFF = timedelta(days=1)
# process(path, group_key) -> outcome dict; the flow passes flows.intake.process_file.
Process = Callable[[str, str], dict[str, Any]]


# --- the ledger -----------------------------------------------------------------------------


def begin_message(
    ctx: IntakeContext, account: Account, uidvalidity: int, uid: int, size: int
) -> tuple[int, str]:
    """(ledger id, "ingest" | "settle" | "skip"): what to do with this message now.

    Taking a message for ingestion leases it (as intake leases a file) so a second run at the
    same time passes it by; the lease ends with its outcome, or runs out after a crash.
    """
    try:
        with write_session(ctx.sessions) as session:  # two runs at once decide one after the other
            return _decide(ctx, session, account, (uidvalidity, uid, size))
    except IntegrityError:  # another run (PostgreSQL) inserted the same message just now
        return 0, "skip"


def _decide(
    ctx: IntakeContext, session: Session, account: Account, key: tuple[int, int, int]
) -> tuple[int, str]:
    uidvalidity, uid, size = key
    row = session.scalars(
        select(MailMessage).where(
            MailMessage.account == account.label,
            MailMessage.folder == account.folder,
            MailMessage.uidvalidity == uidvalidity,
            MailMessage.uid == uid,
        )
    ).first()
    if row is None:
        row = MailMessage(
            account=account.label, folder=account.folder, uidvalidity=uidvalidity, uid=uid
        )
        row.size = size
        session.add(row)
        session.flush()
    if row.status in (MailStatus.DONE, MailStatus.DUPLICATE):
        return row.id, "skip" if row.settled else "settle"
    if row.status in (MailStatus.EMPTY, MailStatus.REFUSED):
        return row.id, "skip"
    if row.next_attempt_at is not None and row.next_attempt_at > utcnow():
        return row.id, "skip"  # backing off after a failure, or leased by a run in progress
    row.attempts += 1
    row.next_attempt_at = utcnow() + timedelta(minutes=ctx.settings.intake.lease_minutes)
    return row.id, "ingest"


def release(ctx: IntakeContext, row_id: int) -> None:
    """Give the lease back (the connection broke before the message was read): next run retries."""
    with ctx.sessions() as session, session.begin():
        row = session.get_one(MailMessage, row_id)
        if row.status == MailStatus.NEW:
            row.next_attempt_at = None


def refuse_if_too_big(ctx: IntakeContext, row_id: int, size: int, config: Mail) -> bool:
    """A message far beyond the attachment limit is not even downloaded."""
    limit = config.max_attachment_mb * 1024 * 1024
    if size <= limit * 1.4 + 256 * 1024:  # base64 makes attachments about 4/3 bigger
        return False
    _finish(
        ctx,
        row_id,
        MailStatus.REFUSED,
        error=f"the message is {size / 1048576:.1f} MB, beyond the attachment limit of "
        f"{config.max_attachment_mb:g} MB (mail.max_attachment_mb); it stays in the mailbox",
    )
    return True


def record_raw(ctx: IntakeContext, row_id: int, raw: bytes, parsed: ParsedMail) -> str:
    """Archive the raw .eml and note its hash: "new", or "duplicate" of an earlier message."""
    import hashlib

    digest = hashlib.sha256(raw).hexdigest()
    with ctx.sessions() as session, session.begin():
        row = session.get_one(MailMessage, row_id)
        if row.sha256 == digest and row.eml_path:
            return "new"  # a retry of this very message
        earlier = session.scalars(
            select(MailMessage)
            .where(MailMessage.id != row_id)
            .where(
                (MailMessage.sha256 == digest)
                | (
                    (MailMessage.message_id == parsed.message_id)
                    & (MailMessage.message_id.is_not(None))
                    & (MailMessage.status == MailStatus.DONE)
                )
            )
        ).first()
        row.message_id, row.sender = parsed.message_id, parsed.sender[:320] or None
        row.subject, row.body = parsed.subject, parsed.body
        if earlier is not None:
            row.status, row.duplicate_of_id = MailStatus.DUPLICATE, earlier.id
            row.error = None
            return "duplicate"
        relative = stored_mail(digest)
        _write_durably(ctx.archive / relative, raw)
        row.sha256, row.eml_path = digest, relative.as_posix()
        return "new"


def _write_durably(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, target)
    fsync_dir(target.parent)


def _finish(ctx: IntakeContext, row_id: int, status: MailStatus, **values: Any) -> None:
    with ctx.sessions() as session, session.begin():
        row = session.get_one(MailMessage, row_id)
        row.status = status
        row.next_attempt_at = None
        for key, value in {"error": None, **values}.items():
            setattr(row, key, value)


def mark_failed(ctx: IntakeContext, row_id: int, error: str, config: Mail) -> None:
    """Keep the message in the mailbox, record why, and wait longer after each failure."""
    with ctx.sessions() as session, session.begin():
        row = session.get_one(MailMessage, row_id)
        if row.status not in (MailStatus.NEW, MailStatus.FAILED):  # finished meanwhile
            return
        wait = timedelta(minutes=config.retry_minutes) * 2 ** max(0, row.attempts - 1)
        row.status, row.error = MailStatus.FAILED, error[:2000]
        row.next_attempt_at = utcnow() + min(wait, MAX_BACKOFF)
    log.warning("mail message %s failed: %s", row_id, error)


def mark_settled(ctx: IntakeContext, row_id: int) -> None:
    with ctx.sessions() as session, session.begin():
        session.get_one(MailMessage, row_id).settled = True


# --- one message into the intake pipeline ---------------------------------------------------


def ingest_message(ctx: IntakeContext, row_id: int, parsed: ParsedMail, process: Process) -> str:
    """Feed the attachments (and a typed objection) to intake as one submission → final status."""
    config = ctx.settings.mail
    limit = config.max_attachment_mb * 1024 * 1024
    big = [a for a in parsed.attachments if len(a.data) > limit]
    if big:
        names = ", ".join(f"{safe_name(a.name)} ({len(a.data) / 1048576:.1f} MB)" for a in big)
        _finish(
            ctx,
            row_id,
            MailStatus.REFUSED,
            error=f"attachment(s) beyond the limit of {config.max_attachment_mb:g} MB "
            f"(mail.max_attachment_mb): {names}; the message stays in the mailbox",
        )
        return MailStatus.REFUSED
    document = body_objection(parsed.body)
    if not parsed.attachments and document is None:
        _finish(ctx, row_id, MailStatus.EMPTY, outcomes=[])
        return MailStatus.EMPTY
    with ctx.sessions() as session:
        row = session.get_one(MailMessage, row_id)
        group_key = f"mail:{row.message_id or row.sha256}"[:300]
    work = mail_work_folder(ctx.settings, row_id)
    shutil.rmtree(work, ignore_errors=True)  # a retry writes the same names again
    work.mkdir(parents=True, exist_ok=True)
    outcomes = [_ingest_attachment(ctx, work, a, group_key, process) for a in parsed.attachments]
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
    _finish(ctx, row_id, MailStatus.DONE, outcomes=outcomes)
    shutil.rmtree(work, ignore_errors=True)
    return MailStatus.DONE


def _write_attachment(work: Path, name: str, data: bytes) -> Path:
    target = unique_path(work / safe_name(name, fallback="lampiran"))
    _write_durably(target, data)
    return target


def _ingest_attachment(
    ctx: IntakeContext, work: Path, attachment: Attachment, group_key: str, process: Process
) -> dict[str, Any]:
    path = _write_attachment(work, attachment.name, attachment.data)
    if attachment.problem:  # a damaged winmail.dat: the files inside could not be taken out
        note = QuarantineNote(
            reason_id=f"Lampiran winmail.dat (format Outlook/TNEF) rusak dan tidak dapat dibuka "
            f"({attachment.problem}). Minta pengirim mengirim ulang formulir sebagai PDF atau "
            "foto, dengan Outlook diatur ke format HTML atau teks biasa, bukan RTF.",
            reason_en=f"{attachment.problem}. Ask the sender to send the form again as PDF or "
            "image, with Outlook set to HTML or plain text, not RTF.",
        )
        return {**_quarantine(ctx, work, path, note), "file": attachment.name}
    outcome = process(str(path), group_key)
    if outcome.get("outcome") == "quarantined" and path.exists():
        reason = str(outcome.get("reason") or "could not be processed")
        note = QuarantineNote(f"Lampiran e-mail tidak dapat diproses ({reason}).", reason)
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
    intake_id, state = intake.claim(ctx, path, source="mail", group_key=group_key)
    if state == "duplicate":
        return intake.record_duplicate(ctx, intake_id, path)
    if state == "busy":
        return Outcome(str(path), "busy", intake_id=intake_id)
    intake.store_original(ctx, intake_id, path)
    with ctx.sessions() as session, session.begin():
        row = session.get_one(IntakeFile, intake_id)
        if row.extraction is None:
            row.extraction = {
                "file": path.name,
                "documents": [document.to_json()],
                "error": None,
                "texts": [document.text],
            }
            row.status = IntakeStatus.EXTRACTED
    outcome = intake.check_and_register(ctx, intake.assemble(ctx, intake_id))
    if outcome.register_number:
        intake.issue_receipt(ctx, outcome.register_number)
    intake.finish(ctx, intake_id, path)
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
                actor=intake.ACTOR,
                action="email_received",
                note=f"E-mail dari {row.sender or '-'}: {row.subject or '(tanpa subjek)'}"[:500],
                data={"message_id": row.message_id, "sha256": row.sha256},
            )
        )


# --- the optional acknowledgement ----------------------------------------------------------


def acknowledge(ctx: IntakeContext, number: str) -> bool:
    """Reply to the applicant with the receipt PDF, once per case; a failure is only logged.

    The receipt is in the case file either way, so a lost acknowledgement costs the applicant a
    reply, not the objection; it is recorded on the case so it is never sent twice.
    """
    with ctx.sessions() as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        if any(e.action == "acknowledgement_sent" for e in case.events) or not case.applicant_email:
            return False
        receipt = next((d for d in case.documents if d.role == "receipt"), None)
        email_doc = next((d for d in case.documents if d.role == "email"), None)
        reply = _acknowledgement(ctx.settings, case, receipt and ctx.archive / receipt.path)
        in_reply_to = (
            email_doc
            and session.scalars(
                select(MailMessage.message_id).where(MailMessage.sha256 == email_doc.sha256)
            ).first()
        )
        case_id = case.id
    if in_reply_to:
        reply["In-Reply-To"] = reply["References"] = in_reply_to
    try:
        send_mail(ctx.settings.mail, reply)
    except (OSError, smtplib.SMTPException, ConfigError) as error:
        log.warning("acknowledgement for %s not sent: %s", number, short_error(error))
        return False
    with ctx.sessions() as session, session.begin():
        session.add(
            CaseEvent(
                case_id=case_id,
                actor=intake.ACTOR,
                action="acknowledgement_sent",
                note=f"Tanda terima dikirim ke {reply['To']}",
                data={"message_id": reply["Message-ID"]},
            )
        )
    return True


def _acknowledgement(settings: Settings, case: Case, receipt: Path | None) -> EmailMessage:
    office = settings.office
    reply = EmailMessage()
    reply["From"] = settings.mail.smtp_from or office.email
    reply["To"] = str(case.applicant_email)
    reply["Subject"] = f"Tanda terima pengajuan keberatan {case.number}"
    reply["Date"] = format_datetime(utcnow())
    reply["Message-ID"] = make_msgid(
        domain=(settings.mail.smtp_from or office.email).split("@")[-1]
    )
    reply.set_content(
        f"Yth. {case.applicant_name},\n\n"
        f"Pengajuan keberatan Saudara telah kami terima dan diregistrasi dengan nomor "
        f"{case.number}. Tanggapan atas keberatan akan diberikan paling lambat "
        f"{case.answer_due:%d-%m-%Y} (30 hari kerja). Tanda terima terlampir.\n\n"
        f"Hormat kami,\n{office.ppid_position}\n{office.address}\n"
    )
    if receipt is not None and receipt.exists():
        reply.add_attachment(
            receipt.read_bytes(), maintype="application", subtype="pdf", filename=receipt.name
        )
    return reply


# --- reading the ledger ---------------------------------------------------------------------


def status_rows(ctx: IntakeContext) -> list[dict[str, Any]]:
    """Every message in the ledger, newest first, for `ppid mail status`."""
    with ctx.sessions() as session:
        rows = session.scalars(select(MailMessage).order_by(MailMessage.id.desc())).all()
        return [
            {
                "id": row.id,
                "account": row.account,
                "folder": row.folder,
                "uid": row.uid,
                "status": row.status,
                "sender": row.sender,
                "subject": row.subject,
                "attempts": row.attempts,
                "error": row.error,
                "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
                "settled": row.settled,
                "register_numbers": sorted(
                    {o["register_number"] for o in row.outcomes or [] if o.get("register_number")}
                ),
            }
            for row in rows
        ]


# --- draining a mailbox ---------------------------------------------------------------------


def drain_account(ctx: IntakeContext, account: Account, process: Process) -> list[dict[str, Any]]:
    """Every new message of one mailbox folder, in UID order; a lost connection ends the run."""
    config = ctx.settings.mail
    reports = []
    with open_mailbox(account, config) as box:
        uidvalidity, messages = list_messages(box, account, config)
        for uid, size in messages:
            report = handle_message(ctx, box, account, (uidvalidity, uid, size), process)
            if report is not None:
                reports.append(report)
    return reports


def handle_message(
    ctx: IntakeContext, box: Any, account: Account, key: tuple[int, int, int], process: Process
) -> dict[str, Any] | None:
    """Ledger → fetch → archive .eml → intake → commit → only then move (or flag) it."""
    uidvalidity, uid, size = key
    row_id, action = begin_message(ctx, account, uidvalidity, uid, size)
    if action == "skip":
        return None
    status: str = MailStatus.DONE
    if action == "ingest":
        if refuse_if_too_big(ctx, row_id, size, ctx.settings.mail):
            return _report(ctx, row_id)
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
                status = ingest_message(ctx, row_id, parsed, process)
        except Exception as error:  # the message's own fault or a local one: retry with backoff
            log.exception("e-mail %s of %s failed", uid, account.label)
            mark_failed(ctx, row_id, f"{type(error).__name__}: {error}", ctx.settings.mail)
            return _report(ctx, row_id)
    if status in (MailStatus.DONE, MailStatus.DUPLICATE):
        settle(box, ctx.settings.mail, uid)
        mark_settled(ctx, row_id)
    return _report(ctx, row_id)


def _report(ctx: IntakeContext, row_id: int) -> dict[str, Any]:
    with ctx.sessions() as session:
        row = session.get_one(MailMessage, row_id)
        return {
            "source": "mail",
            "account": row.account,
            "uid": row.uid,
            "file": f"{row.account}/{row.folder}#{row.uid}",
            "subject": row.subject,
            "sender": row.sender,
            "outcome": row.status,
            "reason": row.error,
            "files": row.outcomes or [],
        }


def preview(ctx: IntakeContext, account: Account) -> list[dict[str, Any]]:
    """What the next run would do with each message, without changing anything anywhere."""
    from imap_tools import AND

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
