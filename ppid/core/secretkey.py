"""The key that signs sessions, CSRF tokens and links: the operator's own, else one made at first
start and kept in `var/secret_key`.

A key everyone knows (the placeholder of ppid.toml.example, or none) would let anyone forge a
login CSRF token or a signed link, so it is never used: the first process that needs a key makes
a random one and every process after it (the web apps, the workers, the CLI) reads the same
file. An operator's own `secret_key` in ppid.toml or `PPID_SECRET_KEY` wins.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from functools import cache
from pathlib import Path

from ppid.core.errors import ConfigError
from ppid.core.settings import Settings

log = logging.getLogger(__name__)

PLACEHOLDER = "change-me-in-ppid-toml"  # what ppid.toml.example says: never a key
KEY_FILE = "secret_key"


def secret_key(settings: Settings) -> bytes:
    """The signing key: the operator's own, else the one kept in `var/` (made now if none)."""
    own = settings.secret_key.get_secret_value() if settings.secret_key else ""
    if own.strip() and own != PLACEHOLDER:
        return own.encode()
    return kept_key(settings.var_dir / KEY_FILE)


@cache
def kept_key(path: Path) -> bytes:
    """The key in `path`, made (random, readable by its owner only) when there is none yet.

    Written to a temporary name and linked into place, so a process that starts at the same
    moment either makes the file or reads the complete one the other made, never half of it.
    """
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")
    try:
        os.write(descriptor, secrets.token_urlsafe(48).encode() + b"\n")
        os.fsync(descriptor)
        os.close(descriptor)
        try:
            os.link(temporary, path)
            log.info("made a new secret key in %s (keep it with the backups)", path)
        except FileExistsError:
            pass  # another process made it first: theirs is the key
    finally:
        os.unlink(temporary)
    return _read(path)


def _read(path: Path) -> bytes:
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise ConfigError("config.secret_key_unusable", path=str(path))
    return key
