"""The declarative base every table shares: naming, aware UTC datetimes, JSON, enum columns."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Enum, MetaData, String
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; SQLite keeps it naive, so UTC is re-attached on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def fit_to_columns(row: Base) -> list[str]:
    """Clip text read from a file to its column's length; returns the attributes clipped.

    SQLite stores any length, PostgreSQL refuses the whole transaction (a 45-character phone
    number OCR'd from a smudge would quarantine a registrable objection). The value as read
    stays in the document's extracted fields; the clipped one ends in "…" so a clerk sees it.
    """
    clipped = []
    for column in row.__table__.columns:
        length = getattr(column.type, "length", None) or 0
        key = row.__mapper__.get_property_by_column(column).key
        value = getattr(row, key, None)
        if isinstance(value, str) and isinstance(column.type, String) and 0 < length < len(value):
            setattr(row, key, value[: length - 1] + "…")
            clipped.append(key)
    return clipped


def str_enum(enum: type[StrEnum]) -> Enum:
    """Store the enum's value as VARCHAR (no native type, no CHECK) so new steps need no DDL."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}
