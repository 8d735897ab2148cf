"""Geometry of our printed objection form: every mark, code and field zone in millimetres.

Pure data, shared by the renderer (templates position every box from it) and the reader (which
aligns a scan on the four ArUco markers, then reads each zone). Origin is the top-left corner of
the A4 page, x to the right, y downwards; pages are numbered from 1. Nothing here imports `ppid`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FORM_ID = "keberatan"
FORM_VERSION = 1
QR_PREFIX = "PPIDKEB1"
PAGE_COUNT = 2
PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0
MM_PER_INCH = 25.4
PT_PER_MM = 72.0 / MM_PER_INCH

#: Box outlines and guide text: light red, gone after binarisation; ink and labels stay.
DROPOUT_COLOUR = "#f4a6a6"
ARUCO_DICTIONARY = "DICT_4X4_50"  # cv2.aruco.DICT_4X4_50
MARKER_SIZE_MM = 10.0  # outer black square, border bit included (6 x 6 modules)
MARKER_QUIET_MM = 2.0  # white margin kept around each marker

ZoneKind = Literal["text", "comb", "date", "tick", "lines", "signature"]
Corner = Literal["tl", "tr", "br", "bl"]


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle in mm: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def x1(self) -> float:
        return self.x + self.w

    @property
    def y1(self) -> float:
        return self.y + self.h

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def px(self, dpi: float) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) in pixels of a page image scanned upright at `dpi`."""
        s = dpi / MM_PER_INCH
        return (round(self.x * s), round(self.y * s), round(self.x1 * s), round(self.y1 * s))

    def pt(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) in PDF points, origin top-left (the contract's box convention)."""
        return (self.x * PT_PER_MM, self.y * PT_PER_MM, self.x1 * PT_PER_MM, self.y1 * PT_PER_MM)

    def inset(self, d: float) -> Rect:
        """The rectangle shrunk by `d` mm on every side: read inside the outline, not on it."""
        return Rect(self.x + d, self.y + d, self.w - 2 * d, self.h - 2 * d)


@dataclass(frozen=True)
class Marker:
    """One ArUco marker: its id in ARUCO_DICTIONARY and where its centre is printed."""

    id: int
    page: int
    corner: Corner
    cx: float
    cy: float
    size: float = MARKER_SIZE_MM

    @property
    def rect(self) -> Rect:
        return Rect(self.cx - self.size / 2, self.cy - self.size / 2, self.size, self.size)


@dataclass(frozen=True)
class Zone:
    """Where one schema field is written, and how (kind, writing lines, comb cells)."""

    name: str  # dotted schema name, e.g. "applicant.nik"
    page: int
    kind: ZoneKind
    rect: Rect  # the whole zone; for combs the union of the cells
    label: str  # the Indonesian label printed beside or above it
    lines: int = 1  # writing lines stacked inside `rect` (text and lines kinds)
    cells: tuple[Rect, ...] = ()  # comb/date: one rect per character, reading order
    charset: Literal["any", "digits", "phone"] = "any"  # hint for an OCR whitelist
    officer: bool = False  # filled in by the desk officer, not the applicant
    hint: str = ""  # guide text printed inside the box in the drop-out colour
    label_rect: Rect | None = None  # where `label` is printed; None when a Block carries it

    @property
    def line_rects(self) -> tuple[Rect, ...]:
        """The writing lines of a text/lines zone, top to bottom."""
        pitch = self.rect.h / self.lines
        return tuple(
            Rect(self.rect.x, self.rect.y + i * pitch, self.rect.w, pitch)
            for i in range(self.lines)
        )


@dataclass(frozen=True)
class Block:
    """Printed matter that is not a field (letterhead, headings, notes), placed by the layout."""

    page: int
    kind: Literal["letterhead", "header", "title", "heading", "note", "frame", "caption", "footer"]
    rect: Rect
    text: str = ""


@dataclass(frozen=True)
class QrPayload:
    form: str
    version: int
    page: int
    pages: int


# --- geometry ---------------------------------------------------------------------------------

LABEL_X = 20.0  # label column
LABEL_W = 42.0
BOX_X = 64.0  # field column
BOX_W = 128.0
ROW_H = 9.0  # one writing line, sized for block capitals about 5 mm high
ROW_GAP = 2.5
CELL_W = 7.0  # comb cell
DATE_GROUP_GAP = 3.0  # between DD, MM and YYYY groups
NIK_CELLS = 16
PHONE_CELLS = 15
TICK_SIZE = 6.0

_MARKER_CENTRES: dict[Corner, tuple[float, float]] = {
    "tl": (13.0, 13.0),
    "tr": (197.0, 13.0),
    "br": (197.0, 284.0),
    "bl": (13.0, 284.0),
}
_MARKER_IDS: dict[Corner, int] = {"tl": 0, "tr": 1, "br": 2, "bl": 3}

#: Per page, the four markers: same ids on every page; the QR code tells the pages apart.
MARKERS: dict[int, tuple[Marker, ...]] = {
    page: tuple(
        Marker(_MARKER_IDS[c], page, c, *_MARKER_CENTRES[c]) for c in ("tl", "tr", "br", "bl")
    )
    for page in range(1, PAGE_COUNT + 1)
}
#: Per page, where the QR code (symbol without quiet zone) is printed.
QR_RECTS: dict[int, Rect] = {page: Rect(166.0, 269.0, 20.0, 20.0) for page in MARKERS}


def comb_cells(x: float, y: float, n: int, w: float = CELL_W, h: float = ROW_H) -> tuple[Rect, ...]:
    """`n` adjoining cells of one character each, left to right."""
    return tuple(Rect(x + i * w, y, w, h) for i in range(n))


def date_cells(x: float, y: float) -> tuple[Rect, ...]:
    """Eight cells DD MM YYYY, the groups separated by a small gap."""
    cells: list[Rect] = []
    starts = (0.0, 2 * CELL_W + DATE_GROUP_GAP, 4 * CELL_W + 2 * DATE_GROUP_GAP)
    for group, start in zip((2, 2, 4), starts, strict=True):
        cells.extend(comb_cells(x + start, y, group))
    return tuple(cells)


def _union(cells: tuple[Rect, ...]) -> Rect:
    x0, y0 = min(c.x for c in cells), min(c.y for c in cells)
    return Rect(x0, y0, max(c.x1 for c in cells) - x0, max(c.y1 for c in cells) - y0)


def _label_left(y: float, x_end: float = BOX_X - 2.0, x: float = LABEL_X) -> Rect:
    return Rect(x, y, x_end - x, ROW_H)


def _text(name: str, page: int, y: float, label: str, lines: int = 1, **kw: object) -> Zone:
    rect = Rect(BOX_X, y, BOX_W, lines * ROW_H)
    return Zone(name, page, "text", rect, label, lines, label_rect=_label_left(y), **kw)  # type: ignore[arg-type]


def _comb(name: str, page: int, y: float, label: str, n: int, charset: str) -> Zone:
    cells = comb_cells(BOX_X, y, n)
    return Zone(
        name,
        page,
        "comb",
        _union(cells),
        label,
        cells=cells,
        charset=charset,  # type: ignore[arg-type]
        label_rect=_label_left(y),
    )


def _date(
    name: str, page: int, x: float, y: float, label: str, label_rect: Rect, **kw: object
) -> Zone:
    cells = date_cells(x, y)
    return Zone(
        name,
        page,
        "date",
        _union(cells),
        label,
        cells=cells,
        charset="digits",
        label_rect=label_rect,
        **kw,  # type: ignore[arg-type]
    )


_REASONS: tuple[tuple[str, str], ...] = (
    ("a", "Permohonan informasi ditolak (alasan pengecualian Pasal 17 UU 14/2008)"),
    ("b", "Informasi berkala tidak disediakan (Pasal 9 UU 14/2008)"),
    ("c", "Permintaan informasi tidak ditanggapi"),
    ("d", "Permintaan informasi ditanggapi tidak sebagaimana yang diminta"),
    ("e", "Permintaan informasi tidak dipenuhi"),
    ("f", "Pengenaan biaya yang tidak wajar"),
    ("g", "Penyampaian informasi yang melebihi waktu yang diatur"),
)
REASON_Y0 = 33.0
REASON_PITCH = 8.5


def _page1() -> tuple[list[Zone], list[Block]]:
    zones = [
        _text("registration_number", 1, 55.5, "Nomor Registrasi Keberatan", officer=True),
        _text(
            "request_number",
            1,
            76.0,
            "Nomor Pendaftaran Permohonan Informasi",
            hint="lihat tanda bukti permohonan informasi",
        ),
        _text("purpose", 1, 87.5, "Tujuan Penggunaan Informasi", lines=2),
        _text("applicant.name", 1, 114.0, "Nama"),
        _comb("applicant.nik", 1, 125.5, "NIK (sesuai KTP)", NIK_CELLS, "digits"),
        _text(
            "applicant.address",
            1,
            137.0,
            "Alamat",
            lines=3,
            hint="jalan, nomor, RT/RW, kelurahan/desa, kecamatan, kabupaten/kota",
        ),
        _text("applicant.occupation", 1, 166.5, "Pekerjaan"),
        _comb("applicant.phone", 1, 178.0, "Nomor Telepon/HP", PHONE_CELLS, "phone"),
        _text("applicant.email", 1, 189.5, "Alamat E-mail"),
        _text("proxy.name", 1, 209.0, "Nama", hint="diisi bila diwakili kuasa"),
        _text("proxy.address", 1, 220.5, "Alamat", lines=2),
        _comb("proxy.phone", 1, 241.0, "Nomor Telepon/HP", PHONE_CELLS, "phone"),
    ]
    blocks = [
        Block(1, "letterhead", Rect(22.0, 6.0, 166.0, 29.0)),
        Block(
            1,
            "title",
            Rect(20.0, 37.5, 172.0, 11.0),
            "FORMULIR PENGAJUAN KEBERATAN INFORMASI PUBLIK",
        ),
        Block(1, "frame", Rect(18.0, 50.5, 176.0, 16.5), "DIISI OLEH PETUGAS"),
        Block(1, "heading", Rect(LABEL_X, 69.0, 172.0, 5.5), "A. INFORMASI PENGAJU KEBERATAN"),
        Block(1, "heading", Rect(LABEL_X, 107.5, 172.0, 5.0), "Identitas Pemohon"),
        Block(1, "heading", Rect(LABEL_X, 202.0, 172.0, 5.0), "Identitas Kuasa Pemohon"),
        Block(
            1,
            "note",
            Rect(LABEL_X, 253.0, 140.0, 14.0),
            "Petunjuk: tulis dengan HURUF CETAK memakai tinta hitam atau biru tua, satu angka "
            "per kotak untuk NIK dan nomor telepon; jangan menulis di luar kotak, jangan mencoret "
            "tanda sudut dan kode QR. Lampirkan fotokopi KTP; kuasa pemohon melampirkan "
            "surat kuasa.",
        ),
        Block(1, "footer", Rect(22.0, 279.0, 140.0, 8.0)),
    ]
    return zones, blocks


def _page2() -> tuple[list[Zone], list[Block]]:
    zones = [
        Zone(
            f"reasons.{letter}",
            2,
            "tick",
            Rect(22.0, REASON_Y0 + i * REASON_PITCH, TICK_SIZE, TICK_SIZE),
            f"{letter}. {text}",
            label_rect=Rect(31.0, REASON_Y0 + i * REASON_PITCH, 161.0, TICK_SIZE),
        )
        for i, (letter, text) in enumerate(_REASONS)
    ]
    zones += [
        Zone("case_description", 2, "lines", Rect(LABEL_X, 104.0, 172.0, 10 * ROW_H), "", 10),
        _date(
            "response_date",
            2,
            BOX_X,
            205.5,
            "Tanggapan diberikan pada",
            _label_left(205.5),
            officer=True,
        ),
        Zone(
            "place",
            2,
            "text",
            Rect(40.0, 221.0, 70.0, ROW_H),
            "Tempat",
            label_rect=_label_left(221.0, 38.0),
        ),
        _date("date", 2, 130.0, 221.0, "Tanggal", _label_left(221.0, 128.0, 114.0)),
        Zone(
            "signature", 2, "signature", Rect(118.0, 240.0, 74.0, 18.0), "Pemohon / Kuasa Pemohon"
        ),
    ]
    blocks = [
        Block(
            2,
            "header",
            Rect(22.0, 9.0, 166.0, 8.0),
            "FORMULIR PENGAJUAN KEBERATAN INFORMASI PUBLIK",
        ),
        Block(2, "heading", Rect(LABEL_X, 21.0, 172.0, 5.5), "B. ALASAN PENGAJUAN KEBERATAN"),
        Block(
            2,
            "note",
            Rect(LABEL_X, 26.5, 172.0, 4.5),
            "Pasal 35 ayat (1) UU Nomor 14 Tahun 2008 — beri tanda ✓ atau X pada kotak; "
            "boleh lebih dari satu.",
        ),
        Block(2, "heading", Rect(LABEL_X, 93.5, 172.0, 5.5), "C. KASUS POSISI"),
        Block(
            2,
            "note",
            Rect(LABEL_X, 99.0, 172.0, 4.5),
            "Uraikan secara singkat permohonan yang diajukan, tanggapan yang diterima dan "
            "alasan keberatan.",
        ),
        Block(2, "frame", Rect(18.0, 196.5, 176.0, 21.5), "DIISI OLEH PETUGAS"),
        Block(2, "heading", Rect(LABEL_X, 197.5, 150.0, 5.5), "D. TANGGAPAN ATAS KEBERATAN"),
        Block(2, "caption", Rect(22.0, 235.0, 74.0, 4.5), "Petugas Penerima Keberatan"),
        Block(2, "caption", Rect(118.0, 235.0, 74.0, 4.5), "Pemohon / Kuasa Pemohon"),
        Block(2, "caption", Rect(22.0, 259.0, 74.0, 4.5), "(tanda tangan dan nama jelas)"),
        Block(2, "caption", Rect(118.0, 259.0, 74.0, 4.5), "(tanda tangan dan nama jelas)"),
        Block(2, "footer", Rect(22.0, 279.0, 140.0, 8.0)),
    ]
    return zones, blocks


def _build() -> tuple[dict[str, Zone], tuple[Block, ...]]:
    z1, b1 = _page1()
    z2, b2 = _page2()
    return {z.name: z for z in z1 + z2}, tuple(b1 + b2)


#: Every field zone by dotted schema name, in schema order.
ZONES, BLOCKS = _build()
#: Zones that are not schema fields: the receiving officer's signature box.
OFFICE_ZONES: dict[str, Zone] = {
    "officer_signature": Zone(
        "officer_signature", 2, "signature", Rect(22.0, 240.0, 74.0, 18.0), "Petugas Penerima"
    )
}
#: The AcroForm field names of the fillable version: every zone but the signature.
ACROFORM_FIELDS: tuple[str, ...] = tuple(n for n in ZONES if n != "signature")


# --- helpers ----------------------------------------------------------------------------------


def zones_on_page(page: int) -> list[Zone]:
    """The field zones printed on `page` (1-based)."""
    return [z for z in ZONES.values() if z.page == page]


def mm_to_px(mm: float, dpi: float) -> float:
    return mm * dpi / MM_PER_INCH


def qr_payload(page: int, pages: int = PAGE_COUNT, version: int = FORM_VERSION) -> str:
    """The text encoded in a page's QR code, e.g. `PPIDKEB1|form=keberatan|v=1|p=1/2`."""
    return f"{QR_PREFIX}|form={FORM_ID}|v={version}|p={page}/{pages}"


def parse_qr_payload(text: str) -> QrPayload | None:
    """Read a QR text back; None when it is not one of our form pages (or is malformed)."""
    parts = text.strip().split("|")
    if len(parts) < 2 or parts[0] != QR_PREFIX:
        return None
    pairs = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    try:
        page, _, pages = pairs["p"].partition("/")
        payload = QrPayload(pairs["form"], int(pairs["v"]), int(page), int(pages or 0))
    except (KeyError, ValueError):
        return None
    if not 1 <= payload.page <= payload.pages:
        return None
    return payload
