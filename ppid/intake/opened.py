"""An inbox file opened once, never through a link: what intake hashes, copies and removes.

Checking a path and then opening it again leaves a gap in which anything can be swapped in: a
file that alternates with a link to `/etc/passwd` was hashed as one and copied as the other. So
an inbox file is opened once, each folder below the inbox and the file itself with
`O_NOFOLLOW` (a link anywhere on the way is refused, never followed) and `O_NONBLOCK` (opening a
FIFO returns at once instead of waiting for a writer); the descriptor is then checked with
`fstat` (a regular file), and the hash, the copy into the content store and the comparison
before the inbox copy is removed all go through it.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ppid.intake.inbox import fsync_dir

log = logging.getLogger(__name__)

BLOCK = 1 << 20
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_FOLDER_FLAGS = _OPEN_FLAGS | os.O_DIRECTORY


LINKED_FOLDER = "linked-folder"  # NotAFile.kind: a folder on the way to the file is a link


class NotAFile(Exception):
    """An inbox entry that is not a regular file: a link, a FIFO, a socket, a device, a folder."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path} is a {kind}, not a regular file")
        self.path, self.kind = path, kind


class ChangedWhileRead(OSError):
    """The file was written to while intake read it: taken again once it holds still."""


def kind_of(mode: int) -> str:
    """What a non-regular file is, in the words the quarantine note uses."""
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "special"


@dataclass
class InboxFile:
    """One inbox file held open; `stat` is what `fstat` said when it was opened."""

    path: Path
    descriptor: int
    stat: os.stat_result

    @classmethod
    def open(cls, path: Path, inbox: Path | None = None) -> InboxFile:
        """Open `path` without following any link below `inbox` (or in its last part, for a
        file outside it); NotAFile for anything but a regular file, OSError as the OS says."""
        descriptor = _open_nofollow(path, inbox)
        try:
            status = os.fstat(descriptor)
            if not stat.S_ISREG(status.st_mode):
                raise NotAFile(path, kind_of(status.st_mode))
            fcntl.fcntl(descriptor, fcntl.F_SETFL, os.O_RDONLY)  # back to blocking reads
        except BaseException:
            os.close(descriptor)
            raise
        return cls(path, descriptor, status)

    def close(self) -> None:
        if self.descriptor >= 0:
            os.close(self.descriptor)
            self.descriptor = -1

    def __enter__(self) -> InboxFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def size(self) -> int:
        return self.stat.st_size

    def blocks(self) -> Iterator[bytes]:
        """The file's bytes from the start, read through the descriptor."""
        offset = 0
        while block := os.pread(self.descriptor, BLOCK, offset):
            offset += len(block)
            yield block

    def sha256(self) -> str:
        """The SHA-256 of the content, as long as it did not change since it was opened."""
        digest = hashlib.sha256()
        for block in self.blocks():
            digest.update(block)
        self.check_unchanged()
        return digest.hexdigest()

    def copy_to(self, target: Path) -> str:
        """Copy the content to `target` (fsynced, file and folder) and return its SHA-256."""
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        digest = hashlib.sha256()
        try:
            with partial.open("wb") as writer:
                for block in self.blocks():
                    digest.update(block)
                    writer.write(block)
                writer.flush()
                os.fsync(writer.fileno())
            self.check_unchanged()
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, target)
        fsync_dir(target.parent)
        return digest.hexdigest()

    def check_unchanged(self) -> None:
        """ChangedWhileRead if anything wrote to the file since it was opened."""
        now = os.fstat(self.descriptor)
        if (now.st_size, now.st_mtime_ns) != (self.stat.st_size, self.stat.st_mtime_ns):
            raise ChangedWhileRead(
                errno.EAGAIN, "the file changed while it was read; it is taken once still"
            )

    def is_at_its_path(self) -> bool:
        """Whether the inbox path still names this very file (not one swapped in since)."""
        try:
            now = os.lstat(self.path)
        except OSError:
            return False
        return (now.st_dev, now.st_ino) == (self.stat.st_dev, self.stat.st_ino)

    def remove_from_inbox(self) -> bool:
        """Remove the inbox path if it still names this file, unchanged; whether it did."""
        try:
            self.check_unchanged()
        except ChangedWhileRead:
            return False
        if not self.is_at_its_path():
            return False
        self.path.unlink(missing_ok=True)
        return True


@contextmanager
def opened(source: Path | InboxFile, inbox: Path | None) -> Iterator[InboxFile]:
    """`source` as an open InboxFile: the one given, or `source` opened now and closed after."""
    if isinstance(source, InboxFile):
        yield source
        return
    with InboxFile.open(source, inbox) as file:
        yield file


def _open_nofollow(path: Path, inbox: Path | None) -> int:
    """A descriptor of `path`, reached folder by folder from `inbox` with O_NOFOLLOW."""
    parts: tuple[str, ...] = (str(path),)
    start = None
    if inbox is not None and path.is_absolute() == inbox.is_absolute():
        try:
            parts = path.relative_to(inbox).parts
            start = inbox
        except ValueError:
            pass
    folder = os.open(start, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC) if start else None
    try:
        for name in parts[:-1]:
            following = _open_part(name, _FOLDER_FLAGS, folder, path)
            if folder is not None:
                os.close(folder)
            folder = following
        return _open_part(parts[-1], _OPEN_FLAGS, folder, path)
    finally:
        if folder is not None:
            os.close(folder)


def _open_part(name: str, flags: int, folder: int | None, path: Path) -> int:
    try:
        return os.open(name, flags, dir_fd=folder)
    except OSError as error:
        if flags & os.O_DIRECTORY and error.errno in (errno.ELOOP, errno.ENOTDIR):
            # a folder on the way is a link (or was swapped for one): never entered
            raise NotAFile(path, LINKED_FOLDER) from error
        if error.errno == errno.ELOOP:
            raise NotAFile(path, "symlink") from error
        raise
