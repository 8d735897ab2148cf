"""The objection register: gap-free register numbers, registering a case, reading the register."""

from __future__ import annotations

import importlib
import logging
import string
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from ppid.core.calendar import (
    WorkCalendar,
    add_working_days,
    calendar_from_settings,
    month_roman,
    next_working_moment,
)
from ppid.core.db import begin_write
from ppid.core.errors import BadInputError, ConfigError, ConflictError, NotFoundError
from ppid.core.masking import mask_nik
from ppid.core.models import Case, CaseEvent, RegisterCounter, utcnow
from ppid.core.settings import Settings
from ppid.core.vocabulary import CaseStatus, Role

log = logging.getLogger(__name__)

# The databases whose dialect has an upsert (INSERT … ON CONFLICT DO UPDATE) for the counters.
UPSERT_DIALECTS = ("sqlite", "postgresql")
DEFAULT_PATTERN = "{seq:03d}/KEB/PPID-DKUKM/{month_roman}/{year}"
PLACEHOLDERS = ("seq", "year", "month", "month_roman", "day")


def format_register_number(
    pattern: str, seq: int, when: date, setting: str = "register_number_format"
) -> str:
    """The register number for the `seq`-th case of the year, registered on `when` (office date).

    Placeholders: {seq} (use {seq:03d} for 001), {year}, {month} (1..12, {month:02d} for 01),
    {month_roman} (XI) and {day}. `seq` and `year` are required so numbers never repeat.
    Letter numbers use the same rules; `setting` names the setting a bad pattern came from.
    """
    used = {field for _, field, _, _ in string.Formatter().parse(pattern) if field is not None}
    unknown = used - set(PLACEHOLDERS)
    if unknown:
        available = ["{" + name + "}" for name in PLACEHOLDERS]
        raise ConfigError(
            "number.unknown_placeholder",
            setting=setting,
            pattern=pattern,
            unknown=sorted(unknown),
            available=available,
        )
    if not {"seq", "year"} <= used:
        raise ConfigError(
            "number.needs_seq_year", setting=setting, pattern=pattern, default=DEFAULT_PATTERN
        )
    try:
        return pattern.format(
            seq=seq,
            year=when.year,
            month=when.month,
            month_roman=month_roman(when.month),
            day=when.day,
        )
    except (ValueError, IndexError) as error:
        raise ConfigError(
            "number.invalid", setting=setting, pattern=pattern, problem=str(error)
        ) from error


def register_case(
    session: Session, settings: Settings, case: Case, received_at: datetime, actor: str
) -> Case:
    """Give `case` the next register number of its year, its answer deadline and a history entry.

    Everything happens in the session's transaction, which the caller commits: a rollback gives
    the number back, so the register stays gap-free. On SQLite this must be the first database
    work of the transaction (it opens it with BEGIN IMMEDIATE); on PostgreSQL the counter row's
    lock serialises concurrent registrations. A case received outside working hours is numbered
    and counted from the next working moment.
    """
    if received_at.tzinfo is None:
        raise BadInputError("case.naive_time", received_at=received_at.isoformat())
    if case.number is not None:
        raise ConflictError("case.already_registered", number=case.number)
    cal = calendar_from_settings(settings)
    counted_from = next_working_moment(cal, received_at).astimezone(cal.tz)
    answer_due = add_working_days(cal, received_at, settings.answer_deadline_working_days)
    format_register_number(settings.register_number_format, 1, counted_from)  # fail before locking
    # From here to the caller's commit the write lock is held: keep the work inside small.
    connection = begin_write(session)
    session.add(case)
    seq = _next_seq(connection, counted_from.year)
    case.received_at = received_at
    case.year, case.seq = counted_from.year, seq
    case.number = format_register_number(settings.register_number_format, seq, counted_from)
    case.registered_at = utcnow()
    case.answer_due = answer_due
    case.response_date = case.response_date or case.answer_due
    case.status = CaseStatus.REGISTERED
    case.events.append(
        CaseEvent(
            at=case.registered_at,
            actor=actor,
            role=Role.PETUGAS,
            action="registered",
            data={
                "number": case.number,
                "counted_from": counted_from.isoformat(),
                "answer_due": case.answer_due.isoformat(),
            },
        )
    )
    session.flush()
    log.info("registered case %s (answer due %s)", case.number, case.answer_due)
    return case


