"""Notices to applicants: each letter a step owes them, e-mailed from an outbox that retries.

A notice is queued in the transaction of the step that owes it (the receipt when a case is
registered, the answer or rejection once signed and sent), so no step commits without it; the
outbox flow (`flows/notices.py`) sends what is due with the letter attached. Every notice ends as
an event in the case history: sent, or not sent because the case has no e-mail address. A failed
send is kept with its error and tried again later (doubling waits), with an event in the case
history; an address the mail server refuses for good waits for the staff (`unsent` lists what
has not gone out, `send_again` queues it again once the address is corrected).
"""

from __future__ import annotations

import logging
import smtplib
import socket
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ppid.casework.sop import CORRECTION, SIGNED_STEP
from ppid.core.calendar import add_working_days, calendar_from_settings, format_tanggal
from ppid.core.db import write_session
from ppid.core.errors import ConfigError, NotFoundError
from ppid.core.messages import history_note, mail_text
from ppid.core.models import Case, CaseDocument, CaseEvent, Notice, NoticeStatus, utcnow
from ppid.core.paths import archived
from ppid.core.settings import Settings
from ppid.core.signing import sign
from ppid.core.smtp import send_mail
from ppid.core.vocabulary import DOCUMENT_LABELS, DocumentKind
from ppid.output.nik_copies import case_niks, copy_without_niks
from ppid.output.redact import CannotRedact, Redacted
from ppid.output.render import render_html

log = logging.getLogger(__name__)

ACTOR = "sistem-pemberitahuan"
# The public site's pages a notice links to (`ppid.public` serves them at these paths).
STATUS_PATH = "/status"
REACTION_PATH = "/tanggapan/{token}"
REACTION_PURPOSE = "reaction"
LEASE = timedelta(minutes=5)  # a sender that died holding a notice lets it go after this
MAX_ATTACHMENT_BYTES = 15 * 1024 * 1024  # larger: the e-mail points to the status page instead
# Letters after which the applicant may react (accept, or take it to the Komisi Informasi).
ANSWERS = ("tanggapan", "penolakan")


# --- queueing, in the step's own transaction ---------------------------------------------------


def queue_notice(
    session: Session,
    settings: Settings,
    case: Case,
    document: CaseDocument,
    step_event: CaseEvent | None = None,
) -> Notice | None:
    """Queue the e-mail that carries `document` to the applicant; the caller commits.

    Nothing is queued while notices are off or no SMTP server is set. A case registered from an
    e-mail gets its receipt as the e-mail channel's own reply (`mail.acknowledge`), not twice.
    A case without an e-mail address gets an event saying the letter must go another way.
    """
    if not settings.notices.enabled or settings.mail.smtp_url is None:
        return None
    if document.role == "receipt" and case.channel == "email":
        return None
    session.flush()  # the document's (and the step event's) id
    existing = session.scalars(select(Notice).where(Notice.document_id == document.id)).first()
    if existing is not None:
        return existing
    if not case.applicant_email:
        _no_address(session, case, document)
        return None
    notice = Notice(
        case_id=case.id,
        document_id=document.id,
        kind=str(document.role),
        step_event_id=step_event.id if step_event is not None else None,
    )
    session.add(notice)
    return notice


def _no_address(session: Session, case: Case, document: CaseDocument) -> None:
    if any(
        e.action == "notice_no_address" and (e.data or {}).get("document") == document.id
        for e in case.events
    ):
        return
    label = DOCUMENT_LABELS.get(str(document.role), DOCUMENT_LABELS["other"])
    case.events.append(
        CaseEvent(
            actor=ACTOR,
            action="notice_no_address",
            note=history_note("notice.no_address", label=label),
            data={"document": document.id},
        )
    )


def queue_for_step(
    session: Session,
    settings: Settings,
    case: Case,
    step: str,
    event_data: dict[str, Any],
    next_step: str | None,
    step_event: CaseEvent,
) -> Notice | None:
    """After a step: queue the letter it sent to the applicant, if it sent one.

    A letter the Atasan signs goes out when it is sent: at once when no signed copy is awaited,
    else when the signed copy is back (the `signed` step); `awaits_signature` and `signs` in the
    step's event name the letter. A letter nobody signs first (the return letter) is named by
    `sends` and goes out at once.
    """
    if step == SIGNED_STEP:
        letter_id = event_data.get("signs")
    elif next_step != SIGNED_STEP:
        letter_id = event_data.get("awaits_signature") or event_data.get("sends")
    else:
        letter_id = None
    letter = session.get(CaseDocument, int(letter_id)) if letter_id else None
    if letter is None or letter.case_id != case.id:
        return None
    return queue_notice(session, settings, case, letter, step_event)


