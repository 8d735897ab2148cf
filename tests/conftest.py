"""Shared fixtures: every test gets its own PPID_HOME so nothing touches the developer's data."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from scripts import pg_cluster

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
def postgres_server() -> Iterator[str]:
    """The PostgreSQL server of the test session: `PPID_TEST_DATABASE_URL` when given, otherwise
    a throw-away cluster (scripts/pg_cluster.py). It fails the tests when it cannot start; a
    database test never skips for want of PostgreSQL."""
    given = os.environ.get("PPID_TEST_DATABASE_URL")
    if given:
        yield given
        return
    folder = Path(tempfile.mkdtemp(prefix="ppid-test-pg-"))
    folder.chmod(0o755)  # as root the cluster runs as `postgres`, who must reach it
    try:
        cluster = pg_cluster.start(folder / "cluster")
    except pg_cluster.PgClusterError as error:
        pytest.fail(f"the PostgreSQL tests need a server and none could start: {error}")
    try:
        yield cluster.url("postgres")
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def throwaway_schema(server_url: str) -> Iterator[str]:
    """A URL on `server_url` whose search_path is a fresh schema, dropped afterwards.

    A transaction the test left open would hold its locks and make the drop wait forever: it
    is ended and reported as the test's failure instead.
    """
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from ppid.core.db import make_engine

    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(admin.url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            left_open = connection.execute(text(LEFT_OPEN)).scalars().all()
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    assert not left_open, f"the test left a transaction open on PostgreSQL: {left_open}"


# Transactions other than ours that are open but idle: a session the code under test never
# closed. Ended (so the schema can go) and reported.
LEFT_OPEN = """
SELECT left(query, 300) FROM (
    SELECT query, pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND state LIKE 'idle in transaction%'
) AS ended
"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database engine a test runs on; module-scoped, so a module's shared world (built
    once) is built once per engine and its tests run against each."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, ppid_home: Path) -> Iterator[str]:
    """The test's own empty database on `backend`, as `PPID_DATABASE_URL`.

    SQLite: the default file under PPID_HOME (no variable set). PostgreSQL: a throw-away schema
    on the session's server. A module runs every test on both engines with
    `pytestmark = ON_BOTH_DATABASES` (tests/specimens.py).
    """
    if backend == "sqlite":  # what every other test uses: nothing to set
        (ppid_home / "var").mkdir(exist_ok=True)
        yield f"sqlite:///{ppid_home / 'var' / 'ppid.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    with throwaway_schema(server) as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("PPID_DATABASE_URL", url)
        yield url


@pytest.fixture(scope="module")
def module_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database on `backend` for a module's shared world (a module-scoped fixture's)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('module-db') / 'ppid.sqlite3'}"
        return
    with throwaway_schema(request.getfixturevalue("postgres_server")) as url:
        yield url


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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On CI (`CI` set) a skipped test fails the run: CI has every service, so a skip there hides
    a test that did not run (a database, a server or a tool that should have been set up)."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; every test must run on CI:")
        for report in skipped:
            reporter.write_line(f"  {report.nodeid}: {report.longrepr[-1]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
