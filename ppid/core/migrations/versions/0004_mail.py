"""E-mail intake ledger: one row per message per mailbox folder, exactly once.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=300), nullable=False),
        sa.Column("folder", sa.String(length=300), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("eml_path", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcomes", sa.JSON(), nullable=True),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["mail_messages.id"],
            name=op.f("fk_mail_messages_duplicate_of_id_mail_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_messages")),
        sa.UniqueConstraint(
            "account",
            "folder",
            "uidvalidity",
            "uid",
            name=op.f("uq_mail_messages_account_folder_uidvalidity_uid"),
        ),
        sa.UniqueConstraint("sha256", name=op.f("uq_mail_messages_sha256")),
    )
    op.create_index(op.f("ix_mail_messages_message_id"), "mail_messages", ["message_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_mail_messages_message_id"), table_name="mail_messages")
    op.drop_table("mail_messages")
