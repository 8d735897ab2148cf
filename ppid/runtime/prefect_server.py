"""The local Prefect server of `ppid run`: Prefect's own, with SQLite writers that wait their turn.

    python -m ppid.runtime.prefect_server server start --host 127.0.0.1 --port 4200

Prefect's rule for SQLite (its server/AGENTS.md, 3.9): a transaction that reads and then writes
must begin IMMEDIATE, or it fails at once with "database is locked" whenever another connection
commits between its read and its first write; the busy timeout never applies to that case. The
server answers 503 and Prefect's client asks again two seconds later. Two endpoints on our hot path
break the rule: creating a flow run from a deployment (what the file trigger does; when a form and
its KTP are dropped together, the second file's run came two seconds late in half the pairs) and
taking concurrency slots. Ten clients creating runs at once got 503 on 10 of 11 answered requests.

So here every SQLite transaction begins IMMEDIATE: writers queue under the 60 s busy timeout
instead of failing. Reads outside transactions are untouched (WAL lets them run beside a writer).
With PostgreSQL (`PREFECT_API_DATABASE_CONNECTION_URL`) nothing changes.

And task runs are recorded in batches (`SERVER_DEFAULTS`). Prefect's task-run recorder
writes each task state event in a transaction of its own by default: ~25 ms of server CPU per
event, three events per task, five tasks per file, which made it the largest part of the server's
work on a batch of files. That work is done beside the workers, on the cores they need once two of
them run. Batched, a task costs the server ~10 ms; the UI shows a task's state up to a second
late.

A flow run is marked Late only five minutes after its time (Prefect: 15 s). Every run of the
intake is due at once, so a batch of fifty files dropped together showed twenty to thirty runs
Late (orange, in the UI) that were only waiting their turn behind the others, and each marking
was one more state change and event for the server beside the workers. A run still waiting
after five minutes does mean something: no worker is taking runs.

An operator's own PREFECT_SERVER_SERVICES_* settings win over these.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

SERVER_DEFAULTS = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "50",  # Prefect's default: 1
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",  # seconds; default 5
    "PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": "300",  # default 15
}


def immediate_sqlite_transactions() -> None:
    """Make Prefect's SQLite configuration begin every transaction IMMEDIATE."""
    from prefect.server.database.configurations import AioSqliteConfiguration

    begin = AioSqliteConfiguration.begin_transaction

    @asynccontextmanager
    async def begin_immediate(
        self: AioSqliteConfiguration, session: Any, with_for_update: bool = False
    ) -> AsyncIterator[Any]:
        async with begin(self, session, with_for_update=True) as transaction:
            yield transaction

    AioSqliteConfiguration.begin_transaction = begin_immediate  # type: ignore[method-assign]


def main() -> None:
    """Prefect's command line, in this process, after the changes above."""
    for key, value in SERVER_DEFAULTS.items():
        os.environ.setdefault(key, value)  # before Prefect reads its settings
    immediate_sqlite_transactions()
    from prefect.cli import app

    sys.argv[0] = "prefect"
    app()


if __name__ == "__main__":
    main()
