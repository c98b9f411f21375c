"""First start seeds an empty catalogue; a folder of Table Schemas imports like the API."""

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from catalog.main import create_app
from catalog.seed import seed_if_empty
from hdh_common.db import create_engine, create_sessionmaker
from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, eventually, running


async def drained(database_url: str) -> None:
    """Wait for the relay to publish the seed's events: a relay cancelled while it connects to
    the broker can outlast the test client's 5 s shutdown timeout."""
    engine = create_async_engine(database_url)

    async def all_sent() -> bool:
        async with engine.connect() as connection:
            pending = await connection.scalar(
                sa.text("SELECT count(*) FROM catalog.outbox WHERE sent_at IS NULL")
            )
        return not pending

    try:
        await eventually(all_sent, within=10)
    finally:
        await engine.dispose()


async def seeded(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """The first page of datasets once the background seeding has written one."""
    async with asyncio.timeout(30):
        while True:
            page: dict[str, Any] = (await client.get("/catalog/datasets", headers=headers)).json()
            if page["items"]:
                return page
            await asyncio.sleep(0.1)


async def test_first_start_seeds_a_demo_once(
    make_settings: SettingsFactory, make_token: TokenFactory, tmp_path: Path
) -> None:
    settings = make_settings("catalog", catalog_seed_path=tmp_path / "missing")
    headers = bearer(make_token("catalog", "researcher", sub="researcher-1", org="cnam"))
    async with running(create_app(settings)) as client:
        page = await seeded(client, headers)
        engine = create_engine(settings.database_url, schema="catalog")
        try:
            assert await seed_if_empty(create_sessionmaker(engine), tmp_path) is False
        finally:
            await engine.dispose()
        await drained(settings.database_url)
    assert [d["slug"] for d in page["items"]] == ["demo"]


async def test_a_folder_of_table_schemas_is_seeded(
    make_settings: SettingsFactory, make_token: TokenFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "Registre"
    (folder / "tables").mkdir(parents=True)
    table = {"name": "CAS", "fields": [{"name": "SEX", "type": "integer", "nomenclature": "SX"}]}
    (folder / "tables" / "CAS.json").write_text(json.dumps(table))
    codes = {
        "name": "SX",
        "fields": [{"name": "C", "role": "code"}, {"name": "L", "role": "label"}],
    }
    (folder / "SX.json").write_text(json.dumps(codes))
    (folder / "SX.csv").write_text("C;L\n1;Homme\n2;Femme\n", encoding="utf-8")
    settings = make_settings("catalog", catalog_seed_path=folder)
    headers = bearer(make_token("catalog", "researcher", sub="researcher-1", org="cnam"))
    async with running(create_app(settings)) as client:
        datasets = (await seeded(client, headers))["items"]
        assert [d["slug"] for d in datasets] == ["registre"]
        table_url = f"/catalog/datasets/{datasets[0]['id']}/tables/CAS"
        assert (await client.get(table_url, headers=headers)).status_code == 200
        codes_page = (await client.get("/catalog/nomenclatures/SX/codes", headers=headers)).json()
        assert [c["label"] for c in codes_page["items"]] == ["Homme", "Femme"]
        await drained(settings.database_url)
