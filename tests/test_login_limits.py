"""Login limits that hold under concurrency, spoofed headers and a busy database.

Each attempt is counted before its password is checked, so 30 concurrent guesses cost at most
the allowed number of password checks (plus one); X-Forwarded-For is believed only from a proxy
named in `web_trusted_proxies`; the password hashing runs with no database lock held; an
administrator unlocks an account that failed logins locked.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from ppid.core.db import open_db
from ppid.core.settings import Settings, load_settings
from ppid.web import auth
from ppid.web.app import create_app
from ppid.web.deps import client_of
from tests.test_web import CSRF, PASSWORD, login

ROLES = ("petugas", "admin")


class CountingHasher(PasswordHasher):
    """argon2 at a test cost that counts every password check; with `together`, each check
    waits until that many checks run at the same moment (it fails if they cannot: each would
    then hold something the others wait for, such as the database's write lock)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.checks, self.together = 0, None
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._lock:
            self.checks += 1
        if self.together is not None:
            self.together.wait(timeout=20)  # BrokenBarrierError: checks ran one at a time
        else:
            time.sleep(0.05)  # a real check takes ~0.1-1 s: long enough for requests to overlap
        return super().verify(hash, password)


@pytest.fixture()
def settings(ppid_home: Path) -> Iterator[Settings]:
    settings = load_settings()
    with open_db(settings)() as session, session.begin():
        for role in ROLES:
            auth.add_user(session, role + "1", role, PASSWORD, role)
    yield settings


@pytest.fixture()
def hasher(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(auth, "_hasher", counting)
    return counting


def _attempt(app: Any, username: str, password: str, forwarded: str | None = None) -> int:
    with TestClient(app, follow_redirects=False) as client:
        token = CSRF.search(client.get("/masuk").text).group(1)
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        data = {"username": username, "password": password, "csrf": token}
        return client.post("/masuk", data=data, headers=headers).status_code


def _together(calls: list[tuple[Any, ...]], app: Any) -> list[int]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda args: _attempt(app, *args), calls))


def test_thirty_concurrent_guesses_cost_at_most_the_allowed_checks(
    settings: Settings, hasher: CountingHasher
) -> None:
    app = create_app(settings)
    codes = _together([("petugas1", f"tebakan-{n}") for n in range(30)], app)
    assert hasher.checks <= 5 + 1
    assert codes.count(401) == hasher.checks and codes.count(429) == 30 - hasher.checks
    assert _attempt(app, "petugas1", PASSWORD) == 429  # locked now, even the right password


def test_a_spoofed_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
    settings: Settings, hasher: CountingHasher
) -> None:
    app = create_app(settings)
    codes = _together([("petugas1", "salah", f"10.9.0.{n}") for n in range(30)], app)
    assert hasher.checks <= 5 + 1 and 429 in codes


def test_behind_a_trusted_proxy_each_client_counts_and_the_account_still_locks(
    ppid_home: Path, settings: Settings, hasher: CountingHasher
) -> None:
    behind = load_settings(web_trusted_proxies=["testclient"])  # TestClient's peer address
    app = create_app(behind)
    codes = _together([("petugas1", "salah", f"10.9.0.{n}") for n in range(30)], app)
    assert hasher.checks <= 10 + 1  # the account's own cap over all addresses
    assert codes.count(401) == hasher.checks
    hasher.checks = 0
    assert _attempt(app, "admin1", "salah", "10.9.1.1") == 401  # other accounts are not locked
    assert _attempt(app, "admin1", PASSWORD, "10.9.1.1") == 303


def test_passwords_are_checked_with_no_database_lock_held(
    settings: Settings, hasher: CountingHasher
) -> None:
    app = create_app(settings)
    hasher.together = threading.Barrier(8)  # eight logins must be hashing at the same time
    codes = _together([("petugas1", PASSWORD), ("admin1", PASSWORD)] * 4, app)
    assert codes == [303] * 8 and hasher.checks == 8
    assert not hasher.together.broken


def test_an_administrator_unlocks_an_account_locked_by_failed_logins(
    settings: Settings, hasher: CountingHasher
) -> None:
    app = create_app(settings)
    for _ in range(5):
        assert _attempt(app, "petugas1", "salah-lagi") == 401
    assert _attempt(app, "petugas1", PASSWORD) == 429
    admin = TestClient(app, follow_redirects=False)
    assert login(admin, "admin1") == 303
    page = admin.get("/admin").text
    assert "petugas1" in page.split('id="terkunci"')[1].split('id="log-ktp"')[0]
    token = CSRF.search(page).group(1)
    answer = admin.post("/admin/buka-kunci", data={"username": "petugas1", "csrf": token})
    assert answer.status_code == 303
    assert _attempt(app, "petugas1", PASSWORD) == 303


def _echo_app(settings: Settings) -> FastAPI:
    app = FastAPI()
    app.state.web = type("Ctx", (), {"settings": settings})()

    @app.get("/siapa")
    def who(request: Request) -> dict[str, str]:
        return {"client": client_of(request)}

    return app


def test_the_served_app_sees_the_real_peer_not_a_header_it_was_sent(settings: Settings) -> None:
    """Through uvicorn as `ppid run` serves it: its own proxy-header handling is off."""
    from ppid.runtime.run import serve_web

    port = _free_port()
    served = load_settings(web_port=port)
    thread, server = serve_web(served, _echo_app(served))
    try:
        url = f"http://127.0.0.1:{port}/siapa"
        answer = httpx.get(url, headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
        assert answer.json() == {"client": "127.0.0.1"}
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_trusted_proxy_names_the_last_untrusted_address() -> None:
    settings = load_settings(web_trusted_proxies=["127.0.0.1", "10.0.0.0/8"])
    app = _echo_app(settings)
    scope_client = ("127.0.0.1", 5000)
    headers = {"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.1.2.3"}
    with TestClient(app, client=scope_client) as client:
        assert client.get("/siapa", headers=headers).json() == {"client": "198.51.100.7"}
    with TestClient(app, client=("192.0.2.1", 5000)) as client:  # not a proxy: header ignored
        assert client.get("/siapa", headers=headers).json() == {"client": "192.0.2.1"}


def _free_port() -> int:
    """A TCP port free on 127.0.0.1 at the time of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
