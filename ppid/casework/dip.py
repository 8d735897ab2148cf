"""The DIP catalogue (Daftar Informasi Publik): items, CSV import, search, items in answers."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ppid.core.errors import BadInputError, NotFoundError
from ppid.core.models import Case, DipCategory, DipItem, case_dip_items

log = logging.getLogger(__name__)

PASAL17_LETTERS = "abcdefghij"


PASAL17_TEXTS = {
    "a": "menghambat proses penegakan hukum",
    "b": "mengganggu kepentingan perlindungan hak atas kekayaan intelektual dan persaingan usaha",
    "c": "membahayakan pertahanan dan keamanan negara",
    "d": "mengungkapkan kekayaan alam Indonesia",
    "e": "merugikan ketahanan ekonomi nasional",
    "f": "merugikan kepentingan hubungan luar negeri",
    "g": "mengungkap isi akta otentik yang bersifat pribadi dan kemauan terakhir atau wasiat",
    "h": "mengungkap rahasia pribadi",
    "i": "memorandum atau surat antar/intra Badan Publik yang menurut sifatnya dirahasiakan",
    "j": "informasi yang tidak boleh diungkapkan berdasarkan undang-undang",
}

# CSV headers we accept: English names, or the Indonesian ones an office spreadsheet uses.
HEADER_ALIASES = {
    "title": ("title", "judul", "ringkasan informasi", "informasi"),
    "description": ("description", "deskripsi", "keterangan", "uraian"),
    "category": ("category", "kategori", "jenis"),
    "pasal17": ("pasal17", "pasal_17", "pasal 17", "dasar pengecualian"),
    "unit": ("unit", "penanggung jawab", "pejabat/unit", "bidang"),
    "year": ("year", "tahun"),
    "link": ("link", "tautan", "url"),
}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0


def normalize_category(value: str) -> DipCategory:
    """Accept "Serta-merta", "serta merta" or "SERTA_MERTA" as one category; else an error."""
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return DipCategory(key)
    except ValueError:
        choices = ", ".join(c.value for c in DipCategory)
        raise ValueError(f"category {value!r} is not one of {choices}") from None


def item_from_row(row: dict[str, str]) -> dict[str, Any]:
    """Validate one CSV row (already keyed by canonical names); raise ValueError with the reason."""
    title = (row.get("title") or "").strip()
    if not title:
        raise ValueError("title (judul) is empty")
    category = normalize_category(row.get("category") or "")
    pasal17 = (row.get("pasal17") or "").strip().lower().removeprefix("pasal 17 huruf ") or None
    if category == DipCategory.DIKECUALIKAN:
        if pasal17 is None or pasal17 not in PASAL17_LETTERS:
            raise ValueError("an exempt item (dikecualikan) needs pasal17 = one letter a to j")
    elif pasal17 is not None:
        raise ValueError(f"pasal17 {pasal17!r} is given but the category is {category.value}")
    year_text = (row.get("year") or "").strip()
    if year_text and not (year_text.isdigit() and 1900 <= int(year_text) <= 2100):
        raise ValueError(f"year {year_text!r} is not a four-digit year")
    return {
        "title": title,
        "description": (row.get("description") or "").strip() or None,
        "category": category.value,
        "pasal17": pasal17,
        "unit": (row.get("unit") or "").strip() or None,
        "year": int(year_text) if year_text else None,
        "link": (row.get("link") or "").strip() or None,
    }


def read_csv(path: Path) -> list[dict[str, Any]]:
    """Every row of a DIP spreadsheet export, validated; the first bad row stops the import."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise BadInputError("dip.unreadable", path=str(path), reason=error.strerror) from error
    except UnicodeDecodeError as error:
        raise BadInputError("dip.not_utf8", path=str(path)) from error
    first_line = text.splitlines()[0] if text.strip() else ","
    try:
        dialect: Any = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = _column_map(path, reader.fieldnames or [])
    items = []
    for raw in reader:
        row = {name: raw.get(header) or "" for name, header in columns.items()}
        try:
            items.append(item_from_row(row))
        except ValueError as error:  # the row number a spreadsheet shows (header is row 1)
            raise BadInputError(
                "dip.bad_row", path=str(path), row=reader.line_num, problem=str(error)
            ) from error
    return items


def _column_map(path: Path, headers: list[str]) -> dict[str, str]:
    found = {}
    for header in headers:
        key = header.strip().lower()
        for name, aliases in HEADER_ALIASES.items():
            if key in aliases:
                found[name] = header
    for required in ("title", "category"):
        if required not in found:
            raise BadInputError("dip.no_column", path=str(path), column=required, headers=headers)
    return found


def import_csv(session: Session, path: Path) -> ImportResult:
    """Add the CSV's items; an item with the same title and year is updated, so re-import is safe.

    All or nothing: a bad row raises before anything is written. The caller commits.
    """
    result = ImportResult()
    for values in read_csv(path):
        existing = session.scalars(
            select(DipItem).where(DipItem.title == values["title"], DipItem.year == values["year"])
        ).first()
        if existing is None:
            session.add(DipItem(**values))
            result.created += 1
        else:
            for key, value in values.items():
                setattr(existing, key, value)
            result.updated += 1
    session.flush()
    log.info("DIP import %s: %d new, %d updated", path, result.created, result.updated)
    return result


def search(session: Session, text: str, limit: int = 50) -> list[DipItem]:
    """Items whose title or description contains every word of `text` (case-insensitive)."""
    query = select(DipItem).order_by(DipItem.title, DipItem.year)
    for word in text.split():
        pattern = f"%{word}%"
        query = query.where(or_(DipItem.title.ilike(pattern), DipItem.description.ilike(pattern)))
    return list(session.scalars(query.limit(limit)))


def get_items(session: Session, ids: list[int]) -> list[DipItem]:
    """The DIP items with these ids, in the given order; an unknown id is an error."""
    items = {item.id: item for item in session.scalars(select(DipItem).where(DipItem.id.in_(ids)))}
    missing = [i for i in ids if i not in items]
    if missing:
        raise NotFoundError("dip.unknown_items", ids=missing)
    return [items[i] for i in ids]


def items_given(session: Session, case: Case) -> list[DipItem]:
    """The DIP items an answer gave the applicant."""
    query = (
        select(DipItem)
        .join(case_dip_items, case_dip_items.c.dip_item_id == DipItem.id)
        .where(case_dip_items.c.case_id == case.id)
        .order_by(DipItem.id)
    )
    return list(session.scalars(query))


def link_items(session: Session, case: Case, items: list[DipItem]) -> None:
    """Record that `case`'s answer gives these items (once each)."""
    already = {item.id for item in items_given(session, case)}
    for item in items:
        if item.id not in already:
            session.execute(case_dip_items.insert().values(case_id=case.id, dip_item_id=item.id))


def unlink_items(session: Session, case: Case) -> None:
    """Forget the items linked to `case` (a corrected fulfilment step; history keeps the ids)."""
    session.execute(case_dip_items.delete().where(case_dip_items.c.case_id == case.id))
