"""When an inbox file is whole: renamed into place, or held still with no writer holding it open.

A scanner or a clerk's copy writes a file in place, sometimes with pauses longer than any
stillness wait (a page at a time); taken then, the file is quarantined as truncated while its
writer finishes it inside `quarantine/`. So besides stillness, a file is not taken while another
process has it open for writing. The kernel says so through a read lease (`fcntl F_SETLEASE`),
which it refuses while the file is open for writing anywhere: asked at the moment of taking, the
answer holds in every process (watcher, sweep, `ppid ingest`) and after a restart, which an
inotify CLOSE_WRITE event seen by one watcher would not (the watcher's library, watchfiles, does
not report that event). Where the kernel cannot tell (a file of another owner without
CAP_LEASE, a network share), stillness alone decides, as before.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)

_PROBE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def is_stable(path: Path, stable_seconds: float, now: float | None = None) -> bool:
    """A file is taken only once nothing has written to it for `stable_seconds` and no writer
    holds it open."""
    try:
        stat = path.lstat()
    except FileNotFoundError:
        return False
    return held_still(stat, stable_seconds, now) and not being_written(path)


def held_still(stat: os.stat_result, stable_seconds: float, now: float | None = None) -> bool:
    """Nothing has written to the file for `stable_seconds` (by its mtime)."""
    now = time.time() if now is None else now
    return now - stat.st_mtime >= stable_seconds


def renamed_into_place(stat: os.stat_result) -> bool:
    """The file was whole before it got here: moved or renamed in after its last write.

    Every write sets a file's mtime and ctime to the same moment; a rename, a move within the
    disk, or a copier that sets the times at the end (`cp -p`, rsync, a browser's download)
    changes only its ctime. So a non-empty file whose ctime is later than its mtime was last
    changed by something other than a write, and needs no stability wait. A rename within the
    same clock tick as the last write (a few milliseconds) leaves the two equal: such a file
    waits like any other. On network shares ctime is the server's notion, so the watcher uses
    this only with native events (`intake.polling` off).
    """
    return stat.st_size > 0 and stat.st_ctime_ns > stat.st_mtime_ns


def being_written(path: Path) -> bool:
    """Whether some process has the file open for writing now (False when nobody does, or when
    the kernel cannot tell: then stillness alone decides)."""
    try:
        descriptor = os.open(path, _PROBE_FLAGS)
    except OSError:
        return False  # gone, a link, or unreadable: whoever takes it next finds out
    try:
        return writer_holds(descriptor)
    finally:
        os.close(descriptor)


def writer_holds(descriptor: int) -> bool:
    """Whether the file open read-only at `descriptor` is open for writing by any process.

    A read lease is refused (EAGAIN) exactly while the file is open for writing; when granted
    it is given back at once. No owner is set on the descriptor, so a writer opening the file
    in that instant waits the microseconds until it is given back and no signal is sent. Other
    refusals (EACCES: another owner's file; EINVAL: a file system without leases) mean the
    kernel cannot tell.
    """
    try:
        fcntl.fcntl(descriptor, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError as error:
        return error.errno in (errno.EAGAIN, errno.EBUSY)
    fcntl.fcntl(descriptor, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    return False
