"""The content store is checked like bag payloads, and nothing damaged is sealed into a bag.

One flipped byte in the stored copy of a pending form: the matching KTP arrives and the case
registers, but its bag is not built from the damaged copy (the case waits, its history says
why), `ppid archive verify` and the weekly fixity flow report the file, and once it is restored
the bag is built and everything verifies.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ppid.archive.bags import archive_case, archive_pending, pending_archive
from ppid.cli.app import app
from ppid.core.files import sha256_file
from ppid.core.models import Case, IntakeFile
from ppid.core.paths import bag_originals, bag_versions
from ppid.core.settings import load_settings
from ppid.intake.ledger import IntakeContext, claim
from ppid.intake.steps import Registration, extract, issue_receipt, register_file, store_original
from ppid.output.forms import render_filled_form
from tests.specimens import ktp_sample, objection_values

REGISTRATION = Registration(register_file, issue_receipt, archive_case)


@pytest.fixture(scope="module")
def specimens(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("specimens")
    ktp, card = ktp_sample()
    form = render_filled_form(
        load_settings(home=folder), objection_values(card), folder / "formulir.pdf", fillable=True
    )
    shutil.copy(ktp, folder / "ktp.jpg")
    return {"form": form, "ktp": folder / "ktp.jpg"}


@pytest.fixture()
def ctx(ppid_home: Path) -> IntakeContext:
    settings = load_settings()
    for folder in (settings.inbox, settings.archive):
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True)
    return IntakeContext.open(settings)


def _take(ctx: IntakeContext, source: Path) -> tuple[int, str | None]:
    assert ctx.settings.inbox is not None
    path = ctx.settings.inbox / "pemohon" / source.name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, path)
    intake_id, _ = claim(ctx, path)
    store_original(ctx, intake_id, path)
    extract(ctx, intake_id)
    return intake_id, REGISTRATION.run(ctx, intake_id).register_number


def _flip_a_byte(path: Path) -> bytes:
    original = path.read_bytes()
    middle = len(original) // 2
    path.write_bytes(original[:middle] + bytes([original[middle] ^ 0x01]) + original[middle + 1 :])
    return original


def _verify() -> tuple[int, str]:
    result = CliRunner().invoke(app, ["archive", "verify"])
    return result.exit_code, result.output + str(result.exception or "")


def test_a_damaged_original_is_never_sealed_and_every_check_reports_it(
    ctx: IntakeContext, specimens: dict[str, Path]
) -> None:
    form_id, pending = _take(ctx, specimens["form"])
    assert pending is None  # the form waits for its KTP
    with ctx.sessions() as session:
        stored = ctx.archive / str(session.get_one(IntakeFile, form_id).stored_path)
    received = _flip_a_byte(stored)

    _, number = _take(ctx, specimens["ktp"])  # the KTP arrives: the case registers
    assert number is not None
    with ctx.sessions() as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        bags = bag_versions(ctx.settings, case)
        waits = [e for e in case.events if e.action == "fixity_check"]
        assert pending_archive(session) == [number]  # its archive waits
    sealed = [p for bag in bags for p in bag_originals(bag).glob("*") if p.is_file()]
    assert sha256_file(stored) not in {sha256_file(p) for p in sealed}
    assert [e.data["outcome"] for e in waits] == ["failure"]
    assert "formulir.pdf" in waits[0].note and "tertahan" in waits[0].note

    code, output = _verify()
    assert code != 0 and stored.relative_to(ctx.archive).as_posix() in output
    assert "content changed" in output

    from prefect.logging import disable_run_logger

    from flows.archive import verify_archive

    with disable_run_logger(), pytest.raises(Exception, match="content store"):
        verify_archive.fn()

    stored.write_bytes(received)  # restored from a backup
    assert archive_pending(ctx.settings, ctx.sessions) == [number]
    assert _verify()[0] == 0


def test_verify_reports_a_store_file_that_vanished_or_became_a_link(
    ctx: IntakeContext, specimens: dict[str, Path], tmp_path: Path
) -> None:
    form_id, _ = _take(ctx, specimens["form"])
    with ctx.sessions() as session:
        stored = ctx.archive / str(session.get_one(IntakeFile, form_id).stored_path)
    stored.unlink()
    code, output = _verify()
    assert code != 0 and "missing from the store" in output
    elsewhere = tmp_path / "lain.pdf"
    shutil.copy(specimens["form"], elsewhere)
    stored.symlink_to(elsewhere)  # the same bytes, but not a file of the store
    code, output = _verify()
    assert code != 0 and "a link or special file" in output
