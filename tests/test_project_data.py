"""A project's own data (issue 18, acceptance 3): a member uploads a cohort file with NIRs,
names and birth dates through the catalogue's upload API; the catalogue validates it, the
linkage service pseudonymises it into the project's domain, and the project space lists it.
A DuckDB join with the project's extract on the project pseudonym finds the persons both
hold; then no clear NIR or name is left in any object of the S3 server nor in any text,
JSON or bytea column of any service's tables. The refusals: other roles, non-members,
removed members, ended grants, another project's grant, a bad schema and a bad file."""

import hashlib
import io
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from minio import Minio
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from catalog.main import create_app as create_catalog
from hdh_common.db import create_sessionmaker
from hdh_common.events import CloudEvent
from hdh_common.readers import ReaderRights
from hdh_dev.broker import TansuBroker
from hdh_dev.processes import free_port
from hdh_dev.s3server import S3Server
from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, eventually, running, serve_http
from linkage.consumers import on_access_event as linkage_access
from linkage.consumers import on_catalog_event as linkage_catalog
from linkage.identifiers.nir import with_key
from linkage.main import create_app as create_linkage
from workspace.consumers import on_access_event as workspace_access
from workspace.main import create_app as create_workspace

ACCESS_KEY, SECRET_KEY = "test-access", "test-secret"
SURNAMES = ["Quobrevaux", "Zilpharet", "Mandrevoux", "Trebouzec", "Vaskeroul", "Plindarec"]
FIRST_NAMES = ["Maryvonnette", "Jeanfrédo", "Camillane", "Louisandre", "Chloéminie", "Hugolain"]
"""Names no other test holds (the scan looks at every object and every table)."""
COHORT = 12
SHARED = 8
"""The cohort's first persons, also in the project's SNDS extract."""
Handler = Callable[[Any, AsyncSession, CloudEvent], Awaitable[None]]


def nirs(count: int) -> list[str]:
    """Valid NIRs (with their key) no other test holds."""
    draw = random.SystemRandom()
    bodies: set[str] = set()
    while len(bodies) < count:
        bodies.add(
            f"{draw.choice('12')}{draw.randint(40, 99):02d}{draw.randint(1, 12):02d}"
            f"{draw.randint(1, 19):02d}{draw.randint(1, 999):03d}{draw.randint(1, 999):03d}"
        )
    return [with_key(body) for body in sorted(bodies)]


@dataclass
class Access:
    """The access service's live rights, as the catalogue, the linkage service and the
    workspace ask them: a grant's project, whether it is active, its members now."""

    url: str = ""
    grants: dict[uuid.UUID, tuple[uuid.UUID, bool]] = field(default_factory=dict)
    members: dict[uuid.UUID, set[str]] = field(default_factory=dict)

    def rights(self, grant_id: uuid.UUID, subject: str) -> ReaderRights:
        project_id, active = self.grants.get(grant_id, (None, False))
        reason = None
        if project_id is None:
            reason = "There is no such grant."
        elif not active:
            reason = "The grant is revoked."
        elif subject not in self.members.get(project_id, set()):
            reason = "Not a member of the project now."
        return ReaderRights(
            grant_id=grant_id,
            project_id=project_id,
            subject=subject,
            allowed=reason is None,
            reason=reason,
        )


@pytest.fixture
async def access() -> AsyncIterator[Access]:
    found = Access()
    app = FastAPI()

    @app.get("/access/grants/{grant_id}/readers/{subject}")
    async def readers(grant_id: uuid.UUID, subject: str) -> ReaderRights:
        return found.rights(grant_id, subject)

    async with serve_http(app) as url:
        found.url = url
        yield found


@dataclass
class Project:
    id: uuid.UUID
    grant_id: uuid.UUID


def project_of(access: Access, *members: str) -> Project:
    project = Project(uuid.uuid4(), uuid.uuid4())
    access.grants[project.grant_id] = (project.id, True)
    access.members[project.id] = set(members)
    return project


