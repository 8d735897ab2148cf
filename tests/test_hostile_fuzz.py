"""Fuzzing the PDF, image and e-mail parsers with hypothesis: damaged bytes never crash them.

Each test starts from valid seeds (made by code) and damages them the way transfers and
attackers do: cut short, bytes flipped, junk inserted, pieces of two files spliced. The contract
checked is the one intake relies on: the PDF path returns a `FileResult` whose error names the
file and was foreseen (no "unexpected" failure), the image loader raises nothing but
`ExtractionError`, the e-mail parser returns a `ParsedMail` for any bytes, and every attachment
name it yields becomes a safe file name. Examples are few and bounded (no deadline), so the
whole file runs in well under a minute (FUZZ_EXAMPLES raises the count for a longer hunt).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from email.message import EmailMessage
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from parsers.extract import extract_file
from parsers.image_files import load_images
from parsers.model import ExtractionError, ExtractionLimits
from ppid.core.files import MAX_NAME_BYTES, safe_name
from ppid.intake.mail.parse import TnefError, parse_mail, unpack_tnef
from tests.corpus.hostile import form_pdf, launch_pdf, pdf_bytes, text_pdf
from tests.corpus.tnef import TnefFile, tnef_bytes

# A longer, random hunt by hand (see conftest.py):
# HYPOTHESIS_PROFILE=hunt FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/test_hostile_fuzz.py
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Pages without text are refused before rasterising (under 50 dpi at this pixel limit), so no
# example waits for Tesseract; everything else in extract_file runs as in production.
PDF_LIMITS = ExtractionLimits(max_pixels=200_000, max_seconds=20, max_pages=20)
IMAGE_LIMITS = ExtractionLimits(max_pixels=4_000_000, max_pages=5, max_seconds=20)


@st.composite
def damaged(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """One seed, damaged by a few cuts, flips, insertions or splices."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["cut", "flip", "insert", "splice", "zero"]))
        if kind == "cut":
            del data[at:]
        elif kind == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "splice":
            other = draw(st.sampled_from(seeds))
            start = draw(st.integers(0, max(0, len(other) - 1)))
            data[at : at + 256] = other[start : start + 256]
        else:
            data[at : at + 64] = bytes(min(64, len(data) - at))
    return bytes(data)


# --- PDF ---------------------------------------------------------------------------------------


@cache
def pdf_seeds() -> list[bytes]:
    writer = text_pdf(["FORMULIR KEBERATAN", "Nama : Rina Contoh", "NIK : 6171054512900003"], 2)
    writer.encrypt(user_password="", owner_password="pemilik")
    return [pdf_bytes(form_pdf("fuzz")), pdf_bytes(writer), launch_pdf()]


@FUZZ
@given(data=damaged(pdf_seeds()))
def test_damaged_pdfs_give_a_result_naming_the_file_never_a_crash(data: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="ppid-fuzz-") as folder:
        path = Path(folder) / "acak.pdf"
        path.write_bytes(data)
        result = extract_file(path, PDF_LIMITS)
    if result.error is not None:
        assert result.documents == []
        assert "acak.pdf" in result.error
        assert "unexpected" not in result.error, result.error  # every failure is foreseen
    else:
        assert all(document.pages for document in result.documents)


# --- images ------------------------------------------------------------------------------------


@cache
def image_seeds() -> list[bytes]:
    picture = Image.new("RGB", (64, 48), (200, 120, 30))
    seeds = []
    for kind, options in [
        ("PNG", {}),
        ("JPEG", {"quality": 80}),
        ("GIF", {}),
        ("BMP", {}),
        ("WEBP", {}),
        ("TIFF", {"compression": "tiff_lzw"}),
    ]:
        buffer = io.BytesIO()
        picture.save(buffer, kind, **options)
        seeds.append(buffer.getvalue())
    pages = io.BytesIO()
    frames = [Image.new("1", (40, 40), n % 2) for n in range(3)]
    frames[0].save(pages, "TIFF", compression="group4", save_all=True, append_images=frames[1:])
    return [*seeds, pages.getvalue()]


@FUZZ
@given(data=damaged(image_seeds()))
def test_damaged_images_load_or_raise_only_an_extraction_error(data: bytes) -> None:
    try:
        images = load_images(data, "acak.jpg", IMAGE_LIMITS)
    except ExtractionError as error:
        assert "acak.jpg" in str(error)
        return
    assert 1 <= len(images) <= IMAGE_LIMITS.max_pages
    for image in images:
        assert image.mode in ("L", "RGB")
        assert image.width * image.height <= IMAGE_LIMITS.max_pixels


# --- e-mail ------------------------------------------------------------------------------------


