"""The typo lexicon never makes one transaction wait for another."""

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from catalog.datasets import service as datasets
from catalog.datasets.schemas import DatasetCreate
from catalog.main import create_app
from hdh_common.identity import Principal, Role
from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, running

STAFF = Principal(subject="sara", roles=frozenset({Role.HUB_STAFF}), organisation="hdh")


async def test_a_long_import_does_not_hold_up_a_registration_sharing_its_words(
    make_settings: SettingsFactory, make_token: TokenFactory, clean_database: str
) -> None:
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    body = {"slug": "zythologie-nationale", "title": "Zythologie nationale", "publisher": "hdh"}
    engine = create_async_engine(clean_database)
    try:
        async with running(create_app(make_settings("catalog"))) as client:
            async with AsyncSession(engine) as held, held.begin():
                # an import in progress (the first-start seed takes minutes) with new words
                await datasets.register(
                    held,
                    STAFF,
                    DatasetCreate(slug="zythologie", title="Zythologie régionale", publisher="hdh"),
                )
                response = await asyncio.wait_for(
                    client.post("/catalog/datasets", json=body, headers=staff), timeout=20
                )
                assert response.status_code == 201, response.text
                await held.rollback()
            found = await client.get(
                "/catalog/search", params={"q": "zytologie"}, headers=staff
            )  # a typo: corrected through the lexicon
            assert [i["label"] for i in found.json()["items"]][:1] == ["Zythologie nationale"]
    finally:
        await engine.dispose()
