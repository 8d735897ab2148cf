"""Database access: engine set-up (SQLite or PostgreSQL), Alembic migrations, sessions."""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import sqlite3
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SAWarning
from sqlalchemy.orm import Session, sessionmaker

from ppid.core.errors import ConfigError
from ppid.core.models import Base
from ppid.core.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# The search index's tables (ppid/casework/search.py): derived data, made by migration 0009 on
# PostgreSQL and on first use on SQLite (FTS5), never declared as models.
SEARCH_INDEX_TABLES = ("case_search", "case_search_dirty")
# Connection execution option: begin the SQLite transaction with BEGIN IMMEDIATE (take the write
# lock up front, waiting up to busy_timeout) instead of a deferred BEGIN.
IMMEDIATE = "ppid_begin_immediate"
BUSY_TIMEOUT_S = 30
# sqlite3 reports it as "database is locked" too; the extended code tells them apart.
SQLITE_BUSY_SNAPSHOT = 517
# Any constant: PostgreSQL advisory lock held while one process migrates.
_PG_MIGRATION_LOCK = 0x5050_4944


def make_engine(url: str, busy_seconds: float = BUSY_TIMEOUT_S) -> Engine:
    """An engine for `url`: SQLite gets WAL, foreign keys, a busy timeout and real BEGINs."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ConfigError("db.bad_url", url=url, problem=str(error)) from error
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, busy_seconds)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except ModuleNotFoundError as error:
            raise ConfigError("db.no_driver", missing=error.name) from error
    raise ConfigError("db.unsupported", backend=parsed.get_backend_name())


def _sqlite_engine(url: str, busy_seconds: float = BUSY_TIMEOUT_S) -> Engine:
    engine = create_engine(url, connect_args={"timeout": busy_seconds})
    in_memory = make_url(url).database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # Take transaction control away from sqlite3 so BEGIN (IMMEDIATE) is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        if not in_memory:
            _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        error = context.original_exception
        database = make_url(url).database
        if getattr(error, "sqlite_errorcode", None) == SQLITE_BUSY_SNAPSHOT:
            log.warning(
                "a transaction on %s read, then tried to write after another process had "
                "written: SQLite refuses that at once (SQLITE_BUSY_SNAPSHOT) and retrying "
                "inside the same transaction cannot succeed. This is a bug: the transaction "
                "must begin with ppid.core.db.begin_write / write_session",
                database,
            )
        elif "locked" in str(error) or "busy" in str(error):
            log.warning(
                "the database %s stayed locked by another process for %.0f s; this operation "
                "failed (intake steps are retried). If it repeats, find the process holding it "
                "(`fuser %s`), e.g. an open sqlite3 shell or a stuck job",
                database,
                busy_seconds,
                database,
            )

    return engine


def _use_wal(cursor: Any) -> None:
    """Switch a database file to WAL once (the mode is persistent).

    The switch needs an exclusive lock, and SQLite reports "database is locked" at once instead
    of waiting when two processes open a new database together; so wait and retry here.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def begin_write(session: Session) -> Connection:
    """The session's connection, in a transaction that already holds the SQLite write lock.

    A deferred SQLite transaction that has read cannot safely upgrade to writing when another
    process wrote meanwhile, so allocating a number must be the first thing its transaction does.
    On PostgreSQL this is just the session's connection (row locks do the job there).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SAWarning)
        connection = session.connection(execution_options={IMMEDIATE: True})
    already_open = any("already established" in str(w.message) for w in caught)
    if (
        connection.dialect.name == "sqlite"
        and already_open
        and not connection.get_execution_options().get(IMMEDIATE)
    ):
        raise RuntimeError(
            "this session already has a read transaction open; commit or roll back before "
            "registering, so the register number is allocated under the write lock"
        )
    return connection


@contextmanager
def write_session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session in a transaction that holds the write lock from its first statement; commits.

    For every transaction that reads and then writes. A deferred SQLite transaction that read
    fails at its first write if another process committed meanwhile (in WAL mode: "database is
    locked" at once, no busy wait, and never curable inside that transaction). Keep slow work
    (OCR, rendering, copying and fsyncing files) outside: other writers wait while this runs.
    """
    with sessions() as session, session.begin():
        begin_write(session)
        yield session


def model_metadata() -> MetaData:
    """The metadata of every table the product declares (`ppid.core.models` holds them all)."""
    return Base.metadata


