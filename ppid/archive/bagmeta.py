"""What a case bag says about its case: case.json, PREMIS-style events, Dublin Core, README.html.

Plain functions from the database's Case (with its documents and events) to data or text;
`ppid.archive.bags` writes them into the bag, `ppid.archive.dossier` attaches case.json to its PDF.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ppid.core.calendar import WorkCalendar, calendar_from_settings, format_tanggal
from ppid.core.masking import mask_nik
from ppid.core.messages import file_note
from ppid.core.models import Case, CaseEvent
from ppid.core.settings import Settings
from ppid.core.vocabulary import REASON_TEXTS, DocumentKind
from ppid.output.render import render_html

log = logging.getLogger(__name__)

PREMIS_TYPES = {
    "document_received": "ingestion",
    "registered": "registration",
    "document_generated": "creation",
    "document_signed": "ingestion",
    "fixity_check": "fixity check",
    "archive_sealed": "sealing",
    "destroyed": "deletion",
    "duplicate_received": "ingestion",
    "possible_duplicate": "validation",
}


def case_metadata(case: Case) -> dict[str, Any]:
    """The case record as kept in the bag (case.json): the register row and its documents."""
    columns = {c.key: getattr(case, c.key) for c in Case.__mapper__.column_attrs}
    record = {k: plain(v) for k, v in columns.items()}
    record["status_label"] = case.status_label
    record["documents"] = [
        {
            "id": d.id,
            "kind": str(d.kind),
            "type": d.document_type,
            "role": d.role,
            "file": Path(d.path).name,
            "sha256": d.sha256,
            "media_type": d.media_type,
            "created_at": plain(d.created_at),
        }
        for d in case.documents
    ]
    return record


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value) if hasattr(value, "value") else value


def premis_events(case: Case) -> list[dict[str, Any]]:
    """The case's history as PREMIS-style events (type, time, agent, outcome, objects)."""
    events = []
    for event in case.events:
        kind = PREMIS_TYPES.get(event.action, "decision" if event.decision else event.action)
        events.append(_premis(event, kind))
    for document in case.documents:
        extracted = document.fields.get("documents") if document.fields else None
        if document.kind == DocumentKind.ORIGINAL and extracted:
            events.append(
                {
                    "eventIdentifier": f"extraction-{document.id}",
                    "eventType": "extraction",
                    "eventDateTime": plain(document.created_at),
                    "eventDetail": ", ".join(d.get("document_type", "?") for d in extracted),
                    "eventOutcome": "success",
                    "linkingAgent": {"name": "sistem-intake", "role": "executing program"},
                    "linkingObject": Path(document.path).name,
                }
            )
    return sorted(events, key=lambda e: e["eventDateTime"])


def _premis(event: CaseEvent, kind: str) -> dict[str, Any]:
    data = event.data or {}
    return {
        "eventIdentifier": f"case-event-{event.id}",
        "eventType": kind,
        "action": event.action,
        "eventDateTime": plain(event.at),
        "eventDetail": event.note or _step_detail(event, data),
        "eventOutcome": data.get("outcome") or event.decision or "success",
        "linkingAgent": {"name": event.actor, "role": event.role or "system"},
        "linkingObject": data.get("path") or data.get("sha256") or data.get("bag"),
    }


def _step_detail(event: CaseEvent, data: dict[str, Any]) -> str | None:
    """A workflow step without a note still says what was decided at which step."""
    return f"{data['step']}: {event.decision}" if "step" in data else None


def dublin_core(settings: Settings, case: Case) -> str:
    """dc.xml: the case described in simple Dublin Core (NIK left out)."""
    reasons = ", ".join(case.reasons)
    fields = [
        ("title", file_note("bag.title", number=case.number)),
        ("identifier", case.number),
        ("creator", settings.office.short_name),
        ("publisher", settings.office.short_name),
        ("contributor", case.applicant_name),
        ("subject", file_note("bag.subject")),
        ("description", file_note("bag.summary", reasons=reasons, status=case.status_label)),
        ("date", plain(case.registered_at or case.received_at)),
        ("type", "Collection"),
        ("language", "id"),
        ("relation", case.request_number),
        ("rights", "Berisi data pribadi (UU 27/2022); akses terbatas."),
    ]
    body = "\n".join(
        f"  <dc:{name}>{escape(str(value))}</dc:{name}>" for name, value in fields if value
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f"{body}\n</oai_dc:dc>\n"
    )


def readme_html(settings: Settings, case: Case, bag: Path, *, sealed: bool) -> str:
    """The page a person reads on opening the folder: the case, its files, its history."""
    cal = calendar_from_settings(settings)
    files = sorted(p.relative_to(bag).as_posix() for p in (bag / "data").rglob("*") if p.is_file())
    return render_html(
        "archive/readme.html",
        {
            "office": settings.office,
            "case": case,
            "nik": mask_nik(case.applicant_nik) or "-",
            "received": local_date(cal, case.received_at),
            "due": format_tanggal(case.answer_due, weekday=False) if case.answer_due else "-",
            "reasons": [f"{r}. {REASON_TEXTS[r]}" for r in case.reasons],
            "files": files,
            "events": [
                {"at": local_time(cal, e.at), "actor": e.actor, "action": e.action, "note": e.note}
                for e in case.events
            ],
            "sealed": sealed,
        },
    )


def local_date(cal: WorkCalendar, when: datetime | None) -> str:
    return format_tanggal(when.astimezone(cal.tz).date(), weekday=False) if when else "-"


def local_time(cal: WorkCalendar, when: datetime) -> str:
    return when.astimezone(cal.tz).strftime("%d-%m-%Y %H:%M")
