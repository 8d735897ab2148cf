"""Objections on other offices' paper, families b and c: forms in four layouts and typed letters.

Layouts: `ruled` (a ruled table with numbered rows), `colon` (label-colon-value lines), `plain`
(a table without rules) and `boxed` (a bordered box per field). Letters: `lines` (label lines,
reasons as bullets) and `prose` (a few label lines, the rest in sentences; the request number
may break across a line). Values can be typed or handwritten (jittered handwriting fonts).
WeasyPrint renders them; the PDF has a real text layer.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ppid.core.calendar import BULAN

from .foreign import signature_img
from .people import Person, title_case
from .residents import make_resident, town_of
from .vocabulary import MONTH_ROMAN as ROMAN
from .wording import Wording

TEMPLATES = Path(__file__).parent / "templates"
PURPOSES = (
    "Bahan penelitian tesis tentang tata kelola dana bergulir bagi koperasi dan usaha mikro di "
    "kabupaten kami",
    "Pengawasan masyarakat atas penyaluran bantuan modal kerja bagi pelaku usaha mikro",
    "Bahan liputan investigasi media daring tentang program pelatihan UMKM",
    "Melengkapi syarat pengajuan kredit usaha rakyat",
    "Advokasi kelompok tani dan nelayan anggota koperasi",
    "Kajian akademik",
)
CASES = (
    "Permohonan informasi saya tentang {info} yang diajukan pada {when} tidak mendapat "
    "tanggapan sampai batas waktu sepuluh hari kerja ditambah tujuh hari kerja berakhir.",
    "PPID menolak memberikan {info} dengan alasan dokumen tersebut rahasia, padahal tidak "
    "disebutkan pasal pengecualian mana yang dipakai.",
    "Saya hanya menerima sebagian dari {info}; lampiran yang saya minta tidak diberikan.",
    "Untuk salinan {info} saya diminta membayar biaya yang jauh di atas biaya penggandaan.",
)
INFO = (
    "daftar koperasi penerima hibah tahun 2025",
    "laporan pertanggungjawaban dana bergulir",
    "data peserta pelatihan kewirausahaan",
    "rekapitulasi izin usaha mikro per kecamatan",
)


@dataclass(frozen=True)
class PaperLook:
    """One family's choices for forms and letters on other offices' paper."""

    wording: Wording
    layouts: tuple[str, ...]
    letters: tuple[str, ...]
    fonts: tuple[str, ...]
    hand_fonts: tuple[str, ...]
    offices: tuple[tuple[str, str, str], ...]
    identity_first: float  # share of forms that put the applicant before the request numbers


def tanggal(day: date, rng: random.Random) -> str:
    """A date as offices write it: `12 Maret 2026`, `12-03-2026` or `12/03/2026`."""
    style = rng.random()
    if style < 0.6:
        return f"{day.day} {BULAN[day.month - 1]} {day.year}"
    return day.strftime("%d-%m-%Y" if style < 0.8 else "%d/%m/%Y")


def phone_as_written(digits: str, rng: random.Random) -> str:
    """`081234567890`, `0812-3456-7890` or `0812 3456 7890`."""
    sep = rng.choice(("", "-", " "))
    return sep.join((digits[:4], digits[4:8], digits[8:])) if sep else digits


def written_address(person: Person, rng: random.Random) -> str:
    """The address as a person writes it on a form, in one of several habits."""
    street = title_case(person.address) if rng.random() < 0.6 else person.address
    rt, rw = person.rt_rw.split("/")
    style = rng.random()
    if style < 0.4:
        return (
            f"{street}, RT {rt}/RW {rw}, Kel. {title_case(person.village)}, "
            f"Kec. {title_case(person.district)}, {title_case(person.regency)}"
        )
    if style < 0.7:
        places = f"{person.village}, {person.district}, {person.regency}"
        return f"{street} RT.{int(rt)} RW.{int(rw)} {places}"
    return f"{street}, Desa {title_case(person.village)}, {title_case(town_of(person.regency))}"


def request_number(rng: random.Random, when: date) -> str:
    roman = ROMAN[when.month - 1]
    return rng.choice(
        (
            f"{rng.randint(1, 300):03d}/PPID-DKUKM/{roman}/{when.year}",
            f"PPID/{rng.randint(1, 999):04d}/{roman}/{when.year}",
            f"{rng.randint(1, 300):03d}/PPID-DISKUKM/{when.year}",
            f"REG-{when.year}-{rng.randint(1, 9999):04d}",
        )
    )


def make_request(rng: random.Random, person: Person) -> dict[str, Any]:
    """The objection's truth (contract shape) plus `printed`: how values appear on paper."""
    filed = date(2026, 1, 5) + timedelta(days=rng.randrange(0, 320))
    requested = filed - timedelta(days=rng.randint(14, 45))
    proxy = None
    if rng.random() < 0.25:
        helper = make_resident(rng, home_share=0.9)
        proxy = {
            "name": helper.given_name,
            "address": written_address(helper, rng),
            "phone": helper.phone,
        }
    registered = rng.random() < 0.35
    case = rng.choice(CASES).format(info=rng.choice(INFO), when=tanggal(requested, rng))
    occupation = title_case(person.occupation) if rng.random() < 0.7 else person.occupation
    return {
        "registration_number": (
            f"{rng.randint(1, 99):03d}/KEB/PPID/{ROMAN[filed.month - 1]}/{filed.year}"
            if registered
            else None
        ),
        "request_number": request_number(rng, requested),
        "purpose": rng.choice(PURPOSES),
        "applicant": {
            "name": person.given_name if rng.random() < 0.6 else person.name,
            "nik": person.nik,
            "address": written_address(person, rng),
            "occupation": occupation,
            "phone": person.phone,
            "email": person.email,
        },
        "proxy": proxy,
        "reasons": sorted(rng.sample("abcdefg", rng.choice((1, 1, 2, 2, 3)))),
        "case_description": case,
        "response_date": (filed + timedelta(days=rng.randint(25, 42))).isoformat()
        if registered
        else None,
        "place": rng.choice(("Pontianak", title_case(town_of(person.regency)))),
        "date": filed.isoformat(),
        "signed": rng.random() < 0.9,
    }


