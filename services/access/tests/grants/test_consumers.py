"""``hdh.linkage.extract.completed.v1`` through the real broker moves a request to active."""

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from hdh_common.events import CloudEvent
from hdh_common.kafka import ensure_topics
from hdh_dev.broker import TansuBroker
from hdh_dev.testing import eventually


@pytest.fixture
def settings_overrides(kafka: TansuBroker) -> dict[str, Any]:
    return {"kafka_bootstrap_servers": kafka.bootstrap_servers}


async def test_extract_completed_activates_the_request(hub, kafka: TansuBroker) -> None:
    request = await hub.draft()
    await hub.drive_to(request["id"], "data_preparation")
    event = CloudEvent(
        source="/linkage",
        type="hdh.linkage.extract.completed.v1",
        subject=str(uuid.uuid4()),
        data={"request_id": request["id"], "extract_id": "e-1"},
    )
    await ensure_topics(kafka.bootstrap_servers, ["hdh.linkage"])
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()
    try:
        for _ in range(2):  # delivered twice: applied once
            await producer.send_and_wait("hdh.linkage", event.to_json(), key=request["id"].encode())
    finally:
        await producer.stop()

    async def activated() -> bool:
        return bool((await hub.get(request["id"]))["state"] == "active")

    await eventually(activated, within=45)
    async with hub.engine.connect() as connection:
        issued = await connection.scalar(
            sa.text(
                "SELECT count(*) FROM access.outbox"
                " WHERE payload->>'type' = 'hdh.access.grant.issued.v1'"
            )
        )
    assert issued == 1
    history = await hub.client.get(
        f"/access/requests/{request['id']}/transitions", headers=hub.as_("auditor")
    )
    assert history.json()["items"][-1]["actor"] == "hdh-linkage"


async def test_a_failed_extract_reaches_the_applicant_and_staff_retry(
    hub, kafka: TansuBroker
) -> None:
    request = await hub.draft()
    await hub.drive_to(request["id"], "data_preparation")
    failed = CloudEvent(
        source="/linkage",
        type="hdh.linkage.extract.failed.v1",
        subject=str(uuid.uuid4()),
        data={"request_id": request["id"], "reason": "table IR_BEN_R: column NIR holds NIRs"},
    )
    completed = CloudEvent(
        source="/linkage",
        type="hdh.linkage.extract.completed.v1",
        subject=str(uuid.uuid4()),
        data={"request_id": request["id"]},
    )
    await ensure_topics(kafka.bootstrap_servers, ["hdh.linkage"])
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait("hdh.linkage", failed.to_json(), key=request["id"].encode())

        async def in_state(state: str) -> bool:
            return bool((await hub.get(request["id"]))["state"] == state)

        await eventually(lambda: in_state("preparation_failed"), within=45)
        history = await hub.client.get(
            f"/access/requests/{request['id']}/transitions", headers=hub.as_("researcher", "alice")
        )
        last = history.json()["items"][-1]  # the applicant reads why
        assert last["actor"] == "hdh-linkage" and "column NIR holds NIRs" in last["reason"]

        refused = await hub.act(request["id"], "retry_preparation", "researcher", "alice")
        assert refused.status_code == 403  # staff retry
        retried = await hub.ok(request["id"], "retry_preparation", "hub_staff")
        assert retried["state"] == "data_preparation"
        await producer.send_and_wait("hdh.linkage", completed.to_json(), key=request["id"].encode())
        await eventually(lambda: in_state("active"), within=45)
    finally:
        await producer.stop()
    async with hub.engine.connect() as connection:
        issued = await connection.scalar(
            sa.text(
                "SELECT count(*) FROM access.outbox"
                " WHERE payload->>'type' = 'hdh.access.grant.issued.v1'"
            )
        )
    assert issued == 2  # the grant announced again: its extract is built again
