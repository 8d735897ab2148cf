"""Case workflow: DIP catalogue, letter sequences, letters.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dip_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("pasal17", sa.String(length=1), nullable=True),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dip_items")),
    )
    op.create_index(op.f("ix_dip_items_title"), "dip_items", ["title"])
    op.create_table(
        "case_dip_items",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("dip_item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_dip_items_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dip_item_id"],
            ["dip_items.id"],
            name=op.f("fk_case_dip_items_dip_item_id_dip_items"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("case_id", "dip_item_id", name=op.f("pk_case_dip_items")),
    )
    op.create_table(
        "letter_counters",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "year", name=op.f("pk_letter_counters")),
    )


def downgrade() -> None:
    op.drop_table("letter_counters")
    op.drop_table("case_dip_items")
    op.drop_index(op.f("ix_dip_items_title"), table_name="dip_items")
    op.drop_table("dip_items")
