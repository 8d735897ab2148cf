"""The register: number pattern, gap-free numbering under two processes, deadlines, the CLI."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
import traceback
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from ppid.casework.register import format_register_number, get_case, list_cases, register_case
from ppid.core.calendar import add_working_days, calendar_from_settings
from ppid.core.db import make_engine, migrate, model_metadata, open_db, session_factory
from ppid.core.errors import BadInputError, ConfigError, ConflictError, NotFoundError
from ppid.core.masking import mask_nik
from ppid.core.models import Case, CaseEvent
from ppid.core.settings import Settings, load_settings
from ppid.core.vocabulary import CaseStatus
from tests.specimens import run_cli

WIB = timezone(timedelta(hours=7))  # Asia/Pontianak
MONDAY_MORNING = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(database_url=database_url)


def _register(settings: Settings, received_at: datetime, name: str = "Rina Contoh") -> Case:
    sessions = open_db(settings)
    with sessions() as session:
        case = Case(applicant_name=name, applicant_nik="6171014507900001", reasons="ce")
        register_case(session, settings, case, received_at, actor="petugas1")
        session.commit()
    sessions.kw["bind"].dispose()
    return case


def test_default_pattern_gives_the_offices_number() -> None:
    number = format_register_number(Settings().register_number_format, 7, date(2026, 11, 27))
    assert number == "007/KEB/PPID-DKUKM/XI/2026"


def test_pattern_placeholders_can_be_rearranged() -> None:
    pattern = "KEB-{year}.{month:02d}.{day:02d}-{seq:04d}"
    assert format_register_number(pattern, 12, date(2026, 3, 5)) == "KEB-2026.03.05-0012"


@pytest.mark.parametrize(
    ("pattern", "complaint"),
    [
        ("{seq}/{yr}", "unknown placeholder"),
        ("KEB/{month_roman}/{year}", "must contain {seq} and {year}"),
        ("{seq:x/y}/{year}", "not valid"),
    ],
)
def test_a_broken_pattern_is_a_config_error(pattern: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        format_register_number(pattern, 1, date(2026, 1, 2))


def test_registering_numbers_sets_deadline_and_records_history(settings) -> None:
    first = _register(settings, MONDAY_MORNING)
    second = _register(settings, MONDAY_MORNING + timedelta(hours=1))
    assert first.number == "001/KEB/PPID-DKUKM/XI/2026"
    assert second.number == "002/KEB/PPID-DKUKM/XI/2026"
    cal = calendar_from_settings(settings)
    assert first.answer_due == add_working_days(cal, date(2026, 11, 30), 30)
    assert first.response_date == first.answer_due
    with open_db(settings)() as session:
        case = get_case(session, first.number)
        assert case.status is CaseStatus.REGISTERED
        assert [(e.action, e.actor) for e in case.events] == [("registered", "petugas1")]
        assert case.events[0].data["number"] == first.number


def test_out_of_hours_counts_from_next_working_day_and_year(settings) -> None:
    friday_evening = datetime(2026, 11, 27, 17, 0, tzinfo=WIB)
    new_years_eve_evening = datetime(2026, 12, 31, 18, 0, tzinfo=WIB)
    late = _register(settings, friday_evening)
    next_year = _register(settings, new_years_eve_evening)
    cal = calendar_from_settings(settings)
    assert late.answer_due == add_working_days(cal, date(2026, 11, 30), 30)
    assert late.number == "001/KEB/PPID-DKUKM/XI/2026"
    assert next_year.number == "001/KEB/PPID-DKUKM/I/2027"
    assert _register(settings, MONDAY_MORNING).number == "002/KEB/PPID-DKUKM/XI/2026"


def test_a_rolled_back_registration_gives_its_number_back(settings) -> None:
    sessions = open_db(settings)
    with sessions() as session:
        register_case(session, settings, Case(applicant_name="X"), MONDAY_MORNING, "petugas1")
        session.rollback()
    assert _register(settings, MONDAY_MORNING).seq == 1


def test_registering_twice_or_without_time_zone_is_refused(settings) -> None:
    case = _register(settings, MONDAY_MORNING)
    sessions = open_db(settings)
    with sessions() as session, pytest.raises(ConflictError, match="already registered"):
        register_case(session, settings, case, MONDAY_MORNING, "petugas1")
    with sessions() as session, pytest.raises(BadInputError, match="no time zone"):
        register_case(session, settings, Case(), datetime(2026, 11, 30, 9), "petugas1")


def test_sqlite_registration_must_open_its_transaction() -> None:
    settings = load_settings()  # SQLite only: PostgreSQL serialises on the counter row instead
    with open_db(settings)() as session:
        session.scalars(select(Case)).all()
        with pytest.raises(RuntimeError, match="commit or roll back before registering"):
            register_case(session, settings, Case(), MONDAY_MORNING, "petugas1")


def test_list_and_get_cases(settings) -> None:
    _register(settings, MONDAY_MORNING, "Andi Contoh")
    _register(settings, datetime(2027, 1, 5, 9, tzinfo=WIB), "Budi Contoh")
    with open_db(settings)() as session:
        assert [c.applicant_name for c in list_cases(session)] == ["Andi Contoh", "Budi Contoh"]
        assert [c.seq for c in list_cases(session, year=2027)] == [1]
        assert get_case(session, " 001/keb/ppid-dkukm/i/2027 ").applicant_name == "Budi Contoh"
        with pytest.raises(NotFoundError, match="ppid cases"):
            get_case(session, "999/KEB/PPID-DKUKM/I/2027")


def _register_many(url: str, count: int, barrier, results) -> None:
    """Child process: migrate and then register `count` cases, both at the same time as the other.

    Imports and the holiday tables are warmed up first, so that neither process is done before
    the other has started.
    """
    try:
        settings = load_settings(database_url=url)
        add_working_days(calendar_from_settings(settings), MONDAY_MORNING, 30)
        model_metadata()
        engine = make_engine(url)
        barrier.wait(timeout=30)
        migrate(engine)
        barrier.wait(timeout=30)
        sessions = session_factory(engine)
        numbers = []
        for i in range(count):
            with sessions() as session:
                case = Case(applicant_name=f"Pemohon {os.getpid()} {i}")
                register_case(session, settings, case, MONDAY_MORNING, f"proc{os.getpid()}")
                session.commit()
                numbers.append(case.seq)
            time.sleep(0.005)  # let the other process in between, so the two really interleave
        results.put(numbers)
    except BaseException:
        results.put(traceback.format_exc())
        raise


def test_two_processes_registering_at_once_get_distinct_gap_free_numbers(settings) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_register_many, args=(settings.database_url, 25, barrier, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=90) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    failures = [outcome for outcome in outcomes if isinstance(outcome, str)]
    assert not failures, failures[0] if failures else ""
    assert sorted(outcomes[0] + outcomes[1]) == list(range(1, 51))
    with open_db(settings)() as session:
        numbers = [case.number for case in list_cases(session)]
        assert numbers == [f"{seq:03d}/KEB/PPID-DKUKM/XI/2026" for seq in range(1, 51)]
        assert session.scalar(select(CaseEvent.id).order_by(CaseEvent.id.desc()).limit(1)) == 50


def test_mask_nik_keeps_only_the_region() -> None:
    assert mask_nik("6171014507900001") == "6171************"
    assert mask_nik(None) is None


def test_cli_lists_the_register_as_json_with_nik_masked(capsys) -> None:
    settings = load_settings()
    _register(settings, MONDAY_MORNING, "Andi Contoh")
    _register(settings, datetime(2027, 1, 5, 9, tzinfo=WIB), "Budi Contoh")
    code, out, _ = run_cli(capsys, "cases", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [row["number"] for row in rows] == [
        "001/KEB/PPID-DKUKM/XI/2026",
        "001/KEB/PPID-DKUKM/I/2027",
    ]
    assert rows[0]["applicant_nik"] == "6171************"
    assert rows[0]["reasons"] == ["c", "e"]
    assert "6171014507900001" not in out
    code, out, _ = run_cli(capsys, "cases", "--year", "2027")
    assert code == 0
    assert "Budi Contoh" in out and "Andi Contoh" not in out


def test_cli_shows_a_case_and_reports_a_missing_one_in_one_line(capsys) -> None:
    _register(load_settings(), MONDAY_MORNING, "Andi Contoh")
    code, out, _ = run_cli(capsys, "case", "show", "001/KEB/PPID-DKUKM/XI/2026")
    assert code == 0
    assert "applicant_name = Andi Contoh" in out
    assert "action=registered" in out
    assert "reasons = c, e" in out
    code, out, err = run_cli(capsys, "case", "show", "404/KEB/PPID-DKUKM/XI/2026")
    assert code == 3
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "404/KEB/PPID-DKUKM/XI/2026" in err and "ppid cases" in err


def test_cli_on_an_empty_register_says_so_and_creates_the_database(capsys, ppid_home) -> None:
    code, out, _ = run_cli(capsys, "cases")
    assert code == 0
    assert "No registered objections" in out
    assert (ppid_home / "var" / "ppid.sqlite3").exists()
