"""The scheduled sweep expires grants past their expiry date, without anyone calling."""

from typing import Any

import pytest
import sqlalchemy as sa

from hdh_dev.testing import eventually


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"grant_sweep_interval": 0.2}


async def test_background_sweep_expires_grants(hub) -> None:
    request = await hub.draft()
    await hub.drive_to(request["id"], "active")
    async with hub.engine.begin() as connection:
        await connection.execute(
            sa.text("UPDATE access.grant SET expires_on = DATE '2020-01-01' WHERE request_id = :r"),
            {"r": request["id"]},
        )

    async def swept() -> bool:
        grants = await hub.client.get("/access/grants", headers=hub.as_("researcher", "alice"))
        return bool(grants.json()["items"][0]["status"] == "expired")

    await eventually(swept, within=10)
    [entry] = (await hub.client.get("/access/register")).json()["items"]
    assert entry["status"] == "expired"
