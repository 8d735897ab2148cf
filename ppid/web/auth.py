"""Web accounts: users with roles, argon2 passwords, server-side sessions, CSRF, ID-scan view log.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, so a
copied database cannot be used to log in. CSRF tokens are HMACs of the session token (or of a
pre-login cookie) under the secret key (`ppid.core.secretkey`): nothing to store, and useless
in another browser.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ppid.core.errors import BadInputError, ConflictError, NotFoundError
from ppid.core.models import IdScanView, User, WebSession, utcnow
from ppid.core.secretkey import secret_key
from ppid.core.settings import Settings

log = logging.getLogger(__name__)


SESSION_HOURS = 10
MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()  # argon2id, the library's recommended cost


def set_password_cost(time_cost: int, memory_kib: int) -> None:
    """Change the argon2 cost (tests use a cheap one; production keeps the default)."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


class WebRole(StrEnum):
    """Who may use the web app; the first three are the SOP's actors (ppid.core.vocabulary.Role)."""

    PETUGAS = "petugas"
    BIDANG = "bidang"
    ATASAN = "atasan"
    ARSIPARIS = "arsiparis"
    ADMIN = "admin"


WEB_ROLE_LABELS = {
    WebRole.PETUGAS: "Petugas Pelayanan Informasi",
    WebRole.BIDANG: "Bidang Pelayanan Informasi",
    WebRole.ATASAN: "Atasan PPID",
    WebRole.ARSIPARIS: "Arsiparis",
    WebRole.ADMIN: "Administrator",
}
# Roles that need the full NIK and may open ID scans (UU 27/2022: access only where needed).
FULL_NIK_ROLES = frozenset({WebRole.PETUGAS, WebRole.BIDANG, WebRole.ATASAN, WebRole.ADMIN})


# --- users ------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInputError("user.password_short", minimum=MIN_PASSWORD_LENGTH)
    return _hasher.hash(password)


def add_user(
    session: Session, username: str, role: str, password: str, display_name: str = ""
) -> User:
    """Create an account; the caller commits. Usernames are lower-case and unique."""
    name = username.strip().lower()
    if not name or not name.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise BadInputError("user.bad_name", username=username)
    try:
        web_role = WebRole(role)
    except ValueError as error:
        choices = [r.value for r in WebRole]
        raise BadInputError("user.unknown_role", role=role, choices=choices) from error
    if session.scalars(select(User).where(User.username == name)).first() is not None:
        raise ConflictError("user.exists", username=name)
    user = User(
        username=name,
        display_name=display_name or name,
        role=web_role.value,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username.lower())).first()
    if user is None:
        raise NotFoundError("user.not_found", username=username)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


@dataclass(frozen=True)
class Credentials:
    """What a login needs of an account, read in a short transaction of its own."""

    user_id: int
    password_hash: str
    active: bool


def credentials(session: Session, username: str) -> Credentials | None:
    user = session.scalars(select(User).where(User.username == username.strip().lower())).first()
    return None if user is None else Credentials(user.id, user.password_hash, user.active)


def check_password(found: Credentials | None, password: str) -> bool:
    """Whether `password` opens the active account `found` (argon2: run it outside any
    transaction, or every other request waits the hashing out). An unknown account costs the
    same time, so usernames cannot be probed."""
    if found is None:
        _hasher.hash(password or "x")
        return False
    try:
        _hasher.verify(found.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return found.active


def rehashed(found: Credentials, password: str) -> str | None:
    """A new hash when the stored one has an older cost (computed outside the transaction)."""
    if _hasher.check_needs_rehash(found.password_hash):
        return _hasher.hash(password)
    return None


def logged_in(session: Session, user_id: int, new_hash: str | None = None) -> User:
    """Record a successful login on the account (and its refreshed hash); the caller commits."""
    user = session.get_one(User, user_id)
    if new_hash:
        user.password_hash = new_hash
    user.last_login_at = utcnow()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this password, or None (unknown user and bad password look alike).

    For scripts and tests; the login page does the same in three steps so that the hashing
    runs outside any transaction (`credentials`, `check_password`, `logged_in`).
    """
    found = credentials(session, username)
    if not check_password(found, password):
        return None
    assert found is not None
    return logged_in(session, found.user_id, rehashed(found, password))


# --- sessions ---------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """A new session for `user`; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
        )
    )
    return token


def session_user(session: Session, token: str | None) -> User | None:
    """The active user behind a cookie token, or None if absent, unknown, expired or disabled."""
    if not token:
        return None
    row = session.get(WebSession, _digest(token))
    if row is None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def end_session(session: Session, token: str | None) -> None:
    if token:
        row = session.get(WebSession, _digest(token))
        if row is not None:
            session.delete(row)


