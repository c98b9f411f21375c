from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)

from audit.config import Settings
from audit.main import create_app
from hdh_common.db import create_sessionmaker
from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, eventually, running

from .heads import SignedHead

AuditSettings = Callable[..., Settings]
Headers = Callable[..., dict[str, str]]


@pytest.fixture
def audit_settings(make_settings: SettingsFactory, tmp_path: Path) -> AuditSettings:
    def make(**overrides: Any) -> Settings:
        defaults: dict[str, Any] = {
            "environment": "dev",
            "audit_signing_key_file": tmp_path / "keys" / "audit-signing.pem",
            "audit_ingest_enabled": False,
            # heads follow the log closely, so that tests wait little for one
            "audit_tree_head_interval": 0.1,
        }
        settings: Settings = make_settings("audit", **(defaults | overrides))
        return settings

    return make


HEAD_TIMEOUT = 20.0


@pytest.fixture
async def client(audit_settings: AuditSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(audit_settings())) as client:
        yield client


@pytest.fixture
def as_role(make_token: TokenFactory) -> Headers:
    """``as_role("auditor")``: headers carrying an internal token for the audit service."""

    def headers(*roles: str, sub: str = "tester") -> dict[str, str]:
        return bearer(make_token("audit", *roles, sub=sub))

    return headers


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


Draft = Callable[..., dict[str, Any]]


@pytest.fixture
def draft() -> Draft:
    """``draft(3, outcome="denied")``: an append payload (the actor is the caller's token)."""
    return make_draft


def make_draft(number: int, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"evt-{number}",
        "action": fields.pop("action", "hdh.access.grant.issued.v1"),
        "resource_type": "grant",
        "resource_id": f"grant-{number}",
        "project": fields.pop("project", f"project-{number % 2}"),
        "outcome": fields.pop("outcome", "success"),
        "payload": {"number": number, "ratio": number / 7, "nested": {"é": [1, 2.5, None]}},
        **fields,
    }


@pytest.fixture
def signed_head(as_role: Headers) -> SignedHead:
    """``await signed_head(client, size=3)``: the latest head once it covers ``size`` entries
    (and is signed by another key than ``not_key``), as the signer's cadence produces it."""

    async def wait(
        client: httpx.AsyncClient, *, size: int, not_key: str | None = None
    ) -> dict[str, Any]:
        heads: list[dict[str, Any]] = []

        async def covered() -> bool:
            response = await client.get("/audit/tree-head", headers=as_role("auditor"))
            heads.append(response.json())
            return bool(heads[-1]["tree_size"] >= size and heads[-1]["key_id"] != not_key)

        await eventually(covered, within=HEAD_TIMEOUT, interval=0.05)
        return heads[-1]

    return wait
