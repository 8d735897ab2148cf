"""The office's working calendar: hours, holidays, cuti bersama, deadlines, Indonesian dates.

National holidays and cuti bersama come from the `holidays` package: Indonesia's PUBLIC category
(the national holidays) and its GOVERNMENT category (the cuti bersama decreed for civil servants
each year, SKB of three ministers / Keppres). `ppid.toml` only changes that calendar: `days_off`
adds named days (a decree newer than the installed package, a regional holiday), `working_days`
removes days the office works anyway. `ppid calendar YEAR` shows the result and each day's source.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ppid.core.errors import ConfigError
from ppid.core.files import replace_text
from ppid.core.paths import holiday_tables
from ppid.core.settings import WEEKDAYS, Settings

log = logging.getLogger(__name__)

HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
# Where a non-working day comes from (`ppid calendar`)
FROM_PUBLIC = "holidays: public (libur nasional)"
FROM_GOVERNMENT = "holidays: government (cuti bersama)"
FROM_SETTINGS = "ppid.toml days_off"
FROM_WEEKDAY = "working_hours"
# The package's categories we read, in the order a later one wins a day: a public holiday over a
# cuti bersama on the same day.
PACKAGE_CATEGORIES = {"government": FROM_GOVERNMENT, "public": FROM_PUBLIC}
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
# No real calendar has a year without a working day; the bound only stops a misconfiguration
# (every day off) from looping forever.
_MAX_DAYS_WITHOUT_WORK = 366


@dataclass(frozen=True)
class WorkCalendar:
    """When the office is open: its time zone, hours per weekday and the extra days off.

    `hours[i]` is `(start, end)` for `date.weekday() == i` (Monday is 0), or None when the office
    is closed that weekday. National holidays and cuti bersama are not stored here but looked up
    from the `holidays` package, so a calendar never goes stale; `days_off` (named) and
    `working_days` are the office's own changes to it.
    """

    tz: ZoneInfo
    hours: tuple[tuple[time, time] | None, ...]
    days_off: Mapping[date, str] = field(default_factory=lambda: MappingProxyType({}))
    working_days: frozenset[date] = frozenset()
    # Where the package's tables are kept between processes (`package_days_off`); None: not kept.
    holiday_tables: Path | None = None


@dataclass(frozen=True)
class DayOff:
    """A day the office is closed for a reason other than its weekly hours, and its source."""

    day: date
    name: str
    source: str


def calendar_from_settings(settings: Settings) -> WorkCalendar:
    """Build the calendar once from the settings; a broken setting is reported, not guessed."""
    hours = tuple(_weekday_hours(settings, name) for name in WEEKDAYS)
    if all(span is None for span in hours):
        raise ConfigError("config.no_working_day")
    return WorkCalendar(
        tz=_zone(settings.timezone),
        hours=hours,
        days_off=MappingProxyType(dict(settings.days_off)),
        working_days=frozenset(settings.working_days),
        holiday_tables=holiday_tables(settings),
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError("config.timezone", name=name) from error


def _weekday_hours(settings: Settings, weekday: str) -> tuple[time, time] | None:
    span = settings.working_hours.get(weekday)
    if span is None:
        return None
    if span.start >= span.end:
        start, end = f"{span.start:%H:%M}", f"{span.end:%H:%M}"
        raise ConfigError("config.hours", weekday=weekday, start=start, end=end)
    return (span.start, span.end)


@lru_cache(maxsize=32)
def package_days_off(year: int, kept_in: Path | None = None) -> Mapping[date, DayOff]:
    """Indonesia's national holidays and cuti bersama of one year, in Indonesian (cached).

    Names of dates the package only estimates (Islamic holidays of future years) end in
    "(perkiraan)"; the government fixes them by decree, so check them against the SKB.

    Loading the package imports every country's module, most of what `ppid tasks` or a step
    would spend on holidays; so it is imported only at the first day looked up, and with
    `kept_in` the year's table is kept there as JSON under the package's version, for the next
    process to read instead. A table that cannot be read or kept is simply made again.
    """
    kept = kept_in / f"{year}-{importlib.metadata.version('holidays')}.json" if kept_in else None
    if kept is not None and (table := _read_table(kept, year)) is not None:
        return MappingProxyType(table)
    table = _table_from_package(year)
    if kept is not None:
        _keep_table(kept, table)
    return MappingProxyType(table)


def _table_from_package(year: int) -> dict[date, DayOff]:
    import holidays  # here, not at the top: see package_days_off

    found: dict[date, DayOff] = {}
    for category, source in PACKAGE_CATEGORIES.items():
        table = holidays.country_holidays("ID", years=year, categories=category, language="id")
        found.update({day: DayOff(day, name, source) for day, name in table.items()})
    return found


def _read_table(path: Path, year: int) -> dict[date, DayOff] | None:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        found = {
            date.fromisoformat(day): DayOff(
                date.fromisoformat(day), str(name), PACKAGE_CATEGORIES[category]
            )
            for day, name, category in rows
        }
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("holiday table %s unreadable (%s); made again from the package", path, error)
        return None
    return found if all(day.year == year for day in found) else None


def _keep_table(path: Path, table: dict[date, DayOff]) -> None:
    category = {source: name for name, source in PACKAGE_CATEGORIES.items()}
    rows = [[day.isoformat(), off.name, category[off.source]] for day, off in table.items()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_text(path, json.dumps(rows, ensure_ascii=False))
    except OSError as error:  # a read-only var/: every process asks the package
        log.debug("holiday table not kept in %s: %s", path, error)


def day_off(cal: WorkCalendar, day: date) -> DayOff | None:
    """Why the office is closed on `day` beyond its weekly hours, or None.

    The office's own `days_off` first, then the package's holidays and cuti bersama, unless
    the office listed the day in `working_days`.
    """
    day = _local_date(cal, day)
    if name := cal.days_off.get(day):
        return DayOff(day, name, FROM_SETTINGS)
    if day in cal.working_days:
        return None
    return package_days_off(day.year, cal.holiday_tables).get(day)


def days_off_in(cal: WorkCalendar, year: int) -> list[DayOff]:
    """Every holiday, cuti bersama and office day off of `year`, in date order."""
    start = date(year, 1, 1)
    days = (start + timedelta(days=k) for k in range((date(year + 1, 1, 1) - start).days))
    return [found for day in days if (found := day_off(cal, day)) is not None]


def non_working_reason(cal: WorkCalendar, day: date) -> str | None:
    """Why the office is closed on `day`, in Indonesian, or None if it is a working day.

    A holiday or cuti bersama is named even on a weekend (it is the more informative reason);
    then the weekday name ("Sabtu", "Minggu") for days without working hours.
    """
    day = _local_date(cal, day)
    if found := day_off(cal, day):
        return found.name
    if cal.hours[day.weekday()] is None:
        return HARI[day.weekday()]
    return None


def is_working_day(cal: WorkCalendar, day: date) -> bool:
    """True when the office has working hours on `day` and it is no holiday or cuti bersama."""
    return non_working_reason(cal, day) is None


def next_working_moment(cal: WorkCalendar, when: datetime) -> datetime:
    """The moment a document arriving at `when` counts as received.

    Inside working hours (start inclusive, end exclusive) that is `when` itself — returned
    unchanged if it is aware; a naive `when` is read as office time and returned made aware.
    Before opening on a working day it is that day's opening; otherwise the opening of the
    next working day. The result is always an aware datetime.
    """
    local = _localize(cal, when)
    day = local.date()
    if is_working_day(cal, day):
        start, end = _open_hours(cal, day)
        if local.time() < start:
            return _opening(cal, day)
        if local.time() < end:
            return when if when.tzinfo is not None else local
    return _opening(cal, _next_working_day(cal, day))


def add_working_days(cal: WorkCalendar, start: date | datetime, n: int) -> date:
    """The date n working days after `start`: the last day of an n-working-day deadline.

    Convention (the legal reading of "dalam n hari kerja sejak ..."): the start day itself is
    day 0 and day 1 is the first working day AFTER it, so a 30-working-day deadline from a
    registration on Monday ends on the 30th working day after that Monday.

    A `date` is taken as the day the period starts (e.g. the registration date). A `datetime`
    is a moment of receipt: it is first moved to `next_working_moment`, because a document
    received outside working hours counts as received on the next working day. So a letter
    dropped on Saturday is received Monday and day 1 is Tuesday. `n == 0` returns the start day.
    """
    if n < 0:
        raise ValueError(f"add_working_days counts forward only; got n={n}")
    if isinstance(start, datetime):
        day = _localize(cal, next_working_moment(cal, start)).date()
    else:
        day = start
    for _ in range(n):
        day = _next_working_day(cal, day)
    return day


def working_days_between(cal: WorkCalendar, start: date, end: date) -> int:
    """Working days after `start` up to and including `end`; negative if `end` is before `start`.

    The inverse of `add_working_days` for dates: `working_days_between(cal, d,
    add_working_days(cal, d, n)) == n`. Use it to ask "is this still within 30 working days?".
    """
    start, end = _local_date(cal, start), _local_date(cal, end)
    if end < start:
        return -working_days_between(cal, end, start)
    span = (end - start).days
    return sum(is_working_day(cal, start + timedelta(days=k)) for k in range(1, span + 1))


def format_tanggal(day: date, *, weekday: bool = True) -> str:
    """Indonesian long date for letters and registers: "Jumat, 27 November 2026".

    With `weekday=False`: "27 November 2026" (the place-and-date line of a letter). A datetime
    is formatted by its own fields; convert it to office time first.
    """
    text = f"{day.day} {BULAN[day.month - 1]} {day.year}"
    return f"{HARI[day.weekday()]}, {text}" if weekday else text


def format_waktu(cal: WorkCalendar, when: datetime) -> str:
    """Indonesian date and office time of a moment: "Jumat, 27 November 2026 pukul 16.15 WIB"."""
    local = _localize(cal, when)
    return f"{format_tanggal(local)} pukul {local:%H.%M} {local.tzname()}"


def month_roman(month: int) -> str:
    """The month in Roman numerals, as in Indonesian letter and register numbers ("XI")."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    return _ROMAN[month - 1]


def _localize(cal: WorkCalendar, when: datetime) -> datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=cal.tz)
    return when.astimezone(cal.tz)


def _local_date(cal: WorkCalendar, day: date) -> date:
    # A datetime is a date too, but never equal to one: compare by its office-time date.
    return _localize(cal, day).date() if isinstance(day, datetime) else day


def _open_hours(cal: WorkCalendar, day: date) -> tuple[time, time]:
    span = cal.hours[day.weekday()]
    assert span is not None, "only called for working days"
    return span


def _opening(cal: WorkCalendar, day: date) -> datetime:
    return datetime.combine(day, _open_hours(cal, day)[0], tzinfo=cal.tz)


def _next_working_day(cal: WorkCalendar, day: date) -> date:
    for k in range(1, _MAX_DAYS_WITHOUT_WORK + 1):
        candidate = day + timedelta(days=k)
        if is_working_day(cal, candidate):
            return candidate
    raise ConfigError("config.no_working_day_ahead", day=day.isoformat())
