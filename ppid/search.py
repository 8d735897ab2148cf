"""Full-text search over the register: SQLite FTS5 (prefix, bm25, snippets), ILIKE elsewhere.

The index is derived data, kept outside the migrations: `refresh_index` (re)builds the rows of
cases that changed since they were indexed, so a search is always current without triggers.
Indexed: the register fields and the OCR / text layer of every received document except ID
cards (their text is personal data nobody needs to search).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from datetime import datetime as date_time
from typing import Any

from sqlalchemy import and_, false, func, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from ppid.db import begin_write
from ppid.intake import IntakeFile, Submission
from ppid.models import Case, CaseEvent, CaseStatus

log = logging.getLogger(__name__)

HIT_START, HIT_END = "\x02", "\x03"  # snippet markers; the web layer escapes, then marks
_WORD = re.compile(r"\w+", re.UNICODE)
_FIELDS = (
    "applicant_name",
    "applicant_address",
    "applicant_occupation",
    "applicant_email",
    "proxy_name",
    "request_number",
    "purpose",
    "information_requested",
    "case_description",
    "decision",
    "decision_note",
    "answer_letter_number",
    "remarks",
)


@dataclass
class Filters:
    """Archive filters; `timeliness` is "tepat" (answered by the deadline) or "terlambat"."""

    year: int | None = None
    status: str | None = None
    reason: str | None = None
    decision: str | None = None
    timeliness: str | None = None


@dataclass
class Hit:
    case_id: int
    snippet: str  # may contain HIT_START / HIT_END around matched words
    rank: float


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def ensure_index(session: Session) -> None:
    """Create the FTS5 table if missing (SQLite only)."""
    session.execute(
        text(
            "CREATE VIRTUAL TABLE IF NOT EXISTS case_search USING fts5("
            "case_id UNINDEXED, stamp UNINDEXED, number, fields, ocr, "
            "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
        )
    )
    session.execute(
        text(
            "CREATE TABLE IF NOT EXISTS case_search_state "
            "(cases INTEGER NOT NULL, updated TEXT NOT NULL, last_event INTEGER NOT NULL)"
        )
    )


def index_is_current(session: Session) -> bool:
    """Whether the index already reflects every case: a read, no lock (SQLite only)."""
    if not is_sqlite(session):
        return True
    exists = session.execute(
        text("SELECT 1 FROM sqlite_master WHERE name IN ('case_search', 'case_search_state')")
    ).all()
    return len(exists) == 2 and _fingerprint(session) == _seen_fingerprint(session)


def refresh_if_stale(sessions: sessionmaker[Session]) -> int:
    """Bring the index up to date in its own short write transaction, only when it is stale.

    A search is a read: taking the write lock on every search made people browsing the archive
    wait behind intake's writes. Returns how many cases were (re)indexed.
    """
    with sessions() as session:
        if index_is_current(session):
            return 0
    with sessions() as session, session.begin():
        begin_write(session)
        return refresh_index(session)


def case_text(session: Session, case: Case) -> tuple[str, str]:
    """(register fields, OCR text) of one case, as indexed."""
    fields = " \n".join(str(getattr(case, name) or "") for name in _FIELDS)
    query = (
        select(IntakeFile.extraction)
        .join(Submission, IntakeFile.submission_id == Submission.id)
        .where(Submission.case_id == case.id)
    )
    texts: list[str] = []
    for extraction in session.scalars(query):
        documents = (extraction or {}).get("documents") or []
        for document, body in zip(documents, (extraction or {}).get("texts") or [], strict=False):
            if document.get("document_type") != "id_card" and body:
                texts.append(body)
    return fields, "\n".join(texts)


def _stamps(session: Session, case_ids: set[int] | None = None) -> dict[int, str]:
    """Each case's change stamp (updated time and number of events); all cases, or `case_ids`."""
    events = select(CaseEvent.case_id, func.count(CaseEvent.id).label("n"))
    query = select(Case.id, Case.updated_at)
    if case_ids is not None:
        events = events.where(CaseEvent.case_id.in_(case_ids))
        query = query.where(Case.id.in_(case_ids))
    counted = events.group_by(CaseEvent.case_id).subquery()
    rows = session.execute(
        query.add_columns(counted.c.n).outerjoin(counted, counted.c.case_id == Case.id)
    )
    return {case_id: f"{updated.isoformat()}|{n or 0}" for case_id, updated, n in rows}


def _fingerprint(session: Session) -> tuple[int, str, int]:
    """(cases, latest update, latest event id): one cheap look that says whether anything moved."""
    cases, updated = session.execute(select(func.count(Case.id), func.max(Case.updated_at))).one()
    last_event = session.scalar(select(func.max(CaseEvent.id))) or 0
    return cases, updated.isoformat() if updated else "", last_event


def _changed_since(session: Session, seen: tuple[int, str, int]) -> set[int]:
    """Cases updated, or with events added, after the fingerprint `seen` was taken."""
    _, updated, last_event = seen
    changed = set(session.scalars(select(CaseEvent.case_id).where(CaseEvent.id > last_event)))
    if updated:
        newer = select(Case.id).where(Case.updated_at > date_time.fromisoformat(updated))
        changed |= set(session.scalars(newer))
    return changed


