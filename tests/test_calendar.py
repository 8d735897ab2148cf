"""The working calendar on real dates: the holidays package's holidays and cuti bersama, and the
office's own changes to them."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from ppid.core import calendar
from ppid.core.calendar import (
    FROM_GOVERNMENT,
    FROM_PUBLIC,
    FROM_SETTINGS,
    WorkCalendar,
    add_working_days,
    calendar_from_settings,
    days_off_in,
    format_tanggal,
    format_waktu,
    is_working_day,
    month_roman,
    next_working_moment,
    non_working_reason,
    package_days_off,
    working_days_between,
)
from ppid.core.errors import ConfigError
from ppid.core.settings import Settings, WorkingHours, load_settings
from tests.specimens import run_cli

WIB = ZoneInfo("Asia/Pontianak")
UTC = ZoneInfo("UTC")
EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "ppid.toml.example"
# Keppres 42/2025 (= SKB 1497, 2 and 5 of 2025), typed out here independently of the package.
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
    return calendar_from_settings(Settings())


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


# --- facts the calendar rests on ----------------------------------------------------------


def _by_source(year: int, source: str) -> dict[date, str]:
    return {d.day: d.name for d in package_days_off(year).values() if d.source == source}


def test_holidays_package_knows_nyepi_and_idul_fitri_2026() -> None:
    table = _by_source(2026, FROM_PUBLIC)
    assert "Nyepi" in table[date(2026, 3, 19)]
    assert "Idul Fitri" in table[date(2026, 3, 21)]
    assert "Idul Fitri" in table[date(2026, 3, 22)]
    assert date(2026, 3, 20) not in table  # Friday before Idul Fitri is cuti bersama, not a holiday
    assert len(table) == 17  # the SKB's 17 national holidays


def test_a_years_table_is_kept_and_read_back_without_asking_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = tmp_path / "holidays"
    made = dict(package_days_off(2026))
    assert dict(package_days_off(2026, kept)) == made
    assert [p.name.split("-")[0] for p in kept.iterdir()] == ["2026"]
    package_days_off.cache_clear()  # as a new process starts

    def asked(year: int) -> None:
        pytest.fail(f"the package was asked for {year}, the kept table was not read")

    monkeypatch.setattr(calendar, "_table_from_package", asked)
    assert dict(package_days_off(2026, kept)) == made


@pytest.mark.parametrize(
    "content",
    ["[[", '{"a": 1}', '[["2026-13-01", "x", "public"]]', '[["2025-01-01", "x", "public"]]'],
)
def test_a_kept_table_that_cannot_be_read_is_made_again(tmp_path: Path, content: str) -> None:
    kept = tmp_path / "holidays"
    made = dict(package_days_off(2026, kept))
    (path,) = kept.iterdir()
    path.write_text(content)
    package_days_off.cache_clear()
    assert dict(package_days_off(2026, kept)) == made
    assert len(json.loads(path.read_text())) == len(made)  # and kept again, whole


def test_the_packages_cuti_bersama_2026_are_the_decree_on_weekdays_that_are_not_holidays() -> None:
    cuti = _by_source(2026, FROM_GOVERNMENT)
    assert sorted(cuti) == CUTI_BERSAMA_2026
    for day, name in cuti.items():
        assert day.weekday() < 5 and name.startswith("Cuti Bersama")


def test_a_2027_deadline_counts_the_2027_cuti_bersama_with_no_setting() -> None:
    # Registered Monday 1 March 2027. Counted by hand: March has 22 weekdays after the 1st; 8
    # are off: Nyepi (8th), Idul Fitri (10th, 11th), Good Friday (26th) and the cuti bersama on
    # the 9th, 12th, 15th and 25th. Day 14 is 31 March; 1, 2, 5-9, 12-16, 19-22 April make day
    # 30 Thursday 22 April. Without the four cuti bersama it would be Friday 16 April.
    cal = calendar_from_settings(Settings())
    assert Settings().days_off == {} and Settings().working_days == []
    for cuti in (date(2027, 3, 9), date(2027, 3, 12), date(2027, 3, 15), date(2027, 3, 25)):
        assert not is_working_day(cal, cuti)
        assert non_working_reason(cal, cuti).startswith("Cuti Bersama")
    march = [date(2027, 3, d) for d in range(2, 32)]
    assert sum(is_working_day(cal, d) for d in march) == 14
    assert add_working_days(cal, date(2027, 3, 1), 30) == date(2027, 4, 22)
    without_cuti = calendar_from_settings(
        Settings(working_days=list(_by_source(2027, FROM_GOVERNMENT)))
    )
    assert add_working_days(without_cuti, date(2027, 3, 1), 30) == date(2027, 4, 16)


# --- which days are working days ----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 3, 17), None),
        (date(2026, 3, 18), "Cuti Bersama Hari Suci Nyepi"),
        (date(2026, 3, 19), "Hari Suci Nyepi"),
        (date(2026, 3, 20), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2026, 3, 21), "Hari Raya Idul Fitri"),  # a Saturday: the holiday is named
        (date(2026, 3, 23), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2026, 3, 24), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2026, 3, 25), None),
        (date(2026, 11, 28), "Sabtu"),
        (date(2026, 11, 29), "Minggu"),
        (date(2026, 12, 24), "Cuti Bersama Hari Raya Natal"),
        (date(2026, 12, 25), "Hari Raya Natal"),
        (date(2027, 1, 1), "Tahun Baru Masehi"),
    ],
)
def test_non_working_reason_names_holiday_cuti_bersama_or_weekend(
    cal: WorkCalendar, day: date, reason: str | None
) -> None:
    assert non_working_reason(cal, day) == reason
    assert is_working_day(cal, day) is (reason is None)


def test_ppid_toml_adds_named_days_off_and_removes_days_the_office_works() -> None:
    regional = date(2026, 10, 23)  # a Friday: Hari Jadi Kota Pontianak, say
    cal = calendar_from_settings(
        Settings(days_off={regional: "Hari Jadi Kota Pontianak"}, working_days=[date(2026, 3, 20)])
    )
    assert non_working_reason(cal, regional) == "Hari Jadi Kota Pontianak"
    assert is_working_day(cal, date(2026, 3, 20))  # a cuti bersama the office works
    assert not is_working_day(cal, date(2026, 3, 19))  # Nyepi still off
    sources = {d.day: d.source for d in days_off_in(cal, 2026)}
    assert sources[regional] == FROM_SETTINGS and date(2026, 3, 20) not in sources
    assert sources[date(2026, 3, 18)] == FROM_GOVERNMENT
    assert sources[date(2026, 3, 19)] == FROM_PUBLIC


def test_the_old_cuti_bersama_list_is_refused_with_what_to_do_instead(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"cuti_bersama is no longer a setting.*days_off"):
        Settings(cuti_bersama=[date(2026, 3, 18)])


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
    plain = calendar_from_settings(Settings(working_days=CUTI_BERSAMA_2026))
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
    cal = calendar_from_settings(Settings())
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


def test_ppid_calendar_prints_each_day_off_with_its_source(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PPID_DAYS_OFF", '{"2027-10-22": "Hari Jadi Kota Pontianak"}')
    monkeypatch.setenv("PPID_WORKING_DAYS", '["2027-12-24"]')
    code, out, _ = run_cli(capsys, "calendar", "2027")
    assert code == 0
    lines = out.splitlines()
    assert any(
        line.startswith("2027-03-09") and "Cuti Bersama" in line and FROM_GOVERNMENT in line
        for line in lines
    )
    assert any(line.startswith("2027-03-08") and FROM_PUBLIC in line for line in lines)
    assert any(line.startswith("2027-10-22") and FROM_SETTINGS in line for line in lines)
    assert any(line.startswith("2027-12-24") and "working_days" in line for line in lines)
    code, out, _ = run_cli(capsys, "calendar", "2027", "--json")
    rows = json.loads(out)
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
