"""The file side of intake: which inbox files to take, safe copies into the archive, quarantine.

Nothing here touches the database, so the watcher, the sweep and the tests share one notion of
"a file ready to be taken" and one way to move files without losing them.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ppid.core.files import name_bytes, safe_name
from ppid.core.messages import (
    QUARANTINE_MARKERS,
    SPECIAL_FILES,
    quarantine_note,
    quarantine_texts,
)

log = logging.getLogger(__name__)

IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
IGNORED_PREFIXES = (".", "~$", "~")
IGNORED_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp")


def is_ignored(path: Path) -> bool:
    """Hidden, temporary and system files a scanner, a browser or an office suite leaves behind."""
    name = path.name.lower()
    return (
        name in IGNORED_NAMES
        or name.startswith(IGNORED_PREFIXES)
        or name.endswith(IGNORED_SUFFIXES)
        or any(part.startswith(".") for part in path.parts[:-1])
    )


def iter_inbox(inbox: Path) -> Iterator[Path]:
    """Every candidate file under the inbox, sorted; symlinks are never followed.

    A symlinked file is still yielded (as the link: intake refuses it by `is_symlink`, and
    `quarantine_link` sets it aside), so the person who put it there sees why it was not taken;
    a symlinked folder is not entered, with a warning in the log. A file or folder whose name is
    not valid UTF-8 is renamed first (`utf8_name`): such a name cannot be stored, logged or sent
    to Prefect, and one of them would stop the whole sweep.
    """
    if not inbox.is_dir():
        return
    for root, dirs, files in os.walk(inbox, followlinks=False):
        folder = Path(root)
        for name in dirs:
            if (folder / name).is_symlink():
                log.warning("%s is a symlink to a folder; not followed", folder / name)
        kept = (utf8_name(folder, d) for d in dirs if not d.startswith("."))
        dirs[:] = sorted(d for d in kept if d is not None)
        for original in sorted(files):
            name = utf8_name(folder, original)
            if name is None:
                continue
            path = folder / name
            relative = path.relative_to(inbox)
            if not is_ignored(relative):
                yield path


def utf8_name(folder: Path, name: str) -> str | None:
    """`name` if it is valid UTF-8; else the file is renamed in `folder` and its new name returned
    (None if it vanished meanwhile).

    Bytes that are not UTF-8 (a Windows or old Linux machine's Latin-1 name) become U+FFFD; the
    rest of the name is kept, so a clerk still recognises the file.
    """
    raw = name_bytes(name)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return name
    target = unique_path(folder / raw.decode("utf-8", errors="replace"))
    try:
        os.rename(folder / name, target)
    except OSError as error:
        log.warning("could not rename %r (not UTF-8): %s", raw, error)
        return None
    log.warning("renamed %r to %r: the name was not valid UTF-8", raw, target.name)
    return target.name


def printable(name: str) -> str:
    """A name as one line of UTF-8 text for notes and logs: bad bytes and control chars shown."""
    text = name_bytes(name).decode("utf-8", errors="replace")
    return re.sub(r"[\x00-\x1f\x7f]", "?", text)


def fsync_copy(source: Path, target: Path) -> None:
    """Copy and make it durable (file and directory entry) before anyone relies on it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with source.open("rb") as reader, partial.open("wb") as writer:
        shutil.copyfileobj(reader, writer, 1 << 20)
        writer.flush()
        os.fsync(writer.fileno())
    os.replace(partial, target)
    fsync_dir(target.parent)


def write_durably(target: Path, data: bytes) -> None:
    """Write `data` to `target` through a partial file, fsynced, then renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, target)
    fsync_dir(target.parent)


def fsync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def unique_path(path: Path) -> Path:
    """`path`, or `name (2).ext`, … — never overwrite a file a person may still want."""
    if not path.exists():
        return path
    for number in range(2, 10_000):
        candidate = path.with_name(f"{path.stem} ({number}){path.suffix}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"too many files named like {path}")


@dataclass(frozen=True)
class QuarantineNote:
    reason_id: str  # Bahasa Indonesia, for the clerk
    reason_en: str


def prune_empty_folders(folder: Path, inbox: Path) -> None:
    """Remove a clerk's applicant folder once intake has taken its last file, and its parents.

    A folder holding only what the desktop leaves behind (Thumbs.db, desktop.ini, .DS_Store) counts
    as empty; one with anything else, a lock or temporary file included (a document still open or
    being copied), stays. The inbox itself always stays. Failing to remove is never an error.
    """
    folder, inbox = folder.resolve(), inbox.resolve()  # a symlinked folder resolves outside
    while folder != inbox and folder.is_relative_to(inbox):
        try:
            leftovers = list(folder.iterdir())
            if any(entry.name.lower() not in IGNORED_NAMES for entry in leftovers):
                return
            for entry in leftovers:
                entry.unlink()
            folder.rmdir()
        except OSError:  # a file arriving this instant, or no right to remove: leave it
            return
        log.info("removed the emptied inbox folder %s", folder)
        folder = folder.parent


def quarantine_file(path: Path, quarantine_dir: Path, note: QuarantineNote, inbox: Path) -> Path:
    """Move an unprocessable file out of the inbox, with a note saying why and how to retry.

    The move keeps the file's relative folder so a clerk recognises where it came from. Neither
    the file nor its note ever replaces anything already in quarantine (`place_with_note`).
    """
    relative = _relative_to(path, inbox)
    wanted = quarantine_dir / relative.parent / safe_name(relative.name)
    target = place_with_note(wanted, note_text(note, str(relative)), lambda to: move_new(path, to))
    prune_empty_folders(path.parent, inbox)
    return target


def _relative_to(path: Path, inbox: Path) -> Path:
    try:
        return path.relative_to(inbox)
    except ValueError:
        return Path(path.name)


def place_with_note(wanted: Path, note: str, put: Callable[[Path], None]) -> Path:
    """Put a file into quarantine at `wanted`, or the first free `name (N).ext`, with its note.

    A name is free when neither it nor its note (`<name>.txt`) exists. The note is created
    first, exclusively, which reserves the name against another worker quarantining at the
    same moment; `put` then places the file without replacing anything (FileExistsError if a
    file appeared there meanwhile: the note is taken back and the next name tried). So a note
    never lands on a quarantined file (`surat.pdf.txt` of an applicant beside a broken
    `surat.pdf`), and a file never lands on a note.
    """
    wanted.parent.mkdir(parents=True, exist_ok=True)
    for candidate in numbered_names(wanted):
        note_path = note_of(candidate)
        if os.path.lexists(candidate):
            continue
        try:
            write_new(note_path, note.encode("utf-8"))
        except FileExistsError:
            continue
        try:
            put(candidate)
        except FileExistsError:
            note_path.unlink(missing_ok=True)
            continue
        except BaseException:
            note_path.unlink(missing_ok=True)
            raise
        fsync_dir(candidate.parent)
        return candidate
    raise FileExistsError(f"too many files named like {wanted} in quarantine")


def numbered_names(path: Path) -> Iterator[Path]:
    """`path`, then `name (2).ext`, `name (3).ext`, …"""
    yield path
    for number in range(2, 10_000):
        yield path.with_name(f"{path.stem} ({number}){path.suffix}")


def note_of(path: Path) -> Path:
    """Where the quarantine note of `path` is: beside it, `.txt` appended to its whole name."""
    return path.with_name(path.name + ".txt")


def write_new(target: Path, data: bytes) -> None:
    """Write a file that must not exist yet (FileExistsError if it does), fsynced."""
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def move_new(source: Path, target: Path) -> None:
    """Move a regular file to `target`, never replacing what is there (FileExistsError).

    A hard link is the no-replace rename POSIX offers; across disks the file is copied beside
    the target first (fsynced), then linked into place the same way.
    """
    try:
        _link_new(source, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        staged = target.with_name(f".{target.name}.{os.getpid()}.partial")
        fsync_copy(source, staged)
        try:
            _link_new(staged, target)
        finally:
            staged.unlink(missing_ok=True)
    fsync_dir(target.parent)  # the new name is durable before the old one goes
    source.unlink(missing_ok=True)  # gone already where the file was renamed, not linked


def _link_new(source: Path, target: Path) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # no hard links on this file system (FAT, some network shares): the name was reserved
        # by its note, so only a file put there by hand could be in the way
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from error
        os.rename(source, target)


def quarantine_link(link: Path, quarantine_dir: Path, inbox: Path) -> Path:
    """Set a symlink in the inbox aside without ever reading what it points to.

    The link is replaced in quarantine by a small text file `<name>.symlink` that says where it
    pointed (with the usual note), so the clerk sees it on the quarantine list; the link itself
    is removed so it is not offered again on every sweep.
    """
    shown_target = printable(os.readlink(link))[:300]
    note = QuarantineNote(*quarantine_texts("quarantine.symlink", target=shown_target))
    return _replace_by_placeholder(
        link, "symlink", f"symlink -> {shown_target}", note, quarantine_dir, inbox
    )


def quarantine_special(path: Path, kind: str, quarantine_dir: Path, inbox: Path) -> Path:
    """Set aside an inbox entry that is no regular file (FIFO, socket, device), never reading it.

    Like a link, it is replaced in quarantine by a small text file `<name>.<kind>` with its
    note, and removed from the inbox: opening or moving it could wait forever (a FIFO with no
    writer) or touch a device.
    """
    what = SPECIAL_FILES.get(kind, SPECIAL_FILES["special"])
    note = QuarantineNote(*quarantine_texts("quarantine.special", what_id=what.id, what_en=what.en))
    return _replace_by_placeholder(path, kind, f"{kind}: {what.en}", note, quarantine_dir, inbox)


def _replace_by_placeholder(
    path: Path, kind: str, text: str, note: QuarantineNote, quarantine_dir: Path, inbox: Path
) -> Path:
    relative = _relative_to(path, inbox)
    wanted = quarantine_dir / relative.parent / f"{safe_name(relative.name)}.{kind}"
    content = (text + "\n").encode("utf-8")
    placeholder = place_with_note(
        wanted, note_text(note, str(relative)), lambda to: write_new(to, content)
    )
    path.unlink()
    return placeholder


def note_text(note: QuarantineNote, original: str) -> str:
    """The bilingual note kept beside a quarantined file."""
    stamp = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return quarantine_note(printable(original), stamp, note.reason_id, note.reason_en)


def _is_note(path: Path) -> bool:
    """`X.txt` beside a quarantined `X` is its note; a quarantined `catatan.txt` is a file."""
    return path.suffix == ".txt" and path.with_name(path.stem).is_file()


def list_quarantine(quarantine_dir: Path, language: str = "en") -> list[tuple[Path, str]]:
    """Each quarantined file with the first reason line of its note, in `language` ("id" for
    the desk, "en" for the operator's `ppid quarantine`), the other when a note lacks it."""
    markers = sorted(QUARANTINE_MARKERS.values(), key=lambda m: m != QUARANTINE_MARKERS[language])
    rows: list[tuple[Path, str]] = []
    if not quarantine_dir.is_dir():
        return rows
    for path in sorted(quarantine_dir.rglob("*")):
        if not path.is_file() or _is_note(path):
            continue
        note = path.with_name(path.name + ".txt")
        reason = ""
        if note.exists():
            lines = note.read_text(encoding="utf-8", errors="replace").splitlines()
            for marker in markers:
                if marker in lines:
                    reason = lines[lines.index(marker) + 1].strip()
                    break
        rows.append((path, reason))
    return rows