# --- sending -----------------------------------------------------------------------------------


@dataclass
class SendResult:
    notice_id: int
    number: str
    outcome: str  # sent | failed | refused | cancelled
    error: str | None = None


def send_due(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    case_id: int | None = None,
    limit: int = 50,
) -> list[SendResult]:
    """Send every notice that is due (of one case when `case_id` is given), one at a time.

    Each is claimed first (a lease), so two senders at once never send one notice twice; the
    mail server is talked to outside any transaction.
    """
    results = []
    for notice_id in _claim_due(sessions, case_id, limit):
        results.append(_send_one(settings, sessions, notice_id))
    return results


def _claim_due(sessions: sessionmaker[Session], case_id: int | None, limit: int) -> list[int]:
    now = utcnow()
    query = (
        select(Notice.id)
        .where(Notice.status == NoticeStatus.PENDING)
        .where(or_(Notice.next_attempt_at.is_(None), Notice.next_attempt_at <= now))
        .where(or_(Notice.lease_until.is_(None), Notice.lease_until < now))
        .order_by(Notice.id)
        .limit(limit)
    )
    if case_id is not None:
        query = query.where(Notice.case_id == case_id)
    claimed = []
    with sessions() as session:
        candidates = list(session.scalars(query))
    for notice_id in candidates:
        with sessions() as session, session.begin():
            taken = session.execute(
                update(Notice)
                .where(Notice.id == notice_id)
                .where(Notice.status == NoticeStatus.PENDING)
                .where(or_(Notice.lease_until.is_(None), Notice.lease_until < now))
                .values(lease_until=now + LEASE)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(notice_id)
    return claimed


def _send_one(settings: Settings, sessions: sessionmaker[Session], notice_id: int) -> SendResult:
    with sessions() as session:
        notice = session.get_one(Notice, notice_id)
        case = session.get_one(Case, notice.case_id)
        number = str(case.number)
        if _step_corrected(case, notice.step_event_id):
            message = None
        else:
            message = compose(settings, session, case, notice)
    if message is None:
        _cancel(sessions, notice_id)
        return SendResult(notice_id, number, "cancelled")
    try:
        send_mail(settings.mail, message)
    except smtplib.SMTPRecipientsRefused as error:
        return _failed(settings, sessions, notice_id, number, _short(error), for_good=True)
    except smtplib.SMTPResponseException as error:
        for_good = 500 <= error.smtp_code < 600
        return _failed(settings, sessions, notice_id, number, _short(error), for_good=for_good)
    except (OSError, smtplib.SMTPException, ConfigError) as error:
        return _failed(settings, sessions, notice_id, number, _short(error), for_good=False)
    _sent(sessions, notice_id, str(message["To"]), str(message["Message-ID"]))
    return SendResult(notice_id, number, "sent")


def _step_corrected(case: Case, step_event_id: int | None) -> bool:
    """Whether the step that owed the notice was undone before it went out."""
    return step_event_id is not None and any(
        e.action == CORRECTION and (e.data or {}).get("corrects") == step_event_id
        for e in case.events
    )


def _short(error: BaseException) -> str:
    if isinstance(error, ConfigError):
        return error.message
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [
            f"{code} {text.decode(errors='replace')}" for code, text in error.recipients.values()
        ]
        return f"recipient refused: {'; '.join(codes)}"[:500]
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {error.smtp_error.decode(errors='replace')}"[:500]
    return f"{type(error).__name__}: {error}"[:500]


def _sent(sessions: sessionmaker[Session], notice_id: int, recipient: str, message_id: str) -> None:
    with write_session(sessions) as session:
        notice = session.get_one(Notice, notice_id)
        document = session.get_one(CaseDocument, notice.document_id)
        notice.status, notice.sent_at, notice.lease_until = NoticeStatus.SENT, utcnow(), None
        notice.recipient, notice.message_id = recipient, message_id
        label = DOCUMENT_LABELS.get(notice.kind, DOCUMENT_LABELS["other"])
        attempt = notice.attempts + 1
        note = history_note(
            "notice.sent_again" if notice.attempts else "notice.sent",
            label=label,
            recipient=recipient,
            attempt=attempt,
        )
        session.add(
            CaseEvent(
                case_id=notice.case_id,
                actor=ACTOR,
                action="notice_sent",
                note=note,
                data={"notice": notice.id, "document": document.id, "message_id": message_id},
            )
        )


def _failed(
    settings: Settings,
    sessions: sessionmaker[Session],
    notice_id: int,
    number: str,
    error: str,
    *,
    for_good: bool,
) -> SendResult:
    """Keep the notice with its error: retried after a doubling wait, or (an address the server
    refuses for good) left for the staff to correct and send again."""
    config = settings.notices
    with write_session(sessions) as session:
        notice = session.get_one(Notice, notice_id)
        notice.attempts += 1
        notice.last_error, notice.lease_until = error, None
        if for_good:
            notice.status, notice.next_attempt_at = NoticeStatus.FAILED, None
        else:
            wait = min(config.retry_minutes * 2 ** (notice.attempts - 1), config.retry_max_minutes)
            notice.next_attempt_at = utcnow() + timedelta(minutes=wait)
        if notice.attempts == 1 or for_good:
            label = DOCUMENT_LABELS.get(notice.kind, DOCUMENT_LABELS["other"])
            code = "notice.refused" if for_good else "notice.will_retry"
            session.add(
                CaseEvent(
                    case_id=notice.case_id,
                    actor=ACTOR,
                    action="notice_failed",
                    note=history_note(code, label=label),
                    data={"notice": notice.id, "error": error},
                )
            )
    log.warning("notice %d of %s not sent: %s", notice_id, number, error)
    return SendResult(notice_id, number, "refused" if for_good else "failed", error)


def _cancel(sessions: sessionmaker[Session], notice_id: int) -> None:
    with write_session(sessions) as session:
        notice = session.get_one(Notice, notice_id)
        notice.status, notice.lease_until = NoticeStatus.CANCELLED, None
        session.add(
            CaseEvent(
                case_id=notice.case_id,
                actor=ACTOR,
                action="notice_cancelled",
                note=history_note("notice.cancelled"),
                data={"notice": notice.id},
            )
        )


# --- what an applicant receives ----------------------------------------------------------------


def compose(
    settings: Settings, session: Session, case: Case, notice: Notice
) -> EmailMessage | None:
    """The e-mail of a notice: the letter attached (its signed copy when one came back), as a
    copy without a full NIK: an address typed wrong would hand it to a stranger."""
    letter = session.get(CaseDocument, notice.document_id)
    if letter is None or not case.applicant_email:
        return None
    attachment = signed_copy(case, letter) or letter
    path = archived(settings, attachment.path)
    copy = _copy_to_attach(case, attachment, path)
    sender = settings.mail.smtp_from or settings.office.email
    message = EmailMessage()
    message["From"] = sender
    message["To"] = case.applicant_email
    message["Subject"] = _subject(notice.kind, case, letter)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or socket.getfqdn())
    context = notice_context(settings, case, letter, attached=copy is not None)
    message.set_content(render_html(_template(notice.kind), context))
    if copy is not None:
        maintype, _, subtype = copy.media_type.partition("/")
        name = f"{path.stem}{copy.suffix}"
        message.add_attachment(copy.data, maintype=maintype, subtype=subtype, filename=name)
    return message


