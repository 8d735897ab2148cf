"""Opening a PDF safely: unlocked, within page, content and image limits, active content named."""

from __future__ import annotations

import io
import logging
import re
import struct
import warnings
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, LimitReachedError, PyPdfError
from pypdf.generic import IndirectObject, StreamObject

from parsers.files import FIX_HINT, bomb_message, corrupt_message, password_message
from parsers.model import ExtractionError, ExtractionLimits

log = logging.getLogger(__name__)


MAX_CONTENT_BYTES = 100_000_000  # all pages' drawing instructions together, decompressed


MAX_XOBJECT_DEPTH = 8  # form XObjects inside form XObjects, searched for oversized images


MAX_WALK_OBJECTS = 200_000  # PDF objects visited looking for scripts and actions


MAX_TRAILING_BYTES = 512  # after %%EOF: more than a stray line means something is hidden there


# What pypdf raises on a damaged file (tests/test_hostile_fuzz.py finds these): all mean
# "cannot be read", e.g. NotImplementedError for an unknown stream filter.
PDF_DAMAGE = (
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    ZeroDivisionError,
    NotImplementedError,
    RecursionError,
    struct.error,
)


def open_pdf(data: bytes, name: str, limits: ExtractionLimits) -> tuple[PdfReader, list[str]]:
    """Open a PDF safely: not truncated, not locked by a password, within the page limits."""
    warnings_out: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                _unlock(reader, name, warnings_out)
            page_count = count_pages(reader, limits.max_pages)
            if page_count <= limits.max_pages:
                page_count = len(reader.pages)  # pypdf's own list, now known to be small
    except ExtractionError:
        raise
    except LimitReachedError as error:
        raise ExtractionError(bomb_message(name)) from error
    except NotImplementedError as error:  # pypdf: an encryption handler it does not have
        raise ExtractionError(password_message(name)) from error
    except PDF_DAMAGE as error:
        raise ExtractionError(corrupt_message(name, error)) from error
    if page_count == 0:
        raise ExtractionError(f"{name}: the PDF has no pages (it may be truncated). {FIX_HINT}")
    if page_count > limits.max_pages:
        raise ExtractionError(
            f"{name}: the PDF has {_pages_shown(reader, page_count)} pages, over the "
            f"{limits.max_pages}-page limit "
            "(limits.max_pages). Split it into smaller files (one objection per file) "
            "or raise the limit."
        )
    check_page_sizes(reader, name)
    check_content_streams(reader, name)
    check_images(reader, name, limits)
    warnings_out += active_content_warnings(reader, data, name) + polyglot_warnings(data, name)
    return reader, warnings_out


def _pages_shown(reader: PdfReader, counted: int) -> str:
    """How many pages to name in the note: the tree's /Count when it is believable."""
    try:
        declared = _resolved(_resolved(reader.trailer["/Root"].get("/Pages")).get("/Count"))
    except PDF_DAMAGE:
        declared = None
    if isinstance(declared, int) and declared >= counted:
        return str(declared)
    return f"more than {counted - 1}"


def count_pages(reader: PdfReader, limit: int) -> int:
    """The pages of the page tree, counted leaf by leaf and no further than `limit` + 1.

    pypdf's `reader.pages` builds an object for every page first: a 100 000-page PDF cost
    ~700 MB before the page limit could refuse it. The tree's own /Count is not trusted (it may
    say 1 over a hundred thousand leaves); the walk stops as soon as the limit is passed.
    """
    count, seen = 0, set()
    waiting = [reader.trailer["/Root"].get("/Pages")]
    while waiting and count <= limit:
        reference = waiting.pop()
        node = _resolved(reference)
        key = id(node) if not isinstance(reference, IndirectObject) else reference.idnum
        if not isinstance(node, dict) or (key in seen and "/Kids" in node):
            continue  # a loop in the tree (a page may be listed twice; it counts twice)
        seen.add(key)
        kids = _resolved(node.get("/Kids"))
        if isinstance(kids, list):
            waiting.extend(reversed(kids))
        else:
            count += 1
    return count


def check_page_sizes(reader: PdfReader, name: str) -> None:
    """Every page must have a size we can read (a damaged /MediaBox fails here, not mid-way)."""
    for index in range(len(reader.pages)):
        try:
            width, height = page_size_points(reader, index)
        except PDF_DAMAGE as error:
            raise ExtractionError(corrupt_message(name, error)) from error
        if not (width > 0 and height > 0):  # also NaN
            raise ExtractionError(
                f"{name}: page {index + 1} has no size (its /MediaBox is empty or damaged). "
                "Ask the sender to send it again."
            )


