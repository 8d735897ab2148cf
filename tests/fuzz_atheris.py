"""Coverage-guided fuzzing of the PDF, image, e-mail and winmail.dat parsers with atheris.

Not part of the test suite (atheris is not in the lock: it needs its own wheel). It checks the
same contracts as tests/test_hostile_fuzz.py, but lets libFuzzer steer the bytes. Run by hand:

    python3.11 -m venv /tmp/atheris && /tmp/atheris/bin/pip install atheris
    PYTHONPATH=.:.venv/lib/python3.11/site-packages \\
        /tmp/atheris/bin/python tests/fuzz_atheris.py image -max_total_time=60

Targets: pdf, image, mail, tnef. A crash prints the input and leaves it as crash-<hash>; turn it
into a regression test in tests/test_bad_input.py or tests/test_mail_tnef.py.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import atheris  # type: ignore[import-not-found]

# Only what parses hostile bytes is instrumented (all of numpy/OpenCV would take minutes).
INSTRUMENTED = {
    "pdf": [
        "pypdf",
        "parsers.files",
        "parsers.pdf_safety",
        "parsers.text_layer",
        "parsers.acroform",
        "parsers.labels",
    ],
    "image": ["PIL", "parsers.image_files"],
    "mail": ["email", "ppid.intake.mail.parse", "ppid.intake.inbox", "tnefparse"],
    "tnef": ["tnefparse", "ppid.intake.mail.parse"],
}
FOLDER = Path(tempfile.mkdtemp(prefix="ppid-atheris-"))


def load(target: str) -> dict[str, Any]:
    """Import the modules a target needs, instrumenting the parsing ones."""
    importlib.import_module("parsers.model")
    if target == "pdf":
        importlib.import_module("parsers.ocr")  # heavy, not instrumented
    with atheris.instrument_imports(include=INSTRUMENTED[target]):
        modules = {
            "pdf": ["parsers.extract"],
            "image": ["parsers.image_files"],
            "mail": ["ppid.intake.mail.parse", "ppid.intake.inbox"],
            "tnef": ["ppid.intake.mail.parse"],
        }[target]
        return {name: importlib.import_module(name) for name in modules}


def fuzz_pdf(data: bytes) -> None:
    from parsers.extract import extract_file
    from parsers.model import ExtractionLimits

    path = FOLDER / "acak.pdf"
    path.write_bytes(b"%PDF-1.4\n" + data)
    limits = ExtractionLimits(max_pixels=200_000, max_seconds=10, max_pages=20)
    result = extract_file(path, limits)
    if result.error is not None and "unexpected" in result.error:
        raise AssertionError(result.error)


def fuzz_image(data: bytes) -> None:
    from parsers.image_files import load_images
    from parsers.model import ExtractionError, ExtractionLimits

    with contextlib.suppress(ExtractionError):
        load_images(data, "acak.jpg", ExtractionLimits(max_pixels=4_000_000, max_pages=5))


def fuzz_mail(data: bytes) -> None:
    from ppid.core.files import safe_name
    from ppid.intake.mail.parse import parse_mail

    for attachment in parse_mail(data).attachments:
        name = safe_name(attachment.name, fallback="lampiran")
        assert name and "/" not in name and name not in (".", "..")


def fuzz_tnef(data: bytes) -> None:
    from ppid.intake.mail.parse import TnefError, unpack_tnef

    with contextlib.suppress(TnefError):
        unpack_tnef(b"\x78\x9f\x3e\x22" + data)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "pdf": fuzz_pdf,
    "image": fuzz_image,
    "mail": fuzz_mail,
    "tnef": fuzz_tnef,
}

if __name__ == "__main__":
    warnings.simplefilter("ignore")
    name = sys.argv.pop(1)
    load(name)
    atheris.Setup(sys.argv, TARGETS[name])
    atheris.Fuzz()
