"""Pairing and completeness: which submission a file joins, and whether it holds a whole objection.

A form and an ID card pair by folder or e-mail, else by NIK within `intake.pairing_days`; SOP
step 1 asks for a form filled in completely, an ID card, and the same NIK on both.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ppid.core.db import write_session
from ppid.core.masking import NIK_PATTERN, mask_nik
from ppid.core.messages import history_note
from ppid.core.models import (
    IntakeFile,
    IntakeStatus,
    Submission,
    SubmissionStatus,
    utcnow,
)
from ppid.intake.ledger import IntakeContext

log = logging.getLogger(__name__)

REQUIRED_FORM_FIELDS = ("applicant.name", "applicant.nik", "applicant.address", "reasons")


def documents_of(extraction: dict[str, Any]) -> list[dict[str, Any]]:
    return list(extraction.get("documents") or [])


def _nik_of(extraction: dict[str, Any]) -> str | None:
    for document in documents_of(extraction):
        fields = document.get("fields") or {}
        if document["document_type"] == "objection_form":
            nik = (fields.get("applicant") or {}).get("nik")
        elif document["document_type"] == "id_card":
            nik = fields.get("nik")
        else:
            continue
        if nik and NIK_PATTERN.fullmatch(str(nik)):  # a misread with 15 or 17 digits pairs nothing
            return str(nik)
    return None


def assemble(ctx: IntakeContext, intake_id: int) -> int:
    """Attach the file to its submission: same folder or e-mail, else a pending one by NIK."""
    window = timedelta(days=ctx.settings.intake.pairing_days)
    with write_session(ctx.sessions) as session:
        row = session.get_one(IntakeFile, intake_id)
        if row.submission_id is not None:
            return row.submission_id
        nik = _nik_of(row.extraction or {})
        submission = session.scalars(
            select(Submission)
            .where(Submission.group_key == row.group_key)
            .where(Submission.status == SubmissionStatus.PENDING)
        ).first()
        if submission is None and nik:
            submission = _pending_partner(session, row, nik, utcnow() - window)
        if submission is None:
            submission = Submission(group_key=row.group_key, nik=nik)
            session.add(submission)
            session.flush()
        submission.nik = submission.nik or nik
        row.submission_id, row.status = submission.id, IntakeStatus.ASSEMBLED
        return submission.id


def _pending_partner(
    session: Session, row: IntakeFile, nik: str, since: datetime
) -> Submission | None:
    """The oldest pending submission with this NIK that lacks what this file brings.

    A form pairs with an ID card waiting alone and the other way round; two forms never pair.
    """
    pieces = {"objection_form", "id_card"}
    brings = _document_types([row]) & pieces
    candidates = session.scalars(
        select(Submission)
        .where(Submission.nik == nik)
        .where(Submission.status == SubmissionStatus.PENDING)
        .where(Submission.created_at >= since)
        .order_by(Submission.id)
    )
    for candidate in candidates:
        has = _document_types(submission_files(session, candidate.id)) & pieces
        if brings and not brings & has:
            return candidate
    return None


def _document_types(files: list[IntakeFile]) -> set[str]:
    return {d["document_type"] for row in files for d in documents_of(row.extraction or {})}


def submission_files(session: Session, submission_id: int) -> list[IntakeFile]:
    query = select(IntakeFile).where(IntakeFile.submission_id == submission_id)
    return list(session.scalars(query.order_by(IntakeFile.id)))


def completeness_problem(files: list[IntakeFile]) -> str | None:
    """SOP step 1: a form filled in completely, an ID card, and the two NIKs agree (Indonesian)."""
    documents = [doc for row in files for doc in documents_of(row.extraction or {})]
    forms = [d for d in documents if d["document_type"] == "objection_form"]
    cards = [d for d in documents if d["document_type"] == "id_card"]
    if not forms and not cards:
        return history_note("waiting.nothing_found")
    if not forms:
        return history_note("waiting.no_form")
    if not cards:
        return history_note("waiting.no_card")
    fields = forms[0].get("fields") or {}
    missing = [
        history_note(f"waiting.field.{n}") for n in REQUIRED_FORM_FIELDS if not _dotted(fields, n)
    ]
    if missing:
        return history_note("waiting.missing_fields", fields=missing)
    form_nik = _dotted(fields, "applicant.nik")
    card_niks = {(c.get("fields") or {}).get("nik") for c in cards}
    if None in card_niks:
        return history_note("waiting.card_nik_unread")
    if form_nik not in card_niks:
        shown = sorted(str(mask_nik(n)) for n in card_niks)
        return history_note("waiting.nik_mismatch", form_nik=mask_nik(form_nik), card_niks=shown)
    return None


def _dotted(fields: dict[str, Any], name: str) -> Any:
    value: Any = fields
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def pending_submissions(ctx: IntakeContext) -> list[dict[str, Any]]:
    """Submissions waiting for a missing piece, oldest first, with the plain reason.

    `since` is in office time with its offset ("2026-11-29T00:13:05+07:00"): the desk and
    `ppid pending` show its first 16 characters to a clerk, and a machine still reads it exactly.
    """
    with ctx.sessions() as session:
        query = select(Submission).where(Submission.status == SubmissionStatus.PENDING)
        rows = []
        for submission in session.scalars(query.order_by(Submission.id)):
            files = submission_files(session, submission.id)
            rows.append(
                {
                    "id": submission.id,
                    "since": submission.created_at.astimezone(ctx.calendar.tz).isoformat(),
                    "files": [row.original_name for row in files],
                    "nik": mask_nik(submission.nik),
                    "reason": submission.reason,
                }
            )
        return rows
