"""A real local SMTP server (aiosmtpd) for tests: plain, STARTTLS or implicit TLS, with a login."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "ppid-notifier", "kata-sandi-uji"
Mode = Literal["plain", "starttls", "tls"]


@dataclass
class SmtpServer:
    port: int
    mode: Mode
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    def url(self, *, login: bool = False) -> str:
        """The `mail.smtp_url` that reaches this server in its mode."""
        scheme = "smtps" if self.mode == "tls" else "smtp"
        credentials = f"{USER}:{PASSWORD}@" if login else ""
        query = "?starttls=1" if self.mode == "starttls" else ""
        return f"{scheme}://{credentials}127.0.0.1:{self.port}{query}"


def self_signed_certificate(folder: Path) -> Path:
    """A certificate for 127.0.0.1 and its key in `folder`; returns the certificate (PEM)."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    command += ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
    command += ["-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(command, check=True, capture_output=True)
    return cert


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def smtp_server(mode: Mode = "plain", certificate: Path | None = None) -> Iterator[SmtpServer]:
    """A running server that keeps what it is sent; TLS modes need `certificate` (key beside it)."""
    server = SmtpServer(free_port(), mode)

    class Keep:
        async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
            server.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    def authenticate(smtp: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            server.logins.append(USER)
        return AuthResult(success=ok)

    options: dict[str, Any] = {
        "authenticator": authenticate,
        "auth_require_tls": mode == "starttls",
    }
    if mode != "plain":
        assert certificate is not None, "a TLS server needs a certificate"
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate, certificate.with_name("smtp-key.pem"))
        if mode == "tls":
            options["ssl_context"] = context
        else:
            options.update(tls_context=context, require_starttls=True)
    controller = Controller(Keep(), hostname="127.0.0.1", port=server.port, **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
