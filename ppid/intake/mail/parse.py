"""Reading one e-mail: its attachments, its body as text, and who really sent it.

Pure functions over the raw bytes (stdlib `email`, policy=default, which decodes RFC 2231 and
RFC 2047 names); no network, no database. Forwards (`message/rfc822` parts, also nested) are
walked recursively, and the applicant is the sender of the innermost forwarded message.
Outlook's `winmail.dat` (TNEF) is unpacked with tnefparse: the files inside become attachments
of the message like any other, and its body counts as a body.
"""

from __future__ import annotations

import codecs
import logging
import mimetypes
import re
import struct
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any

from parsers.labels import objection_from_lines
from parsers.model import Document, TextLine

log = logging.getLogger(__name__)

TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
_BLOCK_TAGS = {"p", "br", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr"}
_SKIP_TAGS = {"script", "style", "head", "title"}
# An inline forward (Gmail, Outlook, Thunderbird) names the original sender in the quoted header.
_FORWARD_MARK = re.compile(
    r"(forwarded message|pesan yang diteruskan|original message|diteruskan)", re.I
)
_FORWARD_FROM = re.compile(r"^\s*>?\s*(?:from|dari)\s*:\s*(.+)$", re.I | re.M)
MAX_DECORATION_BYTES = 40_000  # inline images below this, referenced by cid:, are decoration
MAX_DEPTH = 10  # forwards of forwards; deeper nesting is treated as an attachment
TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"  # 0x223E9F78, little-endian


@dataclass
class Attachment:
    name: str  # as the sender named it, decoded; NOT safe as a path (see ppid.core.files.safe_name)
    content_type: str
    data: bytes
    problem: str | None = None  # why it cannot be taken in (a damaged winmail.dat); quarantined

    @property
    def is_tnef(self) -> bool:
        """Outlook's winmail.dat (TNEF), unpacked by `unpack_tnef`."""
        return (
            self.content_type in TNEF_TYPES
            or self.name.lower() == "winmail.dat"
            or self.data.startswith(TNEF_SIGNATURE)
        )


@dataclass
class ParsedMail:
    message_id: str | None
    sender: str  # the applicant's address: the original sender for a forward
    subject: str
    body: str  # plain text (an HTML-only body converted)
    attachments: list[Attachment] = field(default_factory=list)
    forwarded: bool = False


def parse_mail(raw: bytes) -> ParsedMail:
    """Split one raw message into what intake needs."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    walk = _Walk()
    walk.visit(message, depth=0)
    body = walk.plain or html_to_text(walk.html)
    sender = walk.original_sender or _inline_forward_sender(body) or _address(message, "from")
    return ParsedMail(
        message_id=_message_id(message),
        sender=sender,
        subject=_header_value(message, "subject"),
        body=body,
        attachments=walk.attachments,
        forwarded=walk.original_sender is not None,
    )


class _Walk:
    """Collects the first plain and HTML body, every attachment, and the forwarded sender."""

    def __init__(self) -> None:
        self.plain = ""
        self.html = ""
        self.attachments: list[Attachment] = []
        self.original_sender: str | None = None

    def visit(self, part: EmailMessage, depth: int) -> None:
        try:
            self._visit(part, depth)
        except _HEADER_ERRORS:  # the stdlib's header parser gave up on one of this part's headers
            self._keep_raw(part, depth)

    def _keep_raw(self, part: EmailMessage, depth: int) -> None:
        """A part whose headers cannot be parsed: its children are visited, its bytes kept under a
        plain name, so intake sniffs what it is instead of the message failing."""
        if part.is_multipart():
            for child in part.get_payload():
                self.visit(child, depth)
            return
        try:
            data = part.get_payload(decode=True)
        except _HEADER_ERRORS:
            data = None
        if isinstance(data, bytes) and data:
            name = _fallback_name("application/octet-stream", len(self.attachments) + 1)
            self.attachments.append(Attachment(name, "application/octet-stream", data))

    def _visit(self, part: EmailMessage, depth: int) -> None:
        kind = part.get_content_type()
        if kind == "message/rfc822" and depth < MAX_DEPTH:
            inner = part.get_content()
            if isinstance(inner, EmailMessage):
                self.original_sender = _address(inner, "from") or self.original_sender
                self.visit(inner, depth + 1)
                return
        if part.is_multipart():
            for child in part.iter_parts():
                self.visit(child, depth)  # type: ignore[arg-type]
            return
        is_attachment = part.get_content_disposition() == "attachment" or part.get_filename()
        if kind in ("text/plain", "text/html") and not is_attachment:
            text = _text_of(part)
            if kind == "text/plain" and not self.plain.strip():
                self.plain = text
            elif kind == "text/html" and not self.html.strip():
                self.html = text
            return
        data = part.get_payload(decode=True) or b""
        if not data or _is_decoration(part, len(data)):
            return
        name = part.get_filename() or _fallback_name(kind, len(self.attachments) + 1)
        attachment = Attachment(name=str(name), content_type=kind, data=data)
        if attachment.is_tnef:
            self.add_tnef(attachment)
        else:
            self.attachments.append(attachment)

    def add_tnef(self, winmail: Attachment) -> None:
        """The files inside a winmail.dat join the message's attachments; its body is a body."""
        try:
            unpacked = unpack_tnef(winmail.data)
        except TnefError as error:
            winmail.problem = str(error)
            self.attachments.append(winmail)
            return
        if not unpacked.attachments and not unpacked.body.strip():
            winmail.problem = "the winmail.dat holds neither a file nor any text"
            self.attachments.append(winmail)
            return
        self.attachments.extend(unpacked.attachments)
        if unpacked.body.strip() and not self.plain.strip():
            self.plain = unpacked.body


# --- winmail.dat (TNEF) --------------------------------------------------------------------


class TnefError(ValueError):
    """A winmail.dat that cannot be unpacked; the message says what is wrong with it."""


@dataclass
class Tnef:
    attachments: list[Attachment]
    body: str


def unpack_tnef(data: bytes, depth: int = 0) -> Tnef:
    """The files and the plain-text body inside a winmail.dat.

    The framing (lengths, checksums) is checked here first, because tnefparse reads a truncated
    or bit-flipped file without complaint and silently drops what is missing. Messages embedded
    in it (an Outlook "attach item") are unpacked too, up to MAX_DEPTH.
    """
    problem = tnef_framing_problem(data)
    if problem:
        raise TnefError(f"the winmail.dat (Outlook TNEF) is damaged: {problem}")
    from tnefparse.tnef import TNEF

    try:
        tnef = TNEF(data, do_checksum=False)  # checked above, without its log noise
    except Exception as error:  # hostile input: any failure inside the library is "damaged"
        raise TnefError(
            f"the winmail.dat (Outlook TNEF) cannot be read ({type(error).__name__})"
        ) from error
    codepage = _codec(tnef.codepage)
    files = []
    for number, item in enumerate(tnef.attachments, start=1):
        embedded = getattr(item, "embed", None)
        if embedded is not None and depth < MAX_DEPTH:
            inner = unpack_tnef(item.data, depth + 1) if item.data else Tnef([], "")
            files.extend(inner.attachments)
            continue
        name = _tnef_name(item, codepage) or f"lampiran-winmail-{number}.bin"
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        data = item.data if isinstance(item.data, bytes | bytearray) else b""
        files.append(Attachment(name=name, content_type=kind, data=bytes(data)))
    body = _tnef_text(tnef.body, codepage) or html_to_text(_tnef_text(tnef.htmlbody, codepage))
    return Tnef(files, body)


def tnef_framing_problem(data: bytes) -> str | None:
    """What is structurally wrong with a TNEF stream (None if every attribute is whole)."""
    if len(data) < 6 or not data.startswith(TNEF_SIGNATURE):
        return "it does not start with the TNEF signature"
    offset = 6
    while offset < len(data):
        if len(data) - offset < 11:
            return f"it ends in the middle of an attribute (byte {offset} of {len(data)})"
        level, length = data[offset], struct.unpack_from("<I", data, offset + 5)[0]
        end = offset + 9 + length
        if level not in (1, 2):
            return f"attribute at byte {offset} has an unknown level {level}"
        if end + 2 > len(data):
            return f"it is truncated: an attribute at byte {offset} needs {length} bytes"
        stored = struct.unpack_from("<H", data, end)[0]
        if sum(data[offset + 9 : end]) & 0xFFFF != stored:
            return f"the checksum of the attribute at byte {offset} does not match"
        offset = end + 2
    return None


def _codec(codepage: str | None) -> str:
    """The Python codec of the winmail.dat's code page; cp1252 (Western Outlook) if unknown."""
    try:
        return codecs.lookup(codepage or "cp1252").name
    except LookupError:
        return "cp1252"


def _tnef_name(item: Any, codepage: str) -> str:
    """The long file name if Outlook gave one, else the title (in the sender's code page)."""
    long_name = next(
        (a.data for a in getattr(item, "mapi_attrs", []) if _is_long_filename(a)), None
    )
    for raw in (long_name, getattr(item, "_name", b"")):
        text = _tnef_text(raw, codepage).strip("\x00").strip()
        if text:
            return text
    return ""


def _is_long_filename(attribute: Any) -> bool:
    from tnefparse import properties

    return bool(attribute.name == properties.MAPI_ATTACH_LONG_FILENAME)


def _tnef_text(value: Any, codepage: str) -> str:
    """TNEF strings arrive as str or as bytes in the code page (UTF-8 tried first)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | tuple):  # a multi-valued MAPI property: take the first
        return _tnef_text(value[0], codepage) if value else ""
    if not isinstance(value, bytes | bytearray):  # a property of another type than text
        return str(value)
    raw = bytes(value).rstrip(b"\x00")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode(codepage, errors="replace")


def _is_decoration(part: EmailMessage, size: int) -> bool:
    """A small inline image the HTML body shows (a logo, a signature), not something handed in.

    A KTP photo pasted into the message is inline too, but far bigger than a logo.
    """
    inline = part.get_content_disposition() in (None, "inline")
    return (
        inline
        and part.get_content_maintype() == "image"
        and bool(part["content-id"])
        and (size < MAX_DECORATION_BYTES)
    )


def _text_of(part: EmailMessage) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, ValueError):  # an unknown, lying or garbled charset
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""


def _fallback_name(content_type: str, number: int) -> str:
    extension = mimetypes.guess_extension(content_type) or ".bin"
    return f"lampiran-{number}{extension}"


# What the stdlib's header parser (policy.default) raises on some hostile headers when they are
# read, instead of recording a defect.
_HEADER_ERRORS = (ValueError, IndexError, TypeError, AttributeError, LookupError)


def _header_values(message: EmailMessage, header: str) -> list[str]:
    """The header's values, decoded; raw where the stdlib's parser gives up on a hostile header.

    The default policy parses a header when it is read and raises ValueError for some (an address
    with a line break inside a comment); a message must never fail intake for its header.
    """
    try:
        return [str(v) for v in message.get_all(header, [])]
    except _HEADER_ERRORS:
        return [str(v) for k, v in message.raw_items() if k.lower() == header]


def _header_value(message: EmailMessage, header: str) -> str:
    """The header's first value, as `message.get` gives it, or ""."""
    return next(iter(_header_values(message, header)), "")


def _address(message: EmailMessage, header: str) -> str:
    values = _header_values(message, header)
    addresses = [address for _, address in getaddresses(values) if "@" in address]
    return addresses[0].lower() if addresses else ""


def _message_id(message: EmailMessage) -> str | None:
    value = _header_value(message, "message-id").strip()
    return value[:998] or None


def _inline_forward_sender(body: str) -> str | None:
    """The "From:" line under a "Forwarded message" marker, for forwards pasted into the body."""
    marker = _FORWARD_MARK.search(body)
    if marker is None:
        return None
    found = _FORWARD_FROM.search(body, marker.end())
    if found is None:
        return None
    address = parseaddr(found.group(1).replace("[mailto:", "<").replace("]", ">"))[1]
    return address.lower() if "@" in address else None


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[list[str]] = [[]]
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.lines.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.lines.append([])

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.lines[-1].append(" ".join(data.split()))


def html_to_text(html: str) -> str:
    """Readable text from an HTML body: one line per block or table row, cells side by side."""
    if not html.strip():
        return ""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return "\n".join(" ".join(cells) for cells in parser.lines if cells)


def body_objection(body: str) -> Document | None:
    """The objection typed into the body itself, read by its labels; None if the body is not one.

    It counts as an objection when the applicant's name and either the NIK or a reason were found
    (a covering note such as "terlampir formulir saya" has none of them).
    """
    rows = [line.strip() for line in body.splitlines() if line.strip() and not line.startswith(">")]
    if not rows:
        return None
    lines = [
        TextLine(text=row, page=1, box=(50.0, 20.0 + 14 * i, 550.0, 32.0 + 14 * i))
        for i, row in enumerate(rows)
    ]
    document = objection_from_lines(lines, method="text")
    fields: dict[str, Any] = document.fields
    applicant = fields.get("applicant") or {}
    if applicant.get("name") and (applicant.get("nik") or fields.get("reasons")):
        return document
    return None
