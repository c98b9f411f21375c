import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from catalog.main import create_app
from hdh_common import migrations
from hdh_dev.broker import TansuBroker
from hdh_dev.testing import (
    SERVER_URL,
    SettingsFactory,
    TokenFactory,
    admin,
    running,
    service_settings,
)

from .snds import nomenclature_package, table_package

SEARCH_CODE_LISTS = {"IR_SEX_V", "IR_CCAM_V63", "IR_CIM_V", "IR_NAT_V", "IR_SPE_V"}


@pytest.fixture
async def client(make_settings: SettingsFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(make_settings("catalog"))) as client:
        yield client


def bearer(make_token: TokenFactory, role: str, *, org: str | None = "cnam") -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token('catalog', role, sub=f'{role}-1', org=org)}"}


@dataclass(frozen=True)
class Snds:
    """A catalogue holding the whole SNDS dictionary, imported once per session."""

    client: httpx.AsyncClient
    dataset_id: str
    first_report: dict[str, object]
    make_token: TokenFactory

    @property
    def staff(self) -> dict[str, str]:
        """A hub staff token minted now: internal tokens live at most a minute, the session
        much longer."""
        return bearer(self.make_token, "hub_staff", org="hdh")


@pytest.fixture(scope="session")
async def snds_database() -> AsyncIterator[str]:
    """A database of its own: the per-test cleaning of the shared one must not empty it."""
    import os

    server = sa.make_url(os.environ.get("HDH_TEST_DATABASE_URL", SERVER_URL))
    server_url = server.render_as_string(hide_password=False)
    name = f"hdh_snds_{uuid.uuid4().hex[:10]}"
    await admin(server_url, f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(migrations.upgrade, "catalog", url)
    yield url
    await admin(server_url, f'DROP DATABASE "{name}" WITH (FORCE)')


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
    staff = bearer(make_token, "hub_staff", org="hdh")
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
        yield Snds(client, dataset_id, response.json(), make_token)
