"""The whole journey of `make demo`, against the platform as `make up` starts it.

Issue acceptance: a producer's upload is validated and pseudonymised, a researcher's request
goes through staff, committee, regulator and agreement, the grant produces the extract the
researcher downloads, and the auditor verifies the trail; then the grant expires and the
extract goes with it. Everything goes through the gateway with the demo accounts.
"""

import asyncio
import time
from typing import Any

import asyncpg
import httpx
import sqlalchemy as sa

from hdh_dev.demo import Journey
from hdh_dev.launching import LaunchFactory
from hdh_dev.processes import free_port


def execute(database_url: str, statement: str, *args: Any) -> str:
    url = sa.make_url(database_url)

    async def run() -> str:
        connection = await asyncpg.connect(
            host=url.host, port=url.port, user=url.username, database=url.database
        )
        try:
            return str(await connection.execute(statement, *args))
        finally:
            await connection.close()

    return asyncio.run(run())


def partner_token(gateway: str) -> str:
    response = httpx.post(
        f"{gateway}/idp/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "partner-system",
            "client_secret": "partner-secret",
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_upload_to_audited_extract_then_expiry(launch: LaunchFactory, empty_database: str) -> None:
    launcher = launch(HDH_DATABASE_URL=empty_database, HDH_EMBEDDED_KAFKA_PORT=str(free_port()))
    launcher.wait_ready()
    printed: list[str] = []
    journey = Journey(launcher.gateway, say=printed.append, timeout=90)

    facts = journey.run()

    assert [line.split(":")[0] for line in printed if line.startswith("  ")] == [
        line.split(":")[0] for line in printed if line.startswith("  ok ")
    ]
    assert len([line for line in printed if line.startswith("  ok ")]) == 15
    assert printed[-1] == "journey complete"

    # A year passes (behind the services' back); the nightly sweep, run by a partner system
    # through the gateway, expires the grant; the linkage service removes the extract.
    assert (
        execute(
            empty_database,
            "UPDATE access.grant SET expires_on = current_date - 1 WHERE id = $1",
            facts["grant_id"],
        )
        == "UPDATE 1"
    )
    system = {"Authorization": f"Bearer {partner_token(launcher.gateway)}"}
    swept = httpx.post(f"{launcher.gateway}/access/grants/expiry-sweep", headers=system)
    assert (swept.status_code, swept.json()) == (200, {"expired": 1})
    extracts = f"/linkage/extracts?project={facts['project_id']}"
    deadline = time.monotonic() + 60
    while journey.client.get(extracts, headers=journey.bearer("alice")).status_code != 403:
        assert time.monotonic() < deadline, "the expired grant still opens the extract"
        time.sleep(0.5)
    download = f"/linkage/extracts/{facts['extract']['id']}/download"
    assert journey.client.get(download, headers=journey.bearer("alice")).status_code == 404
    register = journey.client.get("/access/register", params={"limit": 100}).json()["items"]
    assert {e["request_id"]: e["status"] for e in register}[facts["request_id"]] == "expired"
    assert launcher.interrupt() == 0, launcher.output.read_text()
