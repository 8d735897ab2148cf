"""The e-mail ledger that makes mail intake exactly-once: what became of each message, and when
to try a failing one again.

A message is keyed by (account, folder, UIDVALIDITY, UID) and by the SHA-256 of its raw bytes
(and its Message-ID for re-sent copies); its raw `.eml` is archived before anything else. A
failing message stays in the mailbox with its error recorded and is retried with backoff.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ppid.core.db import write_session
from ppid.core.models import (
    MailMessage,
    MailStatus,
    utcnow,
)
from ppid.core.paths import stored_mail
from ppid.core.settings import Mail
from ppid.intake.inbox import write_durably
from ppid.intake.ledger import IntakeContext
from ppid.intake.mail.imap import (
    Account,
)
from ppid.intake.mail.parse import ParsedMail

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(days=1)


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
    finish_message(
        ctx,
        row_id,
        MailStatus.REFUSED,
        error=f"the message is {size / 1048576:.1f} MB, beyond the attachment limit of "
        f"{config.max_attachment_mb:g} MB (mail.max_attachment_mb); it stays in the mailbox",
    )
    return True


def record_raw(ctx: IntakeContext, row_id: int, raw: bytes, parsed: ParsedMail) -> str:
    """Archive the raw .eml and note its hash: "new", or "duplicate" of an earlier message."""
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
        write_durably(ctx.archive / relative, raw)
        row.sha256, row.eml_path = digest, relative.as_posix()
        return "new"


def finish_message(ctx: IntakeContext, row_id: int, status: MailStatus, **values: Any) -> None:
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


def message_report(ctx: IntakeContext, row_id: int) -> dict[str, Any]:
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
