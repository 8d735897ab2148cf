"""The objection form: marks where the layout says, drop-out boxes, exact field names, specimens."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pypdf
import pytest
import zxingcpp

from parsers import form_layout as layout
from ppid.cli.app import main
from ppid.core.errors import BadInputError
from ppid.core.settings import Office, load_settings
from ppid.output.forms import TEMPLATE, form_context, printed_text, render_filled_form, render_form
from ppid.output.ink import ink_layer
from ppid.output.render import render_html, render_pdf

DPI = 150
PX_PER_MM = DPI / 25.4

# The extraction contract's dotted names, written out here on purpose (not read from the layout).
SCHEMA_FIELDS = {
    "registration_number",
    "request_number",
    "purpose",
    "applicant.name",
    "applicant.nik",
    "applicant.address",
    "applicant.occupation",
    "applicant.phone",
    "applicant.email",
    "proxy.name",
    "proxy.address",
    "proxy.phone",
    *(f"reasons.{letter}" for letter in "abcdefg"),
    "case_description",
    "response_date",
    "place",
    "date",
}

VALUES = {
    "registration_number": "007/KEB/PPID-DKUKM/XI/2026",
    "request_number": "045/PERM/PPID-DKUKM/X/2026",
    "purpose": "Bahan penelitian tentang dana bergulir koperasi",
    "applicant": {
        "name": "Rina Maharani Putri",
        "nik": "6103045708950002",
        "address": "Jalan Merdeka No. 12 RT 003/RW 007, Pontianak",
        "occupation": "Mahasiswa",
        "phone": "0812-5678-9012",
        "email": "rina.maharani@contoh.id",
    },
    "proxy": None,
    "reasons": ["c", "e"],
    "case_description": "Permohonan tanggal 2 Oktober 2026 tidak ditanggapi sampai batas waktu.",
    "response_date": "2026-12-10",
    "place": "Pontianak",
    "date": "2026-11-20",
    "signed": True,
}


def rasterise(pdf: Path, out_dir: Path) -> list[np.ndarray]:
    """Every page of `pdf` as a greyscale image at DPI, as a scanner would hand it over."""
    prefix = out_dir / pdf.stem
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", pdf, prefix], check=True)
    pages = sorted(out_dir.glob(f"{pdf.stem}-*.png"))
    return [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in pages]


def ticked_boxes(page: np.ndarray) -> set[str]:
    ticks = [z for z in layout.ZONES.values() if z.kind == "tick"]
    return {z.name for z in ticks if ink_ratio(page, z.rect) > 0.05}


def ink_ratio(page: np.ndarray, rect: layout.Rect) -> float:
    """Share of dark pixels inside `rect` after a plain binarisation at 50 % grey."""
    x0, y0, x1, y1 = rect.inset(0.8).px(DPI)
    return float((page[y0:y1, x0:x1] < 128).mean())


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory):
    return load_settings(home=tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def printable_pages(settings, tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    out = tmp_path_factory.mktemp("printable")
    return rasterise(render_form(settings, out / "form.pdf"), out)


@pytest.fixture(scope="module")
def typed_pages(settings, tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    out = tmp_path_factory.mktemp("typed")
    return rasterise(render_filled_form(settings, VALUES, out / "typed.pdf", style="typed"), out)


def test_printable_form_has_one_page_per_layout_page(printable_pages: list[np.ndarray]) -> None:
    assert len(printable_pages) == layout.PAGE_COUNT


def test_aruco_markers_print_within_a_millimetre_of_the_layout(
    printable_pages: list[np.ndarray],
) -> None:
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, layout.ARUCO_DICTIONARY))
    detector = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters())
    for number, page in enumerate(printable_pages, start=1):
        corners, ids, _ = detector.detectMarkers(page)
        assert ids is not None, f"no markers found on page {number}"
        centres = [c.reshape(4, 2).mean(axis=0) / PX_PER_MM for c in corners]
        found = dict(zip(ids.ravel().tolist(), centres, strict=True))
        expected = {m.id: (m.cx, m.cy) for m in layout.MARKERS[number]}
        assert set(found) == set(expected)
        for marker_id, (cx, cy) in expected.items():
            fx, fy = found[marker_id]
            assert abs(fx - cx) < 1.0 and abs(fy - cy) < 1.0, (number, marker_id, fx, fy)


def test_qr_code_names_form_version_and_page(printable_pages: list[np.ndarray]) -> None:
    for number, page in enumerate(printable_pages, start=1):
        x0, y0, x1, y1 = layout.QR_RECTS[number].inset(-4).px(DPI)
        codes = zxingcpp.read_barcodes(page[y0:y1, x0:x1])
        assert len(codes) == 1, f"page {number}: {len(codes)} codes"
        payload = layout.parse_qr_payload(codes[0].text)
        assert payload == layout.QrPayload(layout.FORM_ID, layout.FORM_VERSION, number, 2)


def test_box_outlines_drop_out_when_the_scan_is_binarised(
    printable_pages: list[np.ndarray],
) -> None:
    # Inset 0.8 mm the outline itself is excluded; a threshold at 50 % grey must also drop it.
    for zone in layout.ZONES.values():
        page = printable_pages[zone.page - 1]
        x0, y0, x1, y1 = zone.rect.inset(-0.5).px(DPI)
        assert (page[y0:y1, x0:x1] < 128).sum() == 0, f"{zone.name} outline survives binarising"
        assert page[y0:y1, x0:x1].min() < 245, f"{zone.name} has no visible outline at all"


def test_layout_zones_stay_clear_of_each_other_and_of_the_marks() -> None:
    def overlap(a: layout.Rect, b: layout.Rect) -> bool:
        return a.x < b.x1 and b.x < a.x1 and a.y < b.y1 and b.y < a.y1

    zones = list(layout.ZONES.values()) + list(layout.OFFICE_ZONES.values())
    for i, a in enumerate(zones):
        assert a.rect.x > 0 and a.rect.x1 < layout.PAGE_WIDTH_MM and a.rect.y1 < 290, a.name
        keep_out = [m.rect.inset(-layout.MARKER_QUIET_MM) for m in layout.MARKERS[a.page]]
        keep_out.append(layout.QR_RECTS[a.page].inset(-3))
        assert not any(overlap(a.rect, k) for k in keep_out), a.name
        for b in zones[i + 1 :]:
            assert a.page != b.page or not overlap(a.rect, b.rect), (a.name, b.name)
    assert len(layout.ZONES["applicant.nik"].cells) == 16


def test_parse_qr_payload_reads_ours_and_rejects_others() -> None:
    assert layout.parse_qr_payload("PPIDKEB1|form=keberatan|v=1|p=2/2") == layout.QrPayload(
        "keberatan", 1, 2, 2
    )
    assert layout.qr_payload(1) == "PPIDKEB1|form=keberatan|v=1|p=1/2"
    for text in ("https://example.org", "PPIDKEB1|form=keberatan|v=x|p=1/2", "PPIDKEB1|p=3/2"):
        assert layout.parse_qr_payload(text) is None


def test_fillable_form_field_names_are_exactly_the_schema_names(settings, tmp_path: Path) -> None:
    pdf = render_form(settings, tmp_path / "fillable.pdf", fillable=True)
    fields = pypdf.PdfReader(pdf).get_fields()
    assert set(fields) == SCHEMA_FIELDS
    assert {n for n, f in fields.items() if f.get("/FT") == "/Btn"} == {
        f"reasons.{letter}" for letter in "abcdefg"
    }
    widgets = {
        a.get_object()["/T"]: a.get_object()
        for page in pypdf.PdfReader(pdf).pages
        for a in page["/Annots"]
    }
    for name, cells in (("applicant.nik", 16), ("applicant.phone", 15), ("proxy.phone", 15)):
        assert widgets[name]["/MaxLen"] == cells  # comb: one character per printed box
        assert int(widgets[name]["/Ff"]) & (1 << 24)


def test_filled_fillable_form_carries_the_values(settings, tmp_path: Path) -> None:
    pdf = render_filled_form(settings, VALUES, tmp_path / "filled.pdf", fillable=True)
    fields = pypdf.PdfReader(pdf).get_fields()
    values = {name: field.get("/V") for name, field in fields.items()}
    assert values["applicant.nik"] == "6103045708950002"
    assert values["applicant.phone"] == "0812-5678-9012"
    assert values["applicant.email"] == "rina.maharani@contoh.id"
    assert values["date"] == "20-11-2026"
    assert values["proxy.name"] == ""
    ticked = {n for n, v in values.items() if n.startswith("reasons.") and v not in (None, "/Off")}
    assert ticked == {"reasons.c", "reasons.e"}


def test_typed_specimen_puts_ink_only_in_the_filled_zones(typed_pages: list[np.ndarray]) -> None:
    page1, page2 = typed_pages
    for cell in layout.ZONES["applicant.nik"].cells:
        assert ink_ratio(page1, cell) > 0.02
    phone_cells = layout.ZONES["applicant.phone"].cells
    assert all(ink_ratio(page1, c) > 0.02 for c in phone_cells[:12])
    assert all(ink_ratio(page1, c) == 0 for c in phone_cells[12:])
    for name in ("proxy.name", "proxy.address", "proxy.phone"):
        assert ink_ratio(page1, layout.ZONES[name].rect) == 0, name
    assert ticked_boxes(page2) == {"reasons.c", "reasons.e"}
    assert ink_ratio(page2, layout.ZONES["signature"].rect) > 0.01


def test_ink_stamped_on_the_blank_form_looks_like_the_form_laid_out_whole(
    settings, tmp_path: Path
) -> None:
    """The specimen is the ink stamped on a cached blank; the template laid out in one piece
    (boxes and ink together) must rasterise the same, so neither part is lost or shifted."""
    stamped = render_filled_form(settings, VALUES, tmp_path / "stamped.pdf", style="hand", seed=7)
    ink = ink_layer(VALUES, printed_text(VALUES), style="hand", font=None, seed=7)
    whole = tmp_path / "whole.pdf"
    whole.write_bytes(render_pdf(TEMPLATE, form_context(settings.office, ink=ink)))
    pairs = zip(rasterise(stamped, tmp_path), rasterise(whole, tmp_path), strict=True)
    for stamped_page, whole_page in pairs:
        differing = np.abs(stamped_page.astype(int) - whole_page.astype(int)) > 64
        assert differing.mean() < 0.0005


def test_typed_specimen_name_is_read_back_by_tesseract(typed_pages: list[np.ndarray]) -> None:
    import pytesseract

    x0, y0, x1, y1 = layout.ZONES["applicant.name"].rect.inset(0.8).px(DPI)
    crop = np.where(typed_pages[0][y0:y1, x0:x1] < 128, 0, 255).astype(np.uint8)
    text = pytesseract.image_to_string(crop, lang="ind", config="--oem 1 --psm 7")
    assert text.strip() == "RINA MAHARANI PUTRI"


def test_hand_specimen_ticks_and_writes_only_where_asked(settings, tmp_path: Path) -> None:
    values = {**VALUES, "reasons": ["a", "g"], "signed": False}
    pdf = render_filled_form(
        settings, values, tmp_path / "hand.pdf", style="hand", font="Comic Neue"
    )
    page1, page2 = rasterise(pdf, tmp_path)
    assert ticked_boxes(page2) == {"reasons.a", "reasons.g"}
    assert ink_ratio(page2, layout.ZONES["signature"].rect) == 0
    assert ink_ratio(page1, layout.ZONES["applicant.name"].rect) > 0.01
    assert all(ink_ratio(page1, c) > 0.02 for c in layout.ZONES["applicant.nik"].cells)


def test_hand_jitter_is_reproducible_per_seed_and_differs_between_seeds() -> None:
    text = printed_text(VALUES)
    first = ink_layer(VALUES, text, style="hand", font=None, seed=1)
    assert first == ink_layer(VALUES, text, style="hand", font=None, seed=1)
    assert first != ink_layer(VALUES, text, style="hand", font=None, seed=2)
    assert text["applicant.name"] == "RINA MAHARANI PUTRI"
    assert text["applicant.email"] == "rina.maharani@contoh.id"
    assert text["applicant.phone"] == "081256789012"
    assert text["date"] == "20112026"


def test_strict_filled_form_refuses_values_that_do_not_fit(settings, tmp_path: Path) -> None:
    too_long = {**VALUES, "case_description": "kata " * 400}
    with pytest.raises(BadInputError, match="case_description"):
        render_filled_form(settings, too_long, tmp_path / "x.pdf", strict=True)
    bad_nik = {**VALUES, "applicant": {**VALUES["applicant"], "nik": "61030457089500021"}}
    with pytest.raises(BadInputError, match=r"applicant\.nik"):
        printed_text(bad_nik, strict=True)


def test_lenient_filled_form_cuts_what_does_not_fit() -> None:
    values = {**VALUES, "case_description": "kata " * 400}
    values["applicant"] = {**VALUES["applicant"], "phone": "0812 3456 7890 / 0561 123456"}
    text = printed_text(values)
    assert text["applicant.phone"] == "081234567890056"
    ink = ink_layer(values, text, style="typed", font=None, seed=3)
    written = [
        "".join(c["c"] for c in item["chars"])
        for item in ink[2]
        if item["kind"] == "text" and item["x"] < 25 and item["y"] > 100
    ]
    assert len(written) == layout.ZONES["case_description"].lines
    assert written[-1].endswith("…")


def test_cli_form_writes_the_fillable_pdf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sub" / "formulir.pdf"
    try:
        main(["form", "--fillable", str(out)])
    except SystemExit as done:
        assert done.code in (0, None)
    assert capsys.readouterr().out.strip() == str(out)
    assert set(pypdf.PdfReader(out).get_fields()) == SCHEMA_FIELDS


def test_templates_escape_what_they_are_given() -> None:
    html = render_html("_letterhead.html", {"office": Office(name="DINAS <b>A & B</b>")})
    assert "DINAS &lt;b&gt;A &amp; B&lt;/b&gt;" in html


def test_templates_refuse_a_missing_name() -> None:
    with pytest.raises(BadInputError, match="office"):
        render_html("_letterhead.html", {})


def test_cli_form_into_a_folder_is_one_readable_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["form", str(tmp_path)])
    assert done.value.code == 4  # ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write") and str(tmp_path) in err and "Traceback" not in err


def test_typed_ink_is_drawn_as_runs_and_keeps_every_character() -> None:
    """The numbered copy's typed ink is laid out as plain runs (cheap); jittered ink stays per
    character, and no character is lost or reordered either way."""
    from ppid.output.forms import _with_runs

    text = printed_text(VALUES)
    for style in ("typed", "hand"):
        for items in ink_layer(VALUES, text, style=style, font=None, seed=3).values():
            for item in items:
                if "chars" not in item:
                    continue
                merged = _with_runs(item)["chars"]
                assert "".join(c["c"] for c in merged) == "".join(c["c"] for c in item["chars"])
                if style == "typed" and len(item["chars"]) > 1:
                    assert len(merged) == 1 and merged[0]["run"]
                if style == "hand":
                    assert all(not c["run"] for c in merged if c["rot"] or c["dy"])
