"""Pytest fixtures: real servers started once per session, a database cleaned per test.

PostgreSQL is the machine's at 127.0.0.1:5432 (or ``HDH_TEST_DATABASE_URL``), in a fresh
database per session; the broker is a Tansu process on a free port.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_common import migrations
from hdh_common.identity import (
    InternalTokenSigner,
    Principal,
    Role,
    generate_private_key_pem,
    public_key_pem,
)
from hdh_dev.broker import TansuBroker, start_tansu
from hdh_dev.s3server import S3Server, start_s3_server

SERVICES = ("catalog", "access", "linkage", "audit")
SERVER_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TOKEN_ISSUER = "hdh-gateway"


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A fresh database with every service's migrations applied, dropped at the end."""
    server = sa.make_url(os.environ.get("HDH_TEST_DATABASE_URL", SERVER_URL))
    name = f"hdh_test_{uuid.uuid4().hex[:10]}"
    await _admin(server.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    for service in SERVICES:
        await asyncio.to_thread(migrations.upgrade, service, url)
    yield url
    await _admin(
        server.render_as_string(hide_password=False), f'DROP DATABASE "{name}" WITH (FORCE)'
    )


@pytest.fixture
async def clean_database(database_url: str) -> AsyncIterator[str]:
    """The session database, emptied after the test (tests here commit, e.g. through the outbox)."""
    yield database_url
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            rows = await connection.execute(
                sa.text(
                    "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(:schemas)"
                    " AND tablename <> 'alembic_version'"
                ),
                {"schemas": list(SERVICES)},
            )
            tables = ", ".join(f'"{s}"."{t}"' for s, t in rows)
            if tables:
                # Replica mode silences triggers, such as the audit log's refusal to be truncated.
                await connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
                await connection.execute(sa.text(f"TRUNCATE {tables}"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def kafka() -> Iterator[TansuBroker]:
    broker = start_tansu()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A moto S3 API server, one for the session; tests isolate themselves by bucket."""
    server = start_s3_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def token_private_key() -> str:
    return generate_private_key_pem()


@pytest.fixture(scope="session")
def token_public_key(token_private_key: str) -> str:
    return public_key_pem(token_private_key)


@pytest.fixture(scope="session")
def token_signer(token_private_key: str) -> InternalTokenSigner:
    return InternalTokenSigner(token_private_key, issuer=TOKEN_ISSUER)


TokenFactory = Callable[..., str]


@pytest.fixture(scope="session")
def make_token(token_signer: InternalTokenSigner) -> TokenFactory:
    """``make_token("catalog", "producer", sub="paul", org="aphp")``: an internal token."""

    def make(
        audience: str,
        *roles: str,
        sub: str = "tester",
        org: str | None = None,
        now: float | None = None,
    ) -> str:
        principal = Principal(
            subject=sub, roles=frozenset(Role(r) for r in roles), organisation=org
        )
        return token_signer.sign(principal, audience=audience, now=now)

    return make


def service_settings(service: str, **overrides: Any) -> Any:
    """The settings class of ``service`` (imported lazily), with test overrides."""
    module = __import__(f"{service}.config", fromlist=["Settings"])
    return module.Settings(**overrides)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An app with its lifespan running, and an HTTP client speaking to it over ASGI."""
    # Generous timeouts: on a loaded 2-core machine a consumer still joining its group takes
    # seconds to stop, and the app itself gives its workers up to 5 s.
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


SettingsFactory = Callable[..., Any]


@pytest.fixture
def make_settings(
    clean_database: str, kafka: TansuBroker, token_public_key: str, tmp_path: Any
) -> SettingsFactory:
    """``make_settings("catalog", **overrides)``: a service's settings wired to the test servers."""

    def make(service: str, **overrides: Any) -> Any:
        defaults: dict[str, Any] = {
            "database_url": clean_database,
            "kafka_bootstrap_servers": kafka.bootstrap_servers,
            "internal_token_public_key": token_public_key,
            "storage_path": tmp_path / "objects",
            "outbox_poll_interval": 0.1,
            # dev: keys a service would require in production are generated under tmp_path
            "environment": "dev",
            "audit_signing_key_file": tmp_path / "keys" / "audit-signing.pem",
            "linkage_master_key_path": tmp_path / "keys" / "linkage-master.key",
        }
        return service_settings(service, **(defaults | overrides))

    return make
