"""The network side of e-mail intake: IMAP accounts from URLs, connections, fetch, move.

Credentials come from settings (`mail_url`, `mail.urls`, `mail.smtp_url`) and never appear in a
log line, an error or a repr: accounts are named `user@host:port`.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError

from ppid.core.errors import ConfigError, PpidError
from ppid.core.settings import Mail, Settings
from ppid.core.smtp import tls_context

log = logging.getLogger(__name__)


class MailError(PpidError):
    """The mailbox cannot be reached or refuses us; nothing was lost, the next run retries."""


class MailLoginError(ConfigError):
    """Wrong user name or password: a setting to fix, not something a retry helps."""


# --- IMAP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    scheme: str  # imaps | imap
    host: str
    port: int
    user: str
    password: str = ""
    folder: str = "INBOX"
    starttls: bool = False

    @property
    def label(self) -> str:
        """How the account is named in logs, the ledger and messages: without the password."""
        return f"{self.user}@{self.host}:{self.port}"

    def __repr__(self) -> str:  # never print the password by accident
        return f"Account({self.scheme}://{self.label}/{self.folder})"


def parse_mail_url(url: str) -> Account:
    """`imaps://user:pass@host:993/INBOX`, `imap://…` (plain) or `imap://…?starttls=1`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
        shown = f"{parts.scheme}://{parts.hostname or '?'}" if parts.scheme else "(no scheme)"
        raise ConfigError("mail.not_imap", shown=shown)
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
    default_port = 993 if parts.scheme == "imaps" else 143
    try:
        port = parts.port or default_port
    except ValueError as error:
        raise ConfigError("mail.bad_port", host=parts.hostname) from error
    return Account(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        starttls=starttls and parts.scheme == "imap",
    )


def accounts(settings: Settings) -> list[Account]:
    """Every configured mailbox: `mail_url` plus `mail.urls`."""
    urls = [settings.mail_url, *settings.mail.urls] if settings.mail_url else settings.mail.urls
    return [parse_mail_url(url.get_secret_value()) for url in urls]


@contextlib.contextmanager
def open_mailbox(account: Account, config: Mail) -> Iterator[Any]:
    """A logged-in mailbox on the account's folder; errors become one clear line each."""
    timeout = config.timeout_seconds
    try:
        if account.scheme == "imaps":
            context = tls_context(config)
            box: Any = MailBox(account.host, account.port, timeout=timeout, ssl_context=context)
        elif account.starttls:
            context = tls_context(config)
            box = MailBoxStartTls(account.host, account.port, timeout=timeout, ssl_context=context)
        else:
            box = MailBoxUnencrypted(account.host, account.port, timeout=timeout)
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as error:
        raise MailError("mail.unreachable", label=account.label, problem=str(error)) from error
    try:
        try:
            box.login(account.user, account.password, initial_folder=account.folder)
        except MailboxLoginError as error:
            raise MailLoginError("mail.login_refused", label=account.label) from error
        except imaplib.IMAP4.error as error:
            raise MailError(
                "mail.no_folder",
                label=account.label,
                folder=account.folder,
                problem=short_error(error),
            ) from error
        yield box
    except (OSError, imaplib.IMAP4.abort) as error:  # TimeoutError is an OSError
        raise MailError(
            "mail.broke_off", label=account.label, problem=short_error(error)
        ) from error
    finally:
        with contextlib.suppress(Exception):
            box.logout()


def short_error(error: BaseException) -> str:
    return (str(error) or type(error).__name__)[:200]


def list_messages(box: Any, account: Account, config: Mail) -> tuple[int, list[tuple[int, int]]]:
    """(UIDVALIDITY, [(uid, size)]) of the messages in the folder still to look at."""
    status = box.folder.status(account.folder)
    uidvalidity = int(status["UIDVALIDITY"])
    criteria = f"NOT KEYWORD {config.flag_keyword}" if config.mode == "flag" else "ALL"
    uids = [int(uid) for uid in box.uids(criteria)]
    if not uids:
        return uidvalidity, []
    _, data = box.client.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)")
    sizes: dict[int, int] = {}
    for item in data:
        text = item.decode() if isinstance(item, bytes) else str(item)
        found = re.search(r"UID (\d+).*RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+).*UID (\d+)", text)
        if found:
            uid = int(found.group(1) or found.group(4))
            sizes[uid] = int(found.group(2) or found.group(3))
    return uidvalidity, [(uid, sizes.get(uid, 0)) for uid in sorted(uids)]


def fetch_raw(box: Any, uid: int) -> bytes:
    """The message exactly as stored (BODY.PEEK leaves the \\Seen flag alone)."""
    _, data = box.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    raise MailError("mail.no_message", uid=uid)


def settle(box: Any, config: Mail, uid: int) -> None:
    """Mark the message handled on the server: move it to Processed, or set the keyword."""
    if config.mode == "flag":
        box.flag(str(uid), config.flag_keyword, True)
        return
    if not box.folder.exists(config.processed_folder):
        box.folder.create(config.processed_folder)
    box.move(str(uid), config.processed_folder)
