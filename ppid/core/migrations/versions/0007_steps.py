"""Case steps as flow runs, the disposition sheet, waiting for signed copies.

No schema change: the flow run and the awaited letter live in the history events' JSON data,
the "signed" step in `tasks.step`, the disposition sheet's numbers in `letter_counters`.
Kept so the revision chain 0006 → 0007 → 0008 holds.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
