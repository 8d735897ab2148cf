"""Locks between processes on one machine: `flock` on files under `var/`.

Workers, the archive writer and `ppid run` coordinate this way rather than through a database:
taking a lock costs no round trip, and the kernel frees it when its holder dies, so a killed
process never leaves a lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the lock on `path` (created if missing) for the block, waiting while another has it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing the file releases its lock


def try_lock(path: Path) -> int | None:
    """The lock on `path` if it is free now (an open descriptor; close it to release), else None."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor
