"""The archive browser: full-text search with filters over every case, for every role."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ppid.auth import User
from ppid.letters import REASON_TEXTS
from ppid.models import STATUS_LABELS, Case
from ppid.search import HIT_END, HIT_START, Filters, refresh_if_stale, search_cases
from ppid.web import AnyUser, can_see_nik, page, shown_nik, web

log = logging.getLogger(__name__)

_NIK_RUN = re.compile(r"\b(\d{4})\d{12}\b")


def snippet_parts(snippet: str | None, full_nik: bool) -> list[tuple[str, bool]]:
    """A search snippet as (text, is_hit) parts; long digit runs (NIKs) masked when needed."""
    if not snippet:
        return []
    if not full_nik:
        snippet = _NIK_RUN.sub(lambda m: m.group(1) + "*" * 12, snippet)
    parts: list[tuple[str, bool]] = []
    for chunk in snippet.split(HIT_START):
        hit, _, rest = chunk.partition(HIT_END) if HIT_END in chunk else ("", "", chunk)
        if hit:
            parts.append((hit, True))
        if rest:
            parts.append((rest, False))
    return parts


def archive_rows(
    session: Session, user: User, words: str, filters: Filters, today: date
) -> list[dict[str, Any]]:
    rows = []
    for case, hit in search_cases(session, words, filters, today, refresh=False):
        rows.append(
            {
                "id": case.id,
                "number": case.number,
                "received": case.received_at.date().isoformat(),
                "name": case.applicant_name,
                "nik": shown_nik(user, case.applicant_nik),
                "status": case.status_label,
                "decision": case.decision or "",
                "reasons": "".join(case.reasons),
                "snippet": snippet_parts(hit.snippet if hit else None, can_see_nik(user)),
                "late": bool(
                    case.answer_due
                    and ((case.answered_on or today) > case.answer_due)
                    and (case.answered_on or case.status_label not in ("Selesai",))
                ),
            }
        )
    return rows


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def install(app: FastAPI) -> None:
    @app.get("/arsip", response_class=HTMLResponse)
    def archive(
        request: Request,
        user: AnyUser,
        q: str = "",
        tahun: str = "",
        status: str = "",
        alasan: str = "",
        keputusan: str = "",
        ketepatan: str = "",
    ) -> Response:
        ctx = web(request)
        filters = Filters(
            year=_int_or_none(tahun),
            status=status or None,
            reason=alasan or None,
            decision=keputusan or None,
            timeliness=ketepatan or None,
        )
        if q:
            refresh_if_stale(ctx.sessions)
        with ctx.sessions() as session:
            rows = archive_rows(session, user, q, filters, ctx.today())
            years = sorted({y for y in session.scalars(select(Case.year)) if y}, reverse=True)
            decisions = sorted({d for d in session.scalars(select(Case.decision)) if d})
        return page(
            request,
            "archive.html",
            "Arsip keberatan",
            rows=rows,
            q=q,
            filters={
                "tahun": tahun,
                "status": status,
                "alasan": alasan,
                "keputusan": keputusan,
                "ketepatan": ketepatan,
            },
            years=years,
            decisions=decisions,
            statuses=[(s.value, label) for s, label in STATUS_LABELS.items()],
            reason_texts=REASON_TEXTS,
        )
