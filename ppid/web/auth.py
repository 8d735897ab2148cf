"""Web accounts: users with roles, argon2 passwords, server-side sessions, CSRF, ID-scan view log.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, so a
copied database cannot be used to log in. CSRF tokens are HMACs of the session token (or of a
pre-login cookie) under `settings.secret_key`: nothing to store, and useless in another browser.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from datetime import timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ppid.core.errors import BadInputError, ConflictError, NotFoundError
from ppid.core.models import IdScanView, User, WebSession, utcnow
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


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this password, or None (unknown user and bad password look alike)."""
    user = session.scalars(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        _hasher.hash(password or "x")  # spend the same time so usernames cannot be probed
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


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
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"csrf:" + token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(settings: Settings, token: str | None, submitted: str | None) -> bool:
    if not token or not submitted:
        return False
    return hmac.compare_digest(csrf_token(settings, token), submitted)


# --- login rate limit -------------------------------------------------------------------------


class LoginLimiter:
    """At most `attempts` failed logins per (username, client address) in `window` seconds, and
    `client_attempts` per client address over all usernames.

    The second cap slows one password tried against many usernames (spraying); it is higher so
    that an office behind one address is not locked out by a few mistyped passwords.
    """

    ANY_USER = "\x00any"  # no username can contain NUL

    def __init__(self, attempts: int = 5, window: float = 900.0, client_attempts: int = 20) -> None:
        self.attempts, self.window, self.client_attempts = attempts, window, client_attempts
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < self.window]
        self._failures[key] = kept
        return kept

    def blocked(self, username: str, client: str) -> bool:
        with self._lock:
            now = time.monotonic()
            per_user = len(self._recent((username.lower(), client), now)) >= self.attempts
            per_client = len(self._recent((self.ANY_USER, client), now)) >= self.client_attempts
            return per_user or per_client

    def failed(self, username: str, client: str) -> None:
        with self._lock:
            now = time.monotonic()
            for key in ((username.lower(), client), (self.ANY_USER, client)):
                self._recent(key, now).append(now)

    def succeeded(self, username: str, client: str) -> None:
        """Forget this user's failures; the address's count stays (one good login among many
        guesses must not reset a spray)."""
        with self._lock:
            self._failures.pop((username.lower(), client), None)


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
