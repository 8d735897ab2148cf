"""The Prefect server of `ppid run` (or the shared one of several machines): Prefect's own.

    python -m ppid.runtime.prefect_server server start --host 127.0.0.1 --port 4200

Prefect's command line, in this process, after `ppid.runtime.prefect_patches` has made SQLite
writers wait their turn, batched the task-run records and moved the Late threshold; the reasons
are given there and in docs/design.md.
"""

from __future__ import annotations

import sys

from ppid.runtime.prefect_patches import install_server_patches


def main() -> None:
    """Prefect's command line, in this process, after the server's patches."""
    install_server_patches()
    from prefect.cli import app

    sys.argv[0] = "prefect"
    app()


if __name__ == "__main__":
    main()
