from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from catalog.main import create_app
from hdh_dev.broker import TansuBroker
from hdh_dev.testing import (
    SettingsFactory,
    TokenFactory,
    bearer,
    fresh_database,
    running,
    service_settings,
)

from .snds import Snds, nomenclature_package, table_package

SEARCH_CODE_LISTS = {"IR_SEX_V", "IR_CCAM_V63", "IR_CIM_V", "IR_NAT_V", "IR_SPE_V"}


@pytest.fixture
async def client(make_settings: SettingsFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(make_settings("catalog"))) as client:
        yield client


@pytest.fixture(scope="session")
async def snds_database() -> AsyncIterator[str]:
    """A database of its own: the per-test cleaning of the shared one must not empty it."""
    async with fresh_database("hdh_snds", services=["catalog"]) as url:
        yield url


@pytest.fixture(scope="session")
async def snds(
    snds_database: str,
    kafka: TansuBroker,
    token_public_key: str,
    make_token: TokenFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Snds]:
    settings = service_settings(
        "catalog",
        database_url=snds_database,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        internal_token_public_key=token_public_key,
        storage_path=Path(tmp_path_factory.mktemp("snds")) / "objects",
        outbox_poll_interval=0.5,
    )
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    async with running(create_app(settings)) as client:
        dataset = {
            "slug": "snds",
            "title": "Système national des données de santé",
            "publisher": "cnam",
            "themes": ["HEAL"],
            "access_rights": "non_public",
        }
        created = await client.post("/catalog/datasets", json=dataset, headers=staff)
        assert created.status_code == 201, created.text
        dataset_id = created.json()["id"]
        nomenclatures = nomenclature_package(with_codes=SEARCH_CODE_LISTS)
        response = await client.post(
            "/catalog/import/table-schema", json=nomenclatures, headers=staff
        )
        assert response.status_code == 200, response.text
        response = await client.post(
            "/catalog/import/table-schema",
            params={"dataset_id": dataset_id},
            json=table_package(),
            headers=staff,
        )
        assert response.status_code == 200, response.text
        published = await client.post(f"/catalog/datasets/{dataset_id}/publish", headers=staff)
        assert published.status_code == 200, published.text
        yield Snds(client, dataset_id, response.json(), make_token)
