"""Notices to applicants: queued with the step that owes them, sent from the outbox, never lost."""

from __future__ import annotations

import io
import threading
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pypdf import PdfReader
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ppid.archive.bags import archive_case
from ppid.casework import notices, workflow
from ppid.casework.register import get_case, register_case
from ppid.core.db import open_db
from ppid.core.models import Case, CaseEvent, DipItem, Notice, NoticeStatus
from ppid.core.paths import archived
from ppid.core.settings import Settings, load_settings
from ppid.core.signing import verify
from ppid.intake.ledger import IntakeContext
from ppid.intake.steps import issue_receipt
from tests.nik_leaks import findings
from tests.smtp_server import free_port, smtp_server
from tests.specimens import ON_BOTH_DATABASES

pytestmark = ON_BOTH_DATABASES

WIB = timezone(timedelta(hours=7))
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
EMAIL = "rina@example.id"
NIK = "6171014507900001"


def _settings(smtp_port: int | None, **extra: Any) -> Settings:
    url = SecretStr(f"smtp://127.0.0.1:{smtp_port}") if smtp_port else None
    return load_settings(
        mail={"smtp_url": url, "timeout_seconds": 5},
        notices={"retry_minutes": 0},
        public={"url": "https://keberatan.example.go.id"},
        **extra,
    )


def _register(sessions: sessionmaker[Session], settings: Settings, email: str | None) -> str:
    with sessions() as session, session.begin():
        case = Case(
            channel="web",
            applicant_name="Rina Contoh",
            applicant_nik=NIK,
            applicant_address="Jl. Contoh Raya No. 5, Pontianak",
            applicant_email=email,
            request_number="012/PPID-DKUKM/XI/2026",
            purpose="Penelitian skripsi",
            reasons="ce",
        )
        register_case(session, settings, case, MONDAY, actor="sistem-intake")
        case.registered_at = MONDAY
        workflow.start(session, settings, case)
        return str(case.number)


def _attached_pdf(mail: EmailMessage) -> EmailMessage:
    """The e-mail's one attachment: a PDF without the applicant's full NIK in any of its bytes."""
    [attached] = list(mail.iter_attachments())
    assert attached.get_content_type() == "application/pdf"
    assert findings(attached.get_content(), f"e-mail {mail['Subject']}", {NIK}, []) == []
    return attached


def _events(sessions: sessionmaker[Session], number: str, action: str) -> list[CaseEvent]:
    with sessions() as session:
        case = get_case(session, number)
        return [e for e in case.events if e.action == action]


def _notices(sessions: sessionmaker[Session]) -> list[Notice]:
    with sessions() as session:
        return list(session.scalars(select(Notice).order_by(Notice.id)))


