"""What the render, search, fixity, memory and OCR benchmarks share (not a benchmark itself).

Synthetic registered cases from the corpus's invented people, percentiles, the machine line
printed above every table, and the table printer of bench/extract.py.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from extract_report import table  # noqa: E402  (one table format for every bench)

from ppid.casework.register import format_register_number  # noqa: E402
from ppid.core.models import Case  # noqa: E402
from ppid.core.vocabulary import CaseStatus  # noqa: E402
from tests.corpus.people import make_objection, make_person  # noqa: E402

__all__ = ["ROOT", "machine", "percentile", "summary_ms", "synthetic_case", "table"]

REGISTER_FORMAT = "{seq:03d}/KEB/PPID-DKUKM/{month_roman}/{year}"


def synthetic_case(rng: random.Random, year: int, seq: int) -> Case:
    """A registered case of invented people (tests/corpus/people.py), numbered `seq` in `year`."""
    fields = make_objection(rng, make_person(rng))
    applicant = fields["applicant"]
    received = datetime.combine(date(year, 1, 2) + timedelta(days=seq % 360), time(2, 30), UTC)
    case = Case(
        number=format_register_number(REGISTER_FORMAT, seq, received.date()),
        year=year,
        seq=seq,
        status=CaseStatus.REGISTERED,
        channel="scan",
        received_at=received,
        registered_at=received,
        answer_due=received.date() + timedelta(days=42),
        applicant_name=applicant["name"],
        applicant_nik=applicant["nik"],
        applicant_address=applicant["address"],
        applicant_occupation=applicant["occupation"],
        applicant_phone=applicant["phone"],
        applicant_email=applicant["email"],
        request_number=fields["request_number"],
        purpose=fields["purpose"],
        case_description=fields["case_description"],
        signed_place=fields["place"],
        signed_date=date.fromisoformat(fields["date"]),
    )
    case.reasons = fields["reasons"]
    return case


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (`share` 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary_ms(values: list[float]) -> tuple[str, str, str]:
    """(p50, p95, max) of durations in seconds, formatted in milliseconds."""
    return (
        f"{1000 * statistics.median(values):.1f}",
        f"{1000 * percentile(values, 0.95):.1f}",
        f"{1000 * max(values):.1f}",
    )


def machine() -> str:
    """One line naming the machine and how loaded it was, printed above each table."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " ".join(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} cores ({model}), {platform.machine()}, "
        f"Python {platform.python_version()}; load average {load}"
    )