def hand(text: str, rng: random.Random, font: str, colour: str) -> Markup:
    """Handwriting: each word slanted and shifted, each letter turned and sized a little."""
    slant = rng.uniform(-12, 4)
    words = []
    for word in text.split():
        chars = "".join(
            f'<span style="display:inline-block;transform:rotate({rng.uniform(-5, 5):.1f}deg);'
            f'font-size:{rng.uniform(0.9, 1.12):.2f}em">{html.escape(c)}</span>'
            for c in word
        )
        words.append(
            f'<span style="display:inline-block;transform:skewX({slant:.1f}deg) '
            f'translateY({rng.uniform(-0.5, 0.5):.2f}mm)">{chars}</span>'
        )
    return Markup(
        f'<span class="hand" style="font-family:\'{font}\';color:{colour}">{" ".join(words)}</span>'
    )


def _printed(truth: dict[str, Any], rng: random.Random) -> dict[str, str]:
    """Every value as it goes on paper (dotted names); dates and phones as people write them."""
    out: dict[str, str] = {}
    for key in ("registration_number", "request_number", "purpose", "case_description", "place"):
        out[key] = truth[key] or ""
    out["response_date"] = (
        tanggal(date.fromisoformat(truth["response_date"]), rng) if truth["response_date"] else ""
    )
    out["date"] = tanggal(date.fromisoformat(truth["date"]), rng)
    for who in ("applicant", "proxy"):
        for key, value in (truth[who] or {}).items():
            out[f"{who}.{key}"] = phone_as_written(value, rng) if key == "phone" else value
    return out


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )


