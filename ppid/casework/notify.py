"""Deadline warnings to the staff: the text of the daily e-mail per role, sent by `core.smtp`."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any

from ppid.core.errors import ConfigError
from ppid.core.settings import Settings
from ppid.core.smtp import send_mail
from ppid.core.vocabulary import ROLE_LABELS, Role

log = logging.getLogger(__name__)


def warning_text(role: str, rows: list[dict[str, Any]]) -> str:
    """The e-mail body: one line per task, overdue first (Indonesian, as the staff read it)."""
    lines = [f"Tugas {ROLE_LABELS[Role(role)]} yang perlu perhatian:", ""]
    for row in sorted(rows, key=lambda r: (r["state"] != "overdue", r["due"] or "")):
        state = "TERLAMBAT" if row["state"] == "overdue" else "segera"
        lines.append(
            f"- [{state}] {row['case']} · {row['step_label']} · batas {row['due']} "
            f"(batas tanggapan keberatan {row['answer_due']})"
        )
    lines += ["", "Lihat semua tugas: ppid tasks --role " + role]
    return "\n".join(lines)


def notify_role(settings: Settings, role: str, rows: list[dict[str, Any]]) -> bool:
    """E-mail the role's address (workflow.notify) via mail.smtp_url; otherwise only log."""
    body = warning_text(role, rows)
    address = settings.workflow.notify.get(role)
    if not address or settings.mail.smtp_url is None:
        log.warning("deadline warnings for %s (no e-mail configured):\n%s", role, body)
        return False
    message = EmailMessage()
    message["From"] = settings.mail.smtp_from or settings.office.email
    message["To"] = address
    message["Subject"] = f"[PPID] {len(rows)} tugas keberatan mendekati/melewati batas waktu"
    message.set_content(body)
    try:
        send_mail(settings.mail, message)
    except (OSError, smtplib.SMTPException, ConfigError) as error:
        log.error("could not e-mail deadline warnings to %s: %s", address, error)
        return False
    return True
