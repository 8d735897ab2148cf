"""`python -m ppid` runs the same command as `ppid`."""

from __future__ import annotations

from ppid.cli import main

main()
