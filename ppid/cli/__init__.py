"""The `ppid` command."""

from ppid.cli.app import main

__all__ = ["main"]
