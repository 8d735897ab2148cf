"""Rendering benchmark: a letter (cold and warm) and a 20-page Register Keberatan, as PDF/A.

    .venv/bin/python bench/render.py [--repeats 5] [--register-pages 20] [--quick]

The letter is the receipt intake issues for every registered case
(`ppid.casework.letters.render_receipt`: the tanda terima as PDF/A-3b plus the numbered copy of
the form). Cold is a fresh Python process: the imports (WeasyPrint, fontconfig) and the first
render, as each flow run paid before the warm worker; warm is every later render in the same
process. The register is `ppid.casework.reports.render_register` over synthetic registered cases
in a throw-away SQLite register, enough of them to fill about `--register-pages` landscape pages.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()

from _common import machine, synthetic_case, table  # noqa: E402

YEAR = 2026


def child_letter(out: Path, repeats: int) -> dict[str, Any]:
    """In a fresh process: import time, the first (cold) render, then `repeats` warm ones."""
    imported = time.perf_counter()
    from ppid.casework.letters import render_receipt
    from ppid.core.calendar import calendar_from_settings
    from ppid.core.settings import load_settings

    import_seconds = time.perf_counter() - imported
    settings = load_settings(home=out)
    cal = calendar_from_settings(settings)
    case = synthetic_case(random.Random(1), YEAR, 7)
    times, cpu = [], []
    for index in range(repeats + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        render_receipt(settings, cal, case, out / f"receipt-{index}" / "01-tanda-terima.pdf")
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return {
        "since_start": time.perf_counter() - STARTED - sum(times[1:]),
        "imports": import_seconds,
        "first": times[0],
        "first_cpu": cpu[0],
        "warm": times[1:],
        "warm_cpu": cpu[1:],
    }


def child_register(out: Path, cases: int) -> dict[str, Any]:
    """Render the register of YEAR over `cases` synthetic cases; returns seconds and pages."""
    from pypdf import PdfReader

    from ppid.casework.reports import render_register
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    settings = load_settings(home=out)
    sessions = open_db(settings)
    rng = random.Random(2)
    with sessions() as session, session.begin():
        session.add_all(synthetic_case(rng, YEAR, seq) for seq in range(1, cases + 1))
    with sessions() as session:
        render_register(session, settings, YEAR, None, out / "warm-up.pdf")  # fonts, templates
        started, cpu_started = time.perf_counter(), time.process_time()
        path = render_register(session, settings, YEAR, None, out / "register.pdf")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"seconds": seconds, "cpu": cpu, "pages": len(PdfReader(path).pages), "cases": cases}


def _cpu(result: dict[str, Any], key: str) -> str:
    return f"{result[key + '_cpu']:.2f}"


def in_child(*args: str) -> dict[str, Any]:
    """Run this file with `args` in a new process; its last stdout line is JSON."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process"] = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child-letter"]:
        print(json.dumps(child_letter(Path(argv[1]), int(argv[2]))))
        return 0
    if argv[:1] == ["--child-register"]:
        print(json.dumps(child_register(Path(argv[1]), int(argv[2]))))
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5, help="warm renders of the letter")
    parser.add_argument("--register-pages", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="3 warm letters, 5-page register")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.register_pages = min(args.repeats, 3), min(args.register_pages, 5)
    rows = []
    with tempfile.TemporaryDirectory(prefix="ppid-bench-render-") as scratch:
        letter = in_child("--child-letter", str(Path(scratch) / "letter"), str(args.repeats))
        cold = letter["first"]
        rows.append(
            [
                "receipt, cold (first in a new process)",
                "2",
                f"{cold:.2f}",
                _cpu(letter, "first"),
                "-",
            ]
        )
        rows.append(
            [
                "  + imports before it",
                "",
                f"{letter['imports']:.2f}",
                "",
                "",
            ]
        )
        rows.append(
            ["  whole new process to first receipt", "", f"{letter['since_start']:.2f}", "", ""]
        )
        warm = statistics.median(letter["warm"])
        warm_cpu = f"{statistics.median(letter['warm_cpu']):.2f}"
        rows.append(
            [f"receipt, warm (median of {args.repeats})", "2", f"{warm:.2f}", warm_cpu, "-"]
        )
        probe = in_child("--child-register", str(Path(scratch) / "probe"), "40")
        per_page = probe["cases"] / probe["pages"]
        cases = max(1, round(per_page * args.register_pages))
        register = in_child("--child-register", str(Path(scratch) / "register"), str(cases))
        rows.append(
            [
                f"Register Keberatan, {register['cases']} cases (warm)",
                "1",
                f"{register['seconds']:.2f}",
                f"{register['cpu']:.2f}",
                str(register["pages"]),
            ]
        )
        rows.append(
            [
                "  per page",
                "",
                f"{register['seconds'] / register['pages']:.3f}",
                f"{register['cpu'] / register['pages']:.3f}",
                "",
            ]
        )
    print("\nRendering (jinja2 + WeasyPrint, PDF/A-3b)")
    print(machine())
    print(table(["document", "PDFs", "seconds", "CPU s", "pages"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
