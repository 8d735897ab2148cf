"""winmail.dat (Outlook TNEF): the fixture writer round-trips through tnefparse, and unpacking
turns the files inside into ordinary attachments, keeps the body, and names what is damaged."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from tnefparse.tnef import TNEF

from ppid.intake.mail.parse import TnefError, parse_mail, tnef_framing_problem, unpack_tnef
from tests.corpus.tnef import TnefFile, corrupt, tnef_bytes

PDF = b"%PDF-1.4\n% formulir\n" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(255, -1, -1)) * 8


def test_the_fixture_writer_round_trips_through_tnefparse() -> None:
    data = tnef_bytes(
        [TnefFile("formulir.pdf", PDF), TnefFile("ktp.jpg", JPEG)], body="Terlampir formulir."
    )
    parsed = TNEF(data)  # checksums verified by tnefparse itself
    assert all(obj.good_checksum for obj in parsed.objects)
    assert [(a.name, a.data) for a in parsed.attachments] == [
        ("formulir.pdf", PDF),
        ("ktp.jpg", JPEG),
    ]
    assert parsed.body == b"Terlampir formulir." and parsed.key == 0x5A3C
    assert tnef_framing_problem(data) is None


def test_unpacking_gives_each_file_inside_with_its_name_type_and_bytes() -> None:
    data = tnef_bytes(
        [TnefFile("Formulir Keberatan é.pdf", PDF), TnefFile(b"KTP \xe9.jpg", JPEG)],
        body="Dengan hormat,\nterlampir formulir dan KTP saya.",
    )
    unpacked = unpack_tnef(data)
    assert [(a.name, a.content_type, a.data) for a in unpacked.attachments] == [
        ("Formulir Keberatan é.pdf", "application/pdf", PDF),
        ("KTP é.jpg", "image/jpeg", JPEG),  # cp1252 name bytes decoded by the code page
    ]
    assert "terlampir formulir dan KTP" in unpacked.body


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda d: corrupt(d), "checksum"),
        (lambda d: d[: len(d) - 30], "truncated"),
        (lambda d: d + b"\x02\x0f\x80\x06", "ends in the middle"),
        (lambda d: b"\x00\x00\x00\x00" + d[4:], "signature"),
        (lambda d: d[:6] + b"\x07" + d[7:], "unknown level"),
    ],
    ids=["bit-flip", "truncated", "trailing-bytes", "signature", "level"],
)
def test_a_damaged_winmail_dat_is_refused_with_what_is_wrong(damage, expected: str) -> None:
    data = damage(tnef_bytes([TnefFile("formulir.pdf", PDF), TnefFile("ktp.jpg", JPEG)]))
    with pytest.raises(TnefError, match=expected):
        unpack_tnef(data)


def test_a_winmail_dat_in_a_message_becomes_its_attachments_and_its_body() -> None:
    mail = EmailMessage()
    mail["From"] = "Rina Contoh <rina.contoh@example.org>"
    mail["Subject"] = "Keberatan"
    mail.set_content("")  # Outlook in RTF mode: the text lives in the winmail.dat
    winmail = tnef_bytes([TnefFile("formulir.pdf", PDF)], body="Isi surat dari Outlook.")
    mail.add_attachment(winmail, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    mail.add_attachment(JPEG, maintype="image", subtype="jpeg", filename="ktp.jpg")
    parsed = parse_mail(mail.as_bytes())
    assert [a.name for a in parsed.attachments] == ["formulir.pdf", "ktp.jpg"]
    assert all(a.problem is None for a in parsed.attachments)
    assert parsed.body.strip() == "Isi surat dari Outlook."


def test_a_damaged_or_empty_winmail_dat_stays_one_attachment_with_its_problem() -> None:
    for data, expected in [
        (corrupt(tnef_bytes([TnefFile("formulir.pdf", PDF)])), "damaged"),
        (tnef_bytes([]), "neither a file nor any text"),
    ]:
        mail = EmailMessage()
        mail["From"] = "rina.contoh@example.org"
        mail.set_content("Terlampir.")
        mail.add_attachment(data, maintype="application", subtype="ms-tnef", filename="winmail.dat")
        [attachment] = parse_mail(mail.as_bytes()).attachments
        assert attachment.name == "winmail.dat" and expected in (attachment.problem or "")


def test_names_inside_a_winmail_dat_are_made_safe_like_any_attachment_name() -> None:
    from ppid.core.files import safe_name

    data = tnef_bytes(
        [
            TnefFile("..\\..\\..\\keluar.pdf", PDF),
            TnefFile(b"ktp\x1b[31m\x07\r\n.jpg", JPEG),
            TnefFile("f" * 300 + ".pdf", PDF + b"x"),
            TnefFile(b"", JPEG + b"y"),  # no name at all
        ]
    )
    names = [a.name for a in unpack_tnef(data).attachments]
    assert names[3] == "lampiran-winmail-4.bin"
    safe = [safe_name(name, fallback="lampiran") for name in names]
    assert safe[:2] == ["keluar.pdf", "ktp_[31m___.jpg"]  # ESC, BEL, CR, LF shown as _
    assert all(len(name.encode()) <= 121 and "/" not in name for name in safe)
