"""Tests of the working calendar on real 2026 dates (holidays package + configured cuti bersama)."""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from ppid.core.calendar import (
    CUTI_BERSAMA,
    WorkCalendar,
    add_working_days,
    calendar_from_settings,
    format_tanggal,
    format_waktu,
    is_working_day,
    month_roman,
    national_holidays,
    next_working_moment,
    non_working_reason,
    working_days_between,
)
from ppid.core.errors import ConfigError
from ppid.core.settings import Settings, WorkingHours, load_settings

WIB = ZoneInfo("Asia/Pontianak")
UTC = ZoneInfo("UTC")
EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "ppid.toml.example"
# Keppres 42/2025 (= SKB 1497, 2 and 5 of 2025), typed out here independently of settings.py.
CUTI_BERSAMA_2026 = [
    date(2026, 2, 16),
    date(2026, 3, 18),
    date(2026, 3, 20),
    date(2026, 3, 23),
    date(2026, 3, 24),
    date(2026, 5, 15),
    date(2026, 5, 28),
    date(2026, 12, 24),
]


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return calendar_from_settings(Settings(cuti_bersama=CUTI_BERSAMA_2026))


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


# --- facts the calendar rests on ----------------------------------------------------------


def test_holidays_package_knows_nyepi_and_idul_fitri_2026() -> None:
    table = national_holidays(2026)
    assert "Nyepi" in table[date(2026, 3, 19)]
    assert "Idul Fitri" in table[date(2026, 3, 21)]
    assert "Idul Fitri" in table[date(2026, 3, 22)]
    assert date(2026, 3, 20) not in table  # Friday before Idul Fitri is cuti bersama, not a holiday
    assert len(table) == 17  # the SKB's 17 national holidays


def test_default_cuti_bersama_is_the_2026_decree_on_weekdays_that_are_not_holidays() -> None:
    defaults = Settings().cuti_bersama
    assert sorted(defaults) == CUTI_BERSAMA_2026
    for day in defaults:
        assert day.weekday() < 5
        assert day not in national_holidays(2026)


# --- which days are working days ----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 3, 17), None),
        (date(2026, 3, 18), CUTI_BERSAMA),
        (date(2026, 3, 19), "Hari Suci Nyepi"),
        (date(2026, 3, 20), CUTI_BERSAMA),
        (date(2026, 3, 21), "Hari Raya Idul Fitri"),  # a Saturday: the holiday is named
        (date(2026, 3, 23), CUTI_BERSAMA),
        (date(2026, 3, 24), CUTI_BERSAMA),
        (date(2026, 3, 25), None),
        (date(2026, 11, 28), "Sabtu"),
        (date(2026, 11, 29), "Minggu"),
        (date(2026, 12, 24), CUTI_BERSAMA),
        (date(2026, 12, 25), "Hari Raya Natal"),
        (date(2027, 1, 1), "Tahun Baru Masehi"),
    ],
)
def test_non_working_reason_names_holiday_cuti_bersama_or_weekend(
    cal: WorkCalendar, day: date, reason: str | None
) -> None:
    assert non_working_reason(cal, day) == reason
    assert is_working_day(cal, day) is (reason is None)


def test_cuti_bersama_only_counts_when_configured() -> None:
    bare = calendar_from_settings(Settings(cuti_bersama=[]))
    assert is_working_day(bare, date(2026, 3, 20))
    assert not is_working_day(bare, date(2026, 3, 19))


def test_a_datetime_is_judged_by_its_office_date(cal: WorkCalendar) -> None:
    # 18 March 17:30 UTC is 19 March 00:30 in Pontianak: Nyepi.
    assert non_working_reason(cal, datetime(2026, 3, 18, 17, 30, tzinfo=UTC)) == "Hari Suci Nyepi"


def test_saturday_hours_make_saturday_a_working_day() -> None:
    hours = dict(Settings().working_hours)
    hours["sat"] = WorkingHours(start=time(8, 0), end=time(12, 0))
    cal = calendar_from_settings(Settings(working_hours=hours))
    assert is_working_day(cal, date(2026, 11, 28))
    assert next_working_moment(cal, wib(2026, 11, 28, 12, 0)) == wib(2026, 11, 30, 7, 30)


