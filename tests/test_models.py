"""The domain model on a migrated database: UTC times, reasons, append-only history, the schema."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from ppid.core import db
from ppid.core.db import (
    current_revision,
    is_model_table,
    make_engine,
    migrate,
    model_metadata,
    schema_head,
    session_factory,
)
from ppid.core.errors import ConfigError
from ppid.core.models import AppendOnlyError, Case, CaseDocument, CaseEvent, Task
from ppid.core.settings import load_settings
from ppid.core.vocabulary import STATUS_LABELS, CaseStatus, DocumentKind, Role

WIB = timezone(timedelta(hours=7))


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A migrated empty database: a SQLite file, or a throw-away schema in the PostgreSQL one."""
    engine = make_engine(database_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def _case_with_event(session: Session) -> Case:
    case = Case(applicant_name="Rina Contoh", received_at=datetime(2026, 11, 27, 3, tzinfo=UTC))
    case.events.append(CaseEvent(actor="petugas1", role=Role.PETUGAS, action="received"))
    session.add(case)
    session.commit()
    return case


def test_reasons_are_letters_a_to_g_sorted_without_repeats() -> None:
    case = Case(reasons=["g", "A", "c", "a"])
    assert case.reasons == ["a", "c", "g"]
    assert case.reason_letters == "acg"
    with pytest.raises(ValueError, match=r"\['h'\]"):
        case.reasons = ["h"]


def test_every_status_has_an_indonesian_label() -> None:
    assert set(STATUS_LABELS) == set(CaseStatus)
    assert Case(status=CaseStatus.AWAITING_DECISION).status_label.startswith("Menunggu")


def test_times_come_back_aware_in_utc(sessions) -> None:
    received = datetime(2026, 11, 27, 9, 15, tzinfo=WIB)
    with sessions() as session:
        session.add(Case(applicant_name="Rina Contoh", received_at=received))
        session.commit()
    with sessions() as session:
        loaded = session.scalars(select(Case)).one()
        assert loaded.received_at == received
        assert loaded.received_at.utcoffset() == timedelta(0)
        assert loaded.status is CaseStatus.RECEIVED


def test_naive_times_are_refused(sessions) -> None:
    with sessions() as session:
        session.add(Case(applicant_name="Rina Contoh", received_at=datetime(2026, 11, 27, 9)))
        with pytest.raises(StatementError, match="naive datetime"):
            session.commit()


def test_documents_and_tasks_belong_to_their_case(sessions) -> None:
    with sessions() as session:
        case = _case_with_event(session)
        case.documents.append(
            CaseDocument(
                kind=DocumentKind.ORIGINAL,
                document_type="objection_form",
                role="form",
                path="2026/001/original/form.pdf",
                sha256="0" * 64,
                media_type="application/pdf",
                pages=2,
                fields={"applicant.name": "Rina Contoh"},
            )
        )
        case.tasks.append(Task(role=Role.BIDANG, step="examine"))
        session.commit()
    with sessions() as session:
        loaded = session.get(Case, case.id)
        assert loaded.documents[0].fields == {"applicant.name": "Rina Contoh"}
        assert loaded.tasks[0].role is Role.BIDANG
        assert loaded.tasks[0].status == "open"


def test_history_cannot_be_edited_through_the_orm(sessions) -> None:
    with sessions() as session:
        event = _case_with_event(session).events[0]
        event.note = "rewritten"
        with pytest.raises(AppendOnlyError, match="append-only"):
            session.flush()
        session.rollback()
        session.delete(event)
        with pytest.raises(AppendOnlyError, match="append-only"):
            session.flush()


def test_history_cannot_be_edited_with_plain_sql(sessions) -> None:
    with sessions() as session:
        _case_with_event(session)
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text("UPDATE case_events SET note = 'rewritten'"))
        session.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text("DELETE FROM case_events"))


