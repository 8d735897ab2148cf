"""Case workflow flows: one run per step taken, and the daily deadline check that warns each role.

Orchestration only: the step is `ppid.workflow.advance_number`, the warnings come from
`ppid.workflow.deadline_report` and go out through `ppid.notify`; all are tested without
Prefect. A run per step makes the Prefect UI show each case's history next to its intake run:
`ppid.steps.take_step` (CLI and web app) submits it to the "advance-case/step" deployment by
name, and the run's id is kept in the case's history event.
"""

from __future__ import annotations

import logging
from typing import Any

from prefect import flow, runtime, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.exc import OperationalError

from ppid.casework import workflow
from ppid.casework.notify import notify_role
from ppid.casework.tasks import deadline_report
from ppid.core.db import open_db
from ppid.core.settings import load_settings
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
    number: str,
    role: str,
    actor: str,
    decision: str,
    note: str | None,
    data: dict[str, Any],
    flow_run: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Take the case's step in one write transaction."""
    settings = load_settings()
    return workflow.advance_number(
        open_db(settings), settings, number, role, actor, decision, note, data, flow_run=flow_run
    )


def _run_name() -> str:
    """The run name `ppid.steps` gives: "<register number>: <step> (<decision>)"."""
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
    """One SOP step on one case, as `role`, recorded in the case history with this run's id."""
    run_id = runtime.flow_run.id
    this_run = {"id": str(run_id), "name": str(runtime.flow_run.name)} if run_id else None
    return take_step(number, role, actor, decision, note, data or {}, this_run)


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
