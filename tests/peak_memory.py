"""Run a Python snippet in a fresh interpreter and read its own peak memory.

The peak is the new process's VmHWM, which starts afresh at exec. `ru_maxrss` would not do: Linux
carries the parent's high-water mark across fork and exec, so a snippet started from a pytest
process of 2 GB would report 2 GB whatever it did.
"""

from __future__ import annotations

import subprocess
import sys

_PRINT_PEAK = (
    "\nwith open('/proc/self/status') as _status:\n"
    "    print(next(int(l.split()[1]) for l in _status if l.startswith('VmHWM:')) // 1024)\n"
)


def run_with_peak_mb(script: str) -> tuple[str, int]:
    """(what the snippet printed, its peak resident memory in MB)."""
    done = subprocess.run(
        [sys.executable, "-c", script + _PRINT_PEAK], capture_output=True, text=True, check=True
    )
    printed, _, peak = done.stdout.strip().rpartition("\n")
    return printed, int(peak)
