"""E-mail intake against a real Dovecot: names, forwards, HTML, limits, duplicates, outages."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from imap_tools import MailBoxUnencrypted
from sqlalchemy import select

from ppid.archive.bags import archive_case
from ppid.core.models import Case, IntakeFile, MailMessage, MailStatus, Submission
from ppid.core.settings import load_settings, settings_for_display
from ppid.intake.inbox import list_quarantine
from ppid.intake.ledger import (
    IntakeContext,
    Quarantined,
    claim,
    finish,
    mark_quarantined,
    record_duplicate,
)
from ppid.intake.mail.imap import MailError, accounts, parse_mail_url
from ppid.intake.mail.ingest import MailStages, drain_account
from ppid.intake.mail.parse import body_objection, parse_mail
from ppid.intake.steps import Registration, extract, issue_receipt, register_file, store_original
from ppid.output.forms import render_filled_form
from tests.corpus.tnef import TnefFile, corrupt, tnef_bytes
from tests.nik_leaks import findings
from tests.smtp_server import SmtpServer, free_port, smtp_server
from tests.specimens import ON_BOTH_DATABASES, SAMPLES, ktp_sample, objection_values, run_cli

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

USER, PASSWORD = "meja.keberatan", "rahasia-uji-123"


# --- a throwaway Dovecot ----------------------------------------------------------------------


@dataclass
class Dovecot:
    root: Path
    port: int  # plain IMAP, STARTTLS offered
    tls_port: int  # IMAPS
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [DOVECOT, "-c", str(self.root / "dovecot.conf"), "-F"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() ends the imap children too
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not listen; see {self.root / 'dovecot.log'}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # as abrupt as a crashed server
            self.process.wait(timeout=20)
        self.process = None

    def url(self, password: str = PASSWORD) -> str:
        return f"imap://{USER}:{password}@127.0.0.1:{self.port}/INBOX"

    def box(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted("127.0.0.1", self.port).login(USER, PASSWORD)

    def append(self, message: EmailMessage | bytes, folder: str = "INBOX") -> None:
        raw = message if isinstance(message, bytes) else message.as_bytes()
        with self.box() as box:
            box.append(raw, folder)

    def uids(self, folder: str = "INBOX") -> list[str]:
        with self.box() as box:
            if not box.folder.exists(folder):
                return []
            box.folder.set(folder)
            return box.uids("ALL")

    def clear(self) -> None:
        with self.box() as box:
            for info in box.folder.list():
                box.folder.set(info.name)
                if uids := box.uids("ALL"):
                    box.delete(uids)
                if info.name != "INBOX":
                    box.folder.set("INBOX")
                    box.folder.delete(info.name)


def _config(server: Dovecot, mail_user: str) -> str:
    root = server.root
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {mail_user}
default_internal_group = {mail_user}
default_login_user = {"dovenull" if os.geteuid() == 0 else mail_user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {server.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {server.tls_port}
    ssl = yes
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    """Dovecot on 127.0.0.1 with its own config, user, maildir and self-signed certificate."""
    root = Path(tempfile.mkdtemp(prefix="ppid-dovecot-"))
    root.chmod(0o755)  # the mail user (not root) must reach its maildir
    mail_user = "dovecot" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    if os.geteuid() == 0:
        shutil.chown(root / "mail", mail_user, mail_user)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    files = ["-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem")]
    subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    self_signed = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    subprocess.run([*self_signed, *files, *subject], check=True, capture_output=True)
    server = Dovecot(root, free_port(), free_port())
    (root / "dovecot.conf").write_text(_config(server, mail_user))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def dovecot(dovecot_server: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Dovecot:
    """The server, emptied, and this test's home pointed at it."""
    if dovecot_server.process is None or dovecot_server.process.poll() is not None:
        dovecot_server.start()
    dovecot_server.clear()
    monkeypatch.setenv("PPID_MAIL_URL", dovecot_server.url())
    return dovecot_server


@pytest.fixture()
def smtp_sink() -> Iterator[SmtpServer]:
    """A local SMTP server that keeps what it is sent."""
    with smtp_server("plain") as server:
        yield server


# --- specimens and helpers ------------------------------------------------------------------