def _next_seq(connection: Connection, year: int) -> int:
    """Bump the year's counter in one statement and return the new value (row stays locked)."""
    return next_counter(connection, RegisterCounter.__table__, {"year": year})


def next_counter(connection: Connection, table: Any, key: dict[str, Any]) -> int:
    """Bump the `last_seq` of `table`'s row `key` (its primary key) and return the new value.

    One upsert statement, so concurrent callers serialise on the row (SQLite: the write lock of
    BEGIN IMMEDIATE; PostgreSQL: the row lock) and a rollback gives the number back: gap-free.
    Register numbers and letter numbers (ppid.casework.letters) share it. The upsert is the
    dialect's own `insert`, from the dialect module the engine has already loaded: importing
    every supported one up front made each `ppid` listing load PostgreSQL's on SQLite too.
    """
    name = connection.dialect.name
    if name not in UPSERT_DIALECTS:
        raise ConfigError("register.dialect", dialect=name)
    insert = importlib.import_module(f"sqlalchemy.dialects.{name}").insert
    statement = (
        insert(table)
        .values(**key, last_seq=1)
        .on_conflict_do_update(
            index_elements=[table.c[name] for name in key],
            set_={"last_seq": table.c.last_seq + 1},
        )
        .returning(table.c.last_seq)
    )
    return int(connection.execute(statement).scalar_one())


def list_cases(session: Session, year: int | None = None) -> list[Case]:
    """Registered cases in register order (year, then number); unregistered intake is left out."""
    query = select(Case).where(Case.number.is_not(None)).order_by(Case.year, Case.seq)
    if year is not None:
        query = query.where(Case.year == year)
    return list(session.scalars(query))


def get_case(session: Session, number: str) -> Case:
    """The case with this register number (letter case and surrounding spaces do not matter)."""
    wanted = number.strip()
    case = session.scalars(select(Case).where(Case.number == wanted)).one_or_none()
    if case is None:
        query = select(Case).where(func.upper(Case.number) == wanted.upper())
        case = session.scalars(query).first()
    if case is None:
        raise NotFoundError("case.not_found", number=wanted)
    return case


def case_summary(case: Case, cal: WorkCalendar) -> dict[str, Any]:
    """One register row as plain data; the NIK is masked (listings need no full number)."""
    return {
        "number": case.number,
        "year": case.year,
        "seq": case.seq,
        "received_at": _local(case.received_at, cal),
        "status": str(case.status),
        "status_label": case.status_label,
        "answer_due": _iso(case.answer_due),
        "applicant_name": case.applicant_name,
        "applicant_nik": mask_nik(case.applicant_nik),
        "request_number": case.request_number,
        "reasons": case.reasons,
        "possible_duplicate": case.possible_duplicate,
    }


def case_detail(case: Case, cal: WorkCalendar) -> dict[str, Any]:
    """Everything about one case for `ppid case show`: the row, documents, tasks and history."""
    return {
        **case_summary(case, cal),
        "registered_at": _local(case.registered_at, cal),
        "channel": case.channel,
        "applicant_address": case.applicant_address,
        "applicant_occupation": case.applicant_occupation,
        "applicant_phone": case.applicant_phone,
        "applicant_email": case.applicant_email,
        "proxy_name": case.proxy_name,
        "proxy_address": case.proxy_address,
        "proxy_phone": case.proxy_phone,
        "purpose": case.purpose,
        "information_requested": case.information_requested,
        "case_description": case.case_description,
        "response_date": _iso(case.response_date),
        "signed_place": case.signed_place,
        "signed_date": _iso(case.signed_date),
        "decision": case.decision,
        "answered_on": _iso(case.answered_on),
        "documents": [
            {"kind": str(d.kind), "role": d.role, "path": d.path, "sha256": d.sha256}
            for d in case.documents
        ],
        "tasks": [
            {"role": str(t.role), "step": t.step, "due": _iso(t.due), "status": str(t.status)}
            for t in case.tasks
        ],
        "events": [
            {"at": _local(e.at, cal), "actor": e.actor, "action": e.action, "note": e.note}
            for e in case.events
        ],
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _local(moment: datetime | None, cal: WorkCalendar) -> str | None:
    return moment.astimezone(cal.tz).isoformat(timespec="seconds") if moment else None
