"""The case archive: one BagIt bag per case, rebuilt from the database, sealed when it closes.

`archive/<year>/<register number as a slug>/` holds `data/originals/` (every file as received,
copied from the intake's content store `archive/originals/`), `data/outputs/` (every PDF we
made, as PDF/A-3b with case.json attached), `data/metadata/` (case.json, dc.xml, events.json)
and, beside the BagIt tag files, a README.html for whoever opens the folder. The bag is derived
from the case's CaseDocuments and CaseEvents, so it picks up every document, whoever made it.
A bag is rewritten as the case moves; once sealed (the case closed) it is never touched again
and anything later goes into a new version beside it (`<slug>_v2`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import bagit
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ppid.archive.bagmeta import (
    case_metadata,
    dublin_core,
    plain,
    premis_events,
    readme_html,
)
from ppid.archive.dossier import render_dossier
from ppid.archive.index import refresh_index
from ppid.core.db import hold_across_machines, write_session
from ppid.core.errors import ConflictError, NotFoundError
from ppid.core.files import replace_text, sha256_file
from ppid.core.locks import locked
from ppid.core.messages import file_note, history_note
from ppid.core.models import Case, CaseDocument, CaseEvent, utcnow
from ppid.core.paths import (
    DOSSIER_NAME,
    SEALED_KEY,
    archive_root,
    archived,
    bag_info,
    bag_metadata,
    bag_originals,
    bag_outputs,
    bag_versions,
    current_bag,
    is_sealed,
    lock_file,
    next_bag_version,
)
from ppid.core.settings import Settings
from ppid.core.vocabulary import CaseStatus, DocumentKind
from ppid.output.pdfa import has_attachment, make_archival

log = logging.getLogger(__name__)

AGENT = "sistem-arsip"
ALGORITHMS = ("sha256", "sha512")
CLOSED = {CaseStatus.CLOSED}
FINGERPRINT_KEY = "PPID-Fingerprint"
QUIET_ACTIONS = {"fixity_check"}  # recorded, but no reason to open a new version of a sealed bag


# --- building and updating ------------------------------------------------------------------------


def update_bag(settings: Settings, session: Session, case: Case) -> Path:
    """Bring the case's bag up to date with the database; seal it if the case is closed.

    The caller commits (document paths and hashes of archival copies are updated in `session`).
    A sealed bag whose case has not changed is left alone; one whose case has is followed by a
    new version. Existing payload is checked against the old manifest first, so a rewrite can
    never launder a corrupted file into fresh checksums.
    """
    hold_across_machines(session, f"archive-{case.id}")  # one writer per bag on every machine
    with locked(lock_file(settings, f"archive-{case.id}")):  # ... and among this one's processes
        bag = current_bag(settings, case)
        if is_sealed(bag):
            if bag_info(bag).get(FINGERPRINT_KEY) == fingerprint(case):
                _mark_archived(session, case)
                return bag
            bag = _start_version(settings, case, bag)
        _check_unchanged(settings, case, bag)
        _place_originals(settings, case, bag_originals(bag))
        _place_outputs(settings, session, case, bag_outputs(bag))
        sealing = case.status in CLOSED
        if sealing:  # each version is sealed once: only unsealed ones get here
            note = "Arsip perkara disegel"
            record_event(session, case, "archive_sealed", note, {"bag": bag.name})
            render_dossier(settings, case, bag_outputs(bag) / DOSSIER_NAME)
        _write_metadata(settings, case, bag)
        for stale in (bag / "data").rglob(".*.tmp"):  # left by a writer that was killed
            stale.unlink()
        write_tags(bag, _bag_info(settings, case, bag, sealed=sealing))
        if sealing:
            for path in bag.rglob("*"):  # sealed: read-only, a guard against casual edits
                if path.is_file():
                    path.chmod(0o444)
        _mark_archived(session, case)
    log.info("archived %s in %s", case.number, bag)
    return bag


def _mark_archived(session: Session, case: Case) -> None:
    """Note the newest event the bag now reflects (`archive_pending` looks for newer ones)."""
    session.flush()
    case.archived_event_id = max((event.id for event in case.events), default=None)


def archive_case(settings: Settings, sessions: Any, number: str) -> Path | None:
    """The archive stage after every stage that changes a case: update the bag of case
    `number` in its own transaction, then the index. Never fails the caller (logged).

    The flows run it as its own task after registration, each SOP step and a scanned copy
    filed by its QR code. A failure here must not quarantine a registered file or undo a step:
    the case's history already has the change, so `archive_pending` (the inbox sweep) or
    `ppid archive update` brings the bag up to date later, as after a crash between the two.
    The transaction takes the write lock first (it reads the case, then records the archival
    copies): a deferred one failed whenever another worker committed while the bag was built.
    The index is written after the commit, so other workers' writes do not wait for it.
    """
    try:
        bag = _update_in_transaction(settings, sessions, number)
        refresh_index(settings, sessions)
        return bag
    except DamagedOriginalError as error:
        _waits(sessions, number, error)
        return None
    except Exception:
        log.exception("could not update the archive of %s; run `ppid archive update`", number)
        return None


def _waits(sessions: Any, number: str, error: DamagedOriginalError) -> None:
    log.error("the archive of %s waits: %s", number, error.message)
    try:
        note_damage(sessions, number, error)
    except Exception:
        log.exception("could not record on %s why its archive waits", number)


def _update_in_transaction(settings: Settings, sessions: Any, number: str) -> Path:
    with write_session(sessions) as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        return update_bag(settings, session, case)


def pending_archive(session: Session) -> list[str]:
    """Register numbers of cases whose history has events newer than their bag, oldest first:
    an archive stage that failed or never ran (a crash between a step and its archive)."""
    newer = (
        select(CaseEvent.id)
        .where(CaseEvent.case_id == Case.id)
        .where(CaseEvent.id > func.coalesce(Case.archived_event_id, 0))
        .where(CaseEvent.action.not_in(QUIET_ACTIONS))
        .exists()
    )
    query = select(Case.number).where(Case.number.is_not(None), newer).order_by(Case.id)
    return [str(number) for number in session.scalars(query)]


def archive_pending(settings: Settings, sessions: Any) -> list[str]:
    """Bring every bag that missed its archive stage up to date (`pending_archive`), then the
    index once; a case that fails is logged and left for the next run. Returns the numbers."""
    with sessions() as session:
        numbers = pending_archive(session)
    done = []
    for number in numbers:
        try:
            _update_in_transaction(settings, sessions, number)
        except DamagedOriginalError as error:
            _waits(sessions, number, error)
            continue
        except Exception:
            log.exception("could not update the archive of %s; run `ppid archive update`", number)
            continue
        done.append(number)
    if done:
        refresh_index(settings, sessions)
        log.info("archived %d case(s) whose archive stage had not run", len(done))
    return done


def fingerprint(case: Case) -> str:
    """What a sealed bag was made from: the case's status, documents and (non-fixity) events."""
    events = [e.id for e in case.events if e.action not in QUIET_ACTIONS]
    blob = json.dumps([str(case.status), [(d.id, d.sha256) for d in case.documents], events])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _start_version(settings: Settings, case: Case, sealed: Path) -> Path:
    """A new version beside a sealed bag, starting from its outputs (copied writable)."""
    bag = next_bag_version(settings, case)
    shutil.copytree(bag_outputs(sealed), bag_outputs(bag), copy_function=shutil.copyfile)
    return bag