def _values(card: dict[str, Any], request_number: str) -> dict[str, Any]:
    """Form values with no e-mail: the sender's address fills it in."""
    values = objection_values(card, request_number, reasons=("c",))
    values["applicant"]["email"] = ""
    return values


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Three filled digital forms (different request numbers) and the matching KTP scan."""
    folder = tmp_path_factory.mktemp("mail-specimens")
    settings = load_settings(home=folder)
    card = ktp_sample()[1]
    made = {
        key: render_filled_form(
            settings, _values(card, f"0{n}1/PPID/XI/2026"), folder / f"{key}.pdf", fillable=True
        ).read_bytes()
        for n, key in enumerate(("form", "form2", "form3"))
    }
    return {**made, "ktp": (SAMPLES / "ktp_crop_000.jpg").read_bytes()}


def message(
    sender: str = "rina.contoh@example.org",
    subject: str = "Pengajuan keberatan",
    body: str = "Terlampir formulir keberatan dan KTP saya.",
    attachments: Sequence[tuple[str, bytes, str]] = (),
    message_id: str | None = None,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"Rina Contoh <{sender}>"
    mail["To"] = "ppid@example.go.id"
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = message_id or make_msgid(domain="example.org")
    mail.set_content(body)
    for name, data, kind in attachments:
        maintype, subtype = kind.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return mail


def as_rfc2047(raw: bytes, name: str, new_name: str | None = None) -> bytes:
    """Rewrite one attachment name from RFC 2231 (what Python writes) to RFC 2047 (what many
    mail programs still write), optionally to a name Python would refuse to write at all."""
    rfc2231 = f"filename*=utf-8''{quote(name, safe='')}".encode()
    assert rfc2231 in raw
    encoded = Header(new_name or name, "utf-8").encode(maxlinelen=10_000)
    return raw.replace(rfc2231, f'filename="{encoded}"'.encode())


def direct_process(ctx: IntakeContext) -> Any:
    """The steps of flows.intake.process_file without Prefect (the flow adds nothing here)."""
    registration = Registration(register_file, issue_receipt, archive_case)

    def process(path: str, group_key: str) -> dict[str, Any]:
        file = Path(path)
        intake_id = None
        try:
            intake_id, state = claim(ctx, file, source="mail", group_key=group_key)
            if state == "duplicate":
                return record_duplicate(ctx, intake_id, file).to_json()
            store_original(ctx, intake_id, file)
            extract(ctx, intake_id)
            outcome = registration.run(ctx, intake_id)
            finish(ctx, intake_id, file)
            return outcome.to_json()
        except Quarantined as error:
            return mark_quarantined(ctx, intake_id, file, error).to_json()

    return process


@pytest.fixture()
def ctx(ppid_home: Path, dovecot: Dovecot) -> IntakeContext:
    settings = load_settings()
    settings.archive.mkdir(parents=True, exist_ok=True)
    return IntakeContext.open(settings)


def drain(ctx: IntakeContext, process: Any = None) -> list[dict[str, Any]]:
    [account] = accounts(ctx.settings)
    stages = MailStages(process=process or direct_process(ctx), archive=archive_case)
    return drain_account(ctx, account, stages)


def ledger(ctx: IntakeContext) -> list[MailMessage]:
    with ctx.sessions() as session:
        return list(session.scalars(select(MailMessage).order_by(MailMessage.id)))


def intake_files(ctx: IntakeContext) -> list[IntakeFile]:
    with ctx.sessions() as session:
        return list(session.scalars(select(IntakeFile).order_by(IntakeFile.id)))


# --- accounts -------------------------------------------------------------------------------


def test_mail_urls_give_tls_starttls_or_plain_and_never_show_the_password() -> None:
    tls = parse_mail_url("imaps://ppid%40example.go.id:p%40ss@mail.example.go.id/Keberatan")
    assert (tls.scheme, tls.port, tls.user, tls.password) == (
        "imaps",
        993,
        "ppid@example.go.id",
        "p@ss",
    )
    assert tls.folder == "Keberatan"
    starttls = parse_mail_url("imap://u:secret@mail.example:143/INBOX?starttls=1")
    assert starttls.starttls and starttls.port == 143
    plain = parse_mail_url("imap://u:secret@mail.example")
    assert not plain.starttls and plain.folder == "INBOX"
    assert "secret" not in repr(plain) and "secret" not in plain.label
    shown = settings_for_display(
        load_settings(
            mail_url="imap://u:Pw-s3kr1t@h/INBOX", mail={"urls": ["imap://v:Pw-s3kr1t@h"]}
        )
    )
    assert "s3kr1t" not in json.dumps(shown)


@pytest.mark.parametrize("scheme", ["imaps", "starttls"])
def test_tls_is_verified_and_an_office_certificate_can_be_trusted(
    ctx, dovecot, monkeypatch, scheme: str
) -> None:
    if scheme == "imaps":
        url = f"imaps://{USER}:{PASSWORD}@127.0.0.1:{dovecot.tls_port}/INBOX"
    else:
        url = f"imap://{USER}:{PASSWORD}@127.0.0.1:{dovecot.port}/INBOX?starttls=1"
    monkeypatch.setenv("PPID_MAIL_URL", url)
    dovecot.append(message(body="Halo"))
    with pytest.raises(MailError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        drain(IntakeContext.open(load_settings()))  # self-signed: refused by default
    monkeypatch.setenv("PPID_MAIL__CA_FILE", str(dovecot.root / "cert.pem"))
    [report] = drain(IntakeContext.open(load_settings()))
    assert report["outcome"] == "empty"


# --- one message, one submission --------------------------------------------------------------


@ON_BOTH_DATABASES  # the message ledger's exactly-once
def test_form_and_ktp_in_one_email_register_one_case_move_it_and_acknowledge(
    ppid_home, dovecot, forms, smtp_sink, monkeypatch
) -> None:
    monkeypatch.setenv("PPID_MAIL__ACKNOWLEDGE", "true")
    monkeypatch.setenv("PPID_MAIL__SMTP_URL", f"smtp://127.0.0.1:{smtp_sink.port}")
    ctx = IntakeContext.open(load_settings())
    mail = message(
        attachments=[
            ("formulir keberatan é.pdf", forms["form"], "application/pdf"),
            ("KTP Rina – scan.jpg", forms["ktp"], "image/jpeg"),
        ]
    )
    # One name in RFC 2231 (filename*=utf-8''…), the other in RFC 2047 (=?utf-8?b?…?=).
    raw = as_rfc2047(mail.as_bytes(), "KTP Rina – scan.jpg")
    assert b"filename*=utf-8''formulir%20keberatan%20%C3%A9.pdf" in raw
    dovecot.append(raw)

    [report] = drain(ctx)
    assert report["outcome"] == "done"
    numbers = {f["register_number"] for f in report["files"]} - {None}
    assert len(numbers) == 1
    assert {f.original_name for f in intake_files(ctx)} == {
        "formulir keberatan é.pdf",
        "KTP Rina – scan.jpg",
    }
    with ctx.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.channel == "email"
        assert case.applicant_email == "rina.contoh@example.org"  # the form left it empty
        nik = case.applicant_nik
        email_doc = next(d for d in case.documents if d.role == "email")
        stored = (ctx.archive / email_doc.path).read_bytes()
        assert stored == raw.replace(b"\n", b"\r\n")  # the softcopy as the server keeps it
    assert dovecot.uids("INBOX") == [] and len(dovecot.uids("Processed")) == 1
    assert not (ctx.settings.var_dir / "mail" / "1").exists()  # the work folder is cleaned up
    assert drain(ctx) == []  # nothing new: exactly once
    [reply] = smtp_sink.messages  # the acknowledgement, once, with the receipt PDF
    assert reply["To"] == "rina.contoh@example.org" and case.number in reply["Subject"]
    assert reply["In-Reply-To"] == parse_mail(raw).message_id
    [pdf] = list(reply.iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content()[:5] == b"%PDF-"
    assert findings(pdf.get_content(), "acknowledgement", {nik}, []) == []  # a masked copy


def test_hostile_attachment_names_are_stored_safely(ctx, dovecot, forms) -> None:
    long_name = "formulir-" + "a" * 290 + ".pdf"
    mail = message(
        attachments=[
            ("../../x.pdf", forms["form"], "application/pdf"),
            (long_name, b"%PDF-1.4 bukan pdf", "application/pdf"),
            ("ktp-ganti-é.jpg", b"bukan gambar", "image/jpeg"),
        ]
    )
    raw = as_rfc2047(
        mail.as_bytes(), "ktp-ganti-é.jpg", "ktp\x07\x1b[31m\r\nmerah.jpg"
    )  # CR LF, ESC, BEL
    dovecot.append(raw)
    [report] = drain(ctx)
    assert report["outcome"] == "done"
    home = ctx.settings.home
    assert not list(home.parent.parent.glob("x.pdf")) and not list(home.parent.glob("x.pdf"))
    written = [p for p in home.rglob("*") if p.is_file()]
    for path in written:
        assert len(path.name.encode()) <= 125
        assert not any(ch in path.name for ch in "\x07\x1b\r\n/")
    names = {f.original_name for f in intake_files(ctx)}
    assert "x.pdf" in names
    quarantined = [p.name for p, _ in list_quarantine(ctx.settings.quarantine)]
    assert len(quarantined) == 2 and all(
        name.startswith(("formulir-aaa", "ktp_")) for name in quarantined
    )


def test_forwarded_message_is_read_inside_and_the_original_sender_is_the_applicant(
    ctx, dovecot, forms
) -> None:
    original = message(
        sender="budi.contoh@example.net",
        attachments=[("formulir.pdf", forms["form2"], "application/pdf")],
    )
    forward = message(sender="staf@example.go.id", subject="Fwd: Pengajuan keberatan")
    forward.add_attachment(original)
    forward_of_forward = message(sender="sekretariat@example.go.id", subject="Fwd: Fwd: keberatan")
    forward_of_forward.add_attachment(forward)
    dovecot.append(forward_of_forward)

    [report] = drain(ctx)
    assert report["outcome"] == "done"
    assert report["sender"] == "budi.contoh@example.net"
    [row] = intake_files(ctx)
    assert row.original_name == "formulir.pdf" and row.source == "mail"
    assert row.group_key.startswith("mail:<")
    with ctx.sessions() as session:
        submission = session.scalars(select(Submission)).one()
        assert submission.status == "pending" and "KTP" in (submission.reason or "")


def test_html_only_body_is_kept_as_text_and_a_typed_objection_is_read_by_label(
    ctx, dovecot
) -> None:
    card = ktp_sample()[1]
    html = (
        "<html><head><style>td{color:red}</style></head><body>"
        "<p>Yth. PPID,</p><p>Dengan ini saya mengajukan keberatan.</p><table>"
        f"<tr><td>Nama</td><td>:</td><td>{card['name']}</td></tr>"
        f"<tr><td>NIK</td><td>:</td><td>{card['nik']}</td></tr>"
        f"<tr><td>Alamat</td><td>:</td><td>{card['address']}</td></tr>"
        "<tr><td>Alasan keberatan</td><td>:</td><td>c. permintaan informasi tidak "
        "ditanggapi</td></tr></table><p>Hormat saya,</p></body></html>"
    )
    mail = message(sender="siti.contoh@example.org")
    logo_tag = '<img src="cid:logo@example.org"></body>'
    mail.set_content(html.replace("</body>", logo_tag), subtype="html")
    logo = b"\x89PNG\r\n\x1a\n" + bytes(2000)  # a signature logo: decoration, not a document
    mail.add_related(logo, maintype="image", subtype="png", cid="<logo@example.org>")
    dovecot.append(mail)

    [report] = drain(ctx)
    assert report["outcome"] == "done"
    [row] = ledger(ctx)
    assert f"Nama : {card['name']}" in (row.body or "") and "<td>" not in (row.body or "")
    [typed] = intake_files(ctx)
    fields = typed.extraction["documents"][0]["fields"]
    assert fields["applicant"]["nik"] == card["nik"] and fields["reasons"] == ["c"]
    assert report["files"][0]["outcome"] == "pending"  # the KTP is still missing


def test_message_without_attachment_is_recorded_once_and_left_for_a_person(ctx, dovecot) -> None:
    dovecot.append(message(body="Selamat siang, kapan kantor PPID buka hari Sabtu?"))
    [report] = drain(ctx)
    assert report["outcome"] == "empty"
    assert drain(ctx) == []  # not fetched again
    [row] = ledger(ctx)
    assert row.attempts == 1 and row.status == MailStatus.EMPTY
    assert len(dovecot.uids("INBOX")) == 1  # left in place


def test_attachment_over_the_limit_is_refused_with_a_reason_and_kept(
    ctx, dovecot, monkeypatch
) -> None:
    monkeypatch.setenv("PPID_MAIL__MAX_ATTACHMENT_MB", "0.05")
    ctx = IntakeContext.open(load_settings())
    dovecot.append(message(attachments=[("scan besar.pdf", os.urandom(80_000), "application/pdf")]))
    dovecot.append(message(attachments=[("raksasa.pdf", os.urandom(400_000), "application/pdf")]))
    reports = drain(ctx)
    assert [r["outcome"] for r in reports] == ["refused", "refused"]
    assert "scan besar.pdf" in reports[0]["reason"] and "0.05 MB" in reports[0]["reason"]
    assert "beyond the attachment limit" in reports[1]["reason"]
    assert len(dovecot.uids("INBOX")) == 2 and intake_files(ctx) == []
    assert drain(ctx) == []


@ON_BOTH_DATABASES  # the message ledger's exactly-once
def test_same_message_id_twice_is_ingested_once(ctx, dovecot, forms) -> None:
    attachments = [("formulir.pdf", forms["form3"], "application/pdf")]
    message_id = make_msgid(domain="example.org")
    dovecot.append(message(attachments=attachments, message_id=message_id))
    dovecot.append(message(attachments=attachments, message_id=message_id, subject="Kirim ulang"))
    reports = drain(ctx)
    assert [r["outcome"] for r in reports] == ["done", "duplicate"]
    assert len(intake_files(ctx)) == 1
    assert dovecot.uids("INBOX") == [] and len(dovecot.uids("Processed")) == 2


def test_winmail_dat_with_form_and_ktp_registers_one_case_with_both_originals(
    ctx, dovecot, forms
) -> None:
    winmail = tnef_bytes(
        [
            TnefFile("Formulir Keberatan.pdf", forms["form"]),
            TnefFile(b"KTP \xe9.jpg", forms["ktp"]),
        ],
        body="Dengan hormat, terlampir formulir keberatan dan KTP saya.",
    )
    mail = message(body="")  # Outlook in RTF mode: the text is inside the winmail.dat
    mail.add_attachment(winmail, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    dovecot.append(mail)

    [report] = drain(ctx)
    assert report["outcome"] == "done"
    # the form waits for its ID card, which arrives from the same winmail.dat and registers
    assert [f["outcome"] for f in report["files"]] == ["pending", "registered"]
    [number] = {f["register_number"] for f in report["files"]} - {None}
    assert {f.original_name for f in intake_files(ctx)} == {"Formulir Keberatan.pdf", "KTP é.jpg"}
    [row] = ledger(ctx)
    assert "terlampir formulir keberatan dan KTP" in (row.body or "")
    with ctx.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.number == number and case.channel == "email"
        originals = {d.role: d for d in case.documents if d.kind == "original"}
        assert {"form", "id_card", "email"} <= set(originals)
        assert (ctx.archive / originals["form"].path).read_bytes() == forms["form"]
        assert (ctx.archive / originals["id_card"].path).read_bytes() == forms["ktp"]
    assert list_quarantine(ctx.settings.quarantine) == []


def test_damaged_winmail_dat_goes_to_quarantine_with_a_clear_reason(ctx, dovecot, forms) -> None:
    winmail = corrupt(tnef_bytes([TnefFile("formulir.pdf", forms["form2"])]))
    dovecot.append(message(attachments=[("winmail.dat", winmail, "application/ms-tnef")]))
    [report] = drain(ctx)
    assert report["outcome"] == "done"
    [(path, reason)] = list_quarantine(ctx.settings.quarantine)
    assert path.name == "winmail.dat" and path.read_bytes() == winmail
    assert "winmail.dat (Outlook TNEF) is damaged" in reason and "checksum" in reason
    assert intake_files(ctx) == []


# --- failures -------------------------------------------------------------------------------


@ON_BOTH_DATABASES  # the message ledger's exactly-once
def test_server_going_away_mid_run_loses_nothing_and_the_next_run_finishes(
    ctx, dovecot, forms
) -> None:
    for key in ("form", "form2", "form3"):
        dovecot.append(message(attachments=[(f"{key}.pdf", forms[key], "application/pdf")]))
    process = direct_process(ctx)
    calls: list[str] = []

    def process_then_lose_the_server(path: str, group_key: str) -> dict[str, Any]:
        outcome = process(path, group_key)
        calls.append(path)
        if len(calls) == 2:
            dovecot.stop()  # after the 2nd submission is committed, before it is moved
        return outcome

    with pytest.raises(MailError, match=r"broke off|cannot reach"):
        drain(ctx, process_then_lose_the_server)
    dovecot.start()
    reports = drain(ctx)
    assert [r["outcome"] for r in reports] == ["done", "done"]  # the 2nd is only moved now
    assert len(calls) == 2  # … and not ingested again
    assert len(intake_files(ctx)) == 3
    assert all(row.status == "done" and row.settled for row in ledger(ctx))
    assert dovecot.uids("INBOX") == [] and len(dovecot.uids("Processed")) == 3


@ON_BOTH_DATABASES  # the message ledger's exactly-once
def test_failing_message_stays_with_its_error_and_is_retried_after_a_backoff(
    ctx, dovecot, forms, capsys
) -> None:
    dovecot.append(message(attachments=[("formulir.pdf", forms["form"], "application/pdf")]))

    def broken(path: str, group_key: str) -> dict[str, Any]:
        raise RuntimeError("disk penuh (simulasi)")

    [report] = drain(ctx, broken)
    assert report["outcome"] == "failed" and "disk penuh" in report["reason"]
    assert drain(ctx) == []  # waiting for its backoff
    assert len(dovecot.uids("INBOX")) == 1
    code, out, _ = run_cli(capsys, "mail", "status")
    assert code == 0 and "failed" in out and "disk penuh" in out
    with ctx.sessions() as session, session.begin():
        session.scalars(select(MailMessage)).one().next_attempt_at = None  # time passes
    [report] = drain(ctx)
    assert report["outcome"] == "done" and ledger(ctx)[0].attempts == 2


def test_wrong_password_is_one_clear_line_and_a_failing_exit(dovecot, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PPID_MAIL_URL", dovecot.url(password="salah-sandi"))
    code, _, err = run_cli(capsys, "mail", "check")
    assert code != 0 and len(err.strip().splitlines()) == 1
    assert "refused the user name or password" in err and "salah-sandi" not in err
    assert "Traceback" not in err


def test_mail_check_lists_what_would_be_ingested_and_changes_nothing(
    dovecot, forms, capsys
) -> None:
    dovecot.append(
        message(
            subject="Keberatan atas permohonan 012",
            attachments=[("f.pdf", forms["form"], "application/pdf")],
        )
    )
    code, out, _ = run_cli(capsys, "mail", "check")
    assert code == 0
    assert "Keberatan atas permohonan 012" in out and "ingest" in out
    assert len(dovecot.uids("INBOX")) == 1


def test_parsing_keeps_the_first_sender_when_there_is_no_forward() -> None:
    parsed = parse_mail(message(sender="ani.contoh@example.org").as_bytes())
    assert parsed.sender == "ani.contoh@example.org" and not parsed.forwarded
    assert parsed.attachments == [] and "Terlampir" in parsed.body


# --- through the real flows -----------------------------------------------------------------


def test_ingest_once_drains_the_mailbox_with_the_real_flows(
    ppid_home, dovecot, forms, prefect_api
) -> None:
    dovecot.append(message(attachments=[("formulir.pdf", forms["form"], "application/pdf")]))
    env = {**os.environ, "PPID_HOME": str(ppid_home), "PREFECT_API_URL": prefect_api}
    done = subprocess.run(
        [sys.executable, "-m", "ppid", "ingest", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert PASSWORD not in done.stdout + done.stderr
    outcomes = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    [mail_report] = [o for o in outcomes if o.get("source") == "mail"]
    assert mail_report["outcome"] == "done"
    assert [f["outcome"] for f in mail_report["files"]] == ["pending"]  # waits for its KTP
    assert dovecot.uids("INBOX") == [] and len(dovecot.uids("Processed")) == 1


def test_flag_mode_keeps_the_message_in_place_with_a_keyword(
    ctx, dovecot, forms, monkeypatch
) -> None:
    monkeypatch.setenv("PPID_MAIL__MODE", "flag")
    ctx = IntakeContext.open(load_settings())
    dovecot.append(message(attachments=[("formulir.pdf", forms["form2"], "application/pdf")]))
    [report] = drain(ctx)
    assert report["outcome"] == "done"
    with dovecot.box() as box:
        [flagged] = list(box.fetch(headers_only=True, mark_seen=False))
        assert "$PpidIngested" in flagged.flags
    assert drain(ctx) == [] and len(dovecot.uids("INBOX")) == 1


def test_an_inline_forward_names_the_original_sender() -> None:
    body = (
        "Mohon ditindaklanjuti.\n\n---------- Forwarded message ---------\n"
        "From: Dewi Contoh <dewi.contoh@example.com>\nDate: Kam, 26 Nov 2026\n"
        "Subject: Keberatan\n\nBerikut formulir saya."
    )
    parsed = parse_mail(message(sender="staf@example.go.id", body=body).as_bytes())
    assert parsed.sender == "dewi.contoh@example.com"


def test_a_typed_body_counts_as_an_objection_only_with_its_fields() -> None:
    card = ktp_sample()[1]
    typed = f"Nama: {card['name']}\nNIK: {card['nik']}\nAlasan keberatan: a. permohonan ditolak"
    document = body_objection(typed)
    assert document is not None and document.fields["applicant"]["nik"] == card["nik"]
    assert body_objection("Terlampir formulir keberatan saya.\nSalam, Rina") is None
