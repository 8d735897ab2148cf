"""Web accounts: users with roles, logged-in browsers, and the log of every ID-scan view."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ppid.core.models.base import Base, utcnow


class User(Base):
    """A person who logs in to the web app."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class WebSession(Base):
    """A logged-in browser; keyed by the SHA-256 of the cookie's token, ended by logout or age."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class IdScanView(Base):
    """One look at an ID scan (or a crop of it): who, when, which document (UU 27/2022 audit)."""

    __tablename__ = "id_scan_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    username: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[int | None] = mapped_column(index=True)
    document_id: Mapped[int | None]  # a case document, or
    intake_file_id: Mapped[int | None]  # a file still at the intake desk
    what: Mapped[str] = mapped_column(String(60))  # "berkas" or "potongan:<field>"
    client: Mapped[str | None] = mapped_column(String(60))
