"""The archive browser: full-text search with filters over every case, for every role."""

from __future__ import annotations

import logging
from datetime import date, tzinfo
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ppid.casework.search import HIT_END, HIT_START, Filters, Page, refresh_if_stale, search_page
from ppid.core.masking import mask_niks_in
from ppid.core.messages import page_title
from ppid.core.models import Case, User
from ppid.core.vocabulary import DECISION_LABELS, REASON_TEXTS, STATUS_LABELS
from ppid.web.deps import AnyUser, can_see_nik, shown_nik, web
from ppid.web.pages import page, tanggal

log = logging.getLogger(__name__)

router = APIRouter()


def snippet_parts(snippet: str | None, full_nik: bool) -> list[tuple[str, bool]]:
    """A search snippet as (text, is_hit) parts; long digit runs (NIKs) masked when needed."""
    if not snippet:
        return []
    if not full_nik:
        snippet = mask_niks_in(snippet)
    parts: list[tuple[str, bool]] = []
    for chunk in snippet.split(HIT_START):
        hit, _, rest = chunk.partition(HIT_END) if HIT_END in chunk else ("", "", chunk)
        if hit:
            parts.append((hit, True))
        if rest:
            parts.append((rest, False))
    return parts


PER_PAGE = 50  # the first screen is what a clerk reads; the rest is one "next page" away


def archive_rows(
    session: Session,
    user: User,
    words: str,
    filters: Filters,
    today: date,
    tz: tzinfo,
    page_no: int = 1,
) -> tuple[list[dict[str, Any]], Page]:
    """The rows of one archive page (snippets NIK-masked for who may not see NIKs), and the page.

    Dates are the office's (`tz`): a case that came in at 00.13 WIB came in that day, not on
    the UTC date before it, as its receipt says.
    """
    found = search_page(
        session,
        words,
        filters,
        today,
        limit=PER_PAGE,
        offset=(page_no - 1) * PER_PAGE,
        refresh=False,
    )
    rows = []
    for case, hit in found.rows:
        rows.append(
            {
                "id": case.id,
                "number": case.number,
                "received": tanggal(case.received_at.astimezone(tz).date()),
                "name": case.applicant_name,
                "nik": shown_nik(user, case.applicant_nik),
                "status": case.status_label,
                "decision": case.decision or "",
                "reasons": ", ".join(case.reasons),
                "snippet": snippet_parts(hit.snippet if hit else None, can_see_nik(user)),
                "late": bool(
                    case.answer_due
                    and ((case.answered_on or today) > case.answer_due)
                    and (case.answered_on or case.status_label not in ("Selesai",))
                ),
            }
        )
    return rows, found


def page_links(query: dict[str, str], page_no: int, found: Page) -> dict[str, str]:
    """Addresses of the previous and next archive pages, keeping the words and filters."""
    kept = {name: value for name, value in query.items() if value}
    links = {}
    if page_no > 1:
        links["prev"] = "/arsip?" + urlencode({**kept, "hal": page_no - 1})
    if found.has_more:
        links["next"] = "/arsip?" + urlencode({**kept, "hal": page_no + 1})
    return links


def case_years(session: Session) -> list[int]:
    """The years that have cases, newest first: one index look-up per year, not a register scan."""
    years: list[int] = []
    year = session.scalar(select(func.max(Case.year)))
    while year:
        years.append(year)
        year = session.scalar(select(func.max(Case.year)).where(Case.year < year))
    return years


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@router.get("/arsip", response_class=HTMLResponse)
def archive(
    request: Request,
    user: AnyUser,
    q: str = "",
    tahun: str = "",
    status: str = "",
    alasan: str = "",
    keputusan: str = "",
    ketepatan: str = "",
    hal: str = "",
) -> Response:
    ctx = web(request)
    filters = Filters(
        year=_int_or_none(tahun) if len(tahun) <= 4 else None,  # a year the calendar has
        status=status or None,
        reason=alasan or None,
        decision=keputusan or None,
        timeliness=ketepatan or None,
    )
    page_no = max(_int_or_none(hal[:6]) or 1, 1)
    if q:
        refresh_if_stale(ctx.sessions)
    with ctx.sessions() as session:
        rows, found = archive_rows(session, user, q, filters, ctx.today(), ctx.calendar.tz, page_no)
        years = case_years(session)
    shown_q = q if can_see_nik(user) else mask_niks_in(q)  # a NIK typed is not repeated
    chosen = {
        "tahun": tahun,
        "status": status,
        "alasan": alasan,
        "keputusan": keputusan,
        "ketepatan": ketepatan,
    }
    return page(
        request,
        "archive.html",
        page_title("archive"),
        rows=rows,
        total=found.total,
        counted_all=found.counted_all,
        first=found.offset + 1,
        links=page_links({"q": shown_q, **chosen}, page_no, found),
        q=shown_q,
        filters=chosen,
        years=years,
        decisions=list(DECISION_LABELS),  # the workflow's fixed set: no scan of every case
        statuses=[(s.value, label) for s, label in STATUS_LABELS.items()],
        reason_texts=REASON_TEXTS,
    )
