"""The one SMTP sender against a real local server: plain, STARTTLS, implicit TLS, trust, login."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

import pytest
from pydantic import SecretStr

from ppid.casework.notify import notify_role
from ppid.core.errors import ConfigError
from ppid.core.settings import Mail, load_settings
from ppid.core.smtp import send_mail
from tests.smtp_server import USER, Mode, self_signed_certificate, smtp_server


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return self_signed_certificate(tmp_path_factory.mktemp("smtp-tls"))


def _message(subject: str = "Uji kirim") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "ppid@example.id"
    message["To"] = "atasan@example.id"
    message["Subject"] = subject
    message.set_content("Isi pesan uji.")
    return message


def _config(url: str, ca_file: Path | None = None) -> Mail:
    return Mail(smtp_url=SecretStr(url), ca_file=str(ca_file or ""), timeout_seconds=10)


@pytest.mark.parametrize("mode", ["plain", "starttls", "tls"])
def test_each_url_form_delivers_and_logs_in(mode: Mode, certificate: Path) -> None:
    with smtp_server(mode, certificate) as server:
        send_mail(_config(server.url(login=True), certificate), _message(f"mode {mode}"))
    [received] = server.messages
    assert received["Subject"] == f"mode {mode}"
    assert server.logins == [USER]


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_an_untrusted_certificate_is_refused_unless_ca_file_trusts_it(
    mode: Mode, certificate: Path
) -> None:
    with smtp_server(mode, certificate) as server, pytest.raises(ssl.SSLCertVerificationError):
        send_mail(_config(server.url()), _message())
    assert server.messages == []


def test_starttls_asked_of_a_server_without_it_is_an_error_not_a_plain_send() -> None:
    with smtp_server("plain") as server:
        plain = server.url()
        with pytest.raises(smtplib.SMTPNotSupportedError):
            send_mail(_config(f"{plain}?starttls=1"), _message())
    assert server.messages == []


@pytest.mark.parametrize(
    "url", [None, "http://mail.example.id", "smtps://:465", "imap://mail.example.id"]
)
def test_a_missing_or_malformed_url_is_a_config_error(url: str | None) -> None:
    config = Mail(smtp_url=SecretStr(url) if url else None)
    with pytest.raises(ConfigError, match=r"mail\.smtp_url"):
        send_mail(config, _message())


def test_a_ca_file_that_cannot_be_read_is_a_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "absent.pem"
    with pytest.raises(ConfigError, match=r"mail\.ca_file"):
        send_mail(_config("smtps://127.0.0.1:1", missing), _message())


def test_deadline_warnings_go_over_implicit_tls_trusting_the_offices_ca(
    certificate: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        {
            "state": "overdue",
            "case": "001/KEB/PPID-DKUKM/I/2027",
            "step_label": "Pemeriksaan",
            "due": "2027-01-10",
            "answer_due": "2027-02-20",
        }
    ]
    with smtp_server("tls", certificate) as server:
        monkeypatch.setenv("PPID_MAIL__SMTP_URL", server.url(login=True))
        monkeypatch.setenv("PPID_MAIL__CA_FILE", str(certificate))
        monkeypatch.setenv("PPID_WORKFLOW__NOTIFY", '{"atasan": "atasan@example.id"}')
        assert notify_role(load_settings(), "atasan", rows)
    [warning] = server.messages
    assert warning["To"] == "atasan@example.id"
    assert "001/KEB/PPID-DKUKM/I/2027" in warning.get_content()


def test_deadline_warnings_that_cannot_be_sent_are_logged_not_raised(
    certificate: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with smtp_server("tls", certificate) as server:
        monkeypatch.setenv("PPID_MAIL__SMTP_URL", server.url())  # self-signed, no ca_file
        monkeypatch.setenv("PPID_WORKFLOW__NOTIFY", '{"atasan": "atasan@example.id"}')
        assert not notify_role(load_settings(), "atasan", [])
    assert server.messages == []
    assert "could not e-mail deadline warnings" in caplog.text