# --- the moment a document counts as received ---------------------------------------------


def test_friday_1615_is_inside_friday_hours_and_unchanged(cal: WorkCalendar) -> None:
    when = wib(2026, 11, 27, 16, 15)
    assert next_working_moment(cal, when) is when


def test_thursday_1615_is_after_hours_and_counts_from_friday_0730(cal: WorkCalendar) -> None:
    assert next_working_moment(cal, wib(2026, 11, 26, 16, 15)) == wib(2026, 11, 27, 7, 30)


def test_closing_time_itself_is_outside_hours(cal: WorkCalendar) -> None:
    assert next_working_moment(cal, wib(2026, 11, 26, 16, 0)) == wib(2026, 11, 27, 7, 30)
    assert next_working_moment(cal, wib(2026, 11, 26, 15, 59)) == wib(2026, 11, 26, 15, 59)


def test_early_morning_counts_from_opening_the_same_day(cal: WorkCalendar) -> None:
    assert next_working_moment(cal, wib(2026, 11, 26, 6, 5)) == wib(2026, 11, 26, 7, 30)


def test_saturday_drop_counts_from_monday_opening(cal: WorkCalendar) -> None:
    moment = next_working_moment(cal, wib(2026, 11, 28, 10, 0))
    assert moment == wib(2026, 11, 30, 7, 30)
    assert moment.utcoffset() == timedelta(hours=7)


def test_evening_before_nyepi_counts_from_after_the_idul_fitri_week(cal: WorkCalendar) -> None:
    assert next_working_moment(cal, wib(2026, 3, 17, 17, 0)) == wib(2026, 3, 25, 7, 30)


def test_naive_datetime_is_office_time(cal: WorkCalendar) -> None:
    moment = next_working_moment(cal, datetime(2026, 11, 27, 16, 15))
    assert moment == wib(2026, 11, 27, 16, 15)
    assert moment.tzinfo is not None


def test_aware_utc_datetime_is_judged_in_office_time(cal: WorkCalendar) -> None:
    inside = datetime(2026, 11, 27, 9, 15, tzinfo=UTC)  # 16:15 WIB, Friday
    after = datetime(2026, 11, 27, 9, 45, tzinfo=UTC)  # 16:45 WIB, Friday
    assert next_working_moment(cal, inside) is inside
    assert next_working_moment(cal, after) == wib(2026, 11, 30, 7, 30)


# --- deadlines ----------------------------------------------------------------------------


def test_30_working_days_across_nyepi_idul_fitri_and_good_friday(cal: WorkCalendar) -> None:
    # Counted by hand from Monday 2 March 2026: 16 days in March (18–24 closed), 3 April is
    # Good Friday, so day 30 is Tuesday 21 April. Without cuti bersama only 19 March and
    # 3 April are off: Wednesday 15 April.
    assert add_working_days(cal, date(2026, 3, 2), 30) == date(2026, 4, 21)
    plain = calendar_from_settings(Settings(cuti_bersama=[]))
    assert add_working_days(plain, date(2026, 3, 2), 30) == date(2026, 4, 15)


def test_deadline_across_christmas_and_new_year_into_2027(cal: WorkCalendar) -> None:
    # From Wed 16 Dec 2026: 24 Dec cuti bersama, 25 Dec Natal, 1 Jan 2027 Tahun Baru,
    # 5 Jan 2027 Isra Mikraj (holidays package).
    assert add_working_days(cal, date(2026, 12, 16), 10) == date(2027, 1, 4)
    assert add_working_days(cal, date(2026, 12, 16), 14) == date(2027, 1, 11)


def test_day_one_is_the_first_working_day_after_the_start(cal: WorkCalendar) -> None:
    assert add_working_days(cal, date(2026, 11, 26), 1) == date(2026, 11, 27)
    assert add_working_days(cal, date(2026, 11, 27), 1) == date(2026, 11, 30)
    assert add_working_days(cal, date(2026, 11, 28), 1) == date(2026, 11, 30)
    assert add_working_days(cal, date(2026, 11, 28), 0) == date(2026, 11, 28)


