"""The event-driven path end to end, on the real broker, database and object store."""

import io
import json
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pyarrow.parquet as pq
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from hdh_common.events import CloudEvent
from hdh_common.storage import ObjectStore, create_object_store
from hdh_dev.testing import AccessRights, SettingsFactory, TokenFactory, bearer, eventually, running
from linkage.main import create_app

from .support import (
    CLEAR_VALUES,
    PEOPLE_COLUMNS,
    VALID_NIRS,
    Captured,
    parquet_bytes,
    people_table,
)


async def publish(bootstrap: str, topic: str, event: CloudEvent) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, event.to_json(), key=(event.subject or "").encode())
    finally:
        await producer.stop()


def event(type_: str, subject: str, data: dict[str, Any]) -> CloudEvent:
    return CloudEvent(source="/test", type=type_, subject=subject, data=data, actor="tester")


async def count(engine: AsyncEngine, query: str) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(sa.text(query)) or 0)


async def outbox_types(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.scalars(sa.text("SELECT payload FROM linkage.outbox ORDER BY id"))
        return [row["type"] for row in rows]


async def land(store: ObjectStore, data: bytes) -> str:
    async def chunks() -> Any:
        yield data

    key = f"uploads/{uuid.uuid4()}.parquet"
    await store.ensure_bucket("landing")
    await store.put("landing", key, chunks())
    return key


def granted(*names: str) -> list[dict[str, str]]:
    return [{"table": "PEOPLE", "name": name} for name in names]


def read(response: httpx.Response) -> dict[str, list[Any]]:
    return pq.read_table(io.BytesIO(response.content)).to_pydict()


async def test_validated_version_to_granted_extract_to_revocation(
    linkage_settings: SettingsFactory,
    make_token: TokenFactory,
    clean_database: str,
    captured_logs: Captured,
    access_rights: AccessRights,
) -> None:
    settings = linkage_settings(broker=True, access_url=access_rights.url)
    bootstrap = settings.kafka_bootstrap_servers
    store = create_object_store(settings)
    engine = create_async_engine(clean_database)
    datasets = [uuid.uuid4(), uuid.uuid4()]
    tables = [people_table(), people_table().slice(0, 5)]
    project, other_project = uuid.uuid4(), uuid.uuid4()
    rita = bearer(make_token("linkage", "researcher", sub="rita"))
    bob = bearer(make_token("linkage", "researcher", sub="bob"))
    staff = bearer(make_token("linkage", "hub_staff", sub="steward"))
    workspace = bearer(make_token("linkage", "system", sub="hdh-workspace"))
    seen: list[str] = []
    async with running(create_app(settings)) as client:
        for dataset, table in zip(datasets, tables, strict=True):
            data = {
                "dataset_id": str(dataset),
                "version_id": str(uuid.uuid4()),
                "table": "PEOPLE",
                "object_key": await land(store, parquet_bytes(table)),
                "columns": PEOPLE_COLUMNS,
            }
            validated = event("hdh.catalog.version.validated.v1", data["version_id"], data)
            await publish(bootstrap, "hdh.catalog", validated)

        async def pseudonymised() -> bool:
            return await count(engine, "SELECT count(*) FROM linkage.pseudonymised_version") == 2

        await eventually(pseudonymised, within=60)

        def grant(grant_id: uuid.UUID, project_id: uuid.UUID, member: str) -> CloudEvent:
            data = {
                "grant_id": str(grant_id),
                "project_id": str(project_id),
                "datasets": [
                    {"dataset_id": str(datasets[0]), "variables": granted("NIR", "MONTANT")},
                    {"dataset_id": str(datasets[1]), "variables": granted("NIR", "ACTE", "NOM")},
                ],
                "members": [member],
                "request_id": str(uuid.uuid4()),
                "period_start": "2020-01-01",
                "period_end": "2022-12-31",
                "expires_on": (date.today() + timedelta(days=30)).isoformat(),
            }
            return event("hdh.access.grant.issued.v1", str(grant_id), data)

        objection = {"identifier": VALID_NIRS[1], "kind": "nir"}
        objected = await client.post("/linkage/objections", json=objection, headers=staff)
        assert objected.status_code == 201, objected.text
        seen.append(objected.text)
        grant_id = uuid.uuid4()
        issued = grant(grant_id, project, "rita")
        request_id = issued.data["request_id"]
        await publish(bootstrap, "hdh.access", issued)
        await publish(bootstrap, "hdh.access", issued)  # redelivered: applied once
        await publish(bootstrap, "hdh.access", grant(uuid.uuid4(), other_project, "quentin"))

        async def extracted() -> bool:
            return await count(engine, "SELECT count(*) FROM linkage.extract_file") == 4

        await eventually(extracted, within=60)
        listed = await client.get(f"/linkage/extracts?project={project}", headers=rita)
        assert listed.status_code == 200, listed.text
        files = {f["dataset_id"]: f for f in listed.json()["items"]}
        first, second = files[str(datasets[0])], files[str(datasets[1])]
        assert (first["table"], first["columns"]) == ("PEOPLE", ["NIR", "MONTANT"])
        assert (first["rows"], second["rows"]) == (9, 4)  # the objecting person is left out
        assert second["columns"] == ["NIR", "NOM", "ACTE"] and second["key_version"] == 1
        one = await client.get(f"/linkage/extracts/{first['id']}/download", headers=workspace)
        two = await client.get(f"/linkage/extracts/{second['id']}/download", headers=workspace)
        assert one.status_code == two.status_code == 200
        assert read(one)["NIR"][:4] == read(two)["NIR"]  # one project: same person, same pseudonym
        other = await client.get(f"/linkage/extracts?project={other_project}", headers=staff)
        [other_file] = [f for f in other.json()["items"] if f["dataset_id"] == str(datasets[0])]
        denied = [
            await client.get(f"/linkage/extracts?project={project}", headers=bob),
            await client.get(f"/linkage/extracts/{first['id']}/download", headers=rita),
            await client.get(f"/linkage/extracts/{first['id']}/download", headers=staff),
            await client.get(f"/linkage/extracts/{other_file['id']}/download", headers=rita),
            await client.get(
                f"/linkage/extracts?project={project}",
                headers=bearer(make_token("linkage", "producer", sub="rita")),
            ),
        ]
        assert [r.status_code for r in denied] == [403] * 5
        assert [r.json()["type"].rsplit("/")[-1] for r in denied[1:4]] == [
            "row-level-data-stays-inside"
        ] * 3
        seen += [listed.text, other.text, *[r.text for r in denied], json.dumps(read(two))]
        assert (grant_id, "rita") in access_rights.asked  # each listing asked, live

        # the access service says no (a member removed a moment ago, the event not yet here):
        # the very next request is refused
        access_rights.refused.add("rita")
        refused = await client.get(f"/linkage/extracts?project={project}", headers=rita)
        assert refused.status_code == 403, refused.text
        assert "Not a reader" in refused.json()["detail"]
        access_rights.refused.clear()

        await publish(
            bootstrap,
            "hdh.access",
            event("hdh.access.grant.revoked.v1", str(grant_id), {"grant_id": str(grant_id)}),
        )

        async def removed() -> bool:
            return await count(engine, "SELECT count(*) FROM linkage.extract_file") == 2

        await eventually(removed, within=60)
        after = await client.get(f"/linkage/extracts?project={project}", headers=rita)
        gone = await client.get(f"/linkage/extracts/{first['id']}/download", headers=workspace)
        assert (after.status_code, gone.status_code) == (403, 404)
        assert await store.list("projects", f"{project}/") == []

        closed = event("hdh.access.project.closed.v1", str(project), {"project_id": str(project)})
        await publish(bootstrap, "hdh.access", closed)

        async def destroyed() -> bool:
            query = (
                "SELECT count(*) FROM linkage.domain_key"
                f" WHERE domain = 'project:{project}' AND status = 'destroyed' AND sealed IS NULL"
            )
            return await count(engine, query) == 1

        await eventually(destroyed, within=60)
    types = await outbox_types(engine)
    async with engine.connect() as connection:
        completed = await connection.scalars(
            sa.text(
                "SELECT payload->'data'->>'request_id' FROM linkage.outbox"
                " WHERE payload->>'type' = 'hdh.linkage.extract.completed.v1'"
            )
        )
        assert request_id in list(completed)  # what the access service activates
        described = await connection.scalar(
            sa.text(
                "SELECT payload->'data'->'tables' FROM linkage.outbox"
                " WHERE payload->>'type' = 'hdh.linkage.extract.completed.v1' LIMIT 1"
            )
        )
    # What the project space registers: each table's columns, types, kinds and row count.
    assert [t["table"] for t in described] == ["PEOPLE", "PEOPLE"]
    assert sorted(t["rows"] for t in described) == [4, 9]
    assert {t["bucket"] for t in described} == {"projects"}
    kinds = {c["name"]: (c["type"], c["kind"]) for t in described for c in t["columns"]}
    assert (kinds["NIR"], kinds["ACTE"][1]) == (("string", "pseudonym"), "none")
    assert types.count("hdh.linkage.version.pseudonymised.v1") == 2
    assert types.count("hdh.linkage.extract.completed.v1") == 2  # the duplicate was skipped
    assert types.count("hdh.linkage.extract.downloaded.v1") == 2
    assert "hdh.linkage.extract.removed.v1" in types
    assert "hdh.linkage.domain_key.destroyed.v1" in types
    other_pseudonyms = await client_free_download(store, other_file["id"], engine)
    assert not set(read(one)["NIR"][:4]) & set(other_pseudonyms)  # two projects: unlinkable
    await engine.dispose()
    everything = " ".join([*seen, *captured_logs.lines])
    for clear in CLEAR_VALUES:
        assert clear not in everything


async def client_free_download(store: ObjectStore, file_id: str, engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        key = await connection.scalar(
            sa.text("SELECT object_key FROM linkage.extract_file WHERE id = :id"), {"id": file_id}
        )
    data = b"".join([chunk async for chunk in store.get("projects", key)])
    return list(pq.read_table(io.BytesIO(data)).column("NIR").to_pylist())
