"""The offline index: `archive/index.html`, every case by year linking to each bag's README."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ppid.archive.bagmeta import (
    local_date,
    local_time,
)
from ppid.core.calendar import calendar_from_settings
from ppid.core.db import hold_across_machines
from ppid.core.files import replace_text
from ppid.core.locks import locked
from ppid.core.masking import mask_nik
from ppid.core.models import Case, utcnow
from ppid.core.paths import (
    bags_by_slug,
    case_slug,
    index_page,
    is_sealed,
    lock_file,
    year_folder,
)
from ppid.core.settings import Settings
from ppid.output.render import render_html

log = logging.getLogger(__name__)


# --- the offline index ----------------------------------------------------------------------------


def refresh_index(settings: Settings, sessions: Any) -> Path:
    """Write archive/index.html from what is committed now, one writer at a time.

    In turn, each writer reads after the commit that called for it, so the last index written
    holds every case: two workers writing at once could otherwise leave the older read last.
    """
    with sessions() as session:
        hold_across_machines(session, "archive-index")  # writers on other machines too
        with locked(lock_file(settings, "archive-index")):
            return write_index(settings, session)


def write_index(settings: Settings, session: Session) -> Path:
    """archive/index.html: every case by year, linking to each bag's README (NIK masked).

    Each year's folder is listed once, not once per case: with a glob per case, a year of 2000
    cases took 2 s of directory scans on every index, and intake writes one per case.
    """
    cal = calendar_from_settings(settings)
    query = select(Case).where(Case.number.is_not(None)).order_by(Case.year, Case.seq)
    cases = session.scalars(query)
    years: dict[int, list[dict[str, Any]]] = {}
    listings: dict[Path, dict[str, list[str]]] = {}
    for case in cases:
        folder = year_folder(settings, case.year)
        if folder not in listings:
            names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
            listings[folder] = bags_by_slug(names)
        versions = [folder / name for name in listings[folder].get(case_slug(case), [])]
        if not versions:
            continue
        years.setdefault(int(case.year or 0), []).append(
            {
                "number": case.number,
                "name": case.applicant_name,
                "nik": mask_nik(case.applicant_nik) or "-",
                "received": local_date(cal, case.received_at),
                "status": case.status_label,
                "links": [
                    (f"v{i}" if i > 1 else "berkas", f"{p.parent.name}/{p.name}/README.html")
                    for i, p in enumerate(versions, 1)
                ],
                "sealed": is_sealed(versions[0]),
            }
        )
    html = render_html(
        "archive/index.html",
        {
            "office": settings.office,
            "years": sorted(years.items(), reverse=True),
            "updated": local_time(cal, utcnow()),
        },
    )
    target = index_page(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_text(target, html)
    return target