def test_receipt_moment_outside_hours_starts_the_count_on_the_next_working_day(
    cal: WorkCalendar,
) -> None:
    assert add_working_days(cal, wib(2026, 11, 27, 16, 15), 1) == date(2026, 11, 30)
    assert add_working_days(cal, wib(2026, 11, 26, 16, 15), 1) == date(2026, 11, 30)
    assert add_working_days(cal, wib(2026, 11, 28, 10, 0), 1) == date(2026, 12, 1)
    assert add_working_days(cal, wib(2026, 11, 28, 10, 0), 0) == date(2026, 11, 30)


def test_negative_count_is_refused(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="forward"):
        add_working_days(cal, date(2026, 3, 2), -1)


def test_working_days_between_counts_after_start_through_end(cal: WorkCalendar) -> None:
    assert working_days_between(cal, date(2026, 3, 2), date(2026, 4, 21)) == 30
    assert working_days_between(cal, date(2026, 4, 21), date(2026, 3, 2)) == -30
    assert working_days_between(cal, date(2026, 3, 17), date(2026, 3, 25)) == 1
    assert working_days_between(cal, date(2026, 3, 17), date(2026, 3, 24)) == 0
    assert working_days_between(cal, date(2026, 3, 17), date(2026, 3, 17)) == 0


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    n=st.integers(min_value=0, max_value=40),
)
def test_between_is_the_inverse_of_add(start: date, n: int) -> None:
    cal = calendar_from_settings(Settings(cuti_bersama=CUTI_BERSAMA_2026))
    end = add_working_days(cal, start, n)
    assert working_days_between(cal, start, end) == n
    assert n == 0 or is_working_day(cal, end)
    assert working_days_between(cal, end, start) == -n


# --- Indonesian dates ---------------------------------------------------------------------


def test_format_tanggal_is_the_indonesian_long_date() -> None:
    assert format_tanggal(date(2026, 11, 27)) == "Jumat, 27 November 2026"
    assert format_tanggal(date(2026, 3, 1)) == "Minggu, 1 Maret 2026"
    assert format_tanggal(date(2026, 8, 17), weekday=False) == "17 Agustus 2026"


def test_format_waktu_shows_office_time_with_zone(cal: WorkCalendar) -> None:
    when = datetime(2026, 11, 27, 9, 15, tzinfo=UTC)
    assert format_waktu(cal, when) == "Jumat, 27 November 2026 pukul 16.15 WIB"


def test_month_roman_for_every_month_and_refuses_others() -> None:
    expected = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
    assert [month_roman(m) for m in range(1, 13)] == expected
    for bad in (0, 13):
        with pytest.raises(ValueError, match=r"1\.\.12"):
            month_roman(bad)


# --- configuration ------------------------------------------------------------------------


def test_unknown_timezone_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Asia/Pontianak"):
        calendar_from_settings(Settings(timezone="Asia/Atlantis"))


def test_start_after_end_is_a_config_error() -> None:
    hours = {"mon": WorkingHours(start=time(16, 0), end=time(7, 30))}
    with pytest.raises(ConfigError, match=r"working_hours\.mon"):
        calendar_from_settings(Settings(working_hours=hours))


def test_no_working_day_at_all_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no working day"):
        calendar_from_settings(Settings(working_hours={}))


def test_example_config_loads_and_shows_the_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PPID_CONFIG", str(EXAMPLE_CONFIG))
    loaded = load_settings()
    defaults = _defaults(monkeypatch)
    assert loaded.cuti_bersama == CUTI_BERSAMA_2026
    # The example claims to show every built-in default: it must change nothing.
    assert loaded.model_dump() == defaults.model_dump()


def _defaults(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("PPID_CONFIG", str(EXAMPLE_CONFIG.with_name("no-such-ppid.toml")))
    return load_settings()


def test_example_config_documents_every_setting() -> None:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    tomllib.loads(text)  # valid TOML
    missing = [
        name
        for name in _setting_names(Settings)
        if not re.search(rf"^#? ?(\[{name}\]|{name} =)", text, re.MULTILINE)
    ]
    assert not missing, f"ppid.toml.example does not mention: {missing}"


def _setting_names(model: type[BaseModel]) -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        names.append(name)
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            names.extend(_setting_names(field.annotation))
    return names
