"""Intake ledger: received files keyed by content hash, and the submissions they form.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("nik", sa.String(length=16), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_submissions_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("case_id", name=op.f("uq_submissions_case_id")),
    )
    op.create_index(op.f("ix_submissions_group_key"), "submissions", ["group_key"])
    op.create_index(op.f("ix_submissions_nik"), "submissions", ["nik"])
    op.create_table(
        "intake_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("original_name", sa.String(length=300), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("group_key", sa.String(length=300), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extraction", sa.JSON(), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_intake_files_submission_id_submissions"),
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["intake_files.id"],
            name=op.f("fk_intake_files_duplicate_of_id_intake_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_intake_files_sha256")),
    )
    op.create_index(op.f("ix_intake_files_group_key"), "intake_files", ["group_key"])
    op.create_index(op.f("ix_intake_files_submission_id"), "intake_files", ["submission_id"])


def downgrade() -> None:
    op.drop_table("intake_files")
    op.drop_table("submissions")
