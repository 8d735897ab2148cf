"""Full-text search over the register: SQLite FTS5 (prefix, bm25, snippets) or PostgreSQL's
full-text search (tsvector + GIN, prefix, ts_rank, ts_headline).

The index is derived data: triggers put every case that is added, changed (or given an event) or
removed on a to-do list, and `refresh_index` (re)builds just those rows, so "is the index
current?" costs the same for ten cases or a million. On SQLite the FTS5 table and its triggers
are made on first use; on PostgreSQL by a migration (0009).
Indexed: the register number, the register fields and the OCR / text layer of every received
document except ID cards (their text is personal data nobody needs to search). Words are split
the same way on both (`_WORD`), and every word typed must match, as a prefix.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session, sessionmaker

from ppid.core.db import SEARCH_INDEX_TABLES, write_session
from ppid.core.models import Case, IntakeFile, Submission
from ppid.core.vocabulary import CaseStatus

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


INDEX_TABLES = SEARCH_INDEX_TABLES
# Every write that can change what a case's index row holds marks the case dirty, in the same
# transaction: "is anything to index?" is then one look at a small table, whatever the register's
# size, and a case edited without an event, or deleted, is caught as surely as a new one.
_TRIGGERS = {
    "case_search_case_added": "AFTER INSERT ON cases BEGIN {mark} (new.id); END",
    "case_search_case_changed": "AFTER UPDATE ON cases BEGIN {mark} (new.id); END",
    "case_search_case_removed": "AFTER DELETE ON cases BEGIN {mark} (old.id); END",
    "case_search_event_added": "AFTER INSERT ON case_events BEGIN {mark} (new.case_id); END",
}
_MASTER = table("sqlite_master", column("name"))
_MARK = "INSERT OR IGNORE INTO case_search_dirty (case_id) VALUES"
# bm25 weights of (number, fields, ocr): the register number and fields outrank the OCR text
RANK = "bm25(10.0, 3.0, 1.0)"


def ensure_index(session: Session) -> None:
    """Create the FTS5 index, its to-do list and triggers if missing (SQLite only).

    The index row of a case has the case's id as rowid, so replacing or dropping one is a
    B-tree lookup. An index in an older layout (or one whose triggers were lost, e.g. when a
    migration rebuilt `cases`) is rebuilt: every case is put on the to-do list.
    """
    present = set(session.scalars(text("SELECT name FROM sqlite_master")))
    if "case_search" in present and "case_search_dirty" not in present:
        session.execute(text("DROP TABLE case_search"))  # layout before the to-do list
        present.discard("case_search")
    session.execute(text("DROP TABLE IF EXISTS case_search_state"))  # the old fingerprint
    rebuild = "case_search" not in present or not set(_TRIGGERS) <= present
    session.execute(
        text(
            "CREATE VIRTUAL TABLE IF NOT EXISTS case_search USING fts5(number, fields, ocr, "
            "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')"
        )
    )
    if rebuild:  # FTS5 keeps the ranking function: `ORDER BY rank` is then sorted inside FTS5
        session.execute(
            text("INSERT INTO case_search (case_search, rank) VALUES ('rank', :r)"), {"r": RANK}
        )
    session.execute(
        text("CREATE TABLE IF NOT EXISTS case_search_dirty (case_id INTEGER PRIMARY KEY)")
    )
    for name, body in _TRIGGERS.items():
        session.execute(text(f"CREATE TRIGGER IF NOT EXISTS {name} {body.format(mark=_MARK)}"))
    if rebuild:
        session.execute(text("INSERT OR IGNORE INTO case_search_dirty SELECT id FROM cases"))


def index_is_current(session: Session) -> bool:
    """Whether the index reflects every case: a read of a few rows, no lock."""
    if not is_sqlite(session):  # the migration made the table and its triggers
        return session.scalar(text("SELECT 1 FROM case_search_dirty LIMIT 1")) is None
    wanted = (*INDEX_TABLES, *_TRIGGERS)
    present = session.scalar(
        select(func.count()).select_from(_MASTER).where(_MASTER.c.name.in_(wanted))
    )
    if present != len(wanted):
        return False
    return session.scalar(text("SELECT 1 FROM case_search_dirty LIMIT 1")) is None


def refresh_if_stale(sessions: sessionmaker[Session]) -> int:
    """Bring the index up to date in its own short write transaction, only when it is stale.

    A search is a read: taking the write lock on every search made people browsing the archive
    wait behind intake's writes. Returns how many cases were (re)indexed.
    """
    with sessions() as session:
        if index_is_current(session):
            return 0
    with write_session(sessions) as session:
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


def refresh_index(session: Session) -> int:
    """Index the cases on the to-do list (new, changed, removed); returns how many were indexed.

    The caller commits.
    """
    if not is_sqlite(session):
        return _refresh_postgresql(session)
    ensure_index(session)
    todo = list(session.scalars(text("SELECT case_id FROM case_search_dirty")))
    if not todo:  # nothing changed: no scan of every case on every search
        return 0
    indexed = removed = 0
    for case_id in todo:
        session.execute(text("DELETE FROM case_search WHERE rowid = :c"), {"c": case_id})
        case = session.get(Case, case_id)
        if case is None:
            removed += 1
            continue
        fields, ocr = case_text(session, case)
        session.execute(
            text("INSERT INTO case_search (rowid, number, fields, ocr) VALUES (:c, :n, :f, :o)"),
            {"c": case_id, "n": case.number or "", "f": fields, "o": ocr},
        )
        indexed += 1
    session.execute(text("DELETE FROM case_search_dirty"))  # we hold the write lock: all seen
    log.info("search index: %d case(s) indexed, %d removed", indexed, removed)
    return indexed


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


COUNT_CAP = 1000  # matches counted past the page: "more than 1000" is all a clerk needs to know


@dataclass
class Page:
    """One page of results, best match first, and how many cases match in all.

    Counting every match of a common word costs as much as ranking them, so the count stops at
    `offset + COUNT_CAP`: `counted_all` is False when there are more than `total`.
    """

    rows: list[tuple[Case, Hit | None]]
    total: int
    offset: int = 0
    counted_all: bool = True

    @property
    def has_more(self) -> bool:
        return not self.counted_all or self.offset + len(self.rows) < self.total


def search_cases(
    session: Session,
    words: str,
    filters: Filters,
    today: date,
    limit: int = 200,
    refresh: bool = True,
) -> list[tuple[Case, Hit | None]]:
    """Cases matching the words (ranked, with snippets) and filters; newest first without words."""
    return search_page(session, words, filters, today, limit=limit, refresh=refresh).rows


def search_page(
    session: Session,
    words: str,
    filters: Filters,
    today: date,
    limit: int = 50,
    offset: int = 0,
    refresh: bool = True,
) -> Page:
    """One page of the cases matching the words and filters, and how many match in all.

    A register number typed whole ("012/KEB/PPID-DKUKM/XI/2026") is looked up in its column;
    other words go to the FTS5 index, ranked inside FTS5, with a snippet computed only for the
    rows on the page. `refresh=False` for a read-only transaction whose caller ran
    `refresh_if_stale` just before: a change committed in between shows up on the next search
    instead of forcing a write here.
    """
    clauses = filter_clauses(filters, today)
    query = fts_query(words or "")
    if query is None:
        newest = select(Case).where(*clauses).order_by(Case.year.desc(), Case.seq.desc())
        cases = session.scalars(newest.offset(offset).limit(limit))
        return _page(
            session, [(case, None) for case in cases], select(Case.id).where(*clauses), offset
        )
    numbered = _by_register_number(session, words, clauses)
    if numbered is not None:
        return Page([numbered][offset:], 1, offset)
    if refresh and not index_is_current(session):
        refresh_index(session)
    if not is_sqlite(session):
        return _tsvector_page(session, words, clauses, limit, offset)
    return _fts_page(session, query, clauses, limit, offset)


_NUMBER_SHAPE = re.compile(r"\S*\d\S*/\S*")  # one "word" with a digit and a slash: 12/KEB/2026


def _by_register_number(
    session: Session, words: str, clauses: list[Any]
) -> tuple[Case, Hit] | None:
    """The case whose register number is exactly `words` (any letter case), if it looks like one."""
    typed = words.strip()
    if not _NUMBER_SHAPE.fullmatch(typed):
        return None
    for number in dict.fromkeys((typed, typed.upper())):
        case = session.scalars(select(Case).where(Case.number == number, *clauses)).first()
        if case is not None:
            return case, Hit(case.id, f"{HIT_START}{case.number}{HIT_END}", 0.0)
    return None


_FTS = table("case_search", column("rowid"), column("rank"))
_MATCH = literal_column("case_search").op("MATCH")


def _fts_page(session: Session, query: str, clauses: list[Any], limit: int, offset: int) -> Page:
    """Ranked matches that pass the filters; snippets only for the page shown."""
    # `rowid + 0`: FTS5 must not be offered the join as a rowid lookup, or the planner may walk
    # a filter's index and run a MATCH per case (seconds); FTS5 leads, sorted by rank
    joined = _FTS.join(Case.__table__, Case.id == _FTS.c.rowid + 0)
    where = [_MATCH(query), *clauses]
    snippet = func.snippet(literal_column("case_search"), -1, HIT_START, HIT_END, "…", 14)
    if _in_most_cases(session, query):  # bm25 cannot tell these apart: newest first, no ranking
        ranked = select(_FTS.c.rowid, snippet, literal(0.0)).order_by(_FTS.c.rowid.desc())
    else:
        ranked = select(_FTS.c.rowid, snippet, _FTS.c.rank).order_by(_FTS.c.rank)
    rows = session.execute(
        ranked.select_from(joined).where(*where).limit(limit).offset(offset)
    ).all()
    hits = {int(r[0]): Hit(int(r[0]), " ".join(r[1].split()), r[2]) for r in rows}
    cases = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_(hits)))}
    found = [(cases[cid], hit) for cid, hit in hits.items() if cid in cases]
    return _page(session, found, select(_FTS.c.rowid).select_from(joined).where(*where), offset)


def _in_most_cases(session: Session, query: str) -> bool:
    """Whether the words are found in more than half of all cases.

    bm25 gives such words no weight (FTS5 floors their IDF at 1e-6), so ranking every case that
    has them — nearly the whole register for words of the printed form, e.g. "informasi tidak" —
    costs the most and tells the clerk nothing. Counting stops at half the register.
    """
    newest = session.scalar(select(_FTS.c.rowid).order_by(_FTS.c.rowid.desc()).limit(1))
    if not newest:
        return False
    half = newest // 2 + 1
    matching = select(_FTS.c.rowid).where(_MATCH(query)).limit(half).subquery()
    return (session.scalar(select(func.count()).select_from(matching)) or 0) >= half


def _page(
    session: Session, rows: list[tuple[Case, Hit | None]], matching: Select[Any], offset: int
) -> Page:
    """`rows` as a page, with the matches of the query `matching` counted up to the cap."""
    cap = offset + COUNT_CAP
    counted = session.scalar(select(func.count()).select_from(matching.limit(cap + 1).subquery()))
    return Page(rows, min(counted or 0, cap), offset, counted_all=(counted or 0) <= cap)


# --- PostgreSQL --------------------------------------------------------------------------

# The 'simple' configuration lowercases and does not stem: Indonesian has no stemmer in
# PostgreSQL, and a prefix match ("koper" finds koperasi) serves clerks better than one.
_TS_CONFIG = "simple"
_PG_DOCUMENT = (
    "setweight(to_tsvector('simple', :n), 'A') || setweight(to_tsvector('simple', :f), 'B') "
    "|| setweight(to_tsvector('simple', :o), 'C')"
)
# bandit B608: fixed SQL from this module's constants; every value is a bound parameter
_PG_UPSERT = text(
    "INSERT INTO case_search (case_id, number, fields, ocr, document) "  # nosec B608
    f"VALUES (:c, :n, :f, :o, {_PG_DOCUMENT}) ON CONFLICT (case_id) DO UPDATE SET "
    "number = excluded.number, fields = excluded.fields, ocr = excluded.ocr, "
    "document = excluded.document"
)
_HEADLINE_OPTIONS = (
    f'StartSel="{HIT_START}", StopSel="{HIT_END}", MaxWords=14, MinWords=6, ShortWord=0, '
    'MaxFragments=1, FragmentDelimiter=" … "'
)


def _words(value: str) -> str:
    """`value` split as the queries are (`_WORD`), so "012/KEB/2026" is three words here too."""
    return " ".join(_WORD.findall(value))


def _refresh_postgresql(session: Session) -> int:
    """Take the to-do list (rows other writers add meanwhile stay for the next refresh)."""
    todo = list(session.scalars(text("DELETE FROM case_search_dirty RETURNING case_id")))
    indexed = 0
    for case_id in todo:
        case = session.get(Case, case_id)
        if case is None:  # removed: its row went with it (ON DELETE CASCADE)
            continue
        fields, ocr = case_text(session, case)
        # stored as the words the queries use: the parser would read "012/KEB/2026" as one
        # path and "<b>" as markup, and no part of either would ever be found or highlighted
        values = {"c": case_id, "n": _words(case.number or ""), "f": _words(fields)}
        session.execute(_PG_UPSERT, {**values, "o": _words(ocr)})
        indexed += 1
    if todo:
        log.info("search index: %d case(s) indexed, %d removed", indexed, len(todo) - indexed)
    return indexed


_PG_INDEX = table(
    "case_search",
    column("case_id"),
    column("number"),
    column("fields"),
    column("ocr"),
    column("document"),
)


def _tsvector_page(
    session: Session, words: str, clauses: list[Any], limit: int, offset: int
) -> Page:
    """Ranked matches (ts_rank over the weighted tsvector) that pass the filters; snippets by
    ts_headline, only for the rows on the page."""
    tokens = [token.lower() for token in _WORD.findall(words)]
    query = func.to_tsquery(_TS_CONFIG, " & ".join(f"{token}:*" for token in tokens))
    index = _PG_INDEX.c
    joined = _PG_INDEX.join(Case.__table__, Case.id == index.case_id)
    where = [index.document.op("@@")(query), *clauses]
    rank = func.ts_rank(index.document, query)
    ranked = (
        select(index.case_id, rank.label("rank"))
        .select_from(joined)
        .where(*where)
        .order_by(rank.desc(), index.case_id.desc())
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    body = index.number + literal(" ") + index.fields + literal(" ") + index.ocr
    snippet = func.ts_headline(_TS_CONFIG, body, query, _HEADLINE_OPTIONS)
    rows = session.execute(
        select(ranked.c.case_id, snippet, ranked.c.rank)
        .join(_PG_INDEX, index.case_id == ranked.c.case_id)
        .order_by(ranked.c.rank.desc(), ranked.c.case_id.desc())
    ).all()
    # negated: lower is better, as FTS5's bm25 rank
    hits = {int(r[0]): Hit(int(r[0]), " ".join(r[1].split()), -float(r[2])) for r in rows}
    cases = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_(hits)))}
    found = [(cases[cid], hit) for cid, hit in hits.items() if cid in cases]
    return _page(session, found, select(index.case_id).select_from(joined).where(*where), offset)