def cohort_csv(people: list[str]) -> bytes:
    """The cohort: NIRs in a column whose name says nothing (its values do), names, birth
    dates, and a weight that tells the persons apart."""
    lines = ["identifiant,nom,prenom,date_naissance,poids"]
    for i, nir in enumerate(people):
        surname, first = SURNAMES[i % len(SURNAMES)], FIRST_NAMES[i % len(FIRST_NAMES)]
        lines.append(f"{nir},{surname},{first},19{50 + i}-0{1 + i % 9}-1{i % 9},{60 + i}.5")
    return ("\n".join(lines) + "\n").encode()


SCHEMA = {
    "fields": [
        {"name": "identifiant", "type": "string"},
        {"name": "nom", "type": "string"},
        {"name": "prenom", "type": "string"},
        {"name": "date_naissance", "type": "date"},
        {"name": "poids", "type": "number"},
    ]
}


def snds_extract_table(people: list[str]) -> pa.Table:
    """A beneficiaries' table keyed by NIR, the project's granted dataset."""
    return pa.table(
        {
            "NIR": people,
            "SEXE": ["1" if nir.startswith("1") else "2" for nir in people],
            "MONTANT": [1000.0 + i for i in range(len(people))],
        }
    )


async def in_transaction(url: str, handler: Handler, event: CloudEvent) -> None:
    engine = create_async_engine(url)
    try:
        async with create_sessionmaker(engine).begin() as session:
            await handler(None, session, event)
    finally:
        await engine.dispose()


async def rows(url: str, query: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(sa.text(query))).all())
    finally:
        await engine.dispose()


def start(project: Project, data: bytes, table_schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "table": "cohort",
        "grant_id": str(project.grant_id),
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "table_schema": table_schema,
    }


async def upload(
    catalog: httpx.AsyncClient,
    headers: dict[str, str],
    project: Project,
    data: bytes,
    *,
    table_schema: dict[str, Any] = SCHEMA,
) -> httpx.Response:
    """Start, send in two parts, complete: the last answer."""
    base = f"/catalog/projects/{project.id}/uploads"
    started = await catalog.post(base, json=start(project, data, table_schema), headers=headers)
    if started.status_code != 201:
        return started
    upload_id = started.json()["id"]
    half = len(data) // 2
    for number, part in ((1, data[:half]), (2, data[half:])):
        sha = {"X-Part-SHA256": hashlib.sha256(part).hexdigest()}
        sent = await catalog.put(
            f"{base}/{upload_id}/parts/{number}", content=part, headers=headers | sha
        )
        if sent.status_code != 200:
            return sent
    return await catalog.post(f"{base}/{upload_id}/complete", headers=headers)


def grant_event(project: Project, members: list[str], dataset_id: uuid.UUID) -> CloudEvent:
    data = {
        "grant_id": str(project.grant_id),
        "request_id": str(uuid.uuid4()),
        "project_id": str(project.id),
        "datasets": [
            {
                "dataset_id": str(dataset_id),
                "variables": [{"table": "BENEF", "name": n} for n in ("NIR", "SEXE", "MONTANT")],
            }
        ],
        "members": members,
        "expires_on": (date.today() + timedelta(days=30)).isoformat(),
    }
    return CloudEvent(
        source="/access",
        type="hdh.access.grant.issued.v1",
        subject=str(project.id),
        data=data,
        actor="steward",
    )


def s3_client(s3_server: S3Server) -> Minio:
    return Minio(s3_server.endpoint, ACCESS_KEY, SECRET_KEY, secure=False)


def s3_settings(s3_server: S3Server) -> dict[str, Any]:
    return {
        "storage_backend": "s3",
        "s3_endpoint": s3_server.endpoint,
        "s3_access_key": ACCESS_KEY,
        "s3_secret_key": SECRET_KEY,
    }


def read(client: Minio, bucket: str, key: str) -> bytes:
    response = client.get_object(bucket, key)
    try:
        return bytes(response.read())
    finally:
        response.close()
        response.release_conn()


def object_text(content: bytes) -> str:
    """What an object says: a Parquet file's values (its pages are compressed), else its
    bytes."""
    if content.startswith(b"PAR1"):
        return str(pq.read_table(io.BytesIO(content)).to_pylist())
    return content.decode("utf-8", "replace")