def _check_unchanged(settings: Settings, case: Case, bag: Path) -> None:
    """Refuse to rewrite a bag whose recorded payload changed behind our back."""
    manifest = bag / "manifest-sha256.txt"
    if not manifest.is_file():
        return
    ours = {
        archived(settings, d.path).resolve(): d.sha256
        for d in case.documents
        if d.kind != DocumentKind.ORIGINAL
    }
    changed = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        digest, _, relative = line.partition(" ")
        path = bag / relative.strip()
        if relative.startswith("data/metadata/") or not path.is_file():
            continue
        actual = sha256_file(path)
        if actual != digest and ours.get(path.resolve()) != actual:
            changed.append(relative.strip())
    if changed:
        raise ConflictError("archive.bag_changed", bag=str(bag), changed=changed)


class DamagedOriginalError(ConflictError):
    """A received file in the content store no longer has the SHA-256 it was received with."""

    @property
    def relative(self) -> str:
        """The damaged original's path inside the archive."""
        return str(self.params["path"])


def _place_originals(settings: Settings, case: Case, folder: Path) -> None:
    """Copy every received file from the content store, untouched, under its received name.

    A store copy whose bytes no longer hash to what was received is refused
    (DamagedOriginalError): sealed into the bag, it would get fresh checksums and pass every
    later check as if it were the original.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for document in case.documents:
        if document.kind == DocumentKind.OUTPUT:
            continue
        source = archived(settings, document.path)
        target = folder / payload_name(case, document)
        if target.is_file() and sha256_file(target) == document.sha256:
            continue
        if not source.is_file():
            if not document.fields.get("destroyed"):
                log.warning("original %s of %s is missing from the store", source, case.number)
            continue
        staged = target.with_name(f".{target.name}.tmp")  # removed by the next update if killed
        shutil.copy2(source, staged)
        if sha256_file(staged) != document.sha256:
            staged.unlink()
            raise DamagedOriginalError(
                "archive.original_damaged", number=str(case.number), path=document.path
            )
        staged.replace(target)


def note_damage(sessions: Any, number: str, error: DamagedOriginalError) -> None:
    """The case's history says why its archive waits (once per distinct reason): a failed
    fixity check naming the damaged original. Its own transaction: the bag's was rolled back."""
    name = Path(error.relative).name
    with write_session(sessions) as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        checks = [e for e in case.events if e.action == "fixity_check"]
        if checks and checks[-1].data.get("problems") == [error.message]:
            return
        data = {"bag": None, "outcome": "failure", "problems": [error.message]}
        record_event(session, case, "fixity_check", history_note("archive.held", name=name), data)


