"""Initial schema: cases, documents, append-only events, tasks, register counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 20:57:38.945430
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_due", sa.Date(), nullable=True),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("applicant_nik", sa.String(length=16), nullable=True),
        sa.Column("applicant_address", sa.Text(), nullable=True),
        sa.Column("applicant_occupation", sa.String(length=200), nullable=True),
        sa.Column("applicant_phone", sa.String(length=40), nullable=True),
        sa.Column("applicant_email", sa.String(length=254), nullable=True),
        sa.Column("proxy_name", sa.String(length=200), nullable=True),
        sa.Column("proxy_address", sa.Text(), nullable=True),
        sa.Column("proxy_phone", sa.String(length=40), nullable=True),
        sa.Column("request_number", sa.String(length=100), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("information_requested", sa.Text(), nullable=True),
        sa.Column("reasons", sa.String(length=7), nullable=False),
        sa.Column("case_description", sa.Text(), nullable=True),
        sa.Column("response_date", sa.Date(), nullable=True),
        sa.Column("signed_place", sa.String(length=100), nullable=True),
        sa.Column("signed_date", sa.Date(), nullable=True),
        sa.Column("possible_duplicate", sa.Boolean(), nullable=False),
        sa.Column("decision", sa.String(length=40), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("answer_letter_number", sa.String(length=100), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("atasan_name", sa.String(length=200), nullable=True),
        sa.Column("atasan_position", sa.String(length=200), nullable=True),
        sa.Column("applicant_response", sa.Text(), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_cases_number")),
        sa.UniqueConstraint("year", "seq", name=op.f("uq_cases_year_seq")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_applicant_nik"), ["applicant_nik"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cases_request_number"), ["request_number"], unique=False
        )

    op.create_table(
        "register_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_register_counters")),
    )
    op.create_table(
        "case_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=True),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_documents_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_documents")),
    )
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_documents_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_documents_sha256"), ["sha256"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("decision", sa.String(length=50), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=50), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.Column("decision", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_tasks_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_tasks_role_status_due", ["role", "status", "due"], unique=False)

    _create_append_only_guard()


# The history may not be edited; an event may be deleted only once its case is gone, which is how
# the retention purge removes it (ON DELETE CASCADE runs after the case row is deleted).
_REFUSE_UPDATE = "case_events is append-only: record a new event instead of changing one"
_REFUSE_DELETE = "case_events is append-only: events leave only with their case"


def _create_append_only_guard() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSE_UPDATE}'); END"
        )
        # bandit B608: fixed DDL built from this module's constants; no input reaches it
        op.execute(
            "CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events "  # nosec B608
            "WHEN EXISTS (SELECT 1 FROM cases WHERE cases.id = OLD.case_id) "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSE_DELETE}'); END"
        )
    elif op.get_bind().dialect.name == "postgresql":
        # bandit B608: fixed DDL built from this module's constants; no input reaches it
        op.execute(
            f"""CREATE FUNCTION case_events_append_only() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'UPDATE' THEN
                RAISE EXCEPTION '{_REFUSE_UPDATE}';
              END IF;
              IF EXISTS (SELECT 1 FROM cases WHERE cases.id = OLD.case_id) THEN
                RAISE EXCEPTION '{_REFUSE_DELETE}';
              END IF;
              RETURN OLD;
            END $$ LANGUAGE plpgsql"""  # nosec B608
        )
        op.execute(
            "CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events "
            "FOR EACH ROW EXECUTE FUNCTION case_events_append_only()"
        )


def _drop_append_only_guard() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS case_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS case_events_no_delete")
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS case_events_append_only ON case_events")
        op.execute("DROP FUNCTION IF EXISTS case_events_append_only()")


def downgrade() -> None:
    _drop_append_only_guard()
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_role_status_due")
        batch_op.drop_index(batch_op.f("ix_tasks_case_id"))

    op.drop_table("tasks")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_case_id"))

    op.drop_table("case_events")
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_documents_sha256"))
        batch_op.drop_index(batch_op.f("ix_case_documents_case_id"))

    op.drop_table("case_documents")
    op.drop_table("register_counters")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_request_number"))
        batch_op.drop_index(batch_op.f("ix_cases_applicant_nik"))

    op.drop_table("cases")
