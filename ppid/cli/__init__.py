"""The `ppid` command: one module per command group, each a thin adapter over a subsystem.

Every command imports the subsystem it drives inside its own function, for start-up speed:
`ppid --help` or `ppid cases` must not pay for Prefect, WeasyPrint or OpenCV. This is the one
place in the product where a first-party import sits inside a function, and never to dodge a
cycle (the import-linter contract in `make test` holds with or without it).
"""

from ppid.cli.app import main

__all__ = ["main"]
