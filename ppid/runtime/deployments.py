"""The deployments `ppid run` registers, each naming its flow by its Prefect entrypoint.

`ppid` never imports `flows`: it knows each flow by its entrypoint (`FLOWS`) and loads it the way
Prefect itself does (`load_flow`), for the deployments, for the warm workers and for
`ppid ingest`. Schedules are RFC 5545 rules made from the cron lines in the settings.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import Any

from ppid.core import paths
from ppid.core.errors import ConfigError
from ppid.core.settings import Settings
from ppid.runtime.watcher import FILE_READY_EVENT
from ppid.runtime.workers import WORKER_ENVIRONMENT

log = logging.getLogger(__name__)


# Every flow, by the name Prefect knows it by, and where it lives (module:function).
FLOWS = {
    "process-file": "flows.intake:process_file",
    "sweep-inbox": "flows.intake:sweep_inbox",
    "check-mailboxes": "flows.mail:check_mailboxes",
    "advance-case": "flows.casework:advance_case",
    "deadline-check": "flows.casework:deadline_check",
    "archive-fixity": "flows.archive:verify_archive",
    "send-notices": "flows.notices:send_notices",
}


def load_flow(name: str) -> Any:
    """The flow object named `name`, imported from its entrypoint as Prefect loads flows."""
    from prefect.flows import load_flow_from_entrypoint

    return load_flow_from_entrypoint(FLOWS[name], use_placeholder_flow=False)


def deployment_specs(settings: Settings) -> list[tuple[Any, dict[str, Any]]]:
    """Every deployment `ppid run` registers: its flow and its name, trigger or schedule."""
    from prefect.events import DeploymentEventTrigger
    from prefect.schedules import RRule

    on_file = DeploymentEventTrigger(
        expect={FILE_READY_EVENT},
        parameters={"path": "{{ event.resource['ppid.path'] }}"},
    )
    sweep = timedelta(minutes=settings.intake.sweep_minutes)
    # RRule, not Cron: Prefect 3.9's server cannot compute cron dates in a named time zone on
    # Python < 3.13 (whenever refuses pendulum's tzinfo), so cron schedules never produced a run.
    weekly = RRule(cron_as_rrule(settings.archival.verify_cron), timezone=settings.timezone)
    daily = RRule(cron_as_rrule(settings.workflow.deadline_check_cron), timezone=settings.timezone)
    specs: list[tuple[str, dict[str, Any]]] = [
        ("process-file", {"name": "on-file", "triggers": [on_file]}),
        ("sweep-inbox", {"name": "sweep", "interval": sweep}),
        ("archive-fixity", {"name": "weekly", "schedule": weekly}),
        ("advance-case", {"name": "step"}),  # on demand: one SOP step on one case
        ("deadline-check", {"name": "daily", "schedule": daily}),
    ]
    if settings.notices.enabled and settings.mail.smtp_url is not None:  # nothing to send else
        every = timedelta(seconds=settings.notices.poll_seconds)
        specs.append(("send-notices", {"name": "outbox", "interval": every}))
    if settings.mail_url or settings.mail.urls:  # no flow run a minute for nothing
        poll = timedelta(seconds=settings.mail.poll_seconds)
        specs.append(("check-mailboxes", {"name": "poll", "interval": poll}))
    return [(load_flow(name), spec) for name, spec in specs]


def build_deployments(settings: Settings) -> list[Any]:
    """Every deployment `ppid run` registers, with its trigger or schedule."""
    return [flow.to_deployment(**spec) for flow, spec in deployment_specs(settings)]


def register_deployments(deployments: list[Any], work_pool: str = "") -> None:
    """Create deployments and their triggers before the watcher emits its first event.

    With a work pool, each deployment is registered on it from source (this checkout's path
    and the flow's entrypoint, e.g. `flows/intake.py:process_file`), for `prefect worker start
    --type process` workers on any machine with the same checkout path.
    """
    if work_pool:
        from prefect.runner.storage import LocalStorage

        _ensure_process_pool(work_pool)
        for deployment in deployments:
            deployment.storage = LocalStorage(str(paths.CHECKOUT))
            # the pool's worker starts a process per flow run: give it the flow-run environment
            deployment.job_variables = {"env": WORKER_ENVIRONMENT}
            deployment.apply(work_pool_name=work_pool)
        return
    for deployment in deployments:
        deployment.apply()


def _ensure_process_pool(name: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=name, type="process"))


_CRON_FIELDS = (("BYMINUTE", 0, 59), ("BYHOUR", 0, 23), ("BYMONTHDAY", 1, 31), ("BYMONTH", 1, 12))
_RRULE_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA", "SU")  # cron 0 and 7 are both Sunday


def cron_as_rrule(cron: str) -> str:
    """A five-field cron line ("0 7 * * 1-5") as the equivalent RFC 5545 rule for Prefect.

    Numbers, lists, ranges and steps are understood; a line restricting both the day of month
    and the weekday (cron's "either" rule, which RRULE cannot say) is refused.
    """
    fields = cron.split()
    if len(fields) != 5:
        raise ConfigError("schedule.fields", cron=cron)
    if fields[2] != "*" and fields[4] != "*":
        raise ConfigError("schedule.day_and_weekday", cron=cron)
    parts = [
        "FREQ=MINUTELY" if fields[0] == "*" else "FREQ=HOURLY" if fields[1] == "*" else "FREQ=DAILY"
    ]
    for (key, low, high), field in zip(_CRON_FIELDS, fields[:4], strict=True):
        if field != "*":
            parts.append(f"{key}={','.join(str(v) for v in _cron_values(cron, field, low, high))}")
    if fields[4] != "*":
        days = sorted(
            {_RRULE_DAYS[v] for v in _cron_values(cron, fields[4], 0, 7)}, key=_RRULE_DAYS.index
        )
        parts.append(f"BYDAY={','.join(days)}")
    return "DTSTART:20260101T000000\nRRULE:" + ";".join(parts)


def _cron_values(cron: str, field: str, low: int, high: int) -> list[int]:
    values: set[int] = set()
    try:
        for item in field.split(","):
            span, _, step = item.partition("/")
            first, _, last = span.partition("-")
            start = low if first == "*" else int(first)
            end = high if first == "*" else int(last or (high if step else first))
            values.update(range(start, end + 1, int(step or 1)))
    except ValueError as error:
        raise ConfigError("schedule.unreadable", cron=cron, part=field) from error
    if not values or min(values) < low or max(values) > high:
        raise ConfigError("schedule.range", cron=cron, part=field, low=low, high=high)
    return sorted(values)
