"""The lifecycle end to end on the real broker: the service's own consumers open the space,
register the extract's tables and close access, and the relay publishes each change on
``hdh.workspace`` for the audit log."""

import uuid

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from hdh_common.events import CloudEvent
from hdh_dev.testing import AccessRights, SettingsFactory, TokenFactory, bearer, eventually, running
from workspace.main import create_app

from .support import completed, issued


async def publish(bootstrap: str, topic: str, type_: str, data: dict[str, object]) -> None:
    event = CloudEvent(source="/test", type=type_, subject=str(data["project_id"]), data=data)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, event.to_json(), key=(event.subject or "").encode())
    finally:
        await producer.stop()


async def unsent_or_sent(engine: AsyncEngine, type_: str, *, project: uuid.UUID) -> int:
    """Outbox rows of ``type_`` about ``project`` (the session broker also carries other
    tests' access events, which this consumer group may apply too)."""
    query = (
        "SELECT count(*) FROM workspace.outbox"
        " WHERE payload->>'type' = :type AND payload->'data'->>'project_id' = :project"
    )
    async with engine.connect() as connection:
        found = await connection.scalar(sa.text(query), {"type": type_, "project": str(project)})
        return int(found or 0)


async def test_events_open_fill_and_close_the_space(
    workspace_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    access_rights: AccessRights,
) -> None:
    settings = workspace_settings(broker=True, access_url=access_rights.url)
    bootstrap = settings.kafka_bootstrap_servers
    project, grant = uuid.uuid4(), uuid.uuid4()
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    tables = f"/workspace/projects/{project}/tables"
    async with running(create_app(settings)) as client:
        await publish(
            bootstrap, "hdh.access", "hdh.access.grant.issued.v1", issued(project, grant, ["alice"])
        )
        extract = completed(project, grant, "PEOPLE")
        await publish(bootstrap, "hdh.linkage", "hdh.linkage.extract.completed.v1", extract)

        async def listed() -> bool:
            answer = await client.get(tables, headers=alice)
            return answer.status_code == 200 and len(answer.json()["items"]) == 1

        await eventually(listed, within=60)
        ending = {"grant_id": str(grant), "project_id": str(project)}
        await publish(bootstrap, "hdh.access", "hdh.access.grant.revoked.v1", ending)

        async def refused() -> bool:
            answer: httpx.Response = await client.get(tables, headers=alice)
            return answer.status_code == 403

        await eventually(refused, within=60)
    for type_ in ("space.opened", "table.registered", "access.ended"):
        assert await unsent_or_sent(engine, f"hdh.workspace.{type_}.v1", project=project) == 1