def refresh_index(session: Session) -> int:
    """Index cases that are new or changed since last time, drop deleted ones; returns how many.

    The caller commits. A no-op on databases other than SQLite (search falls back to ILIKE).
    """
    if not is_sqlite(session):
        return 0
    ensure_index(session)
    now, seen = _fingerprint(session), _seen_fingerprint(session)
    if now == seen:  # nothing changed: no scan of every case on every search
        return 0
    if seen is not None and now[0] >= seen[0]:  # no case removed: look only at the changed ones
        changed = _changed_since(session, seen)
        wanted = _stamps(session, changed)
        indexed = _indexed_stamps(session, changed)
        gone: list[int] = []
    else:
        wanted = _stamps(session)
        indexed = _indexed_stamps(session, None)
        gone = [cid for cid in indexed if cid not in wanted]
    stale = [cid for cid, stamp in wanted.items() if indexed.get(cid) != stamp]
    for case_id in stale + gone:
        session.execute(text("DELETE FROM case_search WHERE case_id = :c"), {"c": case_id})
    for case_id in stale:
        case = session.get_one(Case, case_id)
        fields, ocr = case_text(session, case)
        session.execute(
            text(
                "INSERT INTO case_search (case_id, stamp, number, fields, ocr) "
                "VALUES (:c, :s, :n, :f, :o)"
            ),
            {"c": case_id, "s": wanted[case_id], "n": case.number or "", "f": fields, "o": ocr},
        )
    _remember_fingerprint(session, now)
    if stale or gone:
        log.info("search index: %d case(s) indexed, %d removed", len(stale), len(gone))
    return len(stale)


def _indexed_stamps(session: Session, case_ids: set[int] | None) -> dict[int, str]:
    rows = session.execute(text("SELECT case_id, stamp FROM case_search")).all()
    return {cid: stamp for cid, stamp in rows if case_ids is None or cid in case_ids}


def _seen_fingerprint(session: Session) -> tuple[int, str, int] | None:
    row = session.execute(text("SELECT cases, updated, last_event FROM case_search_state")).first()
    return (int(row[0]), str(row[1]), int(row[2])) if row else None


def _remember_fingerprint(session: Session, fingerprint: tuple[int, str, int]) -> None:
    session.execute(text("DELETE FROM case_search_state"))
    session.execute(
        text("INSERT INTO case_search_state (cases, updated, last_event) VALUES (:c, :u, :e)"),
        dict(zip("cue", fingerprint, strict=True)),
    )


def fts_query(words: str) -> str | None:
    """User input as an FTS5 query: every word must match, each as a prefix ("koper" → koperasi)."""
    tokens = _WORD.findall(words)
    if not tokens:
        return None
    return " ".join('"' + token.replace('"', "") + '"*' for token in tokens)


def filter_clauses(filters: Filters, today: date) -> list[Any]:
    """SQL conditions on Case for the archive filters."""
    clauses: list[Any] = [Case.number.is_not(None)]
    if filters.year:
        clauses.append(Case.year == filters.year)
    if filters.status:
        # a status typed into the address bar that no case can have matches nothing (the
        # column is an Enum: binding an unknown value would be an error, not an empty list)
        known = filters.status in {status.value for status in CaseStatus}
        clauses.append(Case.status == filters.status if known else false())
    if filters.reason:
        # autoescape: a "%" or "_" from the address bar is a letter to look for, not a wildcard
        clauses.append(Case.reason_letters.contains(filters.reason[:1].lower(), autoescape=True))
    if filters.decision:
        clauses.append(Case.decision == filters.decision)
    if filters.timeliness == "tepat":
        clauses.append(and_(Case.answered_on.is_not(None), Case.answered_on <= Case.answer_due))
    elif filters.timeliness == "terlambat":
        clauses.append(
            or_(
                Case.answered_on > Case.answer_due,
                and_(Case.answered_on.is_(None), Case.answer_due < today),
            )
        )
    return clauses


def search_cases(
    session: Session,
    words: str,
    filters: Filters,
    today: date,
    limit: int = 200,
    refresh: bool = True,
) -> list[tuple[Case, Hit | None]]:
    """Cases matching the words (ranked, with snippets) and filters; newest first without words.

    `refresh=False` for a read-only transaction whose caller ran `refresh_if_stale` just before:
    a change committed in between shows up on the next search instead of forcing a write here.
    """
    clauses = filter_clauses(filters, today)
    query = fts_query(words or "")
    if query is None:
        cases = session.scalars(
            select(Case).where(*clauses).order_by(Case.year.desc(), Case.seq.desc()).limit(limit)
        )
        return [(case, None) for case in cases]
    if not is_sqlite(session):
        return _ilike_search(session, words, clauses, limit)
    if refresh and not index_is_current(session):
        refresh_index(session)
    rows = session.execute(
        text(
            "SELECT case_id, snippet(case_search, -1, :a, :b, '…', 14) AS snip, "
            "bm25(case_search, 0, 0, 10.0, 3.0, 1.0) AS rank "
            "FROM case_search WHERE case_search MATCH :q ORDER BY rank LIMIT :n"
        ),
        {"a": HIT_START, "b": HIT_END, "q": query, "n": limit * 5},
    ).all()
    hits = {int(r.case_id): Hit(int(r.case_id), " ".join(r.snip.split()), r.rank) for r in rows}
    if not hits:
        return []
    cases = session.scalars(select(Case).where(Case.id.in_(hits), *clauses)).all()
    ranked = sorted(cases, key=lambda case: hits[case.id].rank)[:limit]
    return [(case, hits[case.id]) for case in ranked]


def _ilike_search(
    session: Session, words: str, clauses: list[Any], limit: int
) -> list[tuple[Case, Hit | None]]:
    """PostgreSQL fallback: every word must appear (as a substring) in some register field."""
    for token in _WORD.findall(words):
        columns = [getattr(Case, name) for name in _FIELDS] + [Case.number]
        # icontains with autoescape: "_" (a word character) is matched literally, not as "any"
        clauses.append(or_(*(column.icontains(token, autoescape=True) for column in columns)))
    cases = session.scalars(
        select(Case).where(*clauses).order_by(Case.year.desc(), Case.seq.desc()).limit(limit)
    )
    return [(case, None) for case in cases]
