"""The intake's content store checked like bag payloads: each file against the SHA-256 its path
names.

Bags are built from the store (`archive/originals/<sha[:2]>/<sha>/<name>`, raw e-mails as
`archive/mail/<sha[:2]>/<sha>.eml`) and the web app serves originals from it, so a flipped byte
there would be sealed into a bag with fresh checksums and served as if received. `ppid archive
verify` and the weekly fixity flow check every file of the store, and every file the register
says is there; bag building refuses a damaged source (`ppid.archive.bags`). Damage to a case's
original is recorded on the case as a failed fixity check.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ppid.archive.bags import record_event
from ppid.core.db import write_session
from ppid.core.errors import PpidError
from ppid.core.files import sha256_file
from ppid.core.messages import history_note
from ppid.core.models import Case, CaseDocument, IntakeFile, Submission
from ppid.core.paths import archive_root
from ppid.core.settings import Settings

log = logging.getLogger(__name__)

STORE_FOLDERS = ("originals", "mail")


@dataclass
class StoreDamage:
    """One content-store file that is not what was received."""

    path: str  # relative to the archive
    problem: str  # for the operator
    cases: list[str] = field(default_factory=list)  # register numbers it belongs to

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class StoreDamageError(PpidError):
    """Files of the content store changed, vanished or are links."""


def named_sha256(relative: Path) -> str | None:
    """The SHA-256 a store path names (`originals/ab/<sha>/name`, `mail/ab/<sha>.eml`)."""
    parts = relative.parts
    if len(parts) == 4 and parts[0] == "originals":
        return parts[2]
    if len(parts) == 3 and parts[0] == "mail" and parts[2].endswith(".eml"):
        return parts[2][: -len(".eml")]
    return None


def store_files(settings: Settings) -> Iterator[Path]:
    """Every entry of the content store (links included, never followed), relative paths.

    A `.partial` file is a copy a killed process left half-done, never recorded: not damage.
    """
    root = archive_root(settings)
    for top in STORE_FOLDERS:
        for folder, _, names in os.walk(root / top, followlinks=False):
            for name in sorted(names):
                if not name.endswith(".partial"):
                    yield (Path(folder) / name).relative_to(root)


def check_file(root: Path, relative: Path) -> str | None:
    """What is wrong with one store file, or None."""
    path = root / relative
    expected = named_sha256(relative)
    if path.is_symlink() or not path.is_file():
        return "a link or special file where a received file belongs"
    if expected is None:
        return "a file outside the store's layout (originals/<ab>/<sha256>/<name>)"
    actual = sha256_file(path)
    if actual != expected:
        return f"content changed: SHA-256 is {actual}, its name says {expected}"
    return None


def registered_paths(session: Session) -> dict[str, list[str]]:
    """Every store path the register relies on → the cases it belongs to (destroyed ID scans
    and files whose case is not registered yet included: the latter with no number)."""
    found: dict[str, list[str]] = {}
    for row in session.scalars(select(IntakeFile).where(IntakeFile.stored_path.is_not(None))):
        found.setdefault(str(row.stored_path), [])
        submission = session.get(Submission, row.submission_id) if row.submission_id else None
        case = session.get(Case, submission.case_id) if submission and submission.case_id else None
        if case is not None and case.number:
            found[str(row.stored_path)].append(str(case.number))
    for document in session.scalars(select(CaseDocument)):
        if not document.path.startswith(tuple(f"{top}/" for top in STORE_FOLDERS)):
            continue
        numbers = found.setdefault(document.path, [])
        if (document.fields or {}).get("destroyed"):
            found[document.path] = ["destroyed"]
        elif document.case.number and document.case.number not in numbers:
            numbers.append(str(document.case.number))
    return found


def verify_store(settings: Settings, sessions: Any) -> list[StoreDamage]:
    """Check every content-store file against the SHA-256 its path names, and that every file
    the register relies on is there; record the damage on the cases it belongs to."""
    root = archive_root(settings)
    with sessions() as session:
        registered = registered_paths(session)
    damage = []
    for relative in store_files(settings):
        if problem := check_file(root, relative):
            cases = [n for n in registered.get(relative.as_posix(), []) if n != "destroyed"]
            damage.append(StoreDamage(relative.as_posix(), problem, cases))
    for path, cases in registered.items():
        if cases != ["destroyed"] and not os.path.lexists(root / path):
            damage.append(StoreDamage(path, "missing from the store", cases))
    for item in damage:
        log.error("CONTENT STORE DAMAGE %s: %s (%s)", item.path, item.problem, item.cases)
    if damage:
        _record(sessions, damage)
    return damage


def _record(sessions: Any, damage: list[StoreDamage]) -> None:
    """A failed fixity check on each case with a damaged original (one commit)."""
    by_case: dict[str, list[StoreDamage]] = {}
    for item in damage:
        for number in item.cases:
            by_case.setdefault(number, []).append(item)
    with write_session(sessions) as session:
        for number, items in by_case.items():
            case = session.scalars(select(Case).where(Case.number == number)).first()
            if case is None:
                continue
            names = ", ".join(Path(item.path).name for item in items)
            data = {
                "bag": None,
                "outcome": "failure",
                "problems": [f"{item.path}: {item.problem}" for item in items][:20],
            }
            record_event(
                session,
                case,
                "fixity_check",
                history_note("fixity.store_damaged", names=names),
                data,
            )


def store_failure(damage: list[StoreDamage]) -> StoreDamageError | None:
    """The error to raise (non-zero exit, failed flow run) when the store is damaged."""
    if not damage:
        return None
    return StoreDamageError(
        "archive.store_damaged", count=len(damage), paths=[item.path for item in damage[:10]]
    )
