"""File intake safety: sniff the real type, read within the size limit, keep time, word refusals.

Everything a hostile or broken file can do to us is stopped before any parser sees it: the type
comes from magic bytes (never the extension), and sizes, pages, pixels and time are bounded
(here and in `pdf_safety`, `image_files`, `raster`); every refusal is an `ExtractionError` whose
message tells a person what to do.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from parsers.model import ExtractionError, ExtractionLimits

log = logging.getLogger(__name__)

PDF = "pdf"
IMAGE_KINDS = ("png", "jpeg", "tiff", "gif", "bmp", "webp")


FIX_HINT = "Ask the sender for a PDF or a scan (JPEG, PNG or TIFF)."


@dataclass
class Deadline:
    """Seconds left for one file; every slow step asks it before starting and gives up in time."""

    limit: float
    started: float

    @classmethod
    def start(cls, seconds: float) -> Deadline:
        return cls(limit=seconds, started=time.monotonic())

    def remaining(self) -> float:
        return self.limit - (time.monotonic() - self.started)

    def check(self, name: str) -> None:
        if self.remaining() <= 0:
            raise ExtractionError(time_limit_message(name, self.limit))


def time_limit_message(name: str, seconds: float) -> str:
    return (
        f"{name}: reading took longer than the {seconds:g} s limit (limits.max_seconds_per_file) "
        "and was stopped. Split the file into smaller ones or raise the limit."
    )


def sniff(data: bytes) -> str:
    """The real kind from the first bytes: pdf, an image kind, html, svg, zip, empty, unknown."""
    if not data:
        return "empty"
    head = data[:1024]
    if head.startswith(b"%PDF-"):
        return PDF
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"\xff\xd8\xff", "jpeg"),
        (b"II*\x00", "tiff"),
        (b"MM\x00*", "tiff"),
        (b"GIF87a", "gif"),
        (b"GIF89a", "gif"),
        (b"BM", "bmp"),
        (b"PK\x03\x04", "zip"),
        (b"PK\x05\x06", "zip"),
    )
    for magic, kind in signatures:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if b"%PDF-" in head:  # the format allows junk before the header
        return PDF
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in text:
        return "svg"
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in text:
        return "html"
    return "unknown"


def read_input(path: Path, limits: ExtractionLimits) -> tuple[str, bytes]:
    """Read a file after checking it exists, is not empty or oversized, and is a kind we read."""
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ExtractionError(f"{name}: cannot open the file ({error.strerror}).") from error
    if not path.is_file():
        raise ExtractionError(f"{name}: is not a regular file.")
    if size == 0:
        raise ExtractionError(f"{name}: the file is empty (0 bytes). {FIX_HINT}")
    if size > limits.max_file_bytes:
        raise ExtractionError(
            f"{name}: the file is {size / 1024**2:.1f} MB, over the "
            f"{limits.max_file_bytes / 1024**2:.1f} MB limit (limits.max_file_mb). "
            "Ask for a smaller file or raise the limit."
        )
    data = path.read_bytes()
    kind = sniff(data)
    if kind == PDF or kind in IMAGE_KINDS:
        return kind, data
    raise ExtractionError(f"{name}: {_kind_refusal(kind, path.suffix)} {FIX_HINT}")


def _kind_refusal(kind: str, suffix: str) -> str:
    named = f" although it is named {suffix}" if suffix else ""
    return {
        "html": f"this is a web page (HTML){named}, not a document we can read.",
        "svg": f"this is an SVG drawing{named}; SVG is not accepted because it can carry scripts.",
        "zip": f"this is a ZIP archive (or an Office document){named}; unpack it or save as PDF.",
        "empty": "the file is empty.",
    }.get(kind, f"the content is not a PDF or an image{named}.")


# --- PDF -------------------------------------------------------------------------------------


def password_message(name: str) -> str:
    return (
        f"{name}: the PDF is protected by a password, so it cannot be read. Ask the sender "
        "for an unprotected copy, or open it with the password and save it without one."
    )


def corrupt_message(name: str, error: BaseException) -> str:
    return (
        f"{name}: the PDF is damaged or truncated and cannot be read ({type(error).__name__}). "
        "Ask the sender to send it again."
    )


def bomb_message(name: str) -> str:
    return (
        f"{name}: the PDF contains a stream that expands to an unreasonable size (a possible "
        "'decompression bomb'); it was not read. Ask the sender for a normal PDF or a scan."
    )


# --- images ----------------------------------------------------------------------------------
