"""Log lines that cannot be forged: control characters in a message are written escaped.

A folder name with a newline in it wrote a second, made-up log line, and an escape sequence
repainted the operator's terminal. Every log record made in a process that imports `ppid` (the
CLI, the web apps, the Prefect workers, whatever handler prints it: ours, uvicorn's or
Prefect's) renders its message with C0/C1 control characters as `\\xNN`; a traceback the
formatter adds keeps its lines.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """`text` with every control character (newline and escape included) as `\\xNN`."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class SafeLogRecord(logging.LogRecord):
    """A log record whose message never carries a raw control character."""

    def getMessage(self) -> str:
        return escape_controls(super().getMessage())


def install() -> None:
    """Make every later log record a SafeLogRecord (idempotent; a factory someone else set is
    wrapped, not replaced)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "ppid_safe", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        record.__class__ = _safe_class(type(record))
        return record

    factory.ppid_safe = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_SAFE: dict[type, type] = {logging.LogRecord: SafeLogRecord}


def _safe_class(kind: type) -> type:
    if kind not in _SAFE:
        _SAFE[kind] = type(
            f"Safe{kind.__name__}", (kind,), {"getMessage": SafeLogRecord.getMessage}
        )
    return _SAFE[kind]
