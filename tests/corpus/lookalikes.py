"""Makers of every kind for families b and c: their people, cards, paper and ways in.

`makers_for(look)` returns one maker per kind (the same kind names as family a), each drawing
from the family's `FamilyLook`: residents from anywhere (region list), cards of cards.py, other
offices' forms and letters of offices.py, our form in the family's fonts, captures of capture.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PIL import Image

from ppid.core.errors import BadInputError
from ppid.core.settings import Settings
from ppid.output.forms import render_filled_form

from . import capture
from .cards import CardLook, render_card
from .kinds import Job, Maker
from .offices import PaperLook, letter_truth, make_request, render_form, render_letter
from .pages import (
    CorpusError,
    Record,
    other_page,
    page_numbers,
    rasterise,
    save_pdf,
    save_scan,
    save_tiff,
)
from .people import Person
from .residents import make_resident

CARD_DPI = 300
SHORT_PURPOSES = ("Kajian akademik", "Bahan pemberitaan", "Kepentingan pribadi")


@dataclass(frozen=True)
class FamilyLook:
    card: CardLook
    paper: PaperLook
    typed_fonts: tuple[str, ...]  # our own form, typed
    hand_fonts: tuple[str, ...]  # our own form, hand-filled
    home_share: float  # share of applicants from Kalimantan Barat


def _doc(kind: str, fields: dict, pages: list[int]) -> Record:
    return {"document_type": kind, "pages": pages, "fields": fields}


def _record(path: Path, docs: list[Record], meta: dict, *, handwritten: bool = False) -> Record:
    return {"file": path.name, "documents": docs, "meta": meta, "handwritten": handwritten}


def _person(rng: random.Random, look: FamilyLook) -> Person:
    return make_resident(rng, home_share=look.home_share)


# --- paper ------------------------------------------------------------------------------------


def our_form_pdf(
    truth: dict[str, Any],
    out: Path,
    rng: random.Random,
    *,
    style: str,
    font: str | None,
    fillable: bool = False,
) -> dict[str, Any]:
    """Our own form filled in the family's font; too-long text is shortened so truth = print."""
    for attempt in range(3):
        try:
            render_filled_form(
                Settings(home=out.parent),
                truth,
                out,
                style=style,
                font=font,
                fillable=fillable,
                seed=rng.getrandbits(32),
                strict=True,
            )
            return truth
        except BadInputError:
            truth = {**truth, "purpose": rng.choice(SHORT_PURPOSES)}
            if attempt:
                truth["case_description"] = truth["case_description"].split(";")[0][:150]
                applicant = truth["applicant"]
                truth["applicant"] = {**applicant, "address": applicant["address"].split(",")[0]}
    raise CorpusError("our form could not hold the generated values")


