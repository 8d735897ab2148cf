"""What a hostile or careless drop into the inbox can do, and why it does no harm.

Quarantine never overwrites anything (a note never lands on a quarantined file, a file never on a
note); inbox files are opened once without following links and everything is read through that
one descriptor, so a link swapped in mid-intake is never followed; a FIFO is set aside and never
read; a file still open for writing waits until its writer closes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ppid.core.files import sha256_file
from ppid.core.models import IntakeFile, IntakeStatus
from ppid.core.settings import load_settings
from ppid.intake.inbox import QuarantineNote, list_quarantine, quarantine_file
from ppid.intake.ledger import IntakeContext, claim, remove_if_taken, set_aside
from ppid.intake.opened import ChangedWhileRead, InboxFile, NotAFile
from ppid.intake.settling import is_stable, writer_holds
from ppid.intake.steps import store_original
from ppid.runtime.watcher import settled

NOTE = QuarantineNote("rusak", "broken")


def _drop(inbox: Path, name: str, data: bytes) -> Path:
    path = inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- quarantine never overwrites ----------------------------------------------------------------


def test_a_quarantine_note_never_replaces_a_quarantined_file_named_like_it(tmp_path: Path) -> None:
    inbox, quarantine = tmp_path / "inbox", tmp_path / "quarantine"
    users_text = _drop(inbox, "surat.pdf.txt", b"isi surat pengguna")
    quarantine_file(users_text, quarantine, NOTE, inbox)
    broken = _drop(inbox, "surat.pdf", b"%PDF-1.4 rusak")
    moved = quarantine_file(broken, quarantine, NOTE, inbox)

    assert (quarantine / "surat.pdf.txt").read_bytes() == b"isi surat pengguna"
    assert moved.read_bytes() == b"%PDF-1.4 rusak"
    listed = {path.name: reason for path, reason in list_quarantine(quarantine)}
    assert listed == {"surat.pdf.txt": "broken", moved.name: "broken"}


def test_a_file_is_never_moved_over_a_note_or_a_file_already_in_quarantine(
    tmp_path: Path,
) -> None:
    inbox, quarantine = tmp_path / "inbox", tmp_path / "quarantine"
    first = quarantine_file(_drop(inbox, "a.pdf", b"pertama"), quarantine, NOTE, inbox)
    notes_name = _drop(inbox, "a.pdf.txt", b"berkas yang namanya seperti catatan")
    second = quarantine_file(notes_name, quarantine, NOTE, inbox)
    third = quarantine_file(_drop(inbox, "a.pdf", b"ketiga"), quarantine, NOTE, inbox)

    assert first.read_bytes() == b"pertama"
    assert second.read_bytes() == b"berkas yang namanya seperti catatan"
    assert third.read_bytes() == b"ketiga"
    assert len({first, second, third}) == 3
    for path in (first, second, third):  # each with its own note, none shared
        assert "rusak" in path.with_name(path.name + ".txt").read_text(encoding="utf-8")
    assert sorted(p.read_bytes() for p, _ in list_quarantine(quarantine)) == sorted(
        [b"pertama", b"berkas yang namanya seperti catatan", b"ketiga"]
    )


def test_a_note_whose_name_is_taken_moves_the_file_to_the_next_free_name(tmp_path: Path) -> None:
    inbox, quarantine = tmp_path / "inbox", tmp_path / "quarantine"
    quarantine.mkdir()
    (quarantine / "b.pdf.txt").write_bytes(b"diletakkan tangan, bukan catatan kita")
    moved = quarantine_file(_drop(inbox, "b.pdf", b"isi"), quarantine, NOTE, inbox)
    assert moved.name != "b.pdf" and moved.read_bytes() == b"isi"
    assert (quarantine / "b.pdf.txt").read_bytes() == b"diletakkan tangan, bukan catatan kita"


# --- one descriptor, never a link -----------------------------------------------------------------


@pytest.fixture()
def ctx(ppid_home: Path) -> IntakeContext:
    settings = load_settings()
    for folder in (settings.inbox, settings.archive):
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True)
    return IntakeContext.open(settings)


def _archive_bytes(ctx: IntakeContext) -> list[bytes]:
    return [p.read_bytes() for p in ctx.archive.rglob("*") if p.is_file() and not p.is_symlink()]


def test_a_link_swapped_in_after_the_file_was_opened_is_never_read(
    ctx: IntakeContext, tmp_path: Path
) -> None:
    assert ctx.settings.inbox is not None
    secret = tmp_path / "rahasia.txt"
    secret.write_bytes(b"root:x:0:0 RAHASIA")
    path = _drop(ctx.settings.inbox, "map/surat.pdf", b"%PDF-1.4 yang dijatuhkan")
    with InboxFile.open(path, ctx.settings.inbox) as file:
        path.unlink()
        path.symlink_to(secret)  # swapped between the open and everything that follows
        intake_id, state = claim(ctx, file)
        stored = store_original(ctx, intake_id, file)
        assert (state, stored.read_bytes()) == ("new", b"%PDF-1.4 yang dijatuhkan")
        assert not remove_if_taken(ctx, file, sha256_file(stored))  # the link is not "it"
    assert path.is_symlink() and secret.read_bytes() == b"root:x:0:0 RAHASIA"
    assert not any(b"RAHASIA" in data for data in _archive_bytes(ctx))


def test_links_and_linked_folders_are_refused_at_the_open(tmp_path: Path) -> None:
    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    _drop(outside, "passwd", b"RAHASIA")
    (inbox / "map").mkdir(parents=True)
    (inbox / "map" / "tautan.pdf").symlink_to(outside / "passwd")
    (inbox / "folder-tautan").symlink_to(outside, target_is_directory=True)
    with pytest.raises(NotAFile) as link:
        InboxFile.open(inbox / "map" / "tautan.pdf", inbox)
    with pytest.raises(NotAFile) as folder:
        InboxFile.open(inbox / "folder-tautan" / "passwd", inbox)
    assert (link.value.kind, folder.value.kind) == ("symlink", "linked-folder")


def test_a_fifo_is_refused_at_once_and_set_aside_with_a_note(ctx: IntakeContext) -> None:
    inbox = ctx.settings.inbox
    assert inbox is not None and ctx.settings.quarantine is not None
    fifo = inbox / "map" / "pipa.pdf"
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    with ThreadPoolExecutor(1) as pool:  # no writer ever comes: an open that waits would hang
        refusal = pool.submit(_refusal_of, fifo, inbox).result(timeout=10)
    assert refusal.kind == "fifo"
    outcome = set_aside(ctx, refusal)
    assert outcome.outcome == "quarantined" and not os.path.lexists(fifo)
    [(placeholder, reason)] = list_quarantine(ctx.settings.quarantine)
    assert placeholder.name == "pipa.pdf.fifo" and "FIFO" in reason
    note = placeholder.with_name(placeholder.name + ".txt").read_text(encoding="utf-8")
    assert "pipa bernama (FIFO)" in note  # the clerk's half of the note says it too


def _refusal_of(path: Path, inbox: Path) -> NotAFile:
    with pytest.raises(NotAFile) as refused:
        InboxFile.open(path, inbox)
    return refused.value


def test_a_file_written_to_between_claim_and_copy_leaves_no_claim_behind(
    ctx: IntakeContext,
) -> None:
    assert ctx.settings.inbox is not None
    path = _drop(ctx.settings.inbox, "tumbuh.pdf", b"%PDF-1.4 separuh")
    with InboxFile.open(path, ctx.settings.inbox) as file:
        intake_id, _ = claim(ctx, file)
        with path.open("ab") as writer:  # the writer was not done yet
            writer.write(b" dan sisanya")
        with pytest.raises(ChangedWhileRead):
            store_original(ctx, intake_id, file)
    with ctx.sessions() as session:
        assert session.scalars(select(IntakeFile)).all() == []  # nothing stuck at "claimed"
    assert _archive_bytes(ctx) == []
    with InboxFile.open(path, ctx.settings.inbox) as file:  # taken whole the next time
        intake_id, state = claim(ctx, file)
        stored = store_original(ctx, intake_id, file)
    assert (state, stored.read_bytes()) == ("new", b"%PDF-1.4 separuh dan sisanya")


class _Swapper(threading.Thread):
    """Turns each path, every few milliseconds, from the dropped file into a link and back."""

    def __init__(self, paths: dict[Path, bytes], secret: Path) -> None:
        super().__init__(daemon=True)
        self.paths, self.secret, self.stop = paths, secret, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for path, data in self.paths.items():
                self._swap(path, lambda staged, data=data: staged.write_bytes(data))
            time.sleep(0.004)
            for path in self.paths:
                self._swap(path, lambda staged: staged.symlink_to(self.secret))
            time.sleep(0.004)

    @staticmethod
    def _swap(path: Path, make: Callable[[Path], object]) -> None:
        staged = path.with_name(".ganti")
        path.parent.mkdir(parents=True, exist_ok=True)  # intake removes an emptied folder
        staged.unlink(missing_ok=True)
        make(staged)
        os.replace(staged, path)


@pytest.mark.slow  # one `ppid ingest` run through the Prefect flows
def test_ingest_stores_only_what_was_dropped_while_links_are_swapped_in(
    ppid_home: Path, prefect_api: str, tmp_path: Path
) -> None:
    """From outside, as the attack was made: each inbox path alternates between a file and a
    link to a secret while `ppid ingest` takes them; FIFOs lie beside them."""
    inbox = ppid_home / "inbox"
    secret = tmp_path / "passwd"
    secret.write_bytes(b"root:x:0:0:RAHASIA-SISTEM\n" * 50)
    dropped = {
        inbox / f"p{n:02d}" / "surat.pdf": f"%PDF-1.4 surat {n}\n".encode() for n in range(12)
    }
    for path, data in dropped.items():
        _drop(inbox, str(path.relative_to(inbox)), data)
    os.mkfifo(inbox / "pipa.pdf")
    swapper = _Swapper(dropped, secret)
    swapper.start()
    try:
        outcomes = _ingest(ppid_home, prefect_api)
    finally:
        swapper.stop.set()
        swapper.join()
    settings = load_settings()
    ctx = IntakeContext.open(settings)
    assert settings.archive is not None and settings.quarantine is not None
    kept = _archive_bytes(ctx) + [
        p.read_bytes() for p in settings.quarantine.rglob("*") if p.is_file() and not p.is_symlink()
    ]
    assert not any(b"RAHASIA" in data for data in kept)
    with ctx.sessions() as session:
        rows = session.scalars(select(IntakeFile)).all()
        assert [r.status for r in rows if r.status == IntakeStatus.CLAIMED] == []
        assert {r.sha256 for r in rows} <= {hashlib.sha256(d).hexdigest() for d in dropped.values()}
    fifo = next(o for o in outcomes if o["file"].endswith("pipa.pdf"))
    assert fifo["outcome"] == "quarantined" and not os.path.lexists(inbox / "pipa.pdf")


def _ingest(home: Path, api: str) -> list[dict[str, Any]]:
    env = {**os.environ, "PPID_HOME": str(home), "PREFECT_API_URL": api}
    env["PPID_INTAKE__STABLE_SECONDS"] = "0"
    done = subprocess.run(
        [sys.executable, "-m", "ppid", "ingest", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


# --- a growing file waits for its writer --------------------------------------------------------


def test_a_file_still_open_for_writing_waits_however_long_its_writer_pauses(
    tmp_path: Path,
) -> None:
    path = tmp_path / "inbox" / "scan.pdf"
    path.parent.mkdir(parents=True)
    a_minute_ago = time.time() - 60
    with path.open("wb") as writer:  # a scanner writing page by page, pausing between pages
        writer.write(b"%PDF-1.4 halaman 1")
        writer.flush()
        os.utime(path, (a_minute_ago, a_minute_ago))  # paused far longer than stable_seconds
        waiting: dict[Path, Any] = {path: None}
        assert settled(waiting, 2.0) == [] and settled(waiting, 2.0) == []
        assert not is_stable(path, 2.0)
        writer.write(b" halaman 2")
    os.utime(path, (a_minute_ago, a_minute_ago))
    assert is_stable(path, 2.0)
    assert [p for p, _ in settled(waiting, 2.0) or settled(waiting, 2.0)] == [path]


def test_intake_leaves_a_file_whose_writer_reopened_it(ctx: IntakeContext) -> None:
    assert ctx.settings.inbox is not None
    path = _drop(ctx.settings.inbox, "lambat.pdf", b"%PDF-1.4 awal")
    with InboxFile.open(path, ctx.settings.inbox) as file, path.open("ab"):
        assert writer_holds(file.descriptor)
    with InboxFile.open(path, ctx.settings.inbox) as file:
        assert not writer_holds(file.descriptor)
