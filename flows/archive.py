"""Archive flows: the scheduled fixity check of every bag, and bringing bags up to date.

Orchestration only: the work is in `ppid.archive`. A damaged bag fails the flow run (red in the
Prefect UI) after logging every problem, and is recorded as a fixity event on its case.
"""

from __future__ import annotations

import logging
from typing import Any

from prefect import flow, get_run_logger

from ppid.archive.bags import check_fixity, fixity_failure, update_all
from ppid.core.db import open_db
from ppid.core.settings import load_settings

log = logging.getLogger(__name__)


@flow(name="archive-fixity", log_prints=False)
def verify_archive(year: int | None = None) -> list[dict[str, Any]]:
    """Bring open cases' bags up to date, then validate every bag; fail loudly on a mismatch."""
    settings = load_settings()
    sessions = open_db(settings)
    logger = get_run_logger()
    results = check_fixity(settings, sessions, year)
    for result in results:
        if not result.ok:
            logger.error("FIXITY MISMATCH %s: %s", result.bag, "; ".join(result.problems))
    error = fixity_failure(results)
    if error is not None:
        raise error
    update_all(settings, sessions)  # events.json of open cases now lists this check
    logger.info("%d archive bag(s) verified, all intact", len(results))
    return [result.to_json() for result in results]