def check_content_streams(reader: PdfReader, name: str, budget: int = MAX_CONTENT_BYTES) -> None:
    """Decompress every page's content streams under pypdf's per-stream cap and a total budget.

    This is what catches a 'decompression bomb' (a small file whose streams inflate to gigabytes)
    before poppler or the text extractor spend time and memory on it. Normal pages cost
    microseconds here: their content streams are kilobytes.
    """
    total = 0
    try:
        for page in reader.pages:
            contents = page.get("/Contents")
            contents = contents.get_object() if contents is not None else None
            streams = contents if isinstance(contents, list) else [contents]
            for stream in streams:
                if stream is None:
                    continue
                total += len(stream.get_object().get_data())
                if total > budget:
                    raise ExtractionError(bomb_message(name))
    except LimitReachedError as error:
        raise ExtractionError(bomb_message(name)) from error
    except PDF_DAMAGE as error:
        raise ExtractionError(corrupt_message(name, error)) from error


def _unlock(reader: PdfReader, name: str, warnings_out: list[str]) -> None:
    """Open PDFs with only an owner password (printing/copy restrictions); refuse user passwords."""
    try:
        opened = reader.decrypt("")
    except (FileNotDecryptedError, NotImplementedError, PyPdfError) as error:
        raise ExtractionError(password_message(name)) from error
    if not opened:
        raise ExtractionError(password_message(name))
    warnings_out.append(f"{name}: the PDF is encrypted with an owner password only; read anyway.")


def check_images(reader: PdfReader, name: str, limits: ExtractionLimits) -> None:
    """Refuse an embedded image with more pixels than the limit, from its header alone.

    A page can show a 20000×20000 image squeezed onto A4: tiny on disk (it compresses to
    nothing), but poppler would decode all of it to draw the page. Every place a page can hold
    an image is searched: its resources, form XObjects, patterns and Type 3 fonts at any depth
    up to MAX_XOBJECT_DEPTH, the appearance streams of its annotations, and inline images
    (`BI … ID`) in any of their drawing instructions.
    """
    try:
        for number, page in enumerate(reader.pages, start=1):
            for width, height in _page_image_sizes(page):
                if width * height > limits.max_pixels:
                    raise ExtractionError(
                        f"{name}: page {number} holds an image of {width}×{height} pixels, over "
                        f"the {limits.max_pixels:,} pixel limit (limits.max_pixels); it was not "
                        "decoded. Ask for a scan at 300 dpi or raise the limit."
                    )
    except LimitReachedError as error:
        raise ExtractionError(bomb_message(name)) from error
    except PDF_DAMAGE as error:
        raise ExtractionError(corrupt_message(name, error)) from error


def _page_image_sizes(page: dict) -> Iterator[tuple[int, int]]:  # type: ignore[type-arg]
    seen: set[int] = set()
    yield from _image_sizes(page.get("/Resources"), depth=0, seen=seen)
    contents = _resolved(page.get("/Contents"))
    for stream in contents if isinstance(contents, list) else [contents]:
        yield from _inline_image_sizes(_resolved(stream))
    annotations = _resolved(page.get("/Annots"))
    for annotation in annotations if isinstance(annotations, list) else []:
        annotation = _resolved(annotation)
        appearances = _resolved(annotation.get("/AP")) if isinstance(annotation, dict) else None
        for state in appearances.values() if isinstance(appearances, dict) else []:
            state = _resolved(state)  # a stream, or a dictionary of streams by state
            if isinstance(state, StreamObject):
                yield from _xobject_sizes(state, depth=1, seen=seen)
            elif isinstance(state, dict):
                for stream in state.values():
                    yield from _xobject_sizes(_resolved(stream), depth=1, seen=seen)


def _image_sizes(resources: object, depth: int, seen: set[int]) -> Iterator[tuple[int, int]]:
    resources = _resolved(resources)
    if not isinstance(resources, dict) or depth > MAX_XOBJECT_DEPTH:
        return
    for kind in ("/XObject", "/Pattern", "/Font"):
        named = _resolved(resources.get(kind))
        for value in named.values() if isinstance(named, dict) else []:
            yield from _xobject_sizes(_resolved(value), depth, seen)


def _xobject_sizes(thing: object, depth: int, seen: set[int]) -> Iterator[tuple[int, int]]:
    """An image's size, or the images inside anything that draws (a form, a tiling pattern, a
    Type 3 font, an appearance stream): its resources and its inline images."""
    if not isinstance(thing, dict) or id(thing) in seen or depth > MAX_XOBJECT_DEPTH:
        return
    seen.add(id(thing))
    if thing.get("/Subtype") == "/Image":
        width, height = _resolved(thing.get("/Width")), _resolved(thing.get("/Height"))
        yield int(width or 0), int(height or 0)  # type: ignore[call-overload]
        return
    if "/Resources" in thing:
        yield from _image_sizes(thing.get("/Resources"), depth + 1, seen)
    if isinstance(thing, StreamObject):
        yield from _inline_image_sizes(thing)