def other_paper(
    rng: random.Random, look: FamilyLook, pdf: Path, *, letters: bool, handwritten: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An other office's form (or, when `letters`, now and then a typed letter) as a PDF."""
    truth = make_request(rng, _person(rng, look))
    if letters and rng.random() < 0.4:
        return letter_truth(truth), render_letter(truth, pdf, rng, look.paper)
    return truth, render_form(truth, pdf, rng, look.paper, handwritten=handwritten)


def scan_stack(
    pdf: Path, rng: random.Random, job: Job, *, dpis: tuple[int, ...], modes: tuple[str, ...]
) -> tuple[list[Image.Image], list[dict]]:
    """Each page printed and scanned (flatbed) or photocopied."""
    dpi = job.dpi(rng, dpis)
    mode = rng.choice(modes)
    pages = rasterise(pdf, dpi, job.work, grey=mode != "color")
    out, metas = [], []
    for page in pages:
        if mode == "copy":
            img, meta = capture.photocopy(page, rng, dpi=dpi)
        else:
            img, meta = capture.flatbed(page, rng, src_dpi=dpi, dpi=dpi, mode=mode, max_skew=3)
        out.append(img)
        metas.append(meta)
    return out, metas


def photo_stack(pdf: Path, rng: random.Random, job: Job) -> tuple[list[Image.Image], list[dict]]:
    """Each page photographed with a phone, half of them sent through a chat app."""
    out, metas = [], []
    chat = rng.random() < 0.5
    for page in rasterise(pdf, 200, job.work):
        img, meta = capture.phone(
            page, rng, fill=rng.uniform(0.72, 0.85), long_side=job.photo_side(2600), shine=False
        )
        if chat:
            img, more = capture.whatsapp(img, rng)
            meta = {**meta, **more}
        out.append(img)
        metas.append(meta)
    return out, metas


def _save_photos(photos: list[Image.Image], job: Job, metas: list[dict]) -> Path:
    if len(photos) == 1:
        path = job.path(".jpg")
        photos[0].save(path, quality=metas[0]["jpeg"])
        return path
    path = job.path(".pdf")
    save_pdf(photos, path, 200, quality=metas[0]["jpeg"])
    return path


# --- kinds ------------------------------------------------------------------------------------


def make_digital_acroform(look: FamilyLook, rng: random.Random, job: Job) -> Record:
    truth = {**make_request(rng, _person(rng, look)), "signed": False}
    path = job.path(".pdf")
    truth = our_form_pdf(truth, path, rng, style="typed", font=None, fillable=True)
    return _record(path, [_doc("objection_form", truth, page_numbers(path))], {})


def make_digital_text(look: FamilyLook, rng: random.Random, job: Job) -> Record:
    path = job.path(".pdf")
    truth, meta = other_paper(rng, look, path, letters=True)
    return _record(path, [_doc("objection_form", truth, page_numbers(path))], meta)


def make_typed_scan(look: FamilyLook, rng: random.Random, job: Job) -> Record:
    truth = make_request(rng, _person(rng, look))
    pdf = job.scratch(".pdf")
    font = rng.choice(look.typed_fonts)
    truth = our_form_pdf(truth, pdf, rng, style="typed", font=font)
    scans, metas = scan_stack(
        pdf, rng, job, dpis=(150, 200, 300), modes=("color", "grey", "bitonal")
    )
    path = save_scan(scans, job.out / job.name, rng, metas[0]["dpi"], quality=job.quality)
    docs = [_doc("objection_form", truth, list(range(1, len(scans) + 1)))]
    return _record(path, docs, {"font": font, "pages": metas})


def make_hand_scan(look: FamilyLook, rng: random.Random, job: Job) -> Record:
    """Hand-filled: our form or an other office's, scanned or photographed."""
    pdf = job.scratch(".pdf")
    if rng.random() < 0.5:
        font = rng.choice(look.hand_fonts)
        truth = our_form_pdf(
            make_request(rng, _person(rng, look)), pdf, rng, style="hand", font=font
        )
        meta: dict[str, Any] = {"form": "ours", "hand_font": font}
    else:
        truth, meta = other_paper(rng, look, pdf, letters=False, handwritten=True)
    if rng.random() < 0.6:
        pages, metas = scan_stack(
            pdf, rng, job, dpis=(200, 300), modes=("color", "grey", "bitonal")
        )
        path = save_scan(pages, job.out / job.name, rng, metas[0]["dpi"], quality=job.quality)
    else:
        pages, metas = photo_stack(pdf, rng, job)
        path = _save_photos(pages, job, metas)
    docs = [_doc("objection_form", truth, list(range(1, len(pages) + 1)))]
    return _record(path, docs, {**meta, "pages": metas}, handwritten=True)


def make_phone_photo(look: FamilyLook, rng: random.Random, job: Job) -> Record:
    pdf = job.scratch(".pdf")
    truth, meta = other_paper(rng, look, pdf, letters=True)
    photos, metas = photo_stack(pdf, rng, job)
    path = _save_photos(photos, job, metas)
    return _record(
        path,
        [_doc("objection_form", truth, list(range(1, len(photos) + 1)))],
        {**meta, "pages": metas},
    )


def make_fax(look: FamilyLook, rng: random.Random, job: Job) -> Record:
    pdf = job.scratch(".pdf")
    truth, meta = other_paper(rng, look, pdf, letters=True)
    pages, metas = [], []
    for page in rasterise(pdf, 200, job.work, grey=True):
        img, more = capture.fax(page, rng, src_dpi=200, sender=look.paper.offices[0][1][:24])
        pages.append(img)
        metas.append(more)
    path = job.path(".tif")
    save_tiff(pages, path, 204)
    return _record(
        path,
        [_doc("objection_form", truth, list(range(1, len(pages) + 1)))],
        {**meta, "pages": metas},
    )


def make_foreign_scan(look: FamilyLook, rng: random.Random, job: Job) -> Record:
    pdf = job.scratch(".pdf")
    truth, meta = other_paper(rng, look, pdf, letters=True)
    modes = ("color", "grey", "bitonal", "copy")
    scans, metas = scan_stack(pdf, rng, job, dpis=(150, 200, 300), modes=modes)
    path = save_scan(scans, job.out / job.name, rng, metas[0]["dpi"], quality=job.quality)
    docs = [_doc("objection_form", truth, list(range(1, len(scans) + 1)))]
    return _record(path, docs, {**meta, "pages": metas})


def _card(rng: random.Random, look: FamilyLook) -> tuple[Person, Image.Image, dict]:
    person = _person(rng, look)
    card, meta = render_card(person, look.card, rng)
    return person, card, meta


def make_ktp_crop(look: FamilyLook, rng: random.Random, job: Job) -> Record:
    person, card, meta = _card(rng, look)
    dpi = job.dpi(rng, (150, 200, 300))
    mode = rng.choice(("color", "color", "grey"))
    img, more = capture.flatbed(card, rng, src_dpi=CARD_DPI, dpi=dpi, mode=mode, max_skew=2.5)
    turn = rng.choice((0, 0, 0, 0, 90, 180, 270))
    img = img.rotate(turn, expand=True) if turn else img
    path = job.path(".jpg")
    img.save(path, quality=more["jpeg"] or 85, dpi=(dpi, dpi))
    return _record(
        path, [_doc("id_card", person.card_truth(), [1])], {**meta, **more, "rotation": turn}
    )


def make_ktp_photocopy(look: FamilyLook, rng: random.Random, job: Job) -> Record:
    person, card, meta = _card(rng, look)
    dpi = job.dpi(rng, (150, 200, 300))
    mode = rng.choice(("bitonal", "grey", "color"))
    page, more = capture.on_a4(card, rng, card_dpi=CARD_DPI, dpi=dpi, mode=mode)
    path = save_scan([page], job.out / job.name, rng, dpi, quality=job.quality)
    return _record(path, [_doc("id_card", person.card_truth(), [1])], {**meta, **more})


def make_ktp_photo(look: FamilyLook, rng: random.Random, job: Job) -> Record:
    person, card, meta = _card(rng, look)
    shine = rng.random() < 0.4
    img, more = capture.phone(
        card, rng, fill=rng.uniform(0.5, 0.8), long_side=job.photo_side(2200), shine=shine
    )
    if rng.random() < 0.5:
        img, chat = capture.whatsapp(img, rng)
        more = {**more, **chat}
    path = job.path(".jpg")
    img.save(path, quality=more["jpeg"])
    return _record(path, [_doc("id_card", person.card_truth(), [1])], {**meta, **more})


def make_bundle(look: FamilyLook, rng: random.Random, job: Job) -> Record:
    """An other office's form, the applicant's card on A4 and a covering note, in any order."""
    pdf = job.scratch(".pdf")
    person = _person(rng, look)
    truth = make_request(rng, person)
    meta = render_form(truth, pdf, rng, look.paper, handwritten=False)
    form_pages = [p.convert("L") for p in rasterise(pdf, 200, job.work, grey=True)]
    card, _ = render_card(person, look.card, rng)
    card_page, _ = capture.on_a4(card, rng, card_dpi=CARD_DPI, dpi=200, mode="grey")
    parts = [("form", form_pages), ("card", [card_page.convert("L")]), ("other", [other_page(rng)])]
    rng.shuffle(parts)
    pages: list[Image.Image] = []
    docs: list[Record] = []
    for role, imgs in parts:
        numbers = list(range(len(pages) + 1, len(pages) + len(imgs) + 1))
        pages.extend(imgs)
        if role == "form":
            docs.append(_doc("objection_form", truth, numbers))
        elif role == "card":
            docs.append(_doc("id_card", person.card_truth(), numbers))
        else:
            docs.append(_doc("other", {}, numbers))
    if rng.random() < 0.5:
        path = job.path(".pdf")
        save_pdf(pages, path, 200, quality=80)
    else:
        path = job.path(".tif")
        save_tiff([p.convert("1") for p in pages], path, 200)
    return _record(path, docs, meta)


KIND_MAKERS = {
    "digital_acroform": make_digital_acroform,
    "digital_text": make_digital_text,
    "typed_scan": make_typed_scan,
    "hand_scan": make_hand_scan,
    "phone_photo": make_phone_photo,
    "fax": make_fax,
    "foreign_scan": make_foreign_scan,
    "ktp_crop": make_ktp_crop,
    "ktp_photocopy": make_ktp_photocopy,
    "ktp_photo": make_ktp_photo,
    "bundle": make_bundle,
}


def makers_for(look: FamilyLook) -> dict[str, Maker]:
    """One maker per kind, bound to this family's look."""
    return {kind: partial(maker, look) for kind, maker in KIND_MAKERS.items()}
