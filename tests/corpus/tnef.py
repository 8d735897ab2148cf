"""A small TNEF (winmail.dat) writer for test fixtures: no public sample may be committed.

TNEF as Outlook writes it when a message is sent in "Rich Text" format: the signature 0x223E9F78
(little-endian), a 2-byte key, then attributes. Each attribute is a level byte (1 message,
2 attachment), a 4-byte id (type << 16 | id), a 4-byte length, the data, and a 2-byte checksum
(the sum of the data bytes mod 65536). An attachment starts with attAttachRenddata, followed by
attAttachTitle (its file name, zero-terminated) and attAttachData (its bytes). Only what
`tnefparse` (the reader ppid uses) reads is written; tests/test_mail_tnef.py checks the round trip.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

SIGNATURE = 0x223E9F78
LEVEL_MESSAGE, LEVEL_ATTACHMENT = 1, 2

# Attribute ids: (type << 16) | id, as in [MS-OXTNEF] 2.1.3.
ATT_TNEF_VERSION = 0x00089006  # atpDword
ATT_OEM_CODEPAGE = 0x00069007  # atpByte: two DWORDs, the primary and the secondary code page
ATT_MESSAGE_CLASS = 0x00078008  # atpWord (a zero-terminated string in practice)
ATT_SUBJECT = 0x00018004  # atpString
ATT_BODY = 0x0002800C  # atpText, in the OEM code page
ATT_ATTACH_RENDDATA = 0x00069002  # atpByte: starts an attachment
ATT_ATTACH_TITLE = 0x00018010  # atpString: the (short) file name
ATT_ATTACH_DATA = 0x0006800F  # atpByte: the file's bytes

ATTACH_BY_VALUE = 0x0001


@dataclass(frozen=True)
class TnefFile:
    name: str | bytes  # bytes: written as is (e.g. a name in the code page, or not text at all)
    data: bytes


def attribute(level: int, attribute_id: int, data: bytes) -> bytes:
    """One attribute: level, id, length, data, checksum."""
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, attribute_id, len(data)) + data + struct.pack("<H", checksum)


def _zero_terminated(text: str | bytes, codepage: str) -> bytes:
    raw = text if isinstance(text, bytes) else text.encode(codepage)
    return raw + b"\x00"


def tnef_bytes(
    files: Sequence[TnefFile],
    *,
    body: str | None = None,
    subject: str = "Keberatan",
    key: int = 0x5A3C,
    codepage: int = 1252,
) -> bytes:
    """A winmail.dat holding `files` (and a plain-text body when given)."""
    encoding = f"cp{codepage}"
    parts = [
        struct.pack("<IH", SIGNATURE, key),
        attribute(LEVEL_MESSAGE, ATT_TNEF_VERSION, struct.pack("<I", 0x00010000)),
        attribute(LEVEL_MESSAGE, ATT_OEM_CODEPAGE, struct.pack("<II", codepage, 0)),
        attribute(LEVEL_MESSAGE, ATT_MESSAGE_CLASS, b"IPM.Microsoft Mail.Note\x00"),
        attribute(LEVEL_MESSAGE, ATT_SUBJECT, _zero_terminated(subject, encoding)),
    ]
    if body is not None:
        parts.append(attribute(LEVEL_MESSAGE, ATT_BODY, body.encode(encoding)))
    for file in files:
        # AttachType, AttachPosition, RenderWidth, RenderHeight, DataFlags ([MS-OXTNEF] 2.1.3.3.15)
        rend = struct.pack("<HIHHI", ATTACH_BY_VALUE, 0xFFFFFFFF, 32, 32, 0)
        parts += [
            attribute(LEVEL_ATTACHMENT, ATT_ATTACH_RENDDATA, rend),
            attribute(LEVEL_ATTACHMENT, ATT_ATTACH_TITLE, _zero_terminated(file.name, encoding)),
            attribute(LEVEL_ATTACHMENT, ATT_ATTACH_DATA, file.data),
        ]
    return b"".join(parts)


def corrupt(tnef: bytes, *, at: int | None = None) -> bytes:
    """The same winmail.dat with one data byte flipped (its checksum no longer matches)."""
    position = len(tnef) - 40 if at is None else at
    return tnef[:position] + bytes([tnef[position] ^ 0xFF]) + tnef[position + 1 :]
