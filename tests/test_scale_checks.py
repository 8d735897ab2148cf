"""The invariant checks of `make scale-test` (scripts/scale_test.py) catch what they claim to.

The rehearsal itself takes many minutes and is not part of `make test`; its checks
(scripts/rehearsal_checks.py) are plain functions over the register, tested here on a real
SQLite register with a gap planted in it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from ppid.casework.register import format_register_number
from ppid.core.db import open_db
from ppid.core.models import Case
from ppid.core.settings import load_settings
from ppid.core.vocabulary import CaseStatus
from scripts import rehearsal_checks, rehearsal_files, rehearsal_processes


@pytest.fixture(scope="module")
def scale_test() -> ModuleType:
    """The rehearsal's pieces these tests use, under one name."""
    return SimpleNamespace(  # type: ignore[return-value]
        Rehearsal=rehearsal_processes.Rehearsal,
        Dropped=rehearsal_files.Dropped,
        check_files=rehearsal_checks.check_files,
        check_register=rehearsal_checks.check_register,
    )


def _register(tmp_path: Path, seqs: list[int]) -> object:
    settings = load_settings(home=tmp_path)
    sessions = open_db(settings)
    received = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    pattern = "{seq:03d}/KEB/PPID-DKUKM/{month_roman}/{year}"
    with sessions() as session, session.begin():
        for seq in seqs:
            session.add(
                Case(
                    number=format_register_number(pattern, seq, received.date()),
                    year=2026,
                    seq=seq,
                    status=CaseStatus.REGISTERED,
                    received_at=received,
                    applicant_name=f"Pemohon {seq}",
                )
            )
    return sessions.kw["bind"]


def test_gap_free_register_passes(scale_test: ModuleType, tmp_path: Path) -> None:
    rehearsal = scale_test.Rehearsal(tmp_path)
    assert scale_test.check_register(rehearsal, _register(tmp_path, [1, 2, 3])) == 3
    assert rehearsal.violations == []


def test_gap_in_numbering_is_a_violation(scale_test: ModuleType, tmp_path: Path) -> None:
    rehearsal = scale_test.Rehearsal(tmp_path)
    scale_test.check_register(rehearsal, _register(tmp_path, [1, 2, 4]))
    assert any("gap" in v for v in rehearsal.violations), rehearsal.violations


def test_file_missing_from_ledger_is_a_violation(scale_test: ModuleType, tmp_path: Path) -> None:
    rehearsal = scale_test.Rehearsal(tmp_path)
    dropped = [
        scale_test.Dropped(Path("a/formulir.pdf"), "digital form + KTP", "a", sha256="1" * 64),
        scale_test.Dropped(Path("a/ktp.jpg"), "digital form + KTP", "a", sha256="2" * 64),
    ]
    row = {"status": "done", "submission_id": 1, "sub_status": "registered", "number": "001"}
    scale_test.check_files(rehearsal, {"1" * 64: {**row, "error": None, "reason": None}}, dropped)
    assert rehearsal.violations == ["a/ktp.jpg: not in the intake ledger"]


def test_folder_split_over_two_submissions_is_a_violation(
    scale_test: ModuleType, tmp_path: Path
) -> None:
    rehearsal = scale_test.Rehearsal(tmp_path)
    dropped = [
        scale_test.Dropped(Path("b/formulir.pdf"), "digital form + KTP", "b", sha256="3" * 64),
        scale_test.Dropped(Path("b/ktp.jpg"), "digital form + KTP", "b", sha256="4" * 64),
    ]
    pending = {"status": "done", "sub_status": "pending", "reason": "KTP belum ada", "error": None}
    rows = {
        "3" * 64: {**pending, "submission_id": 1, "number": None},
        "4" * 64: {**pending, "submission_id": 2, "number": None},
    }
    scale_test.check_files(rehearsal, rows, dropped)
    assert any("split over submissions" in v for v in rehearsal.violations)
