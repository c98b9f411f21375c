"""Alembic helpers: each service's history lives in its own schema, with its own version table.

A service's ``migrations/env.py`` calls :func:`run_env`; deployments and ``make up`` call
:func:`upgrade` (or ``python -m hdh_common.migrations <service> upgrade``).
"""

import argparse
import asyncio
import os
from importlib import import_module

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from hdh_common.db import connect_args
from hdh_common.logs import configure_logging
from hdh_common.settings import DEFAULT_DATABASE_URL, DatabaseTlsSettings

VERSION_TABLE = "alembic_version"


def alembic_config(package: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.set_main_option("sqlalchemy.url", database_url)
    config.set_main_option(
        "file_template",
        "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s",
    )
    return config


def upgrade(package: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(package, database_url), revision)


def downgrade(package: str, database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(package, database_url), revision)


def run_env(*, metadata: MetaData, schema: str) -> None:
    """Body of a service's ``env.py``: online migrations inside ``schema`` only."""
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get(
        "HDH_DATABASE_URL", DEFAULT_DATABASE_URL
    )
    asyncio.run(_run_online(url, metadata=metadata, schema=schema))


async def _run_online(url: str, *, metadata: MetaData, schema: str) -> None:
    tls = DatabaseTlsSettings().database_tls()
    engine = create_async_engine(url, connect_args=connect_args(tls=tls))
    try:
        async with engine.begin() as connection:
            await _ensure_schema(connection, schema)
            await connection.execute(sa.text(f'SET search_path TO "{schema}", public'))
            await connection.run_sync(_configure_and_run, metadata=metadata, schema=schema)
    finally:
        await engine.dispose()


async def _ensure_schema(connection: AsyncConnection, schema: str) -> None:
    """Create the schema unless it exists (a deployment may create it for a role that can't)."""
    exists = await connection.scalar(
        sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
    )
    if not exists:
        await connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))


def _configure_and_run(connection: Connection, *, metadata: MetaData, schema: str) -> None:
    def include_name(name: str | None, type_: str, parent_names: object) -> bool:
        return name == schema if type_ == "schema" else True

    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        version_table=VERSION_TABLE,
        include_schemas=True,
        include_name=include_name,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def create_messaging_tables_v1(schema: str) -> None:
    """A service's outbox and inbox, as its first migration creates them. Frozen: never edit."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("payload", sa.dialects.postgresql.JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        schema=schema,
    )
    op.create_index(
        "ix_outbox_unsent",
        "outbox",
        ["id"],
        schema=schema,
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(255), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(255), nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        schema=schema,
    )


def drop_messaging_tables_v1(schema: str) -> None:
    op.drop_table("inbox", schema=schema)
    op.drop_index("ix_outbox_unsent", table_name="outbox", schema=schema)
    op.drop_table("outbox", schema=schema)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run one service's database migrations.")
    parser.add_argument("package", help="the service's package (catalog, access, linkage…)")
    parser.add_argument("action", choices=["upgrade", "downgrade"])
    parser.add_argument("revision", nargs="?")
    args = parser.parse_args()
    configure_logging(f"{args.package}-migrations")
    import_module(args.package)
    url = os.environ.get("HDH_DATABASE_URL", DEFAULT_DATABASE_URL)
    if args.action == "upgrade":
        upgrade(args.package, url, args.revision or "head")
    else:
        downgrade(args.package, url, args.revision or "base")


if __name__ == "__main__":
    main()
