"""Fixity: every bag validated by the bagit package, its PDFs by the PDF/A-3b checker, each check
recorded on its case.

A damaged bag is logged with every problem, recorded as a failed `fixity_check` event (the web
app warns about it), and turned into one error a person can act on (`fixity_failure`); a PDF in
`data/outputs/` that is not PDF/A-3b is named likewise (`archival_failure`). Each bag is checked
outside any transaction and its event committed at once, so a check of the whole archive never
holds the database's write lock for longer than one event, and results come as they are made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bagit
from sqlalchemy import select
from sqlalchemy.orm import Session

from ppid.archive.bagmeta import (
    plain,
)
from ppid.archive.bags import record_event
from ppid.core.db import write_session
from ppid.core.errors import PpidError
from ppid.core.messages import history_note
from ppid.core.models import Case, CaseEvent
from ppid.core.paths import (
    bag_info,
    iter_bags,
)
from ppid.core.settings import Settings
from ppid.output.pdfa import findings as pdfa_findings

log = logging.getLogger(__name__)


# --- fixity ---------------------------------------------------------------------------------------


@dataclass
class Fixity:
    """The outcome of validating one bag."""

    bag: Path
    number: str | None
    ok: bool  # every checksum matches, nothing missing or added
    problems: list[str] = field(default_factory=list)
    not_archival: list[str] = field(default_factory=list)  # PDFs the PDF/A-3b checker refuses

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "bag": str(self.bag)}


# (bags done, bags in all, the newest result): how `check_fixity` reports as it goes
Report = Callable[[int, int, Fixity], None]


def validate_bag(bag: Path) -> Fixity:
    """Validate one bag with the bagit package: every checksum, completeness, the tag files."""
    number = bag_info(bag).get("External-Identifier")
    try:
        bagit.Bag(str(bag)).validate()
    except bagit.BagValidationError as error:
        problems = [str(d) for d in error.details] or [str(error.message)]
        return Fixity(bag, number, False, problems)
    except bagit.BagError as error:
        return Fixity(bag, number, False, [str(error)])
    return Fixity(bag, number, True)


def verify_bag(bag: Path) -> Fixity:
    """`validate_bag`, then every PDF in `data/outputs/` through the PDF/A-3b checker."""
    result = validate_bag(bag)
    for pdf in sorted((bag / "data" / "outputs").glob("*.pdf")):
        if found := pdfa_findings(pdf):
            more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
            result.not_archival.append(f"{pdf.relative_to(bag)}: {found[0]}{more}")
    return result


class FixityError(PpidError):
    """A bag no longer matches its manifests: a file changed, vanished or was added."""


class ArchivalError(PpidError):
    """A PDF kept in a bag is not PDF/A-3b by the checker's word."""


def check_fixity(
    settings: Settings, sessions: Any, year: int | None = None, report: Report | None = None
) -> list[Fixity]:
    """Verify every bag (`verify_bag`) and record a fixity event on its case, one commit per bag;
    `report` hears of each result as soon as it is recorded. Damage is logged."""
    bags = list(iter_bags(settings, year))
    results = []
    for done, bag in enumerate(bags, start=1):
        result = verify_bag(bag)  # the slow part: no transaction open
        if not result.ok:
            log.error("FIXITY MISMATCH in %s: %s", bag, "; ".join(result.problems))
        if result.not_archival:
            log.error("NOT PDF/A-3b in %s: %s", bag, "; ".join(result.not_archival))
        with write_session(sessions) as session:
            _record(session, result)
        results.append(result)
        if report is not None:
            report(done, len(bags), result)
    return results


def fixity_failure(results: list[Fixity]) -> FixityError | None:
    """The error to raise (non-zero exit, failed flow run) when any bag failed, else None."""
    damaged = [r for r in results if not r.ok]
    if not damaged:
        return None
    bags = [str(r.bag) for r in damaged]
    return FixityError("fixity.failed", damaged=len(damaged), total=len(results), bags=bags)


def archival_failure(results: list[Fixity]) -> ArchivalError | None:
    """The error to raise when a bag holds a PDF that is not PDF/A-3b, else None."""
    refused = [r for r in results if r.not_archival]
    if not refused:
        return None
    count = sum(len(r.not_archival) for r in refused)
    bags = [str(r.bag) for r in refused]
    return ArchivalError("archive.not_pdfa", count=count, total=len(refused), bags=bags)


def _record(session: Session, result: Fixity) -> None:
    """The fixity check as an event on the bag's case (a bag of no known case is only logged)."""
    case = session.scalars(select(Case).where(Case.number == result.number)).first()
    if case is None:
        return
    note = history_note("fixity.intact" if result.ok else "fixity.damaged")
    if result.not_archival:
        note += "; " + history_note("fixity.not_pdfa", count=len(result.not_archival))
    data = {
        "bag": result.bag.name,
        "outcome": "success" if result.ok else "failure",
        "problems": result.problems[:20],
        "not_archival": result.not_archival[:20],
    }
    record_event(session, case, "fixity_check", note, data)


def fixity_alerts(session: Session) -> list[dict[str, Any]]:
    """Cases whose latest fixity check failed, for the web app's warning banner."""
    latest: dict[int, CaseEvent] = {}
    query = select(CaseEvent).where(CaseEvent.action == "fixity_check").order_by(CaseEvent.id)
    for event in session.scalars(query):
        latest[event.case_id] = event
    return [
        {
            "number": event.case.number,
            "at": plain(event.at),
            "bag": event.data.get("bag"),
            "problems": event.data.get("problems") or [],
        }
        for event in latest.values()
        if event.data.get("outcome") == "failure"
    ]
