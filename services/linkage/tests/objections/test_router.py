import base64

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, running
from linkage.main import create_app

from ..support import INVALID_NIRS, VALID_NIRS


@pytest.mark.parametrize("role", ["researcher", "producer", "auditor"])
async def test_only_hub_staff_record_objections(
    linkage_settings: SettingsFactory, make_token: TokenFactory, role: str
) -> None:
    async with running(create_app(linkage_settings())) as client:
        response = await client.post(
            "/linkage/objections",
            json={"identifier": VALID_NIRS[0]},
            headers=bearer(make_token("linkage", role)),
        )
    assert response.status_code == 403


async def test_objections_keep_no_identifier_and_refuse_invalid_ones(
    linkage_settings: SettingsFactory, make_token: TokenFactory, clean_database: str
) -> None:
    staff = bearer(make_token("linkage", "hub_staff"))
    async with running(create_app(linkage_settings())) as client:
        first = await client.post(
            "/linkage/objections", json={"identifier": VALID_NIRS[0]}, headers=staff
        )
        again = await client.post(
            "/linkage/objections", json={"identifier": f" {VALID_NIRS[0]} "}, headers=staff
        )
        invalid = await client.post(
            "/linkage/objections", json={"identifier": INVALID_NIRS[0]}, headers=staff
        )
        listed = await client.get("/linkage/objections", headers=staff)
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert invalid.status_code == 400
    assert invalid.json()["type"] == "/problems/invalid-identifier"
    assert len(listed.json()) == 1
    engine = create_async_engine(clean_database)
    async with engine.connect() as connection:
        row = (await connection.execute(sa.text("SELECT * FROM linkage.objection"))).one()
    await engine.dispose()
    stored = " ".join(str(v) for v in row)
    for text in (first.text, invalid.text, listed.text, stored):
        assert VALID_NIRS[0] not in text and INVALID_NIRS[0] not in text
        assert base64.b64encode(VALID_NIRS[0].encode()).decode() not in text
