"""Archival PDFs: any PDF we made turned into PDF/A-3b with the case's metadata attached.

WeasyPrint already writes PDF/A-3b when asked (`render.render_pdf(pdf_variant="pdf/a-3b")`);
documents made otherwise (the numbered form copy, letters of other modules) are brought to the
same essentials here: XMP with the pdfaid identification, an sRGB output intent, a file ID, no
`NeedAppearances`, and `case.json` embedded as an associated file (PDF/A-3 allows attachments
only that way). The writer clones the whole document (`clone_from`), never `append`, which
would drop the catalog's metadata and output intent.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

log = logging.getLogger(__name__)

ATTACHMENT = "case.json"
PRODUCER = "ppid-keberatan"


def _srgb_profile() -> bytes:
    import weasyprint.pdf

    return (Path(weasyprint.pdf.__file__).parent / "sRGB2014.icc").read_bytes()


def has_attachment(path: Path, name: str = ATTACHMENT) -> bool:
    """Whether `path` already carries the case metadata (archival copies are made once)."""
    try:
        return name in PdfReader(path).attachments
    except Exception:  # an unreadable PDF is not an archival copy either
        return False


def make_archival(
    source: Path, target: Path, *, metadata: bytes, title: str, identifier: str
) -> Path:
    """Write `source` as PDF/A-3b to `target` with `metadata` attached as case.json."""
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.pdf_header = "%PDF-1.7"  # PDF/A-3 is based on PDF 1.7
    root = writer.root_object
    acroform = root.get("/AcroForm")
    if acroform is not None and "/NeedAppearances" in acroform.get_object():
        del acroform.get_object()[NameObject("/NeedAppearances")]
    if "/OutputIntents" not in root:
        root[NameObject("/OutputIntents")] = ArrayObject([_output_intent(writer)])
    attached = writer.add_attachment(ATTACHMENT, metadata)
    attached.associated_file_relationship = NameObject("/Data")
    attached.subtype = NameObject("/application#2Fjson")
    spec = attached.pdf_object.indirect_reference or writer._add_object(attached.pdf_object)
    root[NameObject("/AF")] = ArrayObject([spec])
    now = datetime.now(UTC)
    writer.metadata = {
        "/Title": title,
        "/Producer": PRODUCER,
        "/CreationDate": _pdf_date(now),
        "/ModDate": _pdf_date(now),
    }
    writer.xmp_metadata = xmp_packet(title=title, identifier=identifier, when=now).encode()
    digest = hashlib.md5(metadata + title.encode(), usedforsecurity=False).digest()
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])
    buffer = io.BytesIO()
    writer.write(buffer)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(target)
    return target


def _output_intent(writer: PdfWriter) -> DictionaryObject:
    profile = DecodedStreamObject()
    profile.set_data(_srgb_profile())
    profile[NameObject("/N")] = NumberObject(3)
    name = TextStringObject("IEC 61966-2-1 Default RGB Colour Space - sRGB")
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): name,
            NameObject("/Info"): name,
            NameObject("/DestOutputProfile"): writer._add_object(profile),
        }
    )


def _pdf_date(when: datetime) -> str:
    return when.strftime("D:%Y%m%d%H%M%S+00'00'")


def xmp_packet(*, title: str, identifier: str, when: datetime) -> str:
    """XMP that matches the document information dictionary, with the PDF/A-3b identification."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"'
        ' pdfaid:part="3" pdfaid:conformance="B"/>\n'
        '<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
        f' pdf:Producer="{PRODUCER}"/>\n'
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        f' xmp:CreateDate="{stamp}" xmp:ModifyDate="{stamp}"/>\n'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        "<dc:format>application/pdf</dc:format>\n"
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt>'
        "</dc:title>\n"
        f"<dc:identifier>{escape(identifier)}</dc:identifier>\n"
        "</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


def pdfa_problems(path: Path) -> list[str]:
    """The PDF/A essentials a file lacks (empty when it has them all); for tests and `verify`."""
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    problems = []
    if not reader.pdf_header.startswith("%PDF-1.7"):
        problems.append(f"header {reader.pdf_header} is not PDF 1.7 (PDF/A-3 needs it)")
    metadata = root.get("/Metadata")
    xmp = metadata.get_object().get_data().decode("utf-8", "replace") if metadata else ""
    if 'pdfaid:part="3"' not in xmp and "<pdfaid:part>3<" not in xmp:
        problems.append("no PDF/A-3 identification (pdfaid) in the XMP metadata")
    intents = root.get("/OutputIntents")
    if not intents or not any(
        i.get_object().get("/DestOutputProfile") for i in intents.get_object()
    ):
        problems.append("no output intent with an ICC profile")
    acroform = root.get("/AcroForm")
    if acroform is not None and acroform.get_object().get("/NeedAppearances"):
        problems.append("AcroForm asks for NeedAppearances")
    if "/ID" not in reader.trailer:
        problems.append("no file identifier (/ID) in the trailer")
    problems.extend(f"font {name} is not embedded" for name in _unembedded_fonts(reader))
    return problems


def _unembedded_fonts(reader: PdfReader) -> set[str]:
    missing: set[str] = set()
    for page in reader.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        for font in (fonts.get_object() if fonts is not None else {}).values():
            _check_font(font.get_object(), missing)
    return missing


def _check_font(font: DictionaryObject, missing: set[str]) -> None:
    if font.get("/Subtype") == "/Type3":
        return
    for descendant in font.get("/DescendantFonts") or []:
        _check_font(descendant.get_object(), missing)
    if font.get("/Subtype") == "/Type0":
        return
    descriptor = font.get("/FontDescriptor")
    embedded = descriptor is not None and any(
        key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
    )
    if not embedded:
        missing.add(str(font.get("/BaseFont")))
