"""Public site benchmark: from pressing "Kirim" to the register number and the receipt PDF.

    .venv/bin/python bench/filing.py [--filings 6] [--quick]

A throw-away home and SQLite register; each filing is the objection form of a committed KTP
sample's invented person with that KTP as a phone photo (re-encoded per filing, so no two
uploads share their bytes), sent through the public app in-process (FastAPI's TestClient, no
network): the POST, which reads the KTP, registers the case, issues the tanda terima and
archives the case, then the confirmation page and the receipt download. Target: p50 within
seconds (the applicant waits on the page).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, summary_ms, table
from fastapi.testclient import TestClient
from PIL import Image

from ppid.core.settings import load_settings
from ppid.web.public.app import create_public_app
from tests.specimens import ktp_sample

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
RECEIPT = re.compile(r'href="(/surat/\d+)"')
SAMPLES = ("ktp_photo_000.jpg", "ktp_crop_000.jpg", "ktp_photocopy_000.jpg")


def _photo(path: Path, quality: int) -> bytes:
    """The sample re-encoded at `quality`: other bytes, the same card."""
    out = io.BytesIO()
    Image.open(path).convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def _form(card: dict[str, str], index: int) -> dict[str, object]:
    return {
        "request_number": f"{index + 1:03d}/PPID-DKUKM/XI/2026",
        "purpose": "Penelitian tentang layanan informasi publik",
        "applicant.name": card["name"],
        "applicant.nik": card["nik"],
        "applicant.address": card["address"],
        "reasons": ["c"],
        "declaration": "ya",
    }


def file_once(client: TestClient, sample: str, index: int) -> float:
    """Seconds from the POST to the receipt downloaded."""
    path, card = ktp_sample(sample)
    photo = ("ktp.jpg", _photo(path, 95 - index % 50), "image/jpeg")
    token = CSRF.search(client.get("/").text)
    assert token is not None
    data = {"csrf": token.group(1), **_form(card, index)}
    started = time.perf_counter()
    answer = client.post("/ajukan", data=data, files={"ktp": photo}, follow_redirects=False)
    if answer.status_code != 303:
        raise SystemExit(f"filing {index} was not registered: HTTP {answer.status_code}")
    receipt = RECEIPT.search(client.get("/diterima").text)
    assert receipt is not None
    pdf = client.get(receipt.group(1))
    assert pdf.content.startswith(b"%PDF")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=6)
    parser.add_argument("--quick", action="store_true", help="three filings")
    args = parser.parse_args()
    count = 3 if args.quick else args.filings
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    with tempfile.TemporaryDirectory(prefix="ppid-bench-public-") as home:
        for name in list(os.environ):
            if name.startswith("PPID_"):
                del os.environ[name]
        settings = load_settings(home=Path(home), public={"submissions_per_hour": count + 1})
        client = TestClient(create_public_app(settings))
        file_once(client, SAMPLES[0], 60)  # warm-up: imports, Tesseract, fonts
        durations = [file_once(client, SAMPLES[i % len(SAMPLES)], i) for i in range(count)]
    print(machine())
    p50, p95, worst = summary_ms(durations)
    print(table(["filings", "p50 ms", "p95 ms", "max ms"], [[str(count), p50, p95, worst]]))


if __name__ == "__main__":
    sys.exit(main())
