"""Full-text search on PostgreSQL: a tsvector per case with a GIN index, kept by a to-do list.

The same design as SQLite's FTS5 index (ppid/casework/search.py): triggers put every case that
is added, changed, given an event or removed on `case_search_dirty` in the writing transaction;
`refresh_index` rebuilds just those rows. Each row keeps the register number, the register
fields and the OCR text (for `ts_headline` snippets) and their `tsvector`, weighted A, B, C so
a match in the number or the fields outranks one in the OCR text. SQLite keeps its index outside
the migrations (an FTS5 virtual table made on first use): nothing changes there.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (trigger name, table, event, the case id in the changed row)
_TRIGGERS = (
    ("case_search_case_added", "cases", "INSERT", "NEW.id"),
    ("case_search_case_changed", "cases", "UPDATE", "NEW.id"),
    ("case_search_case_removed", "cases", "DELETE", "OLD.id"),
    ("case_search_event_added", "case_events", "INSERT", "NEW.case_id"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """CREATE TABLE case_search (
            case_id integer PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
            number text NOT NULL DEFAULT '',
            fields text NOT NULL DEFAULT '',
            ocr text NOT NULL DEFAULT '',
            document tsvector NOT NULL
        )"""
    )
    op.execute("CREATE INDEX case_search_document ON case_search USING gin (document)")
    op.execute("CREATE TABLE case_search_dirty (case_id integer PRIMARY KEY)")
    for name, table, event, case_id in _TRIGGERS:
        # bandit B608: fixed DDL built from this module's constants; no input reaches it
        op.execute(
            f"""CREATE FUNCTION {name}() RETURNS trigger AS $$
            BEGIN
              INSERT INTO case_search_dirty (case_id) VALUES ({case_id})
              ON CONFLICT DO NOTHING;
              RETURN NULL;
            END $$ LANGUAGE plpgsql"""  # nosec B608
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
    op.execute("INSERT INTO case_search_dirty (case_id) SELECT id FROM cases")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _event, _case_id in _TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(f"DROP FUNCTION {name}()")
    op.execute("DROP TABLE case_search_dirty")
    op.execute("DROP TABLE case_search")
