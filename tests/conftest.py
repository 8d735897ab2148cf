"""Shared fixtures: every test gets its own PPID_HOME so nothing touches the developer's data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

# Property tests draw the same examples on every run, so `make test` cannot fail on a lucky draw;
# a random hunt by hand: HYPOTHESIS_PROFILE=hunt FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/...
# What a hunt finds is pinned with @example.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("hunt", derandomize=False, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def ppid_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh home with inbox/archive/var under tmp; env vars that would leak in are cleared."""
    for name in list(os.environ):
        if name.startswith("PPID_") and name != "PPID_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("PPID_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Prefect server for the session, shared by every test file (starting one takes ~20 s)."""
    from ppid.core.settings import load_settings
    from ppid.runtime.server import prefect_server

    home = tmp_path_factory.mktemp("prefect-home")
    settings = load_settings(home=home)
    port = 4300 + os.getpid() % 500
    with prefect_server(settings, port) as api:
        yield api
        # send the flow runs' last logs while the server still answers: Prefect's log worker
        # would otherwise send them at exit and print "--- Error logging to API ---"
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=10)