def _copy_to_attach(case: Case, document: CaseDocument, path: Path) -> Redacted | None:
    """The letter as it may travel by e-mail; None (the e-mail points to the public site
    instead) when it is missing, too large, or holds a NIK no copy can be made without."""
    if not path.is_file() or path.stat().st_size > MAX_ATTACHMENT_BYTES:
        return None
    try:
        return copy_without_niks(path, case_niks(case), document)
    except CannotRedact as error:
        log.warning("letter %s e-mailed without its attachment: %s", document.id, error)
        return None


OWN_MAIL = ("receipt", "tanggapan", "penolakan")  # their own e-mail template and subject


def _subject(kind: str, case: Case, letter: CaseDocument) -> str:
    if kind in OWN_MAIL:
        return mail_text(f"subject.{kind}", number=case.number)
    label = DOCUMENT_LABELS.get(kind, DOCUMENT_LABELS["other"])
    return mail_text("subject.letter", label=label, number=case.number)


def _template(kind: str) -> str:
    return f"notices/{kind}.txt" if kind in OWN_MAIL else "notices/letter.txt"


def signed_copy(case: Case, letter: CaseDocument) -> CaseDocument | None:
    """The signed copy of a letter that came back scanned, if one did."""
    signed = (d for d in case.documents if d.kind == DocumentKind.SIGNED)
    return next((d for d in signed if (d.fields or {}).get("signs") == letter.id), None)


