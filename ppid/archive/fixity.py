"""Fixity: every bag validated by the bagit package, each check recorded on its case.

A damaged bag is logged with every problem, recorded as a failed `fixity_check` event (the web
app warns about it), and turned into one error a person can act on (`fixity_failure`).
"""

from __future__ import annotations

import logging
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
from ppid.core.errors import PpidError
from ppid.core.models import Case, CaseEvent
from ppid.core.paths import (
    bag_info,
    iter_bags,
)
from ppid.core.settings import Settings

log = logging.getLogger(__name__)


# --- fixity ---------------------------------------------------------------------------------------


@dataclass
class Fixity:
    """The outcome of validating one bag."""

    bag: Path
    number: str | None
    ok: bool
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "bag": str(self.bag)}


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


class FixityError(PpidError):
    """A bag no longer matches its manifests: a file changed, vanished or was added."""


def check_fixity(settings: Settings, sessions: Any, year: int | None = None) -> list[Fixity]:
    """Validate every bag and record the fixity events in one transaction (damage is logged)."""
    with sessions() as session, session.begin():
        return verify_archive(settings, session, year)


def fixity_failure(results: list[Fixity]) -> FixityError | None:
    """The error to raise (non-zero exit, failed flow run) when any bag failed, else None."""
    damaged = [r for r in results if not r.ok]
    if not damaged:
        return None
    names = ", ".join(str(r.bag) for r in damaged)
    return FixityError(
        f"{len(damaged)} of {len(results)} archive bag(s) failed the fixity check: {names}; "
        "restore the files named by `ppid archive verify` from a backup, then verify again"
    )


def verify_archive(settings: Settings, session: Session, year: int | None = None) -> list[Fixity]:
    """Validate every bag and record a fixity event on its case (the caller commits)."""
    results = []
    for bag in iter_bags(settings, year):
        result = validate_bag(bag)
        results.append(result)
        if not result.ok:
            log.error("FIXITY MISMATCH in %s: %s", bag, "; ".join(result.problems))
        case = session.scalars(select(Case).where(Case.number == result.number)).first()
        if case is not None:
            outcome = "success" if result.ok else "failure"
            note = "Pemeriksaan keutuhan arsip: " + ("baik" if result.ok else "RUSAK")
            data = {"bag": bag.name, "outcome": outcome, "problems": result.problems[:20]}
            record_event(session, case, "fixity_check", note, data)
    return results


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