def test_history_leaves_only_with_its_case(sessions) -> None:
    with sessions() as session:
        kept = _case_with_event(session)
        purged = _case_with_event(session)
        session.delete(purged)
        session.commit()
        remaining = session.scalars(select(CaseEvent.case_id)).all()
        assert remaining == [kept.id]
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_migration_builds_exactly_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)  # a second run is a no-op
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": is_model_table})
        diff = compare_metadata(context, model_metadata())
    assert diff == []
    assert current_revision(engine) == schema_head()


def test_migrations_are_numbered_files_each_revising_the_one_before() -> None:
    """`schema_head` reads the newest revision from the file names, without Alembic."""
    from alembic.script import ScriptDirectory

    from ppid.core.db import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == [schema_head()]
    for script in scripts.walk_revisions():
        assert Path(script.path).name.startswith(f"{script.revision}_")
        if script.down_revision is not None:
            assert int(script.down_revision) == int(script.revision) - 1


def test_postgresql_without_its_driver_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the extra were not installed
    with pytest.raises(ConfigError, match="uv sync --extra postgres"):
        make_engine("postgresql://ppid@localhost/ppid")


def test_unsupported_database_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="only sqlite and postgresql"):
        make_engine("mysql://ppid@localhost/ppid")
    with pytest.raises(ConfigError, match="not a database URL"):
        make_engine("not a url")


def test_text_read_from_a_file_is_clipped_to_its_column_so_postgresql_accepts_the_case(
    sessions,
) -> None:
    from ppid.core.models import fit_to_columns

    case = Case(applicant_name="Siti " * 60, applicant_phone="0812-" * 12, signed_place="Sintang")
    case.received_at = datetime(2026, 11, 27, 3, tzinfo=UTC)
    assert fit_to_columns(case) == ["applicant_name", "applicant_phone"]
    assert len(case.applicant_name) == 200 and case.applicant_name.endswith("…")
    assert len(case.applicant_phone) == 40 and case.signed_place == "Sintang"
    with sessions() as session:  # PostgreSQL refuses a value longer than its column
        session.add(case)
        session.commit()
        assert session.scalars(select(Case)).one().applicant_phone == case.applicant_phone


def test_a_misread_nik_of_the_wrong_length_pairs_nothing() -> None:
    from ppid.intake.pairing import _nik_of

    def card(nik: str) -> dict:
        return {"documents": [{"document_type": "id_card", "fields": {"nik": nik}}]}

    assert _nik_of(card("6171054107900002")) == "6171054107900002"
    assert _nik_of(card("61710541079000021")) is None  # 17 digits: does not fit, means nothing


def test_one_engine_per_process_and_database_migrated_once(
    ppid_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    real_migrate = db.migrate
    monkeypatch.setattr(db, "migrate", lambda engine: checks.append("x") or real_migrate(engine))
    settings = load_settings()
    first, second = db.open_db(settings), db.open_db(settings)
    assert first.kw["bind"] is second.kw["bind"]
    assert checks == ["x"]  # the schema's revision is asked once, not per call
    other = load_settings(database_url=f"sqlite:///{ppid_home / 'other.sqlite3'}")
    assert db.open_db(other).kw["bind"] is not first.kw["bind"]
    db.dispose_engines()  # what happens at exit: the pools are closed and the engines forgotten
    assert db.open_db(settings).kw["bind"] is not first.kw["bind"]
    assert checks == ["x", "x", "x"]


def test_a_forked_child_builds_its_own_engine_and_leaves_the_parents_alone(
    ppid_home: Path,
) -> None:
    settings = load_settings()
    with db.open_db(settings)() as session:
        session.execute(text("SELECT 1"))
    parent_engine = db.open_db(settings).kw["bind"]
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        try:
            engine = db.open_db(settings).kw["bind"]
            with engine.connect() as connection:
                ok = connection.execute(text("SELECT 1")).scalar() == 1
            os.write(writer, b"new" if ok and engine is not parent_engine else b"shared")
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    assert os.read(reader, 16) == b"new"
    with parent_engine.connect() as connection:  # the parent's pool survived the child
        assert connection.execute(text("SELECT 1")).scalar() == 1