def is_model_table(name: str | None, type_: str, parent_names: Any) -> bool:
    """For Alembic's `include_name`: compare the models' tables, not the search index's."""
    return not (type_ == "table" and name is not None and name.startswith(SEARCH_INDEX_TABLES))


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration without an ini file; `connection` is used by env.py when given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when current, safe under concurrency.

    The upgrade runs in one transaction that first takes an exclusive lock (SQLite: BEGIN
    IMMEDIATE; PostgreSQL: an advisory lock), so a second process waits and then finds it done.
    Alembic is imported only when the schema is behind: importing it costs a CLI command that
    lists the register a fifth of its time.
    """
    head = schema_head()
    if current_revision(engine) == head:
        return
    from alembic import command

    with engine.connect().execution_options(**{IMMEDIATE: True}) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
            )
        log.info("migrating database %s to %s", engine.url.render_as_string(), head)
        command.upgrade(alembic_config(connection), "head")


def hold_across_machines(session: Session, name: str) -> None:
    """Make `session`'s transaction the one holder of the lock `name` on every machine.

    A file lock under var/ (`ppid.core.locks`) orders the processes of one machine, but warm
    workers on several machines (docs/operations.md) share only the register and the archive.
    On PostgreSQL a transaction-scoped advisory lock keyed by `name` orders them: it waits while
    another transaction holds it, and is freed at this one's commit or rollback, or when its
    connection dies with its process. Taken before the file lock, so no process ever waits for
    it while holding that. SQLite serves one machine, where the file lock is enough.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(name)})


def advisory_key(name: str) -> int:
    """PostgreSQL's 64-bit advisory lock key for a lock's name (the same on every machine)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def schema_head() -> str:
    """The newest migration's revision, read from the file names without importing Alembic.

    Migrations are numbered files whose revision is their number (`0009_….py`, revision
    "0009"), each revising the one before; tests/test_models.py holds them to it.
    """
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("*_*.py"))


def current_revision(engine: Engine) -> str | None:
    """The schema's revision as Alembic recorded it (None: a new, empty database)."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no alembic_version table yet
        return None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def open_db(settings: Settings) -> sessionmaker[Session]:
    """Sessions on the configured database, through the process's one engine for it."""
    return session_factory(process_engine(settings))


def process_engine(settings: Settings) -> Engine:
    """The engine of this process for the configured database, migrated on first use.

    Building an engine and asking Alembic for the schema's revision cost a few milliseconds and
    a pool of fresh connections each; a long-lived worker asks for sessions at every step, so the
    engine is built and the migration checked once per process and database, and every later
    call shares its pool. The engines are disposed at exit, and forgotten (not closed: the parent
    still uses their connections) in a forked child, which builds its own.
    """
    assert settings.database_url is not None  # filled in by Settings
    key = (settings.database_url, settings.database_busy_seconds)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is not None:
            _ENGINES.move_to_end(key)
            return engine
        engine = _new_migrated_engine(settings.database_url, settings.database_busy_seconds)
        _ENGINES[key] = engine
        while len(_ENGINES) > MAX_ENGINES:  # a test suite opens many; a deployment opens one
            _ENGINES.popitem(last=False)[1].dispose()
        return engine


def _new_migrated_engine(database_url: str, busy_seconds: float) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(database_url, busy_seconds)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def dispose_engines() -> None:
    """Close every pooled connection of this process's engines (at exit, and for tests)."""
    with _ENGINES_LOCK:
        while _ENGINES:
            _ENGINES.popitem()[1].dispose()


def _forget_engines_in_child() -> None:
    # SQLAlchemy's advice for a fork: the child must not use (nor close) the parent's connections;
    # the lock may have been held by a thread of the parent that does not exist in the child
    global _ENGINES_LOCK
    _ENGINES_LOCK = threading.Lock()
    for engine in _ENGINES.values():
        engine.dispose(close=False)
    _ENGINES.clear()


# Engines by (database URL, busy timeout); at most MAX_ENGINES, the least recently used disposed.
MAX_ENGINES = 8
_ENGINES: OrderedDict[tuple[str, float], Engine] = OrderedDict()
_ENGINES_LOCK = threading.Lock()
atexit.register(dispose_engines)
os.register_at_fork(after_in_child=_forget_engines_in_child)