def payload_name(case: Case, document: CaseDocument) -> str:
    """The received name, prefixed by the hash when two received files share a name."""
    name = Path(document.path).name
    same = [d for d in case.documents if d.kind != DocumentKind.OUTPUT]
    if sum(Path(d.path).name == name for d in same) > 1:
        return f"{document.sha256[:8]}-{name}"
    return name


def _place_outputs(settings: Settings, session: Session, case: Case, folder: Path) -> None:
    """Every PDF we made, as an archival copy in data/outputs (documents moved there if made
    elsewhere); PDFs already there without a database row (the numbered form copy) too."""
    folder.mkdir(parents=True, exist_ok=True)
    metadata = json.dumps(case_metadata(case), ensure_ascii=False, indent=2).encode()
    versions = bag_versions(settings, case)
    for document in case.documents:
        source = archived(settings, document.path)
        if document.kind != DocumentKind.OUTPUT or not source.is_file():
            continue
        target = _output_target(source, folder, document)
        if source.resolve() == target.resolve():
            if not has_attachment(target):
                _archival_copy(target, target, metadata, case, document.document_type)
        elif has_attachment(source):  # already archival (e.g. from a sealed version)
            if not target.exists() or sha256_file(target) != sha256_file(source):
                shutil.copyfile(source, target)
        else:
            _archival_copy(source, target, metadata, case, document.document_type)
        if source != target and not any(source.is_relative_to(b) for b in versions):
            source.unlink()  # made outside the bag (beside a sealed one): the copy is the document
            if not any(source.parent.iterdir()):
                source.parent.rmdir()
        document.path = target.relative_to(archive_root(settings)).as_posix()
        document.sha256 = sha256_file(target)
    for pdf in sorted(folder.glob("*.pdf")):
        if not has_attachment(pdf):
            _archival_copy(pdf, pdf, metadata, case, pdf.stem)
    session.flush()


def _output_target(source: Path, folder: Path, document: CaseDocument) -> Path:
    """Same name in data/outputs, unless another file already holds that name there."""
    target = folder / source.name
    taken = target.exists() and target.resolve() != source.resolve()
    if taken and sha256_file(target) != sha256_file(source):
        return folder / f"{source.stem}-{document.id}{source.suffix}"
    return target


def _archival_copy(source: Path, target: Path, metadata: bytes, case: Case, what: str) -> None:
    title = f"{what.replace('-', ' ').replace('_', ' ')} — {case.number}"
    make_archival(source, target, metadata=metadata, title=title, identifier=str(case.number))


def record_event(
    session: Session, case: Case, action: str, note: str, data: dict[str, Any]
) -> None:
    """An archive event in the case's history (the archive is its actor)."""
    session.add(CaseEvent(case=case, actor=AGENT, role=None, action=action, note=note, data=data))
    session.flush()