def _step(
    sessions: sessionmaker[Session],
    settings: Settings,
    number: str,
    role: str,
    decision: str,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    at = datetime(2026, 12, 1, 10, 0, tzinfo=WIB)
    workflow.advance_number(sessions, settings, number, role, role, decision, note, data, at=at)


def _to_answer(sessions: sessionmaker[Session], settings: Settings, number: str) -> None:
    """Verify → examine → order → the DIP item given → the Atasan signs and sends the answer."""
    with sessions() as session, session.begin():
        item = DipItem(title="Laporan Keuangan Dinas 2025", category="berkala")
        session.add(item)
        session.flush()
        item_id = item.id
    _step(sessions, settings, number, "petugas", "forward")
    _step(sessions, settings, number, "bidang", "recommend", "Keberatan berdasar")
    _step(sessions, settings, number, "atasan", "order", "Berikan informasinya")
    _step(sessions, settings, number, "bidang", "available", data={"dip_items": [item_id]})
    _step(sessions, settings, number, "atasan", "send")


def test_a_registered_case_gets_its_receipt_by_e_mail_and_the_history_says_so() -> None:
    with smtp_server() as server:
        settings = _settings(server.port)
        sessions = open_db(settings)
        number = _register(sessions, settings, EMAIL)
        receipt = issue_receipt(IntakeContext.open(settings), number)
        issue_receipt(IntakeContext.open(settings), number)  # resumed after a crash: once
        archive_case(settings, sessions, number)  # the receipt kept gets case.json, full NIK
        [queued] = _notices(sessions)
        assert (queued.kind, queued.status) == ("receipt", NoticeStatus.PENDING)
        [result] = notices.send_due(settings, sessions)
    assert result.outcome == "sent"
    [mail] = server.messages
    assert mail["To"] == EMAIL
    assert mail["Subject"] == f"Tanda terima pengajuan keberatan {number}"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert number in body and "https://keberatan.example.go.id/status" in body
    attached = _attached_pdf(mail)
    assert attached.get_filename() == receipt.name
    receipt_text = PdfReader(io.BytesIO(attached.get_content())).pages[0].extract_text()
    assert number in receipt_text  # the receipt, as a copy with no full NIK in any of its bytes
    with sessions() as session:
        kept = get_case(session, number).documents
        [kept_receipt] = [archived(settings, d.path) for d in kept if d.role == "receipt"]
    assert findings(kept_receipt.read_bytes(), "kept receipt", {NIK}, [])  # … which it has
    [sent] = _events(sessions, number, "notice_sent")
    assert EMAIL in str(sent.note)
    assert _notices(sessions)[0].status == NoticeStatus.SENT
    assert notices.send_due(settings, sessions) == []  # never twice


def test_without_an_smtp_server_or_an_address_nothing_is_queued() -> None:
    settings = _settings(None)
    sessions = open_db(settings)
    number = _register(sessions, settings, EMAIL)
    issue_receipt(IntakeContext.open(settings), number)
    assert _notices(sessions) == []  # the office sends no e-mail at all
    settings = _settings(free_port())
    other = _register(sessions, settings, None)
    issue_receipt(IntakeContext.open(settings), other)
    assert _notices(sessions) == []
    [said] = _events(sessions, other, "notice_no_address")
    assert "tidak mencantumkan alamat e-mail" in str(said.note)


def test_a_failed_send_is_kept_retried_later_and_shown_until_it_goes_out() -> None:
    port = free_port()  # nobody listens yet
    settings = _settings(port)
    sessions = open_db(settings)
    number = _register(sessions, settings, EMAIL)
    issue_receipt(IntakeContext.open(settings), number)
    [failed] = notices.send_due(settings, sessions)
    assert failed.outcome == "failed" and "Connection" in str(failed.error)
    with sessions() as session:
        [waiting] = notices.unsent(session)
        assert waiting.attempts == 1 and waiting.next_attempt_at is not None
    assert len(_events(sessions, number, "notice_failed")) == 1
    with sessions() as session, session.begin():  # the wait is over
        session.execute(update(Notice).values(next_attempt_at=None))
    with _server_on(port) as received:  # the mail server is back
        [result] = notices.send_due(settings, sessions)
    assert result.outcome == "sent" and len(received) == 1
    [sent] = _events(sessions, number, "notice_sent")
    assert "percobaan ke-2" in str(sent.note)
    with sessions() as session:
        assert notices.unsent(session) == []


def _server_on(port: int) -> Any:
    """A plain SMTP server on a given port, collecting what it is sent."""
    import contextlib

    from aiosmtpd.controller import Controller

    received: list[bytes] = []

    class Keep:
        async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 OK"

    @contextlib.contextmanager
    def running() -> Any:
        controller = Controller(Keep(), hostname="127.0.0.1", port=port)
        controller.start()
        try:
            yield received
        finally:
            controller.stop()

    return running()


def test_an_address_refused_for_good_waits_for_the_staff_then_goes_out() -> None:
    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class RefuseUnknown:
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            if address.startswith("salah"):
                return "550 5.1.1 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope.rcpt_tos)
            return "250 OK"

    port = free_port()
    controller = Controller(RefuseUnknown(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = _settings(port)
        sessions = open_db(settings)
        number = _register(sessions, settings, "salah@example.id")
        issue_receipt(IntakeContext.open(settings), number)
        [refused] = notices.send_due(settings, sessions)
        assert refused.outcome == "refused" and "550" in str(refused.error)
        assert notices.send_due(settings, sessions) == []  # not retried by itself
        with sessions() as session, session.begin():
            case = get_case(session, number)
            case.applicant_email = EMAIL  # a clerk corrects the address
            [waiting] = notices.unsent(session, case.id)
            assert waiting.status == NoticeStatus.FAILED
            notices.send_again(session, waiting.id, case.id, "petugas1")
        [result] = notices.send_due(settings, sessions)
    finally:
        controller.stop()
    assert result.outcome == "sent"
    assert received == [[EMAIL]]
    assert [e.action for e in _events(sessions, number, "notice_retry")] == ["notice_retry"]


def test_the_answer_goes_out_once_signed_with_a_link_to_react(tmp_path: Path) -> None:
    with smtp_server() as server:
        settings = _settings(server.port)
        sessions = open_db(settings)
        number = _register(sessions, settings, EMAIL)
        _to_answer(sessions, settings, number)
        assert _notices(sessions) == []  # sent for signature: not yet to the applicant
        _step(sessions, settings, number, "petugas", "signed", "Diserahkan untuk ditandatangani")
        [queued] = _notices(sessions)
        assert queued.kind == "tanggapan"
        [result] = notices.send_due(settings, sessions)
    assert result.outcome == "sent"
    [mail] = server.messages
    assert mail["Subject"] == f"Tanggapan atas keberatan {number}"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Komisi Informasi" in body
    link = next(w for w in body.split() if "/tanggapan/" in w)
    token = link.rsplit("/", 1)[1]
    with sessions() as session:
        case = get_case(session, number)
        answer = next(d for d in case.documents if d.role == "tanggapan")
        assert verify(settings, notices.REACTION_PURPOSE, token) == [str(case.id), str(answer.id)]
    assert verify(settings, "other-purpose", token) is None
    _attached_pdf(mail)


def test_without_waiting_for_the_signed_copy_the_answer_goes_out_when_sent() -> None:
    settings = _settings(free_port(), workflow={"wait_for_signed_copy": False})
    sessions = open_db(settings)
    number = _register(sessions, settings, EMAIL)
    _to_answer(sessions, settings, number)
    assert [n.kind for n in _notices(sessions)] == ["tanggapan"]


def test_a_returned_objection_sends_its_return_letter_at_once() -> None:
    with smtp_server() as server:
        settings = _settings(server.port)
        sessions = open_db(settings)
        number = _register(sessions, settings, EMAIL)
        reason = "Lampiran KTP tidak terbaca; mohon kirim ulang."
        _step(sessions, settings, number, "petugas", "return", data={"letter_text": reason})
        [queued] = _notices(sessions)
        assert queued.kind == "pengembalian"
        [result] = notices.send_due(settings, sessions)
    assert result.outcome == "sent"
    [mail] = server.messages
    assert mail["Subject"] == f"Surat pengembalian berkas — keberatan {number}"
    _attached_pdf(mail)


def test_a_notice_whose_step_was_corrected_before_it_went_out_is_cancelled() -> None:
    settings = _settings(free_port(), workflow={"wait_for_signed_copy": False})
    sessions = open_db(settings)
    number = _register(sessions, settings, EMAIL)
    _to_answer(sessions, settings, number)
    _step(sessions, settings, number, "atasan", "correction", "Surat dikirim terlalu cepat")
    [result] = notices.send_due(settings, sessions)
    assert result.outcome == "cancelled"
    assert _notices(sessions)[0].status == NoticeStatus.CANCELLED
    assert len(_events(sessions, number, "notice_cancelled")) == 1


def test_two_senders_at_once_send_each_notice_once() -> None:
    with smtp_server() as server:
        settings = _settings(server.port)
        sessions = open_db(settings)
        numbers = [_register(sessions, settings, EMAIL) for _ in range(4)]
        ctx = IntakeContext.open(settings)
        for number in numbers:
            issue_receipt(ctx, number)
        results: list[Any] = []

        def drain() -> None:
            results.extend(notices.send_due(settings, sessions))

        threads = [threading.Thread(target=drain) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(r.number for r in results) == sorted(numbers)
    assert len(server.messages) == 4


def test_the_staff_see_a_notice_that_did_not_go_out_and_send_it_again() -> None:
    from fastapi.testclient import TestClient

    from ppid.web import auth
    from ppid.web.app import create_app
    from tests.test_web import CSRF, PASSWORD, login

    settings = _settings(free_port())  # nobody listens: the first send fails
    sessions = open_db(settings)
    number = _register(sessions, settings, EMAIL)
    issue_receipt(IntakeContext.open(settings), number)
    assert notices.send_due(settings, sessions)[0].outcome == "failed"
    auth.set_password_cost(1, 1024)
    try:
        with sessions() as session, session.begin():
            auth.add_user(session, "petugas1", "petugas", PASSWORD, "Petugas Uji")
            case_id = get_case(session, number).id
        client = TestClient(create_app(settings), base_url="https://testserver")
        assert login(client, "petugas1") == 200
        page = client.get(f"/kasus/{case_id}")
    finally:
        auth.set_password_cost(3, 65536)
    assert "Pemberitahuan ke pemohon belum terkirim" in page.text
    assert "Connection" not in page.text  # the server's error stays in the log
    [notice] = _notices(sessions)
    token = CSRF.search(page.text)
    assert token is not None
    again = client.post(
        f"/kasus/{case_id}/pemberitahuan/{notice.id}",
        data={"csrf": token.group(1)},
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert [e.action for e in _events(sessions, number, "notice_retry")] == ["notice_retry"]
    with sessions() as session:
        assert session.get_one(Notice, notice.id).next_attempt_at is None  # due at once