def _rows(truth: dict[str, Any], look: PaperLook, rng: random.Random) -> list[dict[str, Any]]:
    """The label rows of a form in this office's order, with their chosen wording."""
    labels = {k: rng.choice(v) for k, v in look.wording.labels.items()}
    request = [("registration_number", None), ("request_number", None), ("purpose", None)]
    applicant = [
        (f"applicant.{k}", None) for k in ("name", "nik", "address", "occupation", "phone", "email")
    ]
    if rng.random() < 0.5:
        applicant[2], applicant[3] = applicant[3], applicant[2]
    proxy = [(f"proxy.{k}", None) for k in ("name", "address", "phone")]
    sections = [("", request), (rng.choice(look.wording.applicant_title), applicant)]
    if rng.random() < look.identity_first:
        sections.reverse()
    sections.append((rng.choice(look.wording.proxy_title), proxy))
    rows, number = [], 0
    for title, fields in sections:
        if title:
            rows.append({"title": title, "name": None})
        for name, _ in fields:
            number += 1
            rows.append({"title": None, "name": name, "label": labels[name], "number": number})
    return rows


def render_form(
    truth: dict[str, Any], out: Path, rng: random.Random, look: PaperLook, *, handwritten: bool
) -> dict[str, Any]:
    """Write the form as a PDF; return how it was made."""
    from weasyprint import HTML

    layout = rng.choice(look.layouts)
    printed = _printed(truth, rng)
    hand_font = rng.choice(look.hand_fonts)
    ink = rng.choice(("#1b2f8a", "#202020", "#0d3b66"))

    def value(name: str) -> Markup | str:
        text = printed.get(name, "")
        if not text or not handwritten or name == "registration_number":
            return text
        return hand(text, rng, hand_font, ink)

    reasons = rng.choice(look.wording.reason_texts)
    tick = rng.choice(look.wording.ticks)
    context = {
        "layout": layout,
        "rows": [
            {**r, "value": value(r["name"])} if r["name"] else r for r in _rows(truth, look, rng)
        ],
        "reasons": [(letter, text, letter in truth["reasons"]) for letter, text in reasons],
        "reasons_title": rng.choice(look.wording.reasons_title),
        "case_title": rng.choice(look.wording.case_title),
        "response_title": rng.choice(look.wording.response_title),
        "case": value("case_description"),
        "response_date": printed["response_date"],
        "place_date": value("place"),
        "date_text": value("date"),
        "tick": tick,
        "hand_tick": handwritten,
        "hand_font": hand_font,
        "ink": ink,
        "font": rng.choice(look.fonts),
        "size": rng.choice((10, 10.5, 11)),
        "office": rng.choice(look.offices),
        "signature": Markup(signature_img(rng)) if truth["signed"] else "",
        "signer": truth["applicant"]["name"],
    }
    HTML(string=_environment().get_template("office_form.html").render(**context)).write_pdf(out)
    return {
        "layout": layout,
        "tick": tick,
        "font": context["font"],
        "hand_font": hand_font if handwritten else None,
    }


def render_letter(
    truth: dict[str, Any], out: Path, rng: random.Random, look: PaperLook
) -> dict[str, Any]:
    """Write a typed objection letter; return how it was made. Letters carry no officer fields."""
    from weasyprint import HTML

    style = rng.choice(look.letters)
    printed = _printed(truth, rng)
    number = printed["request_number"]
    split = "-" in number and rng.random() < 0.5
    if split:  # the number breaks after its first hyphen, as a narrow column wraps it
        head, tail = number.split("-", 1)
        number = Markup(f"{html.escape(head)}-<br>{html.escape(tail)}")
    labels = {k: rng.choice(v) for k, v in look.wording.labels.items()}
    reasons = dict(rng.choice(look.wording.reason_texts))
    context = {
        "style": style,
        "p": printed,
        "labels": labels,
        "request_number": number,
        "purpose": printed["purpose"][0].lower() + printed["purpose"][1:],
        "reasons": [reasons[letter] for letter in truth["reasons"]],
        "proxy": truth["proxy"] is not None,
        "font": rng.choice(look.fonts),
        "size": rng.choice((10.5, 11, 12)),
        "office": rng.choice(look.offices),
        "signature": Markup(signature_img(rng)) if truth["signed"] else "",
    }
    HTML(string=_environment().get_template("office_letter.html").render(**context)).write_pdf(out)
    return {"letter": style, "split_number": split, "font": context["font"]}


def letter_truth(truth: dict[str, Any]) -> dict[str, Any]:
    return {**truth, "registration_number": None, "response_date": None}
