"""Case workflow flows: one run per step taken, and the daily deadline check that warns each role.

Orchestration only: a step is `ppid.casework.workflow.advance_number` then the case's archive,
in the order `ppid.casework.workflow.CaseStep` gives them (the direct path without Prefect runs
the same); the warnings come from `ppid.casework.tasks.deadline_report` and go out through
`ppid.casework.notify`; all are tested without Prefect. A run per step makes the Prefect UI show
each case's history next to its intake run: `ppid.runtime.steps.take_step` (CLI and web app)
submits it to the "advance-case/step" deployment by name, and the run's id is kept in the
case's history event.
"""

from __future__ import annotations

import logging
from typing import Any

from prefect import flow, runtime, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.exc import OperationalError

from flows.archive import archive_case
from ppid.casework.notify import notify_role
from ppid.casework.tasks import deadline_report
from ppid.casework.workflow import CaseStep, advance_number
from ppid.core.db import open_db
from ppid.core.settings import Settings, load_settings
from ppid.runtime.steps import step_run_name

log = logging.getLogger(__name__)


def _database_busy(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a locked database only; a refused step (wrong role, out of order) fails at once."""
    try:
        state.result()
    except OperationalError:
        return True
    except Exception:
        return False
    return False


@task(
    retries=3,
    retry_delay_seconds=[1, 4, 15],
    retry_condition_fn=_database_busy,
    cache_policy=NO_CACHE,
)
def take_step(
    sessions: Any,
    settings: Settings,
    number: str,
    role: str,
    actor: str,
    decision: str,
    note: str | None,
    data: dict[str, Any],
    flow_run: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Take the case's step in one write transaction."""
    return advance_number(
        sessions, settings, number, role, actor, decision, note, data, flow_run=flow_run
    )


# The stages of one step, as this flow's tasks (the order is CaseStep's).
STEP = CaseStep(take=take_step, archive=archive_case)


def _run_name() -> str:
    """The run name `ppid.runtime.steps` gives: "<register number>: <step> (<decision>)"."""
    parameters = runtime.flow_run.parameters
    return step_run_name(parameters["number"], parameters["decision"])


@flow(name="advance-case", flow_run_name=_run_name, log_prints=False)
def advance_case(
    number: str,
    role: str,
    actor: str,
    decision: str,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One SOP step on one case, as `role`, recorded in the case history with this run's id;
    then the case's archive."""
    settings = load_settings()
    run_id = runtime.flow_run.id
    this_run = {"id": str(run_id), "name": str(runtime.flow_run.name)} if run_id else None
    parameters = {"number": number, "role": role, "actor": actor, "decision": decision}
    parameters |= {"note": note, "data": data or {}, "flow_run": this_run}
    return STEP.run(settings, open_db(settings), parameters)


@flow(name="deadline-check", log_prints=False)
def deadline_check() -> dict[str, list[dict[str, Any]]]:
    """Daily: the overdue and soon-due tasks per role; e-mailed when SMTP is configured."""
    settings = load_settings()
    with open_db(settings)() as session:
        report = deadline_report(session, settings)
    for role, rows in report.items():
        if rows:
            notify_role(settings, role, rows)
    return report
