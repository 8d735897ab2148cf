"""Deadline warnings to the staff: the text of the daily e-mail per role, and sending it by SMTP."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ppid.core.models import ROLE_LABELS, Role
from ppid.core.settings import Settings

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
        send(settings.mail.smtp_url.get_secret_value(), message, settings.mail.timeout_seconds)
    except (OSError, smtplib.SMTPException) as error:
        log.error("could not e-mail deadline warnings to %s: %s", address, error)
        return False
    return True


def send(url: str, message: EmailMessage, timeout: float) -> None:
    """Send through `smtps://user:pass@host:465` or `smtp://host:587?starttls=1`."""
    parts = urlsplit(url)
    secure = parts.scheme == "smtps"
    host, port = parts.hostname or "localhost", parts.port or (465 if secure else 25)
    context = ssl.create_default_context()
    client_class = smtplib.SMTP_SSL if secure else smtplib.SMTP
    kwargs: dict[str, Any] = {"context": context} if secure else {}
    with client_class(host, port, timeout=timeout, **kwargs) as client:
        if not secure and parse_qs(parts.query).get("starttls") == ["1"]:
            client.starttls(context=context)
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)
