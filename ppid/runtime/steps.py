"""Taking an SOP step as a Prefect flow run, so the Prefect UI shows every case's history.

The CLI and the web app call `take_step`: it checks the step in-process first (role, order,
decision, a missing note — a plain error at once, no flow run), creates a run of the
"advance-case/step" deployment (flows/casework.py, served by the warm workers) named after the
case and the step, waits for its final state and returns where the case stands. The deployment
is called by name through Prefect's REST API (`api_call`): `ppid` never imports `flows`, and the
command that takes a step does not pay for importing Prefect's SDK. The flow defines the step's
stages (`ppid.casework.workflow.CaseStep`: the step, then the case's archive); with no Prefect
server running (the system is stopped) the caller's `direct` sequence runs the same stages
in-process (`ppid.archive.sequences.DIRECT_STEP`) and the result says so. The caller hands it in
as a function that returns it: the CLI imports the archive only when it needs it.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ppid.casework.register import get_case
from ppid.casework.sop import step_of_decision
from ppid.casework.workflow import CaseStep, case_result, check_step
from ppid.core import errors
from ppid.core.errors import PpidError
from ppid.core.messages import recognise
from ppid.core.settings import Settings
from ppid.runtime.prefect_env import api_call, reachable_api_url

log = logging.getLogger(__name__)


DEPLOYMENT = "advance-case/step"
NOT_RUNNING = "Prefect is not running: step recorded without a flow run"
NOT_SERVED = f"Prefect has no {DEPLOYMENT} deployment: step recorded without a flow run"
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
# How often the state of the step's run is read: often at first (a step takes a warm worker a
# few tenths of a second), then less, so a long wait costs the server little.
POLL_SECONDS = (0.05, 0.1, 0.1, 0.2, 0.2, 0.5)


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
    *,
    direct: Callable[[], CaseStep],
) -> dict[str, Any]:
    """Take the case's next step as a flow run (or by `direct()` when Prefect is not running).

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
        return _direct(settings, sessions, parameters, direct, NOT_RUNNING)
    run = _run_flow(api, parameters, settings.workflow.step_timeout_seconds)
    if run is None:
        return _direct(settings, sessions, parameters, direct, NOT_SERVED)
    with sessions() as session:
        result = case_result(get_case(session, number))
    url = api.removesuffix("/api") + f"/runs/flow-run/{run['id']}"
    flow_run = {"id": run["id"], "name": run["name"], "url": url}
    return {**result, "flow_run": flow_run, "message": None}


def _direct(
    settings: Settings,
    sessions: Any,
    parameters: dict[str, Any],
    direct: Callable[[], CaseStep],
    message: str,
) -> dict[str, Any]:
    log.info("%s (%s)", message, parameters["number"])
    result = direct().run(settings, sessions, parameters)
    return {**result, "flow_run": None, "message": message}


def _run_flow(api: str, parameters: dict[str, Any], timeout: float) -> dict[str, Any] | None:
    """Create the step's flow run and wait for its final state; None if nobody serves it."""
    deployment = api_call(api, "GET", f"/deployments/name/{quote(DEPLOYMENT)}")
    if deployment is None:
        return None
    name = step_run_name(parameters["number"], parameters["decision"])
    body = {"name": name, "parameters": parameters}
    run = api_call(api, "POST", f"/deployments/{deployment['id']}/create_flow_run", body)
    deadline = time.monotonic() + timeout
    for poll in itertools.count():
        state = run.get("state") or {}
        if state.get("type") in FINAL_STATES:
            break
        if time.monotonic() > deadline:
            _give_up(api, run, timeout)
        time.sleep(POLL_SECONDS[min(poll, len(POLL_SECONDS) - 1)])
        run = api_call(api, "GET", f"/flow_runs/{run['id']}") or run
    if state["type"] != "COMPLETED":
        raise _plain_error(run["name"], state.get("message") or state["type"])
    return run


def _give_up(api: str, run: dict[str, Any], timeout: float) -> None:
    """A run nobody started is cancelled (the step is not taken); a running one is left to end."""
    if (run.get("state") or {}).get("type") == "RUNNING":
        raise PpidError("step.still_running", run=run["name"], seconds=f"{timeout:.0f}")
    cancelled = {"type": "CANCELLED", "message": "not started in time"}
    api_call(api, "POST", f"/flow_runs/{run['id']}/set_state", {"state": cancelled, "force": True})
    raise PpidError("step.not_started", run=run["name"], seconds=f"{timeout:.0f}")


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
