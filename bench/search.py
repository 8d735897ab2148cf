"""Archive search benchmark: 100 000 synthetic cases in a throw-away SQLite register, then queries.

    .venv/bin/python bench/search.py [--cases 100000] [--queries 30] [--quick]

The cases (invented people, tests/corpus/people.py) are bulk-inserted straight into the tables
the app uses — `cases`, one `registered` event each, and the FTS5 index `case_search` with an
empty to-do list, so nothing is re-indexed — plus an OCR text of about a page per case. Then
realistic queries, timed two ways: as the archive page runs them (`refresh_if_stale`, then
`case_years` and `search_page`: the first 50 results, their snippets, the count of matches),
and the ranked FTS5 statement alone (50 rows with snippets, no filters, no count).
Target: p50 < 50 ms.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from _common import machine, summary_ms, synthetic_case, table
from sqlalchemy import insert, text

from ppid.casework.search import (
    _FIELDS,
    HIT_END,
    HIT_START,
    Filters,
    ensure_index,
    fts_query,
    refresh_if_stale,
    search_page,
)
from ppid.core.db import open_db
from ppid.core.models import Case, CaseEvent
from ppid.core.settings import load_settings
from ppid.core.vocabulary import Role
from ppid.web.archive import case_years

YEARS = (2024, 2025, 2026)
# What an OCR'd objection form says besides the applicant's own words (about a page of text).
FORM_TEXT = (
    "FORMULIR PERNYATAAN KEBERATAN ATAS PERMOHONAN INFORMASI PUBLIK "
    "A. INFORMASI PENGAJU KEBERATAN Nomor Registrasi Keberatan Nomor Pendaftaran Permohonan "
    "Informasi Tujuan Penggunaan Informasi Identitas Pemohon Nama Alamat Pekerjaan Nomor "
    "Telepon Identitas Kuasa Pemohon B. ALASAN KEBERATAN a. Permohonan Informasi ditolak "
    "b. Informasi berkala tidak disediakan c. Permintaan informasi tidak ditanggapi "
    "d. Permintaan informasi ditanggapi tidak sebagaimana yang diminta e. Permintaan informasi "
    "tidak dipenuhi f. Pengenaan biaya yang tidak wajar g. Penyampaian informasi yang melebihi "
    "waktu yang diatur C. KASUS POSISI D. HARI/TANGGAL TANGGAPAN ATAS KEBERATAN AKAN DIBERIKAN "
    "Demikian keberatan ini saya sampaikan, atas perhatian dan tanggapannya saya ucapkan "
    "terima kasih. Mengetahui Petugas Informasi (Penerima Keberatan) Pengaju Keberatan"
)
Row = dict[str, Any]


def case_rows(count: int, seed: int) -> list[Row]:
    """`count` registered cases spread over YEARS, as rows for a bulk insert into `cases`."""
    rng = random.Random(seed)
    columns = [(a.key, a.columns[0].name) for a in Case.__mapper__.column_attrs]
    stamp = datetime(2026, 11, 1, tzinfo=UTC)
    rows: list[Row] = []
    per_year = -(-count // len(YEARS))
    for index in range(count):
        year, seq = YEARS[index // per_year], index % per_year + 1
        case = synthetic_case(rng, year, seq)
        case.created_at = case.updated_at = stamp
        case.possible_duplicate = False
        row = {name: getattr(case, key) for key, name in columns if key != "id"}
        row["id"] = index + 1
        rows.append(row)
    return rows


def fill(sessions: Any, rows: list[Row], chunk: int = 5000) -> None:
    """Cases, their `registered` events, and the search index, as the app would have them."""
    with sessions() as session, session.begin():
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            session.execute(insert(Case.__table__), part)
            events = [
                {
                    "case_id": r["id"],
                    "at": r["registered_at"],
                    "actor": "bench",
                    "role": Role.PETUGAS.value,
                    "action": "registered",
                    "data": {"number": r["number"]},
                }
                for r in part
            ]
            session.execute(insert(CaseEvent.__table__), events)
    with sessions() as session, session.begin():
        ensure_index(session)  # every case on its to-do list: filled here instead
        for start in range(0, len(rows), chunk):
            index_rows = [
                {
                    "c": r["id"],
                    "n": r["number"],
                    "f": " \n".join(str(r.get(_column(name)) or "") for name in _FIELDS),
                    "o": " ".join(
                        (FORM_TEXT, r["applicant_name"], r["purpose"], r["case_description"])
                    ),
                }
                for r in rows[start : start + chunk]
            ]
            session.execute(
                text(
                    "INSERT INTO case_search (rowid, number, fields, ocr) VALUES (:c, :n, :f, :o)"
                ),
                index_rows,
            )
        session.execute(text("DELETE FROM case_search_dirty"))


def _column(attribute: str) -> str:
    return Case.__mapper__.column_attrs[attribute].columns[0].name


def queries(rows: list[Row], count: int, seed: int) -> dict[str, list[str]]:
    """What a clerk types: a name prefix, a whole name, a register number, words of a case."""
    rng = random.Random(seed)
    picks = [rng.choice(rows) for _ in range(count)]
    words = [
        " ".join(rng.sample([w for w in r["case_description"].split() if len(w) > 4], 2))
        for r in picks
    ]
    return {
        "name prefix (4 letters)": [r["applicant_name"].split()[0][:4] for r in picks],
        "full name": [r["applicant_name"] for r in picks],
        "register number": [r["number"] for r in picks],
        "two words of the case": words,
        "two words, filter by year": words,
    }


def timed(function: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def run(sessions: Any, sets: dict[str, list[str]]) -> list[list[str]]:
    today = date(2026, 11, 28)
    fts = text(
        "SELECT rowid, snippet(case_search, -1, :a, :b, '…', 14) AS snip, rank "
        "FROM case_search WHERE case_search MATCH :q ORDER BY rank LIMIT 50"
    )

    def archive_page(words: str, filters: Filters) -> Any:
        refresh_if_stale(sessions)
        with sessions() as session:
            case_years(session)  # the year filter's choices
            return search_page(session, words, filters, today, refresh=False)

    out = []
    every_page: list[float] = []  # all kinds together: the median query a clerk runs
    archive_page("warm up", Filters())  # page cache, statement cache
    for label, words in sets.items():
        filters = Filters(year=2025) if label.endswith("year") else Filters()
        full, alone, hits = [], [], []
        for query in words:
            seconds, found = timed(archive_page, query, filters)
            full.append(seconds)
            hits.append(found.total)
            params = {"a": HIT_START, "b": HIT_END, "q": fts_query(query)}
            with sessions() as session:
                alone.append(timed(lambda p=params: session.execute(fts, p).all())[0])
        hits.sort()
        every_page += full
        out.append([label, str(len(words)), *summary_ms(full), *summary_ms(alone)[:2]])
        out[-1].append(str(hits[len(hits) // 2]))
    out.append(["all queries above", str(len(every_page)), *summary_ms(every_page), "-", "-", "-"])
    refresh = [timed(refresh_if_stale, sessions)[0] for _ in range(5)]
    out.append(["(refresh_if_stale, nothing changed)", "5", *summary_ms(refresh), "-", "-", "-"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=30, help="queries of each kind")
    parser.add_argument("--quick", action="store_true", help="10 000 cases, 10 queries each")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    if args.quick:
        args.cases, args.queries = min(args.cases, 10_000), min(args.queries, 10)
    with tempfile.TemporaryDirectory(prefix="ppid-bench-search-") as scratch:
        settings = load_settings(home=Path(scratch))
        sessions = open_db(settings)
        print(f"generating {args.cases} cases ...", file=sys.stderr, flush=True)
        seconds, rows = timed(case_rows, args.cases, args.seed)
        fill_seconds, _ = timed(fill, sessions, rows)
        size = (settings.var_dir / "ppid.sqlite3").stat().st_size / 1e6
        results = run(sessions, queries(rows, args.queries, args.seed))
    print(f"\nArchive search over {args.cases} cases (SQLite FTS5, {size:.0f} MB database)")
    print(machine())
    print(f"bulk load: {fill_seconds:.1f} s (cases generated in {seconds:.1f} s)\n")
    headers = ["query", "n", "page p50 ms", "p95", "max", "FTS alone p50", "p95", "matches p50"]
    print(table(headers, results))
    print(
        "\n'page' is what the archive page runs: refresh_if_stale (a look at the index's to-do"
        "\nlist), then search_page: 50 results, their snippets, the count of matches."
        "\nTarget: p50 < 50 ms."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