def csrf_token(settings: Settings, token: str) -> str:
    """The CSRF token bound to a session (or pre-login) token."""
    key = secret_key(settings)
    return hmac.new(key, b"csrf:" + token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(settings: Settings, token: str | None, submitted: str | None) -> bool:
    if not token or not submitted:
        return False
    return hmac.compare_digest(csrf_token(settings, token), submitted)


# --- login rate limit -------------------------------------------------------------------------


@dataclass
class Attempt:
    """One login attempt admitted by the limiter, counted as a failure until it is settled."""

    username: str
    client: str
    at: float


class LoginLimiter:
    """Login attempts counted *before* the password is checked, so concurrent guesses cannot
    all be evaluated: at most `attempts` failures per (account, client), `account_attempts` per
    account from all clients, and `client_attempts` per client over all accounts, within
    `window` seconds.

    An attempt is admitted (`admit`) only while every count is under its cap, and counts as a
    failure at once; a correct password takes it back (`succeeded`). The account cap stops
    guesses spread over many addresses; it locks the account until the window passes or an
    administrator unlocks it (`unlock`). The client cap slows one password tried against many
    accounts (spraying); it is higher, so that an office behind one address is not locked out
    by a few mistyped passwords. Kept in memory: the web app is one process.
    """

    ANY_USER = "\x00any"  # no username can contain NUL
    ANY_CLIENT = "\x00all"
    MAX_KEYS = 50_000  # a flood of invented usernames cannot grow the table without bound

    def __init__(
        self,
        attempts: int = 5,
        window: float = 900.0,
        client_attempts: int = 20,
        account_attempts: int = 10,
    ) -> None:
        self.attempts, self.window = attempts, window
        self.client_attempts, self.account_attempts = client_attempts, account_attempts
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def _keys(self, username: str, client: str) -> list[tuple[tuple[str, str], int]]:
        name = username.lower()
        return [
            ((name, client), self.attempts),
            ((name, self.ANY_CLIENT), self.account_attempts),
            ((self.ANY_USER, client), self.client_attempts),
        ]

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < self.window]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def _forget_old(self, now: float) -> None:
        if len(self._failures) > self.MAX_KEYS:
            for key in list(self._failures):
                self._recent(key, now)

    def admit(self, username: str, client: str) -> Attempt | None:
        """Count an attempt now, before its password is checked; None when a cap is reached."""
        with self._lock:
            now = time.monotonic()
            self._forget_old(now)
            keys = self._keys(username, client)
            if any(len(self._recent(key, now)) >= cap for key, cap in keys):
                return None
            for key, _ in keys:
                self._failures.setdefault(key, []).append(now)
            return Attempt(username.lower(), client, now)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the attempt is taken back and this account's failures from
        this client forgotten. The client's count over all accounts keeps its other failures
        (one good login among many guesses must not reset a spray), and so does the account's
        from other clients."""
        with self._lock:
            self._failures.pop((attempt.username, attempt.client), None)
            for key in ((attempt.username, self.ANY_CLIENT), (self.ANY_USER, attempt.client)):
                times = self._failures.get(key, [])
                if attempt.at in times:
                    times.remove(attempt.at)

    def blocked(self, username: str, client: str) -> bool:
        """Whether an attempt for this account from this client would be refused now."""
        with self._lock:
            now = time.monotonic()
            return any(
                len(self._recent(key, now)) >= cap for key, cap in self._keys(username, client)
            )

    def locked_accounts(self) -> list[str]:
        """Accounts whose failures reached a cap (from one address or from all), for the
        administrator to unlock."""
        with self._lock:
            now = time.monotonic()
            return sorted(
                {
                    name
                    for (name, client) in list(self._failures)
                    if name != self.ANY_USER
                    and len(self._recent((name, client), now))
                    >= (self.account_attempts if client == self.ANY_CLIENT else self.attempts)
                }
            )

    def unlock(self, username: str) -> None:
        """An administrator lets the account in again: its failures from every client go."""
        name = username.lower()
        with self._lock:
            for key in [key for key in self._failures if key[0] == name]:
                del self._failures[key]


# --- ID scan views ----------------------------------------------------------------------------


def log_id_scan_view(
    session: Session,
    user: User,
    document_id: int | None,
    case_id: int | None,
    what: str,
    client: str | None,
    intake_file_id: int | None = None,
) -> None:
    """Record one view of an ID scan; the caller commits together with serving the file."""
    session.add(
        IdScanView(
            username=user.username,
            role=user.role,
            case_id=case_id,
            document_id=document_id,
            intake_file_id=intake_file_id,
            what=what[:60],
            client=(client or "")[:60] or None,
        )
    )


def id_scan_views(session: Session, limit: int = 500) -> list[IdScanView]:
    query = select(IdScanView).order_by(IdScanView.id.desc()).limit(limit)
    return list(session.scalars(query))
