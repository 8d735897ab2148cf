"""The one way the product sends e-mail: SMTP at `mail.smtp_url`, TLS verified (`mail.ca_file`).

Used by the deadline warnings to staff and by the acknowledgements to applicants, so both honour
the same three URL forms and the same trust settings:

- `smtps://USER:PASSWORD@HOST:465` — implicit TLS from the first byte (RFC 8314);
- `smtp://USER:PASSWORD@HOST:587?starttls=1` — a plain connection upgraded with STARTTLS
  (the upgrade is required: a server that does not offer it is an error, never a plain send);
- `smtp://HOST:25` — no TLS, for a relay on the same machine or network.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from ppid.core.errors import ConfigError
from ppid.core.settings import Mail

IMPLICIT_TLS_PORT = 465
PLAIN_PORT = 25
YES = ("1", "true", "yes")


def tls_context(config: Mail) -> ssl.SSLContext:
    """Verified TLS: the system's CAs, or `mail.ca_file` for an office's own certificate."""
    try:
        return ssl.create_default_context(cafile=config.ca_file or None)
    except (OSError, ssl.SSLError) as error:
        raise ConfigError("smtp.ca_file", path=config.ca_file, problem=str(error)) from error


def send_mail(config: Mail, message: EmailMessage) -> None:
    """Send `message` through `mail.smtp_url`.

    Raises ConfigError when SMTP is not (or wrongly) configured, OSError or SMTPException when the
    server cannot be reached or refuses; callers decide whether a failed send is logged or retried.
    """
    if config.smtp_url is None:
        raise ConfigError("smtp.not_set")
    parts = urlsplit(config.smtp_url.get_secret_value())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError("smtp.bad_url")
    starttls = parse_qs(parts.query).get("starttls", ["0"])[0].lower() in YES
    with _connect(config, parts.scheme == "smtps", parts.hostname, parts.port) as client:
        if starttls:
            client.starttls(context=tls_context(config))
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def _connect(config: Mail, implicit_tls: bool, host: str, port: int | None) -> smtplib.SMTP:
    timeout = config.timeout_seconds
    if implicit_tls:
        context = tls_context(config)
        return smtplib.SMTP_SSL(host, port or IMPLICIT_TLS_PORT, timeout=timeout, context=context)
    return smtplib.SMTP(host, port or PLAIN_PORT, timeout=timeout)
