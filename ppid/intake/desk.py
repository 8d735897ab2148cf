"""Intake-desk actions a clerk takes by hand: pair an ID with a form, dismiss, retry quarantine.

The same functions serve `ppid desk ...` and the web app's intake desk.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ppid.core.db import write_session
from ppid.core.errors import BadInputError, ConflictError, NotFoundError
from ppid.core.messages import history_note
from ppid.core.models import IntakeFile, Submission, SubmissionStatus
from ppid.core.settings import Settings
from ppid.intake.inbox import list_quarantine, unique_path
from ppid.intake.ledger import IntakeContext, Outcome
from ppid.intake.steps import Registration

log = logging.getLogger(__name__)


def _pending(session: Any, submission_id: int) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFoundError("desk.no_submission", submission=submission_id)
    if submission.status != SubmissionStatus.PENDING:
        raise ConflictError(
            "desk.not_pending", submission=submission_id, status=str(submission.status)
        )
    return submission


def attach_submission(
    ctx: IntakeContext, source_id: int, target_id: int, registration: Registration
) -> Outcome:
    """Move the files of pending submission `source_id` into `target_id`, then try to register.

    Used when a form and an ID card that belong together did not pair by themselves (the NIK
    was misread, or they came on different days through different channels). A now complete
    submission goes through `registration` (register, receipt, archive).
    """
    if source_id == target_id:
        raise BadInputError("desk.same_submission")
    with write_session(ctx.sessions) as session:
        source, target = _pending(session, source_id), _pending(session, target_id)
        rows = session.scalars(select(IntakeFile).where(IntakeFile.submission_id == source.id))
        for row in rows:
            row.submission_id = target.id
        target.nik = target.nik or source.nik
        session.flush()
        session.delete(source)
    outcome = registration.run(ctx, target_id)
    log.info("joined submission %d into %d: %s", source_id, target_id, outcome.outcome)
    return outcome


def dismiss_submission(ctx: IntakeContext, submission_id: int, actor: str, note: str) -> None:
    """Mark a pending submission as not an objection (files stay archived as received)."""
    if not note.strip():
        raise BadInputError("desk.needs_note")
    with ctx.sessions() as session, session.begin():
        submission = _pending(session, submission_id)
        submission.status = SubmissionStatus.NOT_OBJECTION
        submission.reason = history_note("intake.not_objection", actor=actor, note=note.strip())


def retry_quarantined(settings: Settings, relative: str) -> Path:
    """Move a quarantined file back into the inbox (its note removed); intake takes it again."""
    assert settings.quarantine is not None and settings.inbox is not None
    root = settings.quarantine.resolve()
    target = (root / relative).resolve()
    listed = {path.resolve() for path, _ in list_quarantine(settings.quarantine)}
    if not target.is_relative_to(root) or target not in listed:
        raise NotFoundError("desk.not_in_quarantine", name=relative)
    destination = unique_path(settings.inbox / target.relative_to(root))
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(target), str(destination))
    target.with_name(target.name + ".txt").unlink(missing_ok=True)
    log.info("moved %s back to the inbox as %s", target, destination)
    return destination
