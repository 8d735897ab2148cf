"""The hostile corpus (tests/corpus/hostile.py) through the real intake path, `ppid ingest`.

Every file ends archived or quarantined with a reason a person can act on, within the configured
limits; symlinks are never followed; names that are not UTF-8, 255 bytes long or look like paths
are stored safely; and a good form and KTP dropped in the same run are still registered.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ppid.core.files import sha256_file
from ppid.core.models import Case, IntakeFile
from ppid.core.settings import load_settings
from ppid.intake.inbox import (
    QuarantineNote,
    iter_inbox,
    list_quarantine,
    quarantine_file,
    quarantine_link,
)
from ppid.intake.ledger import IntakeContext
from ppid.output.forms import render_filled_form
from tests.corpus.hostile import Specimen, specimens, write_corpus
from tests.specimens import SAMPLES, ktp_sample, objection_values

# The ingest run, its Prefect subprocesses, pdftoppm and Tesseract together stay under this.
MAX_RSS_BYTES = 1536 * 1024 * 1024
# Run `ppid ingest` and report the peak memory of it and everything it started (ru_maxrss: kB).
_MEASURED = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'PEAK-RSS-KB {peak}', file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def ingest_measured(home: Path, api: str) -> tuple[list[dict[str, Any]], int, str]:
    """`ppid ingest --json` over the inbox, in a child process: (outcomes, peak RSS, stderr)."""
    env = {**os.environ, "PPID_HOME": str(home), "PREFECT_API_URL": api}
    env |= {"PPID_INTAKE__STABLE_SECONDS": "0", "PPID_LIMITS__MAX_SECONDS_PER_FILE": "60"}
    command = [sys.executable, "-c", _MEASURED, sys.executable, "-m", "ppid", "ingest", "--json"]
    done = subprocess.run(command, env=env, capture_output=True, timeout=900)
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode == 0, stderr[-3000:]
    peak = next(int(line.split()[1]) for line in stderr.splitlines() if "PEAK-RSS-KB" in line)
    lines = done.stdout.decode("utf-8", errors="surrogateescape").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")], peak * 1024, stderr


@pytest.fixture()
def good_pair(ppid_home: Path) -> Path:
    """A complete, honest submission in its own folder: proves the run carries on past the rest."""
    folder = ppid_home / "inbox" / "pemohon-baik"
    folder.mkdir(parents=True)
    card = ktp_sample()[1]
    render_filled_form(
        load_settings(), objection_values(card), folder / "formulir.pdf", fillable=True
    )
    shutil.copy(SAMPLES / "ktp_crop_000.jpg", folder / "ktp.jpg")
    return folder


def _outcome_for(outcomes: list[dict[str, Any]], path: Path) -> dict[str, Any]:
    wanted = os.fsencode(path)
    found = [o for o in outcomes if os.fsencode(o["file"]) == wanted]
    assert len(found) == 1, (path, [o["file"] for o in outcomes])
    return found[0]


def _warnings(row: IntakeFile) -> list[str]:
    documents = (row.extraction or {}).get("documents") or []
    return [w for document in documents for w in document.get("warnings") or []]


@pytest.mark.slow  # ~25 files through the Prefect flows, in one `ppid ingest` run
def test_hostile_corpus_ends_archived_or_quarantined_with_reasons(
    ppid_home: Path, tmp_path: Path, prefect_api: str, good_pair: Path
) -> None:
    inbox, outside = ppid_home / "inbox", tmp_path / "outside"
    corpus = write_corpus(inbox, outside)
    outside_before = {p: sha256_file(p) for p in outside.rglob("*") if p.is_file()}

    outcomes, peak, log = ingest_measured(ppid_home, prefect_api)

    assert peak < MAX_RSS_BYTES, f"peak memory {peak / 2**20:.0f} MiB"
    assert "tautan-folder is a symlink to a folder; not followed" in log
    ctx = IntakeContext.open(load_settings())
    with ctx.sessions() as session:
        rows = {row.source_path: row for row in session.scalars(select(IntakeFile))}
        [case] = session.scalars(select(Case)).all()  # the good pair, and nothing else
        assert {d.role for d in case.documents} >= {"form", "id_card"}
    quarantined = {path.name: reason for path, reason in list_quarantine(ctx.settings.quarantine)}
    for specimen, path in corpus.items():
        if isinstance(specimen.name, bytes):  # renamed in the inbox before anything else
            path = path.with_name(os.fsencode(path.name).decode("utf-8", errors="replace"))
        if specimen.outcome == "ignored":
            assert not [o for o in outcomes if os.fsencode(o["file"]) == os.fsencode(path)]
            assert path.is_symlink() or path.is_file()  # left where it is, untouched
            continue
        outcome = _outcome_for(outcomes, path)
        assert outcome["outcome"] == specimen.outcome, (specimen.label, outcome)
        assert "unexpected" not in str(outcome["reason"]), outcome  # a refusal, not a crash
        _check_reason(specimen, outcome, rows.get(str(path)), quarantined)
    good = [o for o in outcomes if Path(o["file"]).parent == good_pair]
    assert {o["outcome"] for o in good} == {"pending", "registered"}

    # Nothing behind a symlink was read, copied or changed.
    assert {p: sha256_file(p) for p in outside.rglob("*") if p.is_file()} == outside_before
    archived = {sha256_file(p) for p in ctx.archive.rglob("*") if p.is_file()}
    assert not archived & set(outside_before.values())
    assert not set(outside_before.values()) & {row.sha256 for row in rows.values()}
    # Every name written is short, printable UTF-8 and inside the home; the inbox holds only links.
    for path in ppid_home.rglob("*"):
        raw = os.fsencode(path.name)
        assert len(raw) <= 130 and raw.decode("utf-8") and not any(c < 32 for c in raw), path
    assert not list(ppid_home.parent.glob("keluar.pdf")) and not list(tmp_path.glob("keluar*"))
    assert "keluar.pdf" in {row.original_name for row in rows.values()}  # the last part only
    left = [p.name for p in inbox.rglob("*") if not p.is_symlink() and p.is_file()]
    assert left == ["..\\..\\tersembunyi.pdf"]  # a hidden name is never taken


def _check_reason(
    specimen: Specimen,
    outcome: dict[str, Any],
    row: IntakeFile | None,
    quarantined: dict[str, str],
) -> None:
    """The reason a person reads: in the outcome, the quarantine note, or the file's warnings."""
    if specimen.link_to:  # a symlink: set aside unread, never claimed, so no ledger row
        assert row is None and specimen.reason in outcome["reason"], outcome
        assert any(specimen.reason in reason for reason in quarantined.values()), specimen.label
        return
    assert row is not None, specimen.label
    if specimen.outcome == "quarantined":
        assert specimen.reason in outcome["reason"], outcome
        assert any(specimen.reason in reason for reason in quarantined.values()), specimen.label
        assert row.stored_path  # the original is kept in the archive even so
    elif specimen.reason == "content":
        assert outcome["reason"]  # pending: the KTP is missing, and it says so
    else:
        assert any(specimen.reason in w for w in _warnings(row)), (specimen.label, _warnings(row))
        assert "never run" in " ".join(_warnings(row)) or "never opened" in " ".join(_warnings(row))


