"""Archive flows and tasks: a case's archive after each stage that changed it, the sweep for
archives that missed it, and the scheduled fixity check of every bag.

Orchestration only: the work is in `ppid.archive`. `archive_case` is the last stage of the
intake, case-step and e-mail flows; `archive_pending` (run by the inbox sweep) brings up to date
every bag whose case changed after its last archive stage, as after a crash between the two. A
damaged bag fails the fixity flow run (red in the Prefect UI) after logging every problem, and
is recorded as a fixity event on its case.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from ppid.archive import bags
from ppid.archive.fixity import archival_failure, check_fixity, fixity_failure
from ppid.archive.store_fixity import store_failure, verify_store
from ppid.core.db import open_db
from ppid.core.settings import Settings, load_settings

log = logging.getLogger(__name__)


@task(cache_policy=NO_CACHE)
def archive_case(settings: Settings, sessions: Any, number: str) -> Path | None:
    """Bring the case's BagIt bag and the archive index up to date (never fails the run)."""
    return bags.archive_case(settings, sessions, number)


@task(cache_policy=NO_CACHE)
def archive_pending(settings: Settings, sessions: Any) -> list[str]:
    """Archive every case whose bag missed an archive stage; returns their register numbers."""
    return bags.archive_pending(settings, sessions)


@flow(name="archive-fixity", log_prints=False)
def verify_archive(year: int | None = None) -> list[dict[str, Any]]:
    """Validate every bag and every file of the content store, then bring open cases' bags up
    to date; fail loudly on a mismatch."""
    settings = load_settings()
    sessions = open_db(settings)
    logger = get_run_logger()
    results = check_fixity(settings, sessions, year)
    for result in results:
        if not result.ok:
            logger.error("FIXITY MISMATCH %s: %s", result.bag, "; ".join(result.problems))
        if result.not_archival:
            logger.error("NOT PDF/A-3b %s: %s", result.bag, "; ".join(result.not_archival))
    damage = verify_store(settings, sessions)  # the originals bags are built from
    for item in damage:
        logger.error("CONTENT STORE DAMAGE %s: %s", item.path, item.problem)
    error = fixity_failure(results) or store_failure(damage) or archival_failure(results)
    if error is not None:
        raise error
    bags.update_all(settings, sessions)  # events.json of open cases now lists this check
    logger.info("%d archive bag(s) verified, all intact", len(results))
    return [result.to_json() for result in results]
