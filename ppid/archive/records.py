"""Records management of the archive: the retention schedule, and moving the archive whole.

Retention periods (years after a case closes, per document role) come from the office's records
schedule in `archival.retention_years`. ID scans past their period are destroyed on request:
the file leaves the content store and every bag version, the bags' manifests are rewritten (the
one change a sealed bag accepts, because the law demands it), and a destruction record stays in
the case's history, so the next bag version documents it. Export packs the whole archive into
one tar after a fixity check; import unpacks it safely and validates every bag.
"""

from __future__ import annotations

import json
import logging
import tarfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ppid.archive.bags import AGENT, write_tags
from ppid.archive.fixity import Fixity, check_fixity, fixity_failure, validate_bag
from ppid.core.calendar import calendar_from_settings
from ppid.core.errors import BadInputError, ConflictError
from ppid.core.models import Case, CaseDocument, CaseEvent, utcnow
from ppid.core.paths import bag_info, bag_versions, iter_bags
from ppid.core.settings import Settings
from ppid.core.vocabulary import CaseStatus, DocumentKind

log = logging.getLogger(__name__)

DESTROYABLE = {"id_card"}  # what `--yes` destroys; the rest is listed for the archivist to decide


@dataclass
class Due:
    """A document whose retention period has ended."""

    number: str
    document_id: int
    role: str
    file: str
    closed_on: date
    due_on: date

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "closed_on": str(self.closed_on), "due_on": str(self.due_on)}


def retention_role(document: CaseDocument) -> str:
    role = str(document.role or "other")
    if document.kind == DocumentKind.SIGNED or role.startswith("signed"):
        return "signed"
    if document.kind == DocumentKind.OUTPUT and role != "receipt":
        return "letter"
    return role


def due_for_destruction(
    settings: Settings, session: Session, today: date | None = None
) -> list[Due]:
    """Documents of closed cases past their retention period (destroyed ones left out)."""
    cal = calendar_from_settings(settings)
    today = today or datetime.now(cal.tz).date()
    years = settings.archival.retention_years
    due = []
    cases = session.scalars(select(Case).where(Case.status == CaseStatus.CLOSED).order_by(Case.id))
    for case in cases:
        closed = _closed_on(case).astimezone(cal.tz).date()
        for document in case.documents:
            if (document.fields or {}).get("destroyed"):
                continue
            role = retention_role(document)
            period = years.get(role, years.get("other", 10))
            until = _add_years(closed, period)
            if until <= today:
                due.append(
                    Due(
                        str(case.number), document.id, role, Path(document.path).name, closed, until
                    )
                )
    return due


def _closed_on(case: Case) -> datetime:
    sealed = [e.at for e in case.events if e.action == "archive_sealed"]
    return sealed[0] if sealed else case.updated_at


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def destroy_due(
    settings: Settings, session: Session, due: list[Due], approved_by: str
) -> list[Due]:
    """Destroy due ID scans (files and bag copies), recording each destruction; caller commits."""
    assert settings.archive is not None
    destroyed = []
    for item in due:
        if item.role not in DESTROYABLE:
            continue
        document = session.get_one(CaseDocument, item.document_id)
        case = document.case
        (settings.archive / document.path).unlink(missing_ok=True)
        for bag in bag_versions(settings, case):
            names = (item.file, f"{document.sha256[:8]}-{item.file}")  # see bags.payload_name
            copies = [p for n in names if (p := bag / "data" / "originals" / n).is_file()]
            if copies:
                for copy in copies:
                    copy.chmod(0o644)
                    copy.unlink()
                info = {k: v for k, v in bag_info(bag).items() if k != "Payload-Oxum"}
                info["PPID-Destroyed"] = f"{item.file} {utcnow().isoformat(timespec='seconds')}"
                write_tags(bag, info)
        document.fields = {**(document.fields or {}), "destroyed": utcnow().isoformat()}
        session.add(
            CaseEvent(
                case=case,
                actor=approved_by,
                role=None,
                action="destroyed",
                note=f"Dimusnahkan sesuai jadwal retensi arsip: {item.file}",
                data={
                    "sha256": document.sha256,
                    "file": item.file,
                    "due_on": str(item.due_on),
                    "approved_by": approved_by,
                    "agent": AGENT,
                },
            )
        )
        destroyed.append(item)
    session.flush()
    return destroyed


# --- export / import --------------------------------------------------------------------------

MANIFEST = "ppid-archive-export.json"


def export_archive(settings: Settings, sessions: Any, out: Path) -> list[Fixity]:
    """Check every bag, then pack the whole archive folder (with a list of its bags) into `out`."""
    assert settings.archive is not None
    results = check_fixity(settings, sessions)
    if error := fixity_failure(results):
        raise error
    manifest = {
        "exported_at": utcnow().isoformat(timespec="seconds"),
        "bags": [str(r.bag.relative_to(settings.archive)) for r in results],
    }
    listing = settings.archive / MANIFEST
    listing.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    try:
        with tarfile.open(out, "w") as tar:
            tar.add(settings.archive, arcname="archive")
    finally:
        listing.unlink(missing_ok=True)
    return results


def import_archive(settings: Settings, tar_path: Path) -> list[Fixity]:
    """Unpack an export into the (empty or new) archive folder and validate every bag in it."""
    assert settings.archive is not None
    if settings.archive.exists() and any(iter_bags(settings)):
        raise ConflictError("archive.import_not_empty", archive=str(settings.archive))
    staging = settings.archive.parent / f".import-{utcnow():%Y%m%d%H%M%S}"
    try:
        with tarfile.open(tar_path) as tar:
            tar.extractall(staging, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise BadInputError(
            "archive.import_unreadable", path=str(tar_path), problem=str(error)
        ) from error
    source = staging / "archive"
    listing = source / MANIFEST
    if not listing.is_file():
        raise BadInputError("archive.import_not_export", path=str(tar_path), manifest=MANIFEST)
    expected = json.loads(listing.read_text(encoding="utf-8"))["bags"]
    listing.unlink()
    missing = [b for b in expected if not (source / b / "bagit.txt").is_file()]
    if missing:
        raise BadInputError("archive.import_missing", missing=missing)
    results = [validate_bag(source / bag) for bag in expected]  # before anything is moved
    if error := fixity_failure(results):
        raise error
    settings.archive.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        item.rename(settings.archive / item.name)
    source.rmdir()
    staging.rmdir()
    results = [validate_bag(settings.archive / bag) for bag in expected]
    return results
