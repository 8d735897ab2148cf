"""The search index follows the register without rescanning every case on every search."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from ppid.db import make_engine, migrate, session_factory
from ppid.models import Case, CaseEvent, Role
from ppid.search import Filters, refresh_if_stale, refresh_index, search_cases


@pytest.fixture
def sessions(tmp_path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'search.sqlite3'}")
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def _indexed(session: Session) -> dict[int, str]:
    return dict(session.execute(text("SELECT case_id, fields FROM case_search")).all())


def test_only_changed_cases_are_reindexed_and_an_idle_refresh_does_nothing(sessions) -> None:
    received = datetime(2026, 11, 27, 3, tzinfo=UTC)
    with sessions() as session:
        session.add_all([Case(applicant_name=f"Pemohon {i}", received_at=received) for i in (1, 2)])
        session.commit()
        assert refresh_index(session) == 2
        session.commit()
        assert refresh_index(session) == 0  # nothing moved

        first, second = session.query(Case).order_by(Case.id).all()
        first.applicant_name = "Rina Contoh"
        second.events.append(CaseEvent(actor="sari", role=Role.PETUGAS, action="step"))
        session.add(Case(applicant_name="Pemohon Baru", received_at=received))
        session.commit()
        assert refresh_index(session) == 3  # the renamed one, the one with an event, the new one
        session.commit()
        indexed = _indexed(session)
        assert "Rina Contoh" in indexed[first.id] and len(indexed) == 3
        assert refresh_index(session) == 0

        session.delete(session.query(Case).filter_by(applicant_name="Pemohon Baru").one())
        session.commit()
        refresh_index(session)  # a removed case: the full comparison drops its row
        session.commit()
        assert len(_indexed(session)) == 2


def test_a_search_reads_without_waiting_for_a_writer(tmp_path) -> None:
    """Intake holding the write lock must not make the archive page wait (or fail) on a search."""
    database = tmp_path / "search.sqlite3"
    engine = make_engine(f"sqlite:///{database}", busy_seconds=0.2)
    migrate(engine)
    sessions = session_factory(engine)
    received = datetime(2026, 11, 27, 3, tzinfo=UTC)
    with sessions() as session:
        session.add(Case(applicant_name="Rina Contoh", number="1/KEB/2026", received_at=received))
        session.commit()
    assert refresh_if_stale(sessions) == 1
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process mid-write, holding the lock
    try:
        assert refresh_if_stale(sessions) == 0  # current: no write lock asked for
        with sessions() as session:
            found = search_cases(session, "rina", Filters(), date(2026, 11, 28), refresh=False)
        assert [case.applicant_name for case, _ in found] == ["Rina Contoh"]
    finally:
        writer.rollback()
        writer.close()
        engine.dispose()
