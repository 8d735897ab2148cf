"""Alembic environment: migrate the connection `ppid.core.db.migrate` passes, or the settings'
URL."""

from __future__ import annotations

from alembic import context

from ppid.core.db import is_model_table, make_engine, model_metadata
from ppid.core.settings import load_settings

config = context.config
target_metadata = model_metadata()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=is_model_table,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the caller's connection (`ppid.core.db.migrate`); from the alembic CLI, the settings'
    URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or load_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
