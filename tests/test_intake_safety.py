"""What a hostile or careless drop into the inbox can do, and why it does no harm.

Quarantine never overwrites anything (a note never lands on a quarantined file, a file never on a
note); inbox files are opened once without following links and everything is read through that
one descriptor, so a link swapped in mid-intake is never followed; a FIFO is set aside and never
read; a file still open for writing waits until its writer closes it.
"""

from __future__ import annotations

from pathlib import Path

from ppid.intake.inbox import QuarantineNote, list_quarantine, quarantine_file

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
