"""One recipe per input kind: make a person and an objection, render, degrade, save, say the truth.

Every maker takes a seeded `random.Random` and a `Job` (where to write, a scratch folder, and
whether to keep files small) and returns the truth record for the one file it wrote.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from . import degrade
from .foreign import render_foreign
from .ktp import render_ktp
from .pages import (
    CorpusError,
    Record,
    fields_on_pages,
    other_page,
    our_form,
    page_numbers,
    rasterise,
    save_pdf,
    save_scan,
    save_tiff,
)
from .people import Person, make_objection, make_person

CARD_DPI = 300


@dataclass(frozen=True)
class Job:
    """Where one file goes; `small` caps resolution and JPEG quality (the committed samples)."""

    out: Path
    name: str
    work: Path
    small: bool = False

    def dpi(self, rng: random.Random, choices: tuple[int, ...]) -> int:
        dpi = rng.choice(choices)
        return min(dpi, 200) if self.small else dpi

    @property
    def quality(self) -> int:
        return 50 if self.small else 90

    def photo_side(self, normal: int) -> int:
        return round(normal * 0.8) if self.small else normal

    def path(self, suffix: str) -> Path:
        return self.out / f"{self.name}{suffix}"

    def scratch(self, suffix: str) -> Path:
        return self.work / f"{self.name}{suffix}"


Maker = Callable[[random.Random, Job], Record]


def _form_doc(fields: Record, pages: list[int]) -> Record:
    return {"document_type": "objection_form", "pages": pages, "fields": fields}


def _card_doc(fields: Record, page: int = 1) -> Record:
    return {"document_type": "id_card", "pages": [page], "fields": fields}


def _record(path: Path, docs: list[Record], meta: dict) -> Record:
    return {"file": path.name, "documents": docs, "meta": meta}


def scan_pages(
    pages: list[Image.Image], rng: random.Random, job: Job, dpi: int, mode: str
) -> tuple[list[Image.Image], list[dict]]:
    """Scan a stack: one orientation for the stack, now and then one page put in upside down."""
    rotation = rng.choice((0, 0, 0, 90, 180, 270))
    scans, metas = [], []
    for page in pages:
        turn = (rotation + 180) % 360 if rng.random() < 0.1 else rotation
        img, meta = degrade.scan(
            page, rng, src_dpi=dpi, dpi=dpi, mode=mode, rotation=turn, max_quality=job.quality
        )
        scans.append(img)
        metas.append(meta)
    return scans, metas


# --- digital ----------------------------------------------------------------------------------


def make_digital_acroform(rng: random.Random, job: Job) -> Record:
    # a form filled in a PDF viewer has no signature field: it can only arrive unsigned
    fields = {**make_objection(rng, make_person(rng)), "signed": False}
    path = job.path(".pdf")
    our_form(fields, path, rng, fillable=True)
    return _record(path, [_form_doc(fields, page_numbers(path))], {})


def make_digital_text(rng: random.Random, job: Job) -> Record:
    variant = rng.choice(("form", "form", "letter"))
    path = job.path(".pdf")
    truth = render_foreign(make_objection(rng, make_person(rng)), path, rng, variant=variant)
    return _record(path, [_form_doc(truth, page_numbers(path))], {"variant": variant})


# --- our form on paper ------------------------------------------------------------------------


def _scan_our_form(rng: random.Random, job: Job, style: str) -> Record:
    fields = make_objection(rng, make_person(rng))
    pdf = job.scratch(".pdf")
    our_form(fields, pdf, rng, style=style)
    dpi = job.dpi(rng, (150, 200, 300, 300, 400, 600) if style == "typed" else (200, 300, 300))
    mode = rng.choice(("color", "grey", "bitonal"))
    pages = rasterise(pdf, dpi, job.work, grey=mode != "color")
    scans, metas = scan_pages(pages, rng, job, dpi, mode)
    path = save_scan(scans, job.out / job.name, rng, dpi, quality=job.quality)
    docs = [_form_doc(fields, list(range(1, len(scans) + 1)))]
    return {**_record(path, docs, {"style": style, "pages": metas}), "handwritten": style == "hand"}


def make_typed_scan(rng: random.Random, job: Job) -> Record:
    return _scan_our_form(rng, job, "typed")


def make_hand_scan(rng: random.Random, job: Job) -> Record:
    return _scan_our_form(rng, job, "hand")


def make_phone_photo(rng: random.Random, job: Job) -> Record:
    """Each page photographed on a table; a lone JPEG of page 1, or every page in one PDF."""
    fields = make_objection(rng, make_person(rng))
    pdf = job.scratch(".pdf")
    our_form(fields, pdf, rng, style="typed")
    pages = rasterise(pdf, 200, job.work)
    if rng.random() < 0.5:
        pages = pages[:1]
        fields = fields_on_pages(fields, {1})
    photos, metas = [], []
    for page in pages:
        img, meta = degrade.photograph(
            page,
            rng,
            fill=rng.uniform(0.78, 0.9),
            out_long_side=job.photo_side(2400),
            max_quality=job.quality,
        )
        photos.append(img)
        metas.append(meta)
    if len(photos) == 1:
        path = job.path(".jpg")
        photos[0].save(path, quality=metas[0]["jpeg"])
    else:
        path = job.path(".pdf")
        save_pdf(photos, path, 200, quality=metas[0]["jpeg"])
    return _record(path, [_form_doc(fields, list(range(1, len(photos) + 1)))], {"pages": metas})


def make_fax(rng: random.Random, job: Job) -> Record:
    fields = make_objection(rng, make_person(rng))
    pdf = job.scratch(".pdf")
    our_form(fields, pdf, rng, style="typed")
    pages, metas = [], []
    for page in rasterise(pdf, 200, job.work, grey=True):
        img, meta = degrade.fax(page, rng, src_dpi=200)
        pages.append(img)
        metas.append(meta)
    path = job.path(".tif")
    save_tiff(pages, path, 200)
    return _record(path, [_form_doc(fields, list(range(1, len(pages) + 1)))], {"pages": metas})


# --- other offices' forms on paper ------------------------------------------------------------


def make_foreign_scan(rng: random.Random, job: Job) -> Record:
    variant = rng.choice(("form", "form", "letter"))
    pdf = job.scratch(".pdf")
    truth = render_foreign(make_objection(rng, make_person(rng)), pdf, rng, variant=variant)
    dpi = job.dpi(rng, (200, 300, 300))
    mode = rng.choice(("color", "grey", "bitonal"))
    pages = rasterise(pdf, dpi, job.work, grey=mode != "color")
    scans, metas = scan_pages(pages, rng, job, dpi, mode)
    path = save_scan(scans, job.out / job.name, rng, dpi, quality=job.quality)
    docs = [_form_doc(truth, list(range(1, len(scans) + 1)))]
    return _record(path, docs, {"variant": variant, "pages": metas})


# --- KTP --------------------------------------------------------------------------------------


def _card(rng: random.Random, person: Person | None = None) -> Image.Image:
    person = person or make_person(rng)
    return render_ktp(person, dpi=CARD_DPI, seed=rng.getrandbits(32))


def make_ktp_crop(rng: random.Random, job: Job) -> Record:
    person = make_person(rng)
    card = _card(rng, person)
    dpi = job.dpi(rng, (200, 300, 300, 400, 600))
    img, meta = degrade.scan(
        card,
        rng,
        src_dpi=CARD_DPI,
        dpi=dpi,
        mode=rng.choice(("color", "color", "grey")),
        rotation=rng.choice((0, 0, 0, 0, 90, 180, 270)),
        max_skew=3.0,
        max_quality=job.quality,
    )
    path = job.path(".jpg")
    img.save(path, quality=meta["jpeg"] or 85, dpi=(dpi, dpi))
    return _record(path, [_card_doc(person.card_truth())], meta)


def make_ktp_photocopy(rng: random.Random, job: Job) -> Record:
    person = make_person(rng)
    card = _card(rng, person)
    dpi = job.dpi(rng, (200, 300))
    img, meta = degrade.photocopy_card(card, rng, card_dpi=CARD_DPI, dpi=dpi)
    path = save_scan([img], job.out / job.name, rng, dpi, quality=job.quality)
    return _record(path, [_card_doc(person.card_truth())], meta)


def make_ktp_photo(rng: random.Random, job: Job) -> Record:
    person = make_person(rng)
    card = _card(rng, person)
    img, meta = degrade.photograph(
        card,
        rng,
        fill=rng.uniform(0.55, 0.8),
        out_long_side=job.photo_side(2000),
        max_quality=job.quality,
    )
    path = job.path(".jpg")
    img.save(path, quality=meta["jpeg"])
    return _record(path, [_card_doc(person.card_truth())], meta)


# --- bundles ----------------------------------------------------------------------------------


def make_bundle(rng: random.Random, job: Job) -> Record:
    """Form page(s), a KTP photocopy page and a covering note, in random order, as PDF or TIFF."""
    person = make_person(rng)
    fields = make_objection(rng, person)
    pdf = job.scratch(".pdf")
    style = rng.choice(("typed", "typed", "hand"))
    try:
        our_form(fields, pdf, rng, style=style)
        form_variant = "ours"
    except CorpusError:
        fields = render_foreign(fields, pdf, rng, variant="form")
        form_variant = "perki"
    form_pages = [p.convert("L") for p in rasterise(pdf, 200, job.work, grey=True)]
    card_page, _ = degrade.photocopy_card(_card(rng, person), rng, card_dpi=CARD_DPI, dpi=200)
    parts = [("form", form_pages), ("card", [card_page]), ("other", [other_page(rng)])]
    tail = parts[1:]
    rng.shuffle(tail)
    pages: list[Image.Image] = []
    docs: list[Record] = []
    for role, imgs in [parts[0], *tail]:
        numbers = list(range(len(pages) + 1, len(pages) + len(imgs) + 1))
        pages.extend(imgs)
        if role == "form":
            docs.append(_form_doc(fields, numbers))
        elif role == "card":
            docs.append(_card_doc(person.card_truth(), numbers[0]))
        else:
            docs.append({"document_type": "other", "pages": numbers, "fields": {}})
    if rng.random() < 0.5:
        path = job.path(".pdf")
        save_pdf(pages, path, 200)
    else:
        path = job.path(".tif")
        save_tiff([p.convert("1") if p.mode != "1" else p for p in pages], path, 200)
    hand = form_variant == "ours" and style == "hand"
    return {**_record(path, docs, {"form": form_variant}), "handwritten": hand}


MAKERS: dict[str, Maker] = {
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
KINDS: tuple[str, ...] = tuple(MAKERS)