def s3_leaks(client: Minio, clear: list[str]) -> list[str]:
    found = []
    for bucket in client.list_buckets():
        for item in client.list_objects(bucket.name, recursive=True):
            text = object_text(read(client, bucket.name, str(item.object_name)))
            found += [f"{bucket.name}/{item.object_name}: {c}" for c in clear if c in text]
    return found


TEXT_TYPES = ("text", "character varying", "character", "jsonb", "json", "bytea", "ARRAY")


async def database_leaks(url: str, clear: list[str]) -> list[str]:
    """Every text, JSON, array or bytea column of every table of every service's schema."""
    columns = await rows(
        url,
        "SELECT table_schema, table_name, column_name, data_type"
        " FROM information_schema.columns c"
        " JOIN information_schema.tables t USING (table_schema, table_name)"
        " WHERE t.table_type = 'BASE TABLE'"
        " AND table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    pattern = "|".join(clear)
    found = []
    scanned = 0
    for schema, table, column, kind in columns:
        if kind not in TEXT_TYPES:
            continue
        value = f"encode(\"{column}\", 'escape')" if kind == "bytea" else f'"{column}"::text'
        query = f'SELECT count(*) FROM "{schema}"."{table}" WHERE {value} ~ \'{pattern}\''
        [(count,)] = await rows(url, query)
        scanned += 1
        if count:
            found.append(f"{schema}.{table}.{column}: {count} rows")
    assert scanned > 50  # every service's tables, not an empty database
    return found


async def test_a_cohort_joins_the_extract_on_the_project_pseudonym_and_no_clear_identifier_stays(
    make_settings: SettingsFactory,
    make_token: TokenFactory,
    own_broker: TansuBroker,
    s3_server: S3Server,
    access: Access,
    clean_database: str,
) -> None:
    people = nirs(COHORT + 4)
    cohort, elsewhere = people[:COHORT], people[COHORT:]
    in_extract = cohort[:SHARED] + elsewhere  # 8 of the cohort, and 4 persons it lacks
    project = project_of(access, "rita")
    wiring = s3_settings(s3_server) | {
        "kafka_bootstrap_servers": own_broker.bootstrap_servers,
        "access_url": access.url,
    }
    store = s3_client(s3_server)
    dataset_id, version_id = uuid.uuid4(), uuid.uuid4()
    landed = f"uploads/{uuid.uuid4()}/data.parquet"
    if not store.bucket_exists("landing"):
        store.make_bucket("landing")
    sink = io.BytesIO()
    pq.write_table(snds_extract_table(in_extract), sink)
    store.put_object("landing", landed, io.BytesIO(sink.getvalue()), len(sink.getvalue()))
    rita = {
        service: bearer(make_token(service, "researcher", sub="rita"))
        for service in ("catalog", "linkage", "workspace")
    }
    linkage_settings = make_settings("linkage", **wiring, linkage_job_poll_interval=0.2)
    async with (
        running(create_linkage(linkage_settings)) as linkage,
        running(create_workspace(make_settings("workspace", **wiring))) as workspace,
        running(create_catalog(make_settings("catalog", **wiring))) as catalog,
    ):
        # The producer's dataset, pseudonymised into central; the grant and its extract.
        version = {
            "dataset_id": str(dataset_id),
            "version_id": str(version_id),
            "table": "BENEF",
            "bucket": "landing",
            "object_key": landed,
            "columns": [
                {"name": "NIR", "identifier": "nir"},
                {"name": "SEXE", "identifier": "sex"},
                {"name": "MONTANT", "identifier": "none"},
            ],
        }
        validated = CloudEvent(
            source="/catalog",
            type="hdh.catalog.version.validated.v1",
            subject=str(dataset_id),
            data=version,
            actor="paul",
        )
        await in_transaction(clean_database, linkage_catalog, validated)

        async def in_central() -> bool:
            found = await rows(clean_database, "SELECT 1 FROM linkage.pseudonymised_version")
            return bool(found)

        await eventually(in_central, within=60)
        # The producer's landing copy is the catalogue's to retain; not this feature's.
        store.remove_object("landing", landed)
        issued = grant_event(project, ["rita"], dataset_id)
        await in_transaction(clean_database, linkage_access, issued)
        await in_transaction(clean_database, workspace_access, issued)

        async def extracted() -> bool:
            return bool(await rows(clean_database, "SELECT 1 FROM linkage.extract_file"))

        await eventually(extracted, within=60)

        # The member's upload of the cohort.
        completed = await upload(catalog, rita["catalog"], project, cohort_csv(cohort))
        assert completed.status_code == 202, completed.text
        answer = completed.json()
        assert (answer["status"], answer["report"]["rows"]) == ("validated", COHORT)
        assert {n["column"]: n["identifier"] for n in answer["report"]["notices"]} == {
            "identifiant": "nir"
        }  # found by its values; the names and the birth date by theirs

        async def status() -> dict[str, Any] | None:
            listed = await linkage.get(
                f"/linkage/projects/{project.id}/data", headers=rita["linkage"]
            )
            items: list[dict[str, Any]] = listed.json()["items"]
            return items[0] if items else None

        async def settled() -> bool:
            found = await status()
            return found is not None and found["status"] != "queued"

        await eventually(settled, within=60)
        loaded = await status()
        assert loaded is not None and (loaded["status"], loaded["rows"]) == ("loaded", COHORT)

        async def listed_in_space() -> bool:
            tables = await workspace.get(
                f"/workspace/projects/{project.id}/tables", headers=rita["workspace"]
            )
            return "cohort" in {t["name"] for t in tables.json().get("items", [])}

        await eventually(listed_in_space, within=60)
        tables = await workspace.get(
            f"/workspace/projects/{project.id}/tables", headers=rita["workspace"]
        )
    space = {t["name"]: t for t in tables.json()["items"]}
    assert {c["name"]: c["kind"] for c in space["cohort"]["columns"]} == {
        "identifiant": "pseudonym",
        "date_naissance_year": "birth_date",
        "poids": "none",
    }  # the names dropped, the birth date down to its year

    # A DuckDB join of the cohort and the extract on the project pseudonym.
    [(extract_key,)] = await rows(clean_database, "SELECT object_key FROM linkage.extract_file")
    [(cohort_key,)] = await rows(clean_database, "SELECT object_key FROM linkage.project_data")
    db = duckdb.connect()
    db.register("extract", pq.read_table(io.BytesIO(read(store, "projects", extract_key))))
    db.register("cohort", pq.read_table(io.BytesIO(read(store, "projects", cohort_key))))
    joined = db.execute(
        "SELECT c.poids, b.MONTANT, c.date_naissance_year FROM cohort c"
        " JOIN extract b ON c.identifiant = b.NIR ORDER BY c.poids"
    ).fetchall()
    assert joined == [(60.5 + i, 1000.0 + i, 1950 + i) for i in range(SHARED)]

    # No clear NIR (with or without its key) nor name anywhere.
    clear = [*people, *(nir[:13] for nir in people), *SURNAMES, *FIRST_NAMES]
    assert s3_leaks(store, clear) == []
    assert await database_leaks(clean_database, clear) == []
    assert not any(
        key.startswith(f"projects/{project.id}/")
        for key in (o.object_name for o in store.list_objects("landing", recursive=True))
    )


@pytest.fixture
async def catalog(
    make_settings: SettingsFactory, s3_server: S3Server, access: Access
) -> AsyncIterator[httpx.AsyncClient]:
    """The catalogue alone, its events kept in its outbox (no broker answers)."""
    settings = make_settings(
        "catalog",
        **s3_settings(s3_server),
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        access_url=access.url,
    )
    async with running(create_catalog(settings)) as client:
        yield client


def landing_keys(s3_server: S3Server, prefix: str) -> list[str]:
    client = s3_client(s3_server)
    if not client.bucket_exists("landing"):
        return []
    return [str(o.object_name) for o in client.list_objects("landing", prefix, recursive=True)]


def problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"/problems/{slug}"


async def test_only_a_member_now_under_a_live_grant_of_the_project_loads_its_data(
    catalog: httpx.AsyncClient, make_token: TokenFactory, access: Access, s3_server: S3Server
) -> None:
    project, other = project_of(access, "rita"), project_of(access, "rita", "nina")
    data = cohort_csv(nirs(3))

    def as_(role: str, sub: str, org: str | None = None) -> dict[str, str]:
        return bearer(make_token("catalog", role, sub=sub, org=org))

    rita = as_("researcher", "rita")
    problem(await upload(catalog, as_("producer", "paul", "aphp"), project, data), 403, "forbidden")
    problem(
        await upload(catalog, as_("partner", "aphp-system", "aphp"), project, data),
        403,
        "forbidden",
    )
    problem(await upload(catalog, as_("researcher", "nina"), project, data), 403, "forbidden")
    problem(await upload(catalog, {}, project, data), 401, "unauthorized")
    # a grant of another project of hers does not open this one
    crossed = Project(project.id, other.grant_id)
    problem(await upload(catalog, rita, crossed, data), 403, "forbidden")
    # her upload is hers: another member neither sees nor completes it
    base = f"/catalog/projects/{other.id}/uploads"
    started = await catalog.post(base, json=start(other, data, SCHEMA), headers=rita)
    assert started.status_code == 201, started.text
    own = f"{base}/{started.json()['id']}"
    problem(await catalog.get(own, headers=as_("researcher", "nina")), 404, "not-found")
    # removed from the project, then the grant revoked: refused at each step, at once
    access.members[other.id].discard("rita")
    problem(await catalog.get(own, headers=rita), 403, "forbidden")
    problem(await catalog.post(f"{own}/complete", headers=rita), 403, "forbidden")
    access.members[other.id].add("rita")
    assert (await catalog.get(own, headers=rita)).status_code == 200
    access.grants[other.grant_id] = (other.id, False)
    problem(
        await catalog.put(
            f"{own}/parts/1",
            content=data,
            headers=rita | {"X-Part-SHA256": hashlib.sha256(data).hexdigest()},
        ),
        403,
        "forbidden",
    )
    problem(await upload(catalog, rita, other, data), 403, "forbidden")
    assert landing_keys(s3_server, f"projects/{project.id}/") == []
    assert landing_keys(s3_server, f"projects/{other.id}/") == []
    assert landing_keys(s3_server, f"uploads/{started.json()['id']}/") == []


async def test_a_bad_schema_is_a_problem_and_a_bad_file_is_rejected_with_nothing_kept(
    catalog: httpx.AsyncClient,
    make_token: TokenFactory,
    access: Access,
    s3_server: S3Server,
    clean_database: str,
) -> None:
    project = project_of(access, "rita")
    rita = bearer(make_token("catalog", "researcher", sub="rita"))
    people = nirs(3)
    data = cohort_csv(people)
    unnamed = {"fields": [{"type": "string"}]}
    twice = {"fields": [{"name": "a", "type": "string"}, {"name": "a", "type": "integer"}]}
    for table_schema in (unnamed, twice):
        refused = await upload(catalog, rita, project, data, table_schema=table_schema)
        problem(refused, 400, "invalid-table-schema")
    wrong = {"fields": [*SCHEMA["fields"][:4], {"name": "poids", "type": "integer"}]}
    rejected = await upload(catalog, rita, project, data, table_schema=wrong)
    assert rejected.status_code == 202, rejected.text
    report = rejected.json()["report"]
    assert rejected.json()["status"] == "rejected" and report["error_count"] == 3
    assert {e["column"] for e in report["errors"]} == {"poids"}
    assert landing_keys(s3_server, f"projects/{project.id}/") == []
    assert landing_keys(s3_server, f"uploads/{rejected.json()['id']}/") == []
    events = await rows(clean_database, "SELECT payload FROM catalog.outbox ORDER BY created_at")
    [(event,)] = events
    assert event["type"] == "hdh.catalog.project_data.rejected.v1"
    assert (event["data"]["outcome"], event["data"]["object_key"]) == ("failure", None)
    everything = rejected.text + str(event)
    assert not [nir for nir in people if nir in everything or nir[:13] in everything]
