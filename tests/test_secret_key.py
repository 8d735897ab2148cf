"""The signing key: never one everyone knows; made once, kept in var/, shared by every process."""

from __future__ import annotations

import base64
import hashlib
import hmac
import stat
import subprocess
import sys
from pathlib import Path

from pydantic import SecretStr

from ppid.core.settings import load_settings
from ppid.core.signing import sign, verify
from ppid.web.auth import csrf_token

PLACEHOLDER = "change-me-in-ppid-toml"  # the value ppid.toml.example used to carry


def _forged(key: str, purpose: str, *parts: str) -> str:
    """A token made as an attacker would, with a key they know."""
    message = "\x00".join([purpose, *parts]).encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return ".".join([*parts, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()])


def test_the_example_key_forges_neither_a_link_nor_a_login_token(tmp_path: Path) -> None:
    for settings in (
        load_settings(home=tmp_path),
        load_settings(home=tmp_path, secret_key=SecretStr(PLACEHOLDER)),  # copied from the example
    ):
        assert verify(settings, "uji", _forged(PLACEHOLDER, "uji", "42")) is None
        known = hmac.new(PLACEHOLDER.encode(), b"csrf:sesi", hashlib.sha256).hexdigest()
        assert csrf_token(settings, "sesi") != known
        assert verify(settings, "uji", sign(settings, "uji", "42")) == ["42"]


def test_the_key_is_made_once_kept_in_var_and_shared_by_every_process(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path)
    token = sign(settings, "uji", "7")
    kept = tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    check = (
        "from ppid.core.settings import load_settings\n"
        "from ppid.core.signing import verify\n"
        f"print(verify(load_settings(home={str(tmp_path)!r}), 'uji', {token!r}))"
    )
    other = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    )
    assert other.stdout.strip() == "['7']"  # another process, a later start: the same key


def test_an_operators_own_key_wins(tmp_path: Path) -> None:
    own = load_settings(home=tmp_path, secret_key=SecretStr("kunci-kantor-" + "x" * 40))
    assert verify(own, "uji", _forged("kunci-kantor-" + "x" * 40, "uji", "1")) == ["1"]
    assert not (tmp_path / "var" / "secret_key").exists()