def test_specimens_have_distinct_bytes_so_none_is_taken_for_a_duplicate(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "inbox", tmp_path / "outside")
    files = [p for p in corpus.values() if not p.is_symlink()]
    assert len({sha256_file(p) for p in files}) == len(files)
    assert len(specimens()) == len(corpus)


def test_a_symlink_is_set_aside_in_quarantine_without_reading_its_target(tmp_path: Path) -> None:
    inbox, quarantine = tmp_path / "inbox", tmp_path / "quarantine"
    (inbox / "sub").mkdir(parents=True)
    secret = tmp_path / "rahasia.txt"
    secret.write_text("isi rahasia")
    link = inbox / "sub" / "tautan\x1b.pdf"
    link.symlink_to(secret)
    placeholder = quarantine_link(link, quarantine, inbox)
    assert not link.is_symlink() and not link.exists() and secret.read_text() == "isi rahasia"
    assert placeholder.parent == quarantine / "sub" and placeholder.name == "tautan_.pdf.symlink"
    assert "isi rahasia" not in placeholder.read_text()
    [(listed, reason)] = list_quarantine(quarantine)
    assert listed == placeholder and "symbolic link" in reason and str(secret) in reason
    dangling = inbox / "putus.pdf"
    dangling.symlink_to(Path(os.fsdecode(os.fsencode(tmp_path) + b"/tidak-ada-\xff")))
    assert "tidak-ada-\ufffd" in quarantine_link(dangling, quarantine, inbox).read_text()


def test_a_name_that_is_not_utf8_is_renamed_in_the_inbox_before_it_is_taken(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "map-\udce9").mkdir(parents=True)  # a folder with a Latin-1 name, too
    (inbox / "map-\udce9" / "ktp-\udcff.jpg").write_bytes(b"gambar")
    (inbox / "biasa é.pdf").write_bytes(b"pdf")
    assert [p.relative_to(inbox).as_posix() for p in iter_inbox(inbox)] == [
        "biasa é.pdf",
        "map-\ufffd/ktp-\ufffd.jpg",
    ]
    assert (inbox / "map-\ufffd" / "ktp-\ufffd.jpg").read_bytes() == b"gambar"


def test_quarantine_keeps_a_non_utf8_name_readable(tmp_path: Path) -> None:
    from ppid.intake.inbox import QuarantineNote

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = Path(os.fsdecode(os.fsencode(inbox) + b"/formulir-\xff\xe9.pdf"))
    path.write_bytes(b"bukan pdf")
    moved = quarantine_file(path, tmp_path / "q", QuarantineNote("rusak", "broken"), inbox)
    assert moved.name == "formulir-\ufffd\ufffd.pdf" and moved.read_bytes() == b"bukan pdf"


def test_a_quarantined_text_file_is_listed_and_its_note_is_not(tmp_path: Path) -> None:
    inbox, quarantine = tmp_path / "inbox", tmp_path / "quarantine"
    inbox.mkdir()
    (inbox / "catatan.txt").write_text("bukan formulir")
    quarantine_file(inbox / "catatan.txt", quarantine, QuarantineNote("alasan", "reason"), inbox)
    [(listed, reason)] = list_quarantine(quarantine)
    assert listed == quarantine / "catatan.txt" and reason == "reason"
