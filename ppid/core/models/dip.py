"""The DIP catalogue (Daftar Informasi Publik): its items and the items an answer gave."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from ppid.core.models.base import Base, utcnow


class DipCategory(StrEnum):
    """The four kinds of public information of UU 14/2008 (Pasal 9, 10, 11, 17)."""

    BERKALA = "berkala"
    SERTA_MERTA = "serta_merta"
    SETIAP_SAAT = "setiap_saat"
    DIKECUALIKAN = "dikecualikan"


CATEGORY_LABELS = {
    DipCategory.BERKALA: "Informasi berkala",
    DipCategory.SERTA_MERTA: "Informasi serta-merta",
    DipCategory.SETIAP_SAAT: "Informasi tersedia setiap saat",
    DipCategory.DIKECUALIKAN: "Informasi yang dikecualikan",
}


case_dip_items = Table(
    "case_dip_items",
    Base.metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("dip_item_id", ForeignKey("dip_items.id", ondelete="RESTRICT"), primary_key=True),
)


class DipItem(Base):
    """One entry of the published list of public information."""

    __tablename__ = "dip_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20))
    pasal17: Mapped[str | None] = mapped_column(String(1))
    unit: Mapped[str | None] = mapped_column(String(200))
    year: Mapped[int | None]
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[DipCategory(self.category)]

    @property
    def exempt(self) -> bool:
        return self.category == DipCategory.DIKECUALIKAN

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "pasal17": self.pasal17,
            "unit": self.unit,
            "year": self.year,
            "link": self.link,
        }