# --- metadata files (ppid/archive/bagmeta.py says what they contain) ------------------------------


def _write_metadata(settings: Settings, case: Case, bag: Path) -> None:
    folder = bag_metadata(bag)
    folder.mkdir(parents=True, exist_ok=True)
    record = json.dumps(case_metadata(case), ensure_ascii=False, indent=2)
    replace_text(folder / "case.json", record + "\n")
    replace_text(folder / "dc.xml", dublin_core(settings, case))
    events = json.dumps(premis_events(case), ensure_ascii=False, indent=2)
    replace_text(folder / "events.json", events + "\n")
    readme = readme_html(settings, case, bag, sealed=case.status in CLOSED)
    replace_text(bag / "README.html", readme)


# --- BagIt tag files ------------------------------------------------------------------------------


def _bag_info(settings: Settings, case: Case, bag: Path, *, sealed: bool) -> dict[str, str]:
    info = {
        "Source-Organization": f"{settings.office.short_name} — PPID",
        "Organization-Address": settings.office.address,
        "Contact-Email": settings.office.email,
        "External-Identifier": str(case.number),
        "External-Description": file_note("bag.description", number=case.number),
        "Bagging-Date": utcnow().date().isoformat(),
        "PPID-Received": plain(case.received_at),
        "PPID-Registered": plain(case.registered_at) or "-",
        "PPID-Answer-Due": plain(case.answer_due) or "-",
        "PPID-Answered": plain(case.answered_on) or "-",
        "PPID-Status": str(case.status),
        "PPID-Bag-Version": bag.name.rsplit("_v", 1)[1] if "_v" in bag.name else "1",
        FINGERPRINT_KEY: fingerprint(case),
        "Bag-Software-Agent": f"ppid-keberatan with bagit.py {bagit.VERSION}",
    }
    if sealed:
        info[SEALED_KEY] = utcnow().isoformat(timespec="seconds")
    return info


def write_tags(bag: Path, info: dict[str, str]) -> None:
    """bagit.txt, payload manifests (SHA-256, SHA-512), bag-info.txt and tag manifests.

    Written here rather than by `bagit.make_bag` (which moves files and changes the working
    directory of the whole process); `bagit.Bag(...).validate()` is the judge in `verify`.
    """
    payload = sorted(p for p in (bag / "data").rglob("*") if p.is_file())
    digests = {alg: [] for alg in ALGORITHMS}
    total = 0
    for path in payload:
        data = path.read_bytes()
        total += len(data)
        relative = path.relative_to(bag).as_posix()
        for alg in ALGORITHMS:
            digests[alg].append(f"{hashlib.new(alg, data).hexdigest()}  {relative}")
    replace_text(bag / "bagit.txt", "BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n")
    for alg in ALGORITHMS:
        replace_text(bag / f"manifest-{alg}.txt", "\n".join(digests[alg]) + "\n")
    info = {**info, "Payload-Oxum": f"{total}.{len(payload)}"}
    replace_text(bag / "bag-info.txt", "".join(f"{k}: {v}\n" for k, v in info.items()))
    tags = ["bagit.txt", "bag-info.txt", "README.html"] + [f"manifest-{a}.txt" for a in ALGORITHMS]
    for alg in ALGORITHMS:
        lines = [
            f"{hashlib.new(alg, (bag / t).read_bytes()).hexdigest()}  {t}"
            for t in tags
            if (bag / t).is_file()
        ]
        replace_text(bag / f"tagmanifest-{alg}.txt", "\n".join(lines) + "\n")


def update_all(settings: Settings, sessions: Any, number: str | None = None) -> list[Path]:
    """Bring the bags of one case (or of every registered case) up to date; one commit each."""
    with sessions() as session:
        query = select(Case.id).where(Case.number.is_not(None)).order_by(Case.id)
        if number is not None:
            query = query.where(Case.number == number)
        ids = list(session.scalars(query))
    if number is not None and not ids:
        raise NotFoundError("case.not_found", number=number)
    bags = []
    for case_id in ids:
        with sessions() as session, session.begin():
            bags.append(update_bag(settings, session, session.get_one(Case, case_id)))
    refresh_index(settings, sessions)
    return bags
