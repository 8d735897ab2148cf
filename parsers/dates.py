"""Dates as Indonesians write them: '12 Oktober 2026', 'Senin, 12-10-2026', '12/10/2026'."""

from __future__ import annotations

import logging
import re
from datetime import date

from parsers.text_lines import collapse

log = logging.getLogger(__name__)

MONTHS: dict[str, int] = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "maret": 3,
    "mar": 3, "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11, "nopember": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = ("senin", "selasa", "rabu", "kamis", "jumat", "jum'at", "sabtu", "minggu", "ahad")


def parse_date(text: str) -> date | None:
    """A date as people write it: '12 Oktober 2026', 'Senin, 12-10-2026', '2026-10-12'."""
    cleaned = collapse(text).lower().replace("’", "'")
    for day in WEEKDAYS:
        cleaned = re.sub(rf"^{day}\s*[,/]?\s*", "", cleaned)
    patterns = (
        (r"(\d{1,2})\s*[-/. ]?\s*([a-z]{3,10})\.?\s*[-/. ]?\s*(\d{4})", "dmy-name"),
        (r"(\d{4})-(\d{1,2})-(\d{1,2})", "ymd"),
        (r"(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})", "dmy"),
    )
    for pattern, kind in patterns:
        match = re.search(pattern, cleaned)
        if not match:
            continue
        a, b, c = match.groups()
        try:
            if kind == "dmy-name":
                month = MONTHS.get(b)
                if month is None:
                    continue
                return date(int(c), month, int(a))
            if kind == "ymd":
                return date(int(a), int(b), int(c))
            return date(int(c), int(b), int(a))
        except ValueError:
            return None
    return None
