"""The register follows the project: its start and planned end when the extract is ready,
the outputs the airlock releases (``hdh.workspace.output.released.v1`` through the real
broker), its close."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from access.calendar.legal_clock import legal_day
from hdh_common.events import CloudEvent
from hdh_common.kafka import ensure_topics
from hdh_dev.broker import TansuBroker
from hdh_dev.testing import eventually

from .test_register import authorised, register, snds_dataset


@pytest.fixture
def settings_overrides(kafka: TansuBroker) -> dict[str, Any]:
    return {"kafka_bootstrap_servers": kafka.bootstrap_servers}


async def test_the_line_follows_the_project_and_the_airlock(hub, kafka: TansuBroker) -> None:
    dataset_id = await snds_dataset(hub, "SNDS — PMSI")
    rid = await authorised(
        hub, title="t", lay_summary="l", org="inserm", dataset_id=dataset_id, target="active"
    )
    [grant] = (await hub.client.get("/access/grants", headers=hub.as_("hub_staff"))).json()["items"]
    [entry] = (await register(hub))["items"]
    today = legal_day(hub.clock.instant).isoformat()
    assert (entry["status"], entry["started_on"]) == ("active", today)
    assert entry["ends_on"] == grant["expires_on"] > today

    released_at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    await airlock_releases(hub, kafka, grant["project_id"], released_at)

    async def counted() -> bool:
        return bool((await register(hub))["items"][0]["outputs_released"] == 1)

    await eventually(counted, within=45)

    hub.clock.instant += timedelta(days=3)
    revoked = await hub.client.post(
        f"/access/grants/{grant['id']}/revocation",
        json={"reason": "Data breach."},
        headers=hub.as_("hub_staff"),
    )
    assert revoked.status_code == 200, revoked.text
    [entry] = (await register(hub))["items"]
    assert entry["request_id"] == rid and entry["status"] == "revoked"
    assert entry["closed_on"] == legal_day(hub.clock.instant).isoformat()
    assert entry["started_on"] == today and entry["outputs_released"] == 1
    assert entry["last_output_released_at"] == released_at.isoformat().replace("+00:00", "Z")


async def airlock_releases(hub, kafka: TansuBroker, project_id: str, released_at: datetime) -> None:
    event = CloudEvent(
        source="/workspace",
        type="hdh.workspace.output.released.v1",
        subject=project_id,
        data={
            "project_id": project_id,
            "output_id": str(uuid.uuid4()),
            "released_at": released_at.isoformat(),
        },
    )
    await ensure_topics(kafka.bootstrap_servers, ["hdh.workspace"])
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()
    try:
        for _ in range(2):  # delivered twice: counted once
            await producer.send_and_wait("hdh.workspace", event.to_json(), key=project_id.encode())
    finally:
        await producer.stop()
