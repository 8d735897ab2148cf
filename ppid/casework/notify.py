"""Deadline warnings to the staff: the text of the daily e-mail per role, sent by `core.smtp`."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any

from ppid.core.errors import ConfigError
from ppid.core.messages import mail_text
from ppid.core.settings import Settings
from ppid.core.smtp import send_mail
from ppid.core.vocabulary import ROLE_LABELS, Role

log = logging.getLogger(__name__)


def warning_text(role: str, rows: list[dict[str, Any]], web_url: str = "") -> str:
    """The e-mail body: one line per task, overdue first (Indonesian, as the staff read it),
    then where the staff app's task queue is (`web_public_url`, when it is set)."""
    lines = [mail_text("deadline.heading", role_label=ROLE_LABELS[Role(role)]), ""]
    for row in sorted(rows, key=lambda r: (r["state"] != "overdue", r["due"] or "")):
        state = mail_text("deadline.overdue" if row["state"] == "overdue" else "deadline.soon")
        lines.append(
            mail_text(
                "deadline.task",
                state=state,
                case=row["case"],
                step_label=row["step_label"],
                due=row["due"],
                answer_due=row["answer_due"],
            )
        )
    queue = f"{web_url.rstrip('/')}/tugas" if web_url else ""
    see_all = (
        mail_text("deadline.see_all_at", url=queue) if queue else mail_text("deadline.see_all")
    )
    return "\n".join([*lines, "", see_all])


def notify_role(settings: Settings, role: str, rows: list[dict[str, Any]]) -> bool:
    """E-mail the role's address (workflow.notify) via mail.smtp_url; otherwise only log."""
    body = warning_text(role, rows, settings.web_public_url)
    address = settings.workflow.notify.get(role)
    if not address or settings.mail.smtp_url is None:
        log.warning("deadline warnings for %s (no e-mail configured):\n%s", role, body)
        return False
    message = EmailMessage()
    message["From"] = settings.mail.smtp_from or settings.office.email
    message["To"] = address
    message["Subject"] = mail_text("deadline.subject", count=len(rows))
    message.set_content(body)
    try:
        send_mail(settings.mail, message)
    except (OSError, smtplib.SMTPException, ConfigError) as error:
        log.error("could not e-mail deadline warnings to %s: %s", address, error)
        return False
    return True
