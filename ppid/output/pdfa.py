"""Archival PDFs: every PDF the product keeps or prints written as PDF/A-3b, proven by its checker.

pikepdf's PDF/A module (`pikepdf.pdfa`) does the work as its makers intend: `save` repairs what
PDF/A asks of the structure (one sRGB output intent from the profile pikepdf ships, the XMP
declaration agreeing with the document information, associated-file entries), writes, re-reads
what it wrote and validates it against ISO 19005-3, and refuses to leave a file that fails. The
case metadata travels inside as `case.json`, an associated file (`/AF`, `/AFRelationship /Data`,
MIME type application/json), the only way PDF/A-3 allows an attachment.

`findings` runs the same validator on a stored file: the tests and `ppid archive verify` use it.
`pikepdf.pdfa` (with fontTools and jsonschema behind it) is imported by the two functions that
use it: importing it costs every process that merely names a letter, `ppid case advance` among
them, a third of a second.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pikepdf

from ppid.core.errors import PpidError
from ppid.core.messages import file_note

ARCHIVAL = "pdf/a-3b"  # the variant asked of WeasyPrint (`render_pdf(pdf_variant=ARCHIVAL)`)
ATTACHMENT = "case.json"
ATTACHMENT_DESCRIPTION = file_note("pdf.attachment")
FLAVOUR = "3b"
PRODUCER = "ppid-keberatan"
# WeasyPrint names these resource kinds on every page even when it uses none; the validator
# allows only what it can check, and an empty dictionary holds nothing to check.
EMPTY_RESOURCES_DROPPED = ("/Pattern", "/Shading", "/XObject")


class ArchivalError(PpidError):
    """A document could not be written as PDF/A-3b; the checker's findings say why."""


def to_pdfa(
    source: bytes | Path,
    *,
    title: str | None = None,
    identifier: str | None = None,
    attachment: bytes | None = None,
) -> bytes:
    """`source` as validated PDF/A-3b bytes; `attachment` becomes its `case.json`."""
    import pikepdf.pdfa

    data = source.read_bytes() if isinstance(source, Path) else source
    with pikepdf.open(io.BytesIO(data)) as pdf:
        _drop_need_appearances(pdf)
        _drop_empty_resources(pdf)
        if attachment is not None:
            _attach_case(pdf, attachment)
        _describe(pdf, title, identifier)
        buffer = io.BytesIO()
        try:
            pikepdf.pdfa.save(pdf, buffer, FLAVOUR, deterministic_id=True)
        except pikepdf.pdfa.PdfaError as error:
            raise ArchivalError(
                "output.not_pdfa",
                title=title or "",
                flavour=FLAVOUR,
                problem=error.report.summary(5),
            ) from error
    return buffer.getvalue()


def make_archival(
    source: Path, target: Path, *, metadata: bytes, title: str, identifier: str
) -> Path:
    """Write `source` as PDF/A-3b to `target` (atomically) with `metadata` as case.json."""
    data = to_pdfa(source, title=title, identifier=identifier, attachment=metadata)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return target


def has_attachment(path: Path, name: str = ATTACHMENT) -> bool:
    """Whether `path` already carries the case metadata (archival copies are made once)."""
    try:
        with pikepdf.open(path) as pdf:
            return name in pdf.attachments
    except (pikepdf.PdfError, OSError):  # an unreadable PDF is not an archival copy either
        return False


def attachment(path: Path, name: str = ATTACHMENT) -> bytes:
    """The bytes of the file attached as `name` (KeyError when there is none)."""
    with pikepdf.open(path) as pdf:
        return pdf.attachments[name].get_file().read_bytes()


def findings(path: Path) -> list[str]:
    """What the PDF/A-3b checker finds in the stored file: empty when it passes.

    Violations and constructs the checker cannot vouch for are both listed: only a file with
    none is approved.
    """
    import pikepdf.pdfa

    report = pikepdf.pdfa.validate_written(path, FLAVOUR)
    return [str(finding) for finding in report.findings]


def _drop_need_appearances(pdf: pikepdf.Pdf) -> None:
    """PDF/A forbids asking the viewer to draw form fields: their appearances are in the file."""
    acroform = pdf.Root.get("/AcroForm")
    if acroform is not None and "/NeedAppearances" in acroform:
        del acroform["/NeedAppearances"]


def _drop_empty_resources(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        resources = page.obj.get("/Resources")
        if resources is None:
            continue
        for key in EMPTY_RESOURCES_DROPPED:
            value = resources.get(key)
            if isinstance(value, pikepdf.Dictionary) and len(value.keys()) == 0:
                del resources[key]


def _attach_case(pdf: pikepdf.Pdf, metadata: bytes) -> None:
    """`case.json` as the document's one associated data file (replacing an older one)."""
    if ATTACHMENT in pdf.attachments:
        del pdf.attachments[ATTACHMENT]
    spec = pikepdf.AttachedFileSpec(
        pdf,
        metadata,
        description=ATTACHMENT_DESCRIPTION,
        filename=ATTACHMENT,
        mime_type="application/json",
        relationship=pikepdf.Name.Data,
    )
    pdf.attachments[ATTACHMENT] = spec
    filespec = pdf.Root.Names.EmbeddedFiles.Names[-1]
    pdf.Root.AF = pikepdf.Array([filespec])


def _describe(pdf: pikepdf.Pdf, title: str | None, identifier: str | None) -> None:
    """Title, identifier and producer in the XMP (pikepdf keeps the DocInfo in agreement)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        if title:
            meta["dc:title"] = title
        if identifier:
            meta["dc:identifier"] = identifier
        meta["pdf:Producer"] = PRODUCER
        meta.setdefault("xmp:CreateDate", now)
        meta["xmp:ModifyDate"] = now
