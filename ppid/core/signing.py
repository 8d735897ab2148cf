"""Signed tokens for links and cookies that must not be forged: a purpose, plain parts, an HMAC.

A token is `part.part…` followed by an HMAC-SHA256 of the purpose and the parts under the
secret key (`ppid.core.secretkey`), so a link in an e-mail (an applicant's reaction to an
answer) or a cookie of the public site (the case a browser may follow) can only come from us,
and one made for one purpose is worthless for another. Parts are never personal data: they
travel in URLs and cookies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from ppid.core.secretkey import secret_key
from ppid.core.settings import Settings

_PART = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_PARTS = 8


def sign(settings: Settings, purpose: str, *parts: str | int) -> str:
    """A token carrying `parts` (letters, digits, `-` and `_` only) for `purpose`."""
    plain = [str(part) for part in parts]
    if not plain or len(plain) > _MAX_PARTS or not all(_PART.fullmatch(p) for p in plain):
        raise ValueError(f"token parts must be 1-{_MAX_PARTS} plain words, got {plain!r}")
    return ".".join([*plain, _mac(settings, purpose, plain)])


def verify(settings: Settings, purpose: str, token: str | None) -> list[str] | None:
    """The parts of a token made by `sign` for `purpose`; None for anything else (compared in
    constant time)."""
    if not token or len(token) > 600:
        return None
    *parts, mac = token.split(".")
    if not parts or len(parts) > _MAX_PARTS or not all(_PART.fullmatch(p) for p in parts):
        return None
    if not hmac.compare_digest(_mac(settings, purpose, parts), mac):
        return None
    return parts


def _mac(settings: Settings, purpose: str, parts: list[str]) -> str:
    key = secret_key(settings)
    message = "\x00".join([purpose, *parts]).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
