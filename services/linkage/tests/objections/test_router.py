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
    assert len(listed.json()["items"]) == 1
    engine = create_async_engine(clean_database)
    async with engine.connect() as connection:
        row = (await connection.execute(sa.text("SELECT * FROM linkage.objection"))).one()
        events = list(await connection.scalars(sa.text("SELECT payload FROM linkage.outbox")))
    await engine.dispose()
    stored = " ".join(str(v) for v in row)
    recorded = {"objection_id": first.json()["id"], "key_version": 1}
    assert [(e["type"], e["data"]) for e in events] == [
        ("hdh.linkage.objection.recorded.v1", recorded)
    ] * 2
    for text in (first.text, invalid.text, listed.text, stored, str(events)):
        assert VALID_NIRS[0] not in text and INVALID_NIRS[0] not in text
        assert base64.b64encode(VALID_NIRS[0].encode()).decode() not in text


async def test_the_register_pages_oldest_first(
    linkage_settings: SettingsFactory, make_token: TokenFactory, clean_database: str
) -> None:
    staff = bearer(make_token("linkage", "hub_staff"))
    async with running(create_app(linkage_settings())) as client:
        recorded = [
            (
                await client.post("/linkage/objections", json={"identifier": nir}, headers=staff)
            ).json()["id"]
            for nir in VALID_NIRS[:3]
        ]
        first = (await client.get("/linkage/objections", params={"limit": 2}, headers=staff)).json()
        params = {"limit": 2, "cursor": first["next_cursor"]}
        rest = (await client.get("/linkage/objections", params=params, headers=staff)).json()
    assert [o["id"] for o in first["items"] + rest["items"]] == recorded
    assert rest["next_cursor"] is None