def notice_context(
    settings: Settings, case: Case, letter: CaseDocument, *, attached: bool
) -> dict[str, Any]:
    """What a notice's text says: the case, the letter, the dates and the links to follow it."""
    cal = calendar_from_settings(settings)
    fields = letter.fields or {}
    dispute_by = None
    if letter.role in ANSWERS and case.answered_on:
        dispute_by = add_working_days(cal, case.answered_on, settings.dispute_window_working_days)
    base = settings.public.url.rstrip("/")
    reaction = None
    if base and letter.role in ANSWERS:
        token = sign(settings, REACTION_PURPOSE, case.id, letter.id)
        reaction = base + REACTION_PATH.format(token=token)
    return {
        "office": settings.office,
        "case": case,
        "letter_label": DOCUMENT_LABELS.get(str(letter.role), DOCUMENT_LABELS["other"]),
        "letter_number": fields.get("letter_number"),
        "attached": attached,
        "answer_due": format_tanggal(case.answer_due) if case.answer_due else None,
        "dispute_by": format_tanggal(dispute_by) if dispute_by else None,
        "dispute_days": settings.dispute_window_working_days,
        "status_url": base + STATUS_PATH if base else None,
        "reaction_url": reaction,
    }


def letters_sent(settings: Settings, case: Case) -> list[CaseDocument]:
    """The letters the applicant has been sent, in order (the public site offers them): the
    receipt, and an answer or rejection once it went out (signed copy back, or at once when no
    signed copy is awaited), as its signed copy when there is one."""
    sent: list[CaseDocument] = []
    immediate = not settings.workflow.wait_for_signed_copy and case.answered_on is not None
    for document in case.documents:
        if document.kind != DocumentKind.OUTPUT:
            continue
        if document.role == "receipt":
            sent.append(document)
        elif document.role in ANSWERS:
            signed = signed_copy(case, document)
            if signed is not None or immediate:
                sent.append(signed or document)
    return sent


# --- what the staff see ------------------------------------------------------------------------


def unsent(session: Session, case_id: int | None = None) -> list[Notice]:
    """Notices that did not go out yet after at least one try, or that wait for the staff."""
    query = select(Notice).where(
        or_(
            Notice.status == NoticeStatus.FAILED,
            (Notice.status == NoticeStatus.PENDING) & (Notice.attempts > 0),
        )
    )
    if case_id is not None:
        query = query.where(Notice.case_id == case_id)
    return list(session.scalars(query.order_by(Notice.id)))


def of_case(session: Session, case_id: int) -> list[Notice]:
    query = select(Notice).where(Notice.case_id == case_id).order_by(Notice.id)
    return list(session.scalars(query))


def send_again(session: Session, notice_id: int, case_id: int, actor: str) -> Notice:
    """A person asks for another try now (after correcting the address, say); the caller commits."""
    notice = session.get(Notice, notice_id)
    if notice is None or notice.case_id != case_id or notice.status == NoticeStatus.SENT:
        raise NotFoundError("notice.not_found", notice=notice_id, case_id=case_id)
    notice.status, notice.next_attempt_at, notice.lease_until = NoticeStatus.PENDING, None, None
    session.add(
        CaseEvent(
            case_id=case_id,
            actor=actor,
            action="notice_retry",
            note=history_note("notice.retry"),
            data={"notice": notice.id},
        )
    )
    return notice
