"""Async SQLAlchemy bound to one service's own schema, and the request-scoped session."""

import ssl
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from hdh_common.state import service_state

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def schema_metadata(schema: str) -> MetaData:
    """Metadata whose tables all live in ``schema``, with the project's naming convention."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def connect_args(*, schema: str | None = None, tls: ssl.SSLContext | None = None) -> dict[str, Any]:
    """asyncpg's connection arguments (TLS by ``tls`` when given)."""
    args: dict[str, Any] = {} if tls is None else {"ssl": tls}
    if schema is not None:
        args["server_settings"] = {"search_path": f"{schema},public"}
    return args


def create_engine(
    url: str, *, schema: str, pool_size: int = 5, tls: ssl.SSLContext | None = None
) -> AsyncEngine:
    """An engine whose connections see only ``schema`` (and ``public`` for extensions), over
    ``tls`` when given."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        pool_pre_ping=True,
        connect_args=connect_args(schema=schema, tls=tls),
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One request, one transaction: committed when the route returns, rolled back if it raises."""
    state = service_state(request)
    async with state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
    state.outbox_relay.nudge()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
