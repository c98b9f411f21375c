"""The public register through the gateway: read and searched without a login, its
refusals as problems; nothing else of the route is public."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from access.main import create_app as create_access
from access.register.search import searchable
from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as create_gateway
from hdh_dev.processes import free_port
from hdh_dev.testing import SettingsFactory, serve_http

PROJECT, REQUEST = uuid.uuid4(), uuid.uuid4()
PUBLISHED = [
    f"""INSERT INTO access.project (id, title, summary, lay_summary, purpose, public_interest,
        organisation, funding, version, created_by)
        VALUES ('{PROJECT}', 'Pollution et diabète', 's', 'L''air et le diabète.', 'p', 'i',
        'inserm', '', 1, 'alice')""",
    f"""INSERT INTO access.access_request (id, project_id, state, version, legal_basis,
        period_start, period_end, expected_duration_months, linkage, filed_by)
        VALUES ('{REQUEST}', '{PROJECT}', 'authorised', 6, 'cnil_authorisation', '2015-01-01',
        '2020-12-31', 24, '[]', 'alice')""",
]
LINE = f"""INSERT INTO access.register_entry (request_id, project_title, lay_summary, organisation,
        purpose, datasets, legal_basis, status, decided_on, published_at, updated_at,
        outputs_released, search_text)
        VALUES ('{REQUEST}', 'Pollution et diabète', 'L''air et le diabète.', 'inserm', 'p',
        '[]', 'CNIL authorisation', 'authorised', '2026-02-02', now(), now(), 0, :search)"""
SEARCH = {"search": searchable(["Pollution et diabète", "L'air et le diabète.", "inserm"])}


@pytest.fixture
async def gateway(
    make_settings: SettingsFactory, token_private_key: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway (dev issuer on) in front of the access service, both over HTTP."""
    access_settings = make_settings("access", kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")
    engine = create_async_engine(access_settings.database_url)
    async with engine.begin() as connection:
        for statement in PUBLISHED:
            await connection.execute(sa.text(statement))
        await connection.execute(sa.text(LINE), SEARCH)
    await engine.dispose()
    port = free_port()
    closed = f"http://127.0.0.1:{free_port()}"
    async with serve_http(create_access(access_settings)) as access_url:
        settings = GatewaySettings(
            environment="dev",
            dev_issuer=True,
            public_url=f"http://127.0.0.1:{port}",
            dev_issuer_key_dir=tmp_path / "idp",
            request_log_spool_dir=tmp_path / "spool",
            internal_token_private_key=token_private_key,
            kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
            access_url=access_url,
            **{f"{name}_url": closed for name in ("catalog", "linkage", "audit", "workspace")},
        )
        async with (
            serve_http(create_gateway(settings), port=port) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            yield client


async def test_the_register_is_public_through_the_gateway(gateway: httpx.AsyncClient) -> None:
    searched = await gateway.get("/access/register", params={"q": "diabete", "year": 2026})
    assert searched.status_code == 200, searched.text
    [entry] = searched.json()["items"]
    assert (entry["request_id"], entry["lay_summary"]) == (str(REQUEST), "L'air et le diabète.")
    none = await gateway.get("/access/register", params={"organisation": "aphp"})
    assert (none.status_code, none.json()["items"]) == (200, [])

    bad = await gateway.get("/access/register", params={"dataset": "not-a-uuid"})
    assert (bad.status_code, bad.headers["content-type"]) == (422, "application/problem+json")
    assert bad.json()["type"] == "/problems/validation-error"

    written = await gateway.post("/access/register", json={})
    assert written.status_code == 401
    assert written.headers["content-type"] == "application/problem+json"
