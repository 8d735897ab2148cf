"""Taking an SOP step as a Prefect flow run, so the Prefect UI shows every case's history.

The CLI and the web app call `take_step`: it checks the step in-process first (role, order,
decision, a missing note — a plain error at once, no flow run), submits a run of the
"advance-case/step" deployment (flows/casework.py, served by `ppid run`) named after the case
and the step, waits for its final state and returns where the case stands. The deployment is
called by name: `ppid` never imports `flows`. With no Prefect server running (the system is
stopped) the same stages run directly (`ppid.archive.sequences.DIRECT_STEP`: the step, then
the case's archive) and the result says so.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ppid.archive.sequences import DIRECT_STEP
from ppid.casework.register import get_case
from ppid.casework.sop import step_of_decision
from ppid.casework.workflow import case_result, check_step
from ppid.core import errors
from ppid.core.errors import PpidError
from ppid.core.messages import recognise
from ppid.core.settings import Settings
from ppid.runtime.prefect_env import reachable_api_url

log = logging.getLogger(__name__)


DEPLOYMENT = "advance-case/step"
NOT_RUNNING = "Prefect is not running: step recorded without a flow run"
NOT_SERVED = f"Prefect has no {DEPLOYMENT} deployment: step recorded without a flow run"
POLL_SECONDS = 1.0


def step_run_name(number: str, decision: str) -> str:
    """The flow run's name: the case number, the step and the decision."""
    return f"{number}: {step_of_decision(decision)} ({decision.strip().lower()})"


def take_step(
    settings: Settings,
    sessions: Any,
    number: str,
    role: str,
    actor: str,
    decision: str,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Take the case's next step as a flow run (or directly when Prefect is not running).

    Returns `ppid.casework.workflow.case_result` plus "flow_run" (id, name, url; None when taken
    directly) and "message" (one line for the person, or None).
    """
    with sessions() as session:
        case = get_case(session, number)
        check_step(session, settings, case, role, decision, note, data)
        number = str(case.number)
    # The flow's parameters, and the same keywords for `advance_number` when taken directly.
    parameters = {
        "number": number,
        "role": str(role).strip().lower(),
        "actor": actor,
        "decision": decision.strip().lower(),
        "note": note,
        "data": data or {},
    }
    api = reachable_api_url(settings)
    if api is None:
        return _direct(settings, sessions, parameters, NOT_RUNNING)
    run = _run_flow(api, parameters, settings.workflow.step_timeout_seconds)
    if run is None:
        return _direct(settings, sessions, parameters, NOT_SERVED)
    with sessions() as session:
        result = case_result(get_case(session, number))
    url = api.removesuffix("/api") + f"/runs/flow-run/{run.id}"
    flow_run = {"id": str(run.id), "name": run.name, "url": url}
    return {**result, "flow_run": flow_run, "message": None}


def _direct(
    settings: Settings, sessions: Any, parameters: dict[str, Any], message: str
) -> dict[str, Any]:
    log.info("%s (%s)", message, parameters["number"])
    result = DIRECT_STEP.run(settings, sessions, parameters)
    return {**result, "flow_run": None, "message": message}


def _run_flow(api: str, parameters: dict[str, Any], timeout: float) -> Any:
    """Submit the step's flow run and wait for its final state; None if nobody serves it."""
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings

    name = step_run_name(parameters["number"], parameters["decision"])
    with temporary_settings(updates={PREFECT_API_URL: api}):
        try:
            run = run_deployment(
                DEPLOYMENT,
                parameters=parameters,
                flow_run_name=name,
                timeout=timeout,
                poll_interval=POLL_SECONDS,
                as_subflow=False,
            )
        except ObjectNotFound:
            return None
        state = run.state
        if state is None or not state.is_final():
            _give_up(run, timeout)
    if not state.is_completed():
        raise _plain_error(run.name, state.message or str(state.type))
    return run


def _give_up(run: Any, timeout: float) -> None:
    """A run nobody started is cancelled (the step is not taken); a running one is left to end."""
    from prefect import get_client
    from prefect.states import Cancelled

    if run.state is not None and run.state.is_running():
        raise PpidError("step.still_running", run=run.name, seconds=f"{timeout:.0f}")
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run.id, Cancelled(message="not started in time"), force=True)
    raise PpidError("step.not_started", run=run.name, seconds=f"{timeout:.0f}")


def _plain_error(run_name: str, message: str) -> PpidError:
    """The flow's failure as the error the step raised ("ForbiddenError: …" → ForbiddenError),
    its catalogue code read back from the English text; anything else a failed step."""
    found = re.search(r"(\w+Error): (.*)$", message, re.DOTALL)
    if found:
        kind = getattr(errors, found.group(1), None)
        known = recognise(found.group(2))
        if isinstance(kind, type) and issubclass(kind, PpidError) and known is not None:
            code, params = known
            return kind(code, **params)
    return PpidError("step.run_failed", run=run_name, detail=message)
