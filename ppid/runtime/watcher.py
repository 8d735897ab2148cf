"""The inbox watcher: each new file, once whole, becomes a Prefect event the per-file deployment
reacts to (`ppid.inbox.file.ready`)."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from pathlib import Path

from ppid.core.settings import Settings
from ppid.intake.inbox import is_ignored, iter_inbox, utf8_name
from ppid.intake.settling import being_written, held_still, renamed_into_place

log = logging.getLogger(__name__)


FILE_READY_EVENT = "ppid.inbox.file.ready"
FOLDER_RESCANS = (1.0, 3.0, 10.0)  # seconds after a new folder appears: walk it again
WATCH_TIMEOUT_MS = 500  # the watcher yields this often when nothing changes

Signature = tuple[int, float]  # size and mtime


def watch_inbox(
    settings: Settings, stop: threading.Event, ready: threading.Event | None = None
) -> None:
    """Turn each new, stable inbox file into a Prefect event the per-file deployment reacts to.

    Once the watch is in place, the whole inbox is walked and `ready` set: files that came
    while the system was down, or while it started, are taken now rather than at the first
    sweep (minutes later), and nothing dropped after `ready` can be missed. A folder dropped
    whole (a clerk's folder per applicant) is walked when it appears and again a few times
    after: inotify reports the folder, not the files moved into it before the watch on it
    existed. Files wait in one table, looked at on every yield of the watch (at least every
    half second), until they are whole (`settled`: renamed into place, or held still): a
    thousand files left over a weekend cost
    a thousand entries, not a thousand threads. A file already announced with the same size
    and mtime is not announced twice.
    """
    from prefect.events import emit_event  # already imported by `run` (parallel imports deadlock)
    from watchfiles import Change, watch

    inbox = settings.inbox
    assert inbox is not None
    inbox.mkdir(parents=True, exist_ok=True)
    waiting: dict[Path, Signature | None] = {}  # None: not looked at yet
    announced: dict[Path, Signature] = {}
    rescans: list[tuple[float, Path]] = []

    def consider(path: Path) -> None:
        if not path.is_dir():  # a name that is not UTF-8 cannot go into an event: rename first
            name = utf8_name(path.parent, path.name)
            if name is None:
                return
            path = path.parent / name
        for candidate in iter_inbox(path) if path.is_dir() else [path]:
            if not candidate.is_file() or candidate.is_symlink():
                continue
            if is_ignored(candidate.relative_to(inbox)):
                continue
            if candidate not in waiting and announced.get(candidate) != _signature(candidate):
                waiting[candidate] = None

    watching = watch(
        inbox,
        stop_event=stop,
        force_polling=settings.intake.polling,
        recursive=True,
        rust_timeout=WATCH_TIMEOUT_MS,
        yield_on_timeout=True,  # the first yield, changes or none, says the watch is in place
    )
    walked = False
    for changes in watching:
        if not walked:
            consider(inbox)
            walked = True
            if ready is not None:
                ready.set()
        now = time.monotonic()
        for change, raw in changes:
            path = Path(raw)
            if change == Change.deleted:
                announced.pop(path, None)
                waiting.pop(path, None)
                continue
            consider(path)
            if change == Change.added and path.is_dir():
                rescans.extend((now + delay, path) for delay in FOLDER_RESCANS)
        for due, folder in [item for item in rescans if item[0] <= now]:
            rescans.remove((due, folder))
            consider(folder)
        for path, signature in settled(
            waiting, settings.intake.stable_seconds, renames=not settings.intake.polling
        ):
            emit_event(
                event=FILE_READY_EVENT,
                resource={
                    "prefect.resource.id": "ppid.inbox." + _path_id(path),
                    "ppid.path": str(path),
                },
            )
            announced[path] = signature


def settled(
    waiting: dict[Path, Signature | None], stable_seconds: float, renames: bool = True
) -> list[tuple[Path, Signature]]:
    """Take out of `waiting` the files that are whole; a file that vanished is dropped.

    A file some process still has open for writing is not whole, however long it paused
    (`being_written`). Otherwise a file renamed into place after its last write is whole at
    the first look (`renamed_into_place`; with `renames`), and any other file settles on the
    second look at the earliest, once its size and mtime held still since the last look and
    nothing has written to it for `stable_seconds`. Others stay, with what was seen now, for
    the next look.
    """
    done: list[tuple[Path, Signature]] = []
    now = time.time()
    for path, last in list(waiting.items()):
        stat = _lstat(path)
        if stat is None:
            del waiting[path]
            continue
        current = _signature_of(stat)
        whole = (renames and renamed_into_place(stat)) or (
            current == last and held_still(stat, stable_seconds, now)
        )
        if whole and not being_written(path):
            del waiting[path]
            done.append((path, current))
        else:
            waiting[path] = current
    return done


def _signature(path: Path) -> Signature | None:
    stat = _lstat(path)
    return None if stat is None else _signature_of(stat)


def _signature_of(stat: os.stat_result) -> Signature:
    return stat.st_size, stat.st_mtime


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except OSError:
        return None


def _path_id(path: Path) -> str:
    return hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:16]
