"""The outbox flow: every notice to an applicant that is due, e-mailed with its letter.

Orchestration only: `ppid.casework.notices` queues a notice in the step that owes it and sends
it; this flow runs on a schedule (`notices.poll_seconds`) so a notice whose first send failed,
or one queued while no run was due, goes out on the next run.
"""

from __future__ import annotations

import logging
from typing import Any

from prefect import flow

from ppid.casework.notices import send_due
from ppid.core.db import open_db
from ppid.core.settings import load_settings

log = logging.getLogger(__name__)


@flow(name="send-notices", log_prints=False)
def send_notices() -> list[dict[str, Any]]:
    """Send what is due; each result says sent, failed (retried later), refused or cancelled."""
    settings = load_settings()
    results = send_due(settings, open_db(settings))
    return [result.__dict__ for result in results]
