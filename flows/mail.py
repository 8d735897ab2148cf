"""E-mail intake flow: every configured mailbox, each new message into one submission.

Orchestration only: the steps live in `ppid.intake.mail` (ledger, fetch, archive, settle) and
each attachment runs through the same `process-file` flow as an inbox file, under the message's
group key so a form and a KTP in one e-mail pair; once the e-mail joined its case, the case's
archive task follows. One mailbox that cannot be reached does not stop the others; its error is
reported and the next scheduled run tries again.
"""

from __future__ import annotations

import logging
from typing import Any

from prefect import flow

from flows.archive import archive_case
from flows.intake import process_file
from ppid.core.errors import PpidError
from ppid.core.settings import load_settings
from ppid.intake.ledger import IntakeContext
from ppid.intake.mail.imap import accounts
from ppid.intake.mail.ingest import MailStages, drain_account

log = logging.getLogger(__name__)


def _process(path: str, group_key: str) -> dict[str, Any]:
    """One attachment: the per-file intake flow (a subflow run, named after the file)."""
    return process_file(path, group_key=group_key, source="mail")


STAGES = MailStages(process=_process, archive=archive_case)


@flow(name="check-mailboxes", log_prints=False)
def check_mailboxes() -> list[dict[str, Any]]:
    """For each mailbox: new messages → .eml archived → attachments ingested → moved/flagged."""
    settings = load_settings()
    ctx = IntakeContext.open(settings)
    reports: list[dict[str, Any]] = []
    for account in accounts(settings):
        try:
            reports.extend(drain_account(ctx, account, STAGES))
        except PpidError as error:
            log.warning("mailbox %s: %s", account.label, error.message)
            report = {"source": "mail", "file": account.label, "outcome": "error"}
            reports.append({**report, "reason": error.message})
    return reports
