"""Every PDF the product writes is PDF/A-3b by the checker's word (`pikepdf.pdfa`), not ours."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pikepdf
import pikepdf.pdfa
from sqlalchemy import select

from ppid.archive.bags import archive_case
from ppid.archive.hardcopy import print_batch, print_version, separator_sheet
from ppid.casework.register import get_case
from ppid.casework.reports import render_register, render_report
from ppid.core.calendar import calendar_from_settings
from ppid.core.models import CaseDocument
from ppid.intake.ledger import IntakeContext
from ppid.intake.steps import issue_receipt
from ppid.output.pdfa import ATTACHMENT, findings
from tests.specimens import SQLITE_ONLY
from tests.test_letters import office  # noqa: F401  (the four branches' letters, made once)

# What a case's life writes, by file name without its running number: every kind must be seen.
CASE_OUTPUTS = {
    "tanda-terima",  # the receipt
    "salinan-formulir",  # the numbered copy of the form beside it
    "surat-perintah",  # the Atasan's written order
    "lembar-disposisi",  # the disposition sheet
    "tanggapan-atas-keberatan",  # the answer
    "surat-penolakan",  # the rejection
    "berkas-lengkap",  # the dossier of a closed case
}


def _kind(path: Path) -> str:
    return re.sub(r"^\d+-", "", path.stem)


def _checked(path: Path) -> list[str]:
    """The checker on the file as stored, and on the document as pikepdf would save it."""
    found = findings(path)
    with pikepdf.open(path) as pdf:
        report = pikepdf.pdfa.check(pdf, "3b")
    return found + [str(finding) for finding in report.findings]


@SQLITE_ONLY  # the files do not depend on the database; one engine is enough
def test_every_output_kind_passes_the_pdfa_3b_checker(
    office: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    settings, sessions = office["settings"], office["sessions"]
    ctx = IntakeContext(settings, sessions, calendar_from_settings(settings))
    number = office["numbers"]["released"]
    issue_receipt(ctx, number)
    archive_case(settings, sessions, number)  # the stage after it: the form copy made archival
    extra: dict[str, Path] = {}
    with sessions() as session:
        case = get_case(session, number)
        extra["register"] = render_register(
            session, settings, 2026, None, tmp_path / "register.pdf"
        )
        extra["annual report"] = render_report(session, settings, 2026, tmp_path / "laporan.pdf")
        extra["separator sheet"] = separator_sheet(settings, case, tmp_path / "pemisah.pdf")
        receipt = session.scalars(
            select(CaseDocument).where(
                CaseDocument.case_id == case.id, CaseDocument.role == "receipt"
            )
        ).one()
        extra["print copy"] = print_version(settings, case, receipt, tmp_path / "cetak.pdf")
        batch, count = print_batch(settings, session)
        assert batch is not None and count >= 1
        extra["print batch"] = batch

    in_bags = sorted(p for p in settings.archive.rglob("*.pdf") if "print" not in p.parts)
    assert {_kind(p) for p in in_bags} >= CASE_OUTPUTS
    for path in [*in_bags, *extra.values()]:
        assert _checked(path) == [], path.name
    for path in in_bags:  # every archived output carries its case
        with pikepdf.open(path) as pdf:
            spec = pdf.Root.AF[0]
            assert (spec.F, spec.UF, spec.AFRelationship) == (ATTACHMENT, ATTACHMENT, "/Data")
            assert spec.EF.F.Subtype == "/application/json"
            assert json.loads(spec.EF.F.read_bytes())["number"].startswith(("0", "1"))
            metadata = pdf.Root.Metadata.stream_dict
            assert (metadata.Type, metadata.Subtype) == ("/Metadata", "/XML")