def _seed_mail(name: str = "formulir keberatan é.pdf") -> bytes:
    mail = EmailMessage()
    mail["From"] = "Rina Contoh <rina.contoh@example.org>"
    mail["To"] = "ppid@example.go.id"
    mail["Subject"] = "Pengajuan keberatan — é"
    mail["Message-ID"] = "<fuzz@example.org>"
    mail.set_content("Nama: Rina Contoh\nNIK: 6171054512900003\nAlasan keberatan: a.")
    mail.add_alternative("<p>Nama: <b>Rina</b></p><table><tr><td>NIK</td></tr></table>", "html")
    mail.add_attachment(b"%PDF-1.4 tiny", maintype="application", subtype="pdf", filename=name)
    winmail = tnef_bytes([TnefFile("ktp.jpg", b"\xff\xd8\xff" + bytes(50))], body="Dari Outlook")
    mail.add_attachment(winmail, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    forward = EmailMessage()
    forward["From"] = "staf@example.go.id"
    forward["Subject"] = "Fwd: keberatan"
    forward.set_content("Diteruskan.")
    forward.add_attachment(mail)
    return forward.as_bytes()


@cache
def mail_seeds() -> list[bytes]:
    return [_seed_mail(), _seed_mail("=?utf-8?b?Li4vLi4veC5wZGY=?=")]


def _assert_safe_names(raw: bytes) -> None:
    parsed = parse_mail(raw)
    assert isinstance(parsed.body, str) and isinstance(parsed.sender, str)
    for attachment in parsed.attachments:
        name = safe_name(attachment.name, fallback="lampiran")
        assert name and "/" not in name and name not in (".", "..")
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", name)
        assert len(name.encode("utf-8")) <= MAX_NAME_BYTES


@FUZZ
@given(raw=damaged(mail_seeds()))
def test_damaged_messages_parse_and_every_attachment_name_is_safe(raw: bytes) -> None:
    _assert_safe_names(raw)


@FUZZ
@given(
    name=st.text(min_size=1, max_size=300),
    subject=st.text(max_size=200),
    sender=st.text(max_size=80),
)
@example(name="0", subject="", sender="(\x80\n")  # the stdlib's header parser raised ValueError
@example(name="0", subject="", sender=".:")  # ... and AttributeError
@example(name="0" * 10 + "\x80" * 45 + ".\x80\x80\x9cŕ͙Ş͚Ş͟Ṱ", subject="", sender="")  # a wide suffix
def test_any_attachment_name_subject_or_sender_parses_safely(
    name: str, subject: str, sender: str
) -> None:
    mail = EmailMessage()
    try:
        mail["From"] = sender
        mail["Subject"] = subject
    except (ValueError, TypeError, IndexError, AttributeError):
        # a header the stdlib refuses to write: written by hand, for parse_mail to read
        mail = EmailMessage()
        raw_from = re.sub(r"[\r\n]", " ", sender).encode("utf-8", errors="surrogateescape")
        _assert_safe_names(b"From: " + raw_from + b"\r\nSubject: x\r\n\r\nisi\r\n")
    mail.set_content("Terlampir.")
    try:
        mail.add_attachment(b"data", maintype="image", subtype="jpeg", filename=name)
        raw = mail.as_bytes()
    except (ValueError, TypeError, UnicodeError, IndexError):
        raw = (
            b"From: x@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            b'Content-Disposition: attachment; filename="'
            + name.encode("utf-8", errors="surrogateescape")
            + b'"\r\n\r\ndata\r\n--b--\r\n'
        )
    _assert_safe_names(raw)


HOSTILE_HEADERS = {
    # each made the stdlib's header parser raise when read (found by random hunts); the value is
    # the attachments the message must still yield
    "truncated RFC 2231 name": (
        b"Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*",
        [b"%PDF-1.4 isi"],
    ),
    "null bytes in a charset": (b"Content-Type: text/html; charset=\x00\x00\x00", []),
}


@pytest.mark.parametrize("headers,kept", HOSTILE_HEADERS.values(), ids=HOSTILE_HEADERS.keys())
def test_a_part_with_unparseable_headers_keeps_its_bytes(headers: bytes, kept: list[bytes]) -> None:
    raw = (
        b"From: rina@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nTerlampir.\r\n"
        b"--b\r\n" + headers + b"\r\n\r\n%PDF-1.4 isi\r\n--b--\r\n"
    )
    parsed = parse_mail(raw)
    assert (parsed.sender, parsed.body.strip()) == ("rina@example.org", "Terlampir.")
    assert [a.data for a in parsed.attachments] == kept
    _assert_safe_names(raw)


@FUZZ
@given(data=damaged([tnef_bytes([TnefFile("formulir.pdf", b"%PDF-1.4" + bytes(300))], body="x")]))
def test_damaged_winmail_dat_unpacks_or_says_it_is_damaged(data: bytes) -> None:
    try:
        unpacked = unpack_tnef(data)
    except TnefError as error:
        assert "winmail.dat" in str(error)
        return
    assert all(isinstance(a.data, bytes) for a in unpacked.attachments)
