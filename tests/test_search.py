"""The search index follows the register without rescanning every case on every search."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from ppid.casework.search import (
    Filters,
    index_is_current,
    refresh_if_stale,
    refresh_index,
    search_cases,
    search_page,
)
from ppid.core.db import make_engine, migrate, session_factory
from ppid.core.models import Case, CaseEvent
from ppid.core.vocabulary import Role
from tests.specimens import ON_BOTH_DATABASES, SQLITE_ONLY

pytestmark = ON_BOTH_DATABASES  # FTS5 on SQLite, tsvector + GIN on PostgreSQL


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def _indexed(session: Session) -> dict[int, str]:
    """Case id → the register fields as indexed."""
    key = "rowid" if session.get_bind().dialect.name == "sqlite" else "case_id"
    return dict(session.execute(text(f"SELECT {key}, fields FROM case_search")).all())


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


@SQLITE_ONLY  # SQLite's one writer; PostgreSQL readers never wait for writers
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


def _cases(sessions, *cases: Case) -> list[int]:
    with sessions() as session:
        session.add_all(cases)
        session.commit()
        ids = [case.id for case in cases]
    assert refresh_if_stale(sessions) == len(cases)
    return ids


def _case(number: str, name: str, **fields) -> Case:
    year = int(number.rsplit("/", 1)[1])
    received = datetime(year, 3, 1, 3, tzinfo=UTC)
    seq = int(number.split("/", 1)[0])
    return Case(
        number=number, year=year, seq=seq, applicant_name=name, received_at=received, **fields
    )


TODAY = date(2026, 11, 28)


def test_a_whole_register_number_finds_that_case_only(sessions) -> None:
    _cases(
        sessions,
        _case("1/KEB/2026", "Rina Contoh"),
        _case("11/KEB/2026", "Budi Contoh"),
        _case("12/KEB/2026", "Sari Contoh", remarks="lihat juga 1/KEB/2026"),
    )
    with sessions() as session:
        for typed in ("1/KEB/2026", " 1/keb/2026 "):
            page = search_page(session, typed, Filters(), TODAY, refresh=False)
            assert [case.number for case, _ in page.rows] == ["1/KEB/2026"], typed
            assert page.total == 1 and page.rows[0][1].snippet == "\x021/KEB/2026\x03"
        # a filter still applies; a number that is not in the register falls back to words
        assert search_page(session, "1/KEB/2026", Filters(year=2025), TODAY).rows == []
        partial = search_page(session, "12/KEB", Filters(), TODAY, refresh=False)
        assert [case.number for case, _ in partial.rows] == ["12/KEB/2026"]


def test_pages_split_the_ranked_matches_and_count_them_all(sessions) -> None:
    ids = _cases(
        sessions,
        *(_case(f"{i}/KEB/2026", f"Pemohon {i}", purpose="koperasi " * i) for i in range(1, 8)),
        _case("8/KEB/2025", "Pemohon Lama", purpose="koperasi lama"),
        # most cases say something else: "koperasi" is then worth ranking (see below)
        *(_case(f"{i}/KEB/2026", "Tanpa Kata") for i in range(9, 18)),
    )
    with sessions() as session:
        pages = [
            search_page(session, "kopera", Filters(), TODAY, limit=3, offset=o, refresh=False)
            for o in (0, 3, 6)
        ]
        assert [p.total for p in pages] == [8, 8, 8]
        assert [len(p.rows) for p in pages] == [3, 3, 2]
        assert [p.has_more for p in pages] == [True, True, False]
        shown = [case.id for p in pages for case, _ in p.rows]
        assert sorted(shown) == sorted(ids[:8])  # every match once, none twice
        ranks = [hit.rank for p in pages for _, hit in p.rows]
        assert ranks == sorted(ranks)  # best match first, across pages
        assert shown[0] == ids[6]  # the case that says it most
        assert all("\x02koperasi\x03" in hit.snippet for p in pages for _, hit in p.rows)
        filtered = search_page(session, "kopera", Filters(year=2025), TODAY, refresh=False)
        assert (filtered.total, [c.id for c, _ in filtered.rows]) == (1, [ids[7]])
        newest = search_page(session, "", Filters(), TODAY, limit=4, refresh=False)
        assert newest.total == 17 and newest.has_more and len(newest.rows) == 4


def test_the_count_stops_at_the_cap_and_says_so(sessions, monkeypatch) -> None:
    monkeypatch.setattr("ppid.casework.search.COUNT_CAP", 4)
    _cases(
        sessions, *(_case(f"{i}/KEB/2026", f"Pemohon {i}", purpose="koperasi") for i in range(1, 8))
    )
    with sessions() as session:
        first = search_page(session, "kopera", Filters(), TODAY, limit=3, refresh=False)
        assert (first.total, first.counted_all, first.has_more) == (4, False, True)
        last = search_page(session, "kopera", Filters(), TODAY, limit=3, offset=6, refresh=False)
        assert (last.total, last.counted_all, last.has_more, len(last.rows)) == (7, True, False, 1)


@SQLITE_ONLY  # the FTS5 index is made on first use; PostgreSQL's by its migration
def test_an_index_in_the_old_layout_or_without_its_triggers_is_rebuilt(sessions) -> None:
    with sessions() as session:
        session.execute(text("CREATE VIRTUAL TABLE case_search USING fts5(case_id, fields)"))
        session.execute(text("CREATE TABLE case_search_state (cases INTEGER)"))
        session.commit()
    _cases(sessions, _case("1/KEB/2026", "Rina Contoh"), _case("2/KEB/2026", "Budi Contoh"))
    with sessions() as session:
        assert sorted(_indexed(session)) == [1, 2]  # rowid = case id, the whole register
        session.execute(text("DROP TRIGGER case_search_case_changed"))
        session.commit()
        assert not index_is_current(session)
    assert refresh_if_stale(sessions) == 2  # changes may have been missed: everything again
    with sessions() as session:
        assert index_is_current(session)
        session.execute(text("UPDATE cases SET applicant_name = 'Rina Baru' WHERE id = 1"))
        session.commit()
        assert not index_is_current(session)  # an edit without an event is seen by the trigger
    assert refresh_if_stale(sessions) == 1
    with sessions() as session:
        assert "Rina Baru" in _indexed(session)[1]


def test_page_links_keep_the_words_and_filters() -> None:
    from ppid.casework.search import Page
    from ppid.web.archive import page_links

    query = {"q": "koperasi pontianak", "tahun": "2026", "status": ""}
    middle = page_links(query, 2, Page(rows=[(None, None)] * 50, total=120, offset=50))
    assert middle == {
        "prev": "/arsip?q=koperasi+pontianak&tahun=2026&hal=1",
        "next": "/arsip?q=koperasi+pontianak&tahun=2026&hal=3",
    }
    assert page_links(query, 1, Page(rows=[(None, None)] * 20, total=20)) == {}


def test_the_year_filter_offers_the_years_that_have_cases(sessions) -> None:
    from ppid.web.archive import case_years

    _cases(
        sessions,
        _case("1/KEB/2024", "Rina"),
        _case("2/KEB/2026", "Budi"),
        _case("3/KEB/2026", "Sari"),
    )
    with sessions() as session:
        assert case_years(session) == [2026, 2024]


def test_the_archive_page_says_how_many_and_links_the_next_page() -> None:
    from types import SimpleNamespace

    from ppid.casework.search import Page
    from ppid.output.render import render_html
    from ppid.web.archive import page_links

    def render(found: Page, page_no: int) -> str:
        rows = [
            dict.fromkeys(("received", "name", "nik", "status", "decision", "reasons"), "")
            | {"id": i, "number": f"{i}/KEB/2026", "snippet": [], "late": False}
            for i in range(found.offset + 1, found.offset + len(found.rows) + 1)
        ]
        context = {
            "title": "Arsip keberatan",
            "office": SimpleNamespace(short_name="PPID"),
            "user": None,
            "path": "/arsip",
            "decision_labels": {},
            "rows": rows,
            "total": found.total,
            "counted_all": found.counted_all,
            "first": found.offset + 1,
            "links": page_links({"q": "koperasi"}, page_no, found),
            "q": "koperasi",
            "filters": dict.fromkeys(("tahun", "status", "alasan", "keputusan", "ketepatan"), ""),
            "years": [],
            "decisions": [],
            "statuses": [],
            "reason_texts": {},
        }
        return render_html("web/archive.html", context)

    first = render(Page([(None, None)] * 50, 1000, 0, counted_all=False), 1)
    assert "Lebih dari 1000 keberatan; ditampilkan 1–50." in first
    assert 'href="/arsip?q=koperasi&amp;hal=2" rel="next"' in first and 'rel="prev"' not in first
    last = render(Page([(None, None)] * 7, 57, 50), 2)
    assert "57 keberatan; ditampilkan 51–57." in last
    assert 'href="/arsip?q=koperasi&amp;hal=1" rel="prev"' in last and 'rel="next"' not in last
    assert "0 keberatan." in render(Page([], 0), 1)


@SQLITE_ONLY  # a bm25 shortcut; ts_rank still tells such matches apart
def test_words_in_most_cases_come_newest_first_instead_of_ranked(sessions) -> None:
    """bm25 gives such words no weight; ranking the whole register for them is the slowest query."""
    ids = _cases(
        sessions,
        _case("1/KEB/2026", "Rina", purpose="informasi informasi informasi koperasi"),
        *(_case(f"{i}/KEB/2026", f"Pemohon {i}", purpose="informasi") for i in (2, 3, 4)),
        _case("5/KEB/2026", "Budi", purpose="koperasi koperasi"),
    )
    with sessions() as session:
        common = search_page(session, "informasi", Filters(), TODAY, refresh=False)
        assert [case.id for case, _ in common.rows] == ids[3::-1]
        assert all("\x02informasi\x03" in hit.snippet for _, hit in common.rows)
        rare = search_page(session, "koperasi", Filters(), TODAY, refresh=False)
        assert [case.id for case, _ in rare.rows] == [ids[4], ids[0]]  # ranked: says it twice
