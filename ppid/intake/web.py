"""Objections filed on the public site: the form's values and the uploads as one submission.

The site hands in what the applicant typed and the files they chose; this module makes them an
intake submission like an e-mail's (source and channel `web`): the values become a structured
objection form kept as a JSON original, each upload goes through the intake's file checks and
extraction, and the submission is then registered by the same `Registration` as every other.

Nothing is half-registered: every upload is read and the submission is checked for completeness
(the KTP read, its NIK the one typed) before anything is taken into the ledger; a refusal is a
`BadInputError` whose Indonesian text the site shows beside the form. A crash after that point
leaves a pending submission on the intake desk, as for any other channel.
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parsers.extract import extract_file
from parsers.files import PDF, sniff
from parsers.model import Document, FileResult
from ppid.core.errors import BadInputError
from ppid.core.files import safe_name
from ppid.core.models import IntakeFile
from ppid.core.paths import web_work_folder
from ppid.intake import ledger, pairing, steps
from ppid.intake.inbox import write_durably
from ppid.intake.ledger import IntakeContext, Outcome
from ppid.intake.pairing import completeness_problem
from ppid.intake.steps import Registration

log = logging.getLogger(__name__)

SOURCE = "web"
FORM_FILE = "formulir-keberatan-web.json"
ACCEPTED_KINDS = (PDF, "jpeg", "png", "webp")


@dataclass(frozen=True)
class Upload:
    """One file the applicant chose: what it is (its label on the form), its name and bytes."""

    label: str  # "Foto/scan KTP", "Surat kuasa"
    name: str
    data: bytes


def check_upload(upload: Upload, max_bytes: int) -> None:
    """The cheap checks before any reading: not empty, within the size, a photo or a PDF."""
    if not upload.data:
        raise BadInputError("upload.empty", label=upload.label)
    if len(upload.data) > max_bytes:
        size_mb, limit_mb = f"{len(upload.data) / 1048576:.1f}", f"{max_bytes / 1048576:g}"
        raise BadInputError(
            "upload.too_big", label=upload.label, size_mb=size_mb, limit_mb=limit_mb
        )
    kind = sniff(upload.data)
    if kind not in ACCEPTED_KINDS:
        raise BadInputError("upload.kind", label=upload.label, kind=kind)


def form_document(values: dict[str, Any]) -> Document:
    """The applicant's typed values as the objection form the intake reads from any channel."""
    text = "\n".join(f"{key}: {value}" for key, value in _flat(values) if value)
    return Document(
        document_type="objection_form", pages=[1], method="acroform", fields=values, text=text
    )


def _flat(values: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in values.items():
        if isinstance(value, dict):
            items += _flat(value, f"{prefix}{key}.")
        elif isinstance(value, list):
            items.append((f"{prefix}{key}", ", ".join(map(str, value))))
        else:
            items.append((f"{prefix}{key}", value))
    return items


def ingest_web(
    ctx: IntakeContext,
    values: dict[str, Any],
    card: Upload,
    others: list[Upload],
    registration: Registration,
) -> Outcome:
    """File one objection from the site: read the uploads, check, take, register → the outcome
    (its `register_number` is set once the case is registered and its receipt issued)."""
    limit = int(ctx.settings.public.max_upload_mb * 1024 * 1024)
    for upload in (card, *others):
        check_upload(upload, limit)
    key = uuid.uuid4().hex
    work = web_work_folder(ctx.settings, key)
    work.mkdir(parents=True, exist_ok=True)
    try:
        form = form_document(values)
        form_path = _write(work, FORM_FILE, _form_json(key, values))
        read = [_read(ctx, work, upload) for upload in (card, *others)]
        _check_complete(form, read[0][1])
        return _take_and_register(ctx, f"web:{key}", form, form_path, read, registration)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _form_json(key: str, values: dict[str, Any]) -> bytes:
    """The original of a web filing: its values as typed, with the filing's own key (two
    filings with the same values are two originals)."""
    return json.dumps({"filing": key, "values": values}, ensure_ascii=False, indent=2).encode()


def _write(work: Path, name: str, data: bytes) -> Path:
    target = work / safe_name(name, fallback="unggahan")
    write_durably(target, data)
    return target


def _read(ctx: IntakeContext, work: Path, upload: Upload) -> tuple[Path, FileResult]:
    path = _write(work, upload.name, upload.data)
    result = extract_file(path, ctx.settings.limits.for_parsers())
    if result.error:
        raise BadInputError("upload.unreadable", label=upload.label, reason=result.error)
    return path, result


def _extraction(path: Path, result: FileResult) -> dict[str, Any]:
    data = result.to_json()
    data["file"] = path.name
    data["texts"] = [document.text for document in result.documents]
    return data


def _check_complete(form: Document, card: FileResult) -> None:
    """The intake's own completeness rule (SOP step 1) on the form and the KTP as read."""
    files = [
        IntakeFile(extraction={"documents": [form.to_json()]}),
        IntakeFile(extraction={"documents": [d.to_json() for d in card.documents]}),
    ]
    problem = completeness_problem(files)
    if problem is None:
        return
    if not any(d.document_type == "id_card" for d in card.documents):
        raise BadInputError("upload.no_card")
    raise BadInputError("upload.incomplete", problem=problem)


def _take_and_register(
    ctx: IntakeContext,
    group_key: str,
    form: Document,
    form_path: Path,
    read: list[tuple[Path, FileResult]],
    registration: Registration,
) -> Outcome:
    taken: list[tuple[int, Path]] = []
    for path, result in read:
        intake_id, state = ledger.claim(ctx, path, source=SOURCE, group_key=group_key)
        if state == "duplicate" and not taken:
            raise BadInputError("upload.card_reused", intake_id=intake_id)
        if state in ("duplicate", "busy"):
            continue  # a surat kuasa sent before: the case has it already
        steps.store_original(ctx, intake_id, path)
        steps.keep_extraction(ctx, intake_id, _extraction(path, result))
        pairing.assemble(ctx, intake_id)
        taken.append((intake_id, path))
    form_id, _ = ledger.claim(ctx, form_path, source=SOURCE, group_key=group_key)
    steps.store_original(ctx, form_id, form_path)
    extraction = {"file": FORM_FILE, "documents": [form.to_json()], "error": None}
    steps.keep_extraction(ctx, form_id, {**extraction, "texts": [form.text]})
    outcome = registration.run(ctx, pairing.assemble(ctx, form_id))
    for intake_id, path in [*taken, (form_id, form_path)]:
        ledger.finish(ctx, intake_id, path)
    outcome.file = FORM_FILE
    return outcome
