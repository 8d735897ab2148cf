"""Correcting what the extraction misread: every value, who and why, outputs issued again; the
letters of every ending say what was typed for the applicant and never the internal note."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session, sessionmaker

from ppid.archive.bags import archive_case
from ppid.casework import workflow
from ppid.casework.amendments import DocumentValue, amend, document_value
from ppid.casework.letters import render_receipt, store_output
from ppid.casework.register import get_case, register_case
from ppid.core.calendar import calendar_from_settings
from ppid.core.db import open_db
from ppid.core.errors import BadInputError, ForbiddenError
from ppid.core.models import Case, CaseDocument
from ppid.core.paths import bag_outputs, current_bag, receipt_path
from ppid.core.settings import Settings, load_settings
from ppid.core.vocabulary import CaseStatus, DocumentKind
from tests.english import english_in

WIB = timezone(timedelta(hours=7))
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
AFTER_HOURS = datetime(2026, 12, 7, 17, 10, tzinfo=WIB)  # Monday, after the office closed
NIK = "6171014507900001"


def text_of(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() or "" for p in PdfReader(path).pages).split())


@pytest.fixture
def settings(ppid_home: Path) -> Settings:
    return load_settings()


@pytest.fixture
def sessions(settings: Settings) -> sessionmaker[Session]:
    return open_db(settings)


def register(sessions: sessionmaker[Session], settings: Settings, at: datetime = MONDAY) -> str:
    """A registered case with its receipt and a read ID card, as intake leaves it."""
    cal = calendar_from_settings(settings)
    with sessions() as session, session.begin():
        case = Case(
            applicant_name="Rina Contoh",
            applicant_nik=NIK,
            applicant_address="Jl. Contoh Raya No. 5, Pontianak",
            request_number="012/PERM/PPID-DKUKM/2O26",  # a letter O read for a zero
            information_requested="Daftar penerima bantuan modal UMKM tahun 2026",
            purpose="Penelitian skripsi",
            reasons="c",
        )
        register_case(session, settings, case, at, actor="sistem-intake")
        workflow.start(session, settings, case)
        session.add(
            CaseDocument(
                case=case,
                kind=DocumentKind.ORIGINAL,
                role="id_card",
                path="originals/ktp.jpg",
                sha256="0" * 64,
                media_type="image/jpeg",
                fields={"documents": [{"document_type": "id_card", "fields": {"regency": None}}]},
            )
        )
        session.flush()
        out = receipt_path(settings, case)
        render_receipt(settings, cal, case, out)
        assert settings.archive is not None
        store_output(session, settings.archive, case, out, role="receipt", note="x", actor="s")
        return str(case.number)


def correct(sessions, settings, number, reason="salah baca, lihat scan", **values):
    with sessions() as session, session.begin():
        case = get_case(session, number)
        return amend(
            session,
            settings,
            calendar_from_settings(settings),
            case,
            role="petugas",
            actor="petugas1",
            reason=reason,
            values=values,
        )


def test_a_corrected_request_number_reissues_the_receipt_and_keeps_the_old_one(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    number = register(sessions, settings)
    done = correct(sessions, settings, number, request_number="012/PERM/PPID-DKUKM/2026")
    assert done is not None and [c["field"] for c in done.changes] == ["request_number"]
    archive_case(settings, sessions, number)
    with sessions() as session:
        case = get_case(session, number)
        receipts = [d for d in case.documents if d.role == "receipt"]
        assert len(receipts) == 2
        old, new = receipts
        assert old.fields["superseded_by"] == new.id and new.fields["reissue_of"] == old.id
        event = next(e for e in case.events if e.action == "value_corrected")
        assert (event.actor, event.role, event.note) == (
            "petugas1",
            "petugas",
            "salah baca, lihat scan",
        )
        assert event.data["changes"][0]["old"] == "012/PERM/PPID-DKUKM/2O26"
        assert event.data["reissued"] == [new.id]
        assert any(e.action == "document_reissued" for e in case.events)
        outputs = bag_outputs(current_bag(settings, case))
    assert settings.archive is not None
    new_text = text_of(settings.archive / new.path)
    assert "012/PERM/PPID-DKUKM/2026" in new_text and "menggantikan tanda terima" in new_text
    assert "2O26" in text_of(settings.archive / old.path)  # the old one kept as it was
    names = sorted(p.name for p in outputs.glob("*.pdf"))
    assert names == [
        "01-tanda-terima.pdf",
        "02-salinan-formulir.pdf",
        "03-tanda-terima.pdf",
        "04-salinan-formulir.pdf",
    ]


def test_reasons_id_card_values_and_the_signature_are_corrected_with_who_and_why(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    number = register(sessions, settings)
    with sessions() as session:
        card = next(d for d in get_case(session, number).documents if d.role == "id_card")
    with sessions() as session, session.begin():
        case = get_case(session, number)
        amend(
            session,
            settings,
            calendar_from_settings(settings),
            case,
            role="petugas",
            actor="petugas1",
            reason="centang e terlewat; kabupaten terbaca kosong",
            values={"reason_letters": "c e"},
            document_values={DocumentValue(card.id, 0, "regency"): "KOTA PONTIANAK"},
        )
    with sessions() as session:
        case = get_case(session, number)
        assert case.reasons == ["c", "e"]
        card = next(d for d in case.documents if d.role == "id_card")
        assert document_value(card, 0, "regency") == "KOTA PONTIANAK"
        assert card.fields["documents"][0]["fields"]["regency"] is None  # what was read stays
        changes = next(e for e in case.events if e.action == "value_corrected").data["changes"]
    assert {c["field"] for c in changes} == {"reason_letters", "regency"}


def test_a_correction_needs_a_reason_a_change_and_an_open_case(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    number = register(sessions, settings)
    with pytest.raises(BadInputError, match="reason"):
        correct(sessions, settings, number, reason=" ", applicant_name="Rina C.")
    with pytest.raises(BadInputError, match="nothing to correct"):
        correct(sessions, settings, number, applicant_name="Rina Contoh")
    with pytest.raises(BadInputError, match="16 digits") as error:
        correct(sessions, settings, number, applicant_nik="6171")
    assert error.value.text == "NIK harus 16 angka."
    with pytest.raises(BadInputError, match="cannot correct"):
        correct(sessions, settings, number, status="closed")
    with sessions() as session, session.begin():
        get_case(session, number).status = CaseStatus.CLOSED
    with pytest.raises(ForbiddenError, match="closed"):
        correct(sessions, settings, number, applicant_name="Rina C.")


def test_return_to_the_applicant_issues_its_letter_with_the_reason_typed_for_it(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    number = register(sessions, settings, at=AFTER_HOURS)
    note = "Catatan internal: pemohon menelepon dua kali"
    with pytest.raises(BadInputError, match="return letter"):
        workflow.advance_number(sessions, settings, number, "petugas", "p1", "return", note)
    reason = "Formulir belum ditandatangani dan fotokopi KTP tidak terbaca."
    result = workflow.advance_number(
        sessions, settings, number, "petugas", "p1", "return", note, {"letter_text": reason}
    )
    assert result["status"] == "closed" and result["decision"] == "returned"
    assert settings.archive is not None
    [path] = [p for p in result["letters"] if "surat-pengembalian" in p]
    text = text_of(settings.archive / path)
    assert reason in text and "pemohon menelepon" not in text
    assert "Nomor : 001/PGB/PPID-DKUKM/" in text
    # received Monday 17.10, after hours: the letter says why it cites Tuesday's date
    assert "di luar hari dan jam kerja" in text and "Selasa, 8 Desember 2026" in text
    assert english_in(text) == []
