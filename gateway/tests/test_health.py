from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from catalog.main import create_app as create_catalog
from gateway.config import Settings
from gateway.main import create_app
from hdh_dev.processes import free_port
from hdh_dev.testing import SettingsFactory, running, serve_http


@pytest.fixture
async def catalog_url(make_settings: SettingsFactory) -> AsyncIterator[str]:
    """The catalogue served over real HTTP on a free port."""
    async with serve_http(create_catalog(make_settings("catalog"))) as url:
        yield url


async def test_liveness(tmp_path: Path) -> None:
    async with running(create_app(Settings(request_log_spool_dir=tmp_path))) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_readiness_names_each_service_and_stays_ready(
    catalog_url: str, tmp_path: Path
) -> None:
    """Services down do not pull the gateway out of the ingress: it reports them, keeps
    serving the others, and answers 503 problem+json on the routes of those down."""
    closed = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        catalog_url=catalog_url,
        access_url=closed,
        linkage_url=closed,
        audit_url=closed,
        workspace_url=closed,
        request_log_spool_dir=tmp_path,
    )
    async with running(create_app(settings)) as client:
        response = await client.get("/readyz")
        down = await client.get("/access/register")
        up = await client.get("/catalog/datasets")
    assert down.status_code == 503
    assert down.headers["content-type"] == "application/problem+json"
    assert down.json()["service"] == "access"
    assert up.status_code == 401
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["services"] == {
        "catalog": "ready",
        "access": "unreachable",
        "linkage": "unreachable",
        "audit": "unreachable",
        "workspace": "unreachable",
    }


async def test_ready_when_every_service_is(catalog_url: str, tmp_path: Path) -> None:
    settings = Settings(
        catalog_url=catalog_url,
        access_url=catalog_url,
        linkage_url=catalog_url,
        audit_url=catalog_url,
        workspace_url=catalog_url,
        request_log_spool_dir=tmp_path,
    )
    async with running(create_app(settings)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert set(response.json()["services"].values()) == {"ready"}
