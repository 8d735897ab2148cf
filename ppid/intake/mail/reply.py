"""The optional acknowledgement: the receipt PDF mailed back to the applicant, once per case."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from sqlalchemy import select

from ppid.core.errors import ConfigError
from ppid.core.messages import history_note, mail_text
from ppid.core.models import (
    Case,
    CaseEvent,
    MailMessage,
    utcnow,
)
from ppid.core.settings import Settings
from ppid.core.smtp import send_mail
from ppid.intake.ledger import ACTOR, IntakeContext
from ppid.intake.mail.imap import short_error
from ppid.output.nik_copies import case_niks, copy_without_niks
from ppid.output.redact import CannotRedact

log = logging.getLogger(__name__)

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
                actor=ACTOR,
                action="acknowledgement_sent",
                note=history_note("intake.acknowledged", recipient=reply["To"]),
                data={"message_id": reply["Message-ID"]},
            )
        )
    return True


def _acknowledgement(settings: Settings, case: Case, receipt: Path | None) -> EmailMessage:
    office = settings.office
    reply = EmailMessage()
    reply["From"] = settings.mail.smtp_from or office.email
    reply["To"] = str(case.applicant_email)
    reply["Subject"] = mail_text("subject.receipt", number=case.number)
    reply["Date"] = format_datetime(utcnow())
    reply["Message-ID"] = make_msgid(
        domain=(settings.mail.smtp_from or office.email).split("@")[-1]
    )
    reply.set_content(
        mail_text(
            "acknowledgement",
            name=case.applicant_name,
            number=case.number,
            due=f"{case.answer_due:%d-%m-%Y}",
            position=office.ppid_position,
            address=office.address,
        )
    )
    if receipt is not None and receipt.exists():
        try:  # a copy without the full NIK: the address is only what the e-mail came from
            copy = copy_without_niks(receipt, case_niks(case))
        except CannotRedact as error:
            log.warning("acknowledgement of %s sent without its receipt: %s", case.number, error)
            return reply
        reply.add_attachment(
            copy.data, maintype="application", subtype="pdf", filename=receipt.name
        )
    return reply