_INLINE_IMAGE = re.compile(rb"(?<![^\s\[\]()<>{}/%])BI\s(.{0,2000}?)\sID[\s]", re.DOTALL)
_INLINE_SIZE = re.compile(rb"/(W|Width|H|Height)\s+(\d{1,9})")


def _inline_image_sizes(stream: object) -> Iterator[tuple[int, int]]:
    """The sizes declared by inline images (`BI /W … /H … ID`) in drawing instructions."""
    if not isinstance(stream, StreamObject):
        return
    data = stream.get_data()
    if b"BI" not in data:
        return
    for found in _INLINE_IMAGE.finditer(data):
        size = {k[:1]: int(v) for k, v in _INLINE_SIZE.findall(found.group(1))}
        yield size.get(b"W", 0), size.get(b"H", 0)


def _resolved(value: object) -> object:
    return value.get_object() if isinstance(value, IndirectObject) else value


def active_content_warnings(reader: PdfReader, data: bytes, name: str) -> list[str]:
    """Warnings for what a PDF viewer might run or open: JavaScript, launch actions, files.

    None of it is ever run here (pypdf and poppler do not execute scripts or actions); the
    warning tells the clerk to treat the original with care when opening it elsewhere.
    """
    found = active_content(reader)
    if b"/JavaScript" in data or b"/JS" in data:
        found.add("javascript")
    messages = {
        "javascript": "the PDF contains JavaScript; it was ignored and never run.",
        "launch": "the PDF contains a launch action (it asks the viewer to start a program or "
        "open a file); it was ignored and never run.",
        "embedded": "the PDF carries embedded files; they were not opened.",
    }
    return [
        f"{name}: {messages[kind]} Treat the file with care." for kind in messages if kind in found
    ]


def active_content(reader: PdfReader, budget: int = MAX_WALK_OBJECTS) -> set[str]:
    """Kinds of active content anywhere in the object graph, compressed object streams included.

    Walks every dictionary and array reachable from the catalog (stream data is not decoded),
    each object once and at most `budget` of them, so a hostile file cannot make it slow.
    """
    found: set[str] = set()
    stack: list[object] = [reader.trailer]
    seen: set[tuple[int, int]] = set()
    visited = 0
    try:
        while stack and visited < budget:
            item = stack.pop()
            if isinstance(item, IndirectObject):
                key = (item.idnum, item.generation)
                if key in seen:
                    continue
                seen.add(key)
                item = item.get_object()
            visited += 1
            if isinstance(item, dict):
                found |= _active_kinds(item)
                stack.extend(v for k, v in item.items() if k not in ("/Parent", "/P"))
            elif isinstance(item, list):
                stack.extend(item)
    except PDF_DAMAGE:
        pass  # a broken object ends the search; what was found so far is reported
    return found


def _active_kinds(item: dict[str, object]) -> set[str]:
    kinds = set()
    action = item.get("/S")
    if "/JS" in item or action == "/JavaScript" or "/JavaScript" in item:
        kinds.add("javascript")
    if action == "/Launch":
        kinds.add("launch")
    if "/EmbeddedFiles" in item or item.get("/Type") == "/EmbeddedFile":
        kinds.add("embedded")
    return kinds


def polyglot_warnings(data: bytes, name: str) -> list[str]:
    """Bytes before the header or after the last %%EOF: another file hidden in the PDF.

    A PDF that is also a ZIP (or an executable) reads fine as a PDF; only the PDF part is ever
    used, but the clerk should know the original carries something else.
    """
    notes = []
    start = data.find(b"%PDF-")
    if start > 0:
        notes.append(f"{name}: {start:,} bytes precede the PDF header; they were ignored.")
    end = data.rfind(b"%%EOF")
    trailing = data[end + 5 :].strip(b"\r\n\t \x00") if end >= 0 else b""
    if len(trailing) > MAX_TRAILING_BYTES:
        hidden = " (a ZIP archive)" if b"PK\x03\x04" in trailing else ""
        notes.append(
            f"{name}: {len(trailing):,} bytes follow after the end of the PDF{hidden}, another "
            "file hidden in it; they were ignored and never opened. Treat the file with care."
        )
    return notes


def page_size_points(reader: PdfReader, index: int) -> tuple[float, float]:
    """Width and height of a page in PDF points, honouring /UserUnit and rotation."""
    page = reader.pages[index]
    box = page.mediabox
    unit = float(page.get("/UserUnit", 1) or 1)
    width, height = abs(float(box.width)) * unit, abs(float(box.height)) * unit
    if int(page.get("/Rotate", 0) or 0) % 180 == 90:
        width, height = height, width
    return width, height
