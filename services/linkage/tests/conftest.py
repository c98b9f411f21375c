import asyncio
import base64
import csv
import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from access.grants.schemas import ReaderRights
from hdh_common.db import create_sessionmaker
from hdh_common.events import CloudEvent
from hdh_common.identity import InternalTokenVerifier, Role, public_key_pem
from hdh_dev.processes import free_port
from hdh_dev.s3server import S3Server
from hdh_dev.testing import SettingsFactory, serve_http
from linkage.consumers import on_catalog_event
from linkage.events import VersionValidated
from linkage.identifiers.nir import with_key
from linkage.jobs.repository import ValidatedVersionRepository
from linkage.pseudonyms.hmac import native_kernel
from linkage.state import LinkageState

NO_STATE = cast(LinkageState, None)
"""For handlers that use none of the service's state."""
SNDS = Path("/work/shared/data/snds/synthetic")


def snds_beneficiaries() -> pa.Table:
    """The synthetic SNDS ``IR_BEN_R`` table (national pseudonyms in ``BEN_NIR_PSA``)."""
    with (SNDS / "BENEFICIAIRE" / "IR_BEN_R.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    columns = ["BEN_NIR_PSA", "BEN_SEX_COD", "BEN_NAI_ANN", "BEN_RES_DPT"]
    return pa.table({c: [r[c] for r in rows] for c in columns})


VALID_NIRS = [
    with_key(b)
    for b in ("1841276451089", "2920375123456", "169022A004013", "269022B004016", "1550599001002")
]
INVALID_NIRS = ["184127645108947", "18412764510894", "1841203A4510894"]


def people_table() -> pa.Table:
    """Five valid people (one twice), three invalid NIRs, one missing."""
    nirs = [*VALID_NIRS, VALID_NIRS[0], *INVALID_NIRS, None]
    n = len(nirs)
    return pa.table(
        {
            "NIR": nirs,
            "NOM": ["Dupont", "Martin", "Éloïse", "Léa", "Bernard", "DUPONT", "X", "Y", "Z", "W"],
            "SEXE": ["1", "2", "1", "2", "1", "1", "9", "1", "2", "1"],
            "DATE_NAISSANCE": ["1984-12-03"] * n,
            "ACTE": [f"A{i}" for i in range(n)],
            "MONTANT": [float(i) for i in range(n)],
        }
    )


PEOPLE_COLUMNS = [
    {"name": "NIR", "identifier": "nir"},
    {"name": "NOM", "identifier": "name"},
    {"name": "SEXE", "identifier": "sex"},
    {"name": "DATE_NAISSANCE", "identifier": "birth_date"},
    {"name": "ACTE", "identifier": "none"},
    {"name": "MONTANT", "identifier": "none"},
]
CLEAR_VALUES = [*VALID_NIRS, *INVALID_NIRS, "Dupont", "DUPONT", "Martin", "BERNARD"]


@pytest.fixture(scope="session")
def kernel() -> ModuleType:
    """The C kernel, for tests comparing it with the Python path: they skip where it was not
    built, but fail in CI (``CI=true``), which must build it."""
    native = native_kernel()
    if native is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the C kernel of linkage.pseudonyms was not built")
        pytest.skip("the C kernel is not built here")
    return native


@pytest.fixture
def master_key_b64() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


class Captured(logging.Handler):
    """Every log line of the run, formatted, to scan for clear values."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + repr(record.args))


@pytest.fixture
def captured_logs() -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


ACCESS_KEY, SECRET_KEY = "test-access", "test-secret"


@pytest.fixture
def s3_settings(s3_server: S3Server) -> dict[str, Any]:
    return {
        "storage_backend": "s3",
        "s3_endpoint": s3_server.endpoint,
        "s3_access_key": ACCESS_KEY,
        "s3_secret_key": SECRET_KEY,
    }


@pytest.fixture
def linkage_settings(make_settings: SettingsFactory, master_key_b64: str) -> SettingsFactory:
    """Linkage settings; with no broker unless ``broker=True`` (the consumers then idle)."""

    def make(*, broker: bool = False, **overrides: Any) -> Any:
        if not broker:
            overrides.setdefault("kafka_bootstrap_servers", f"127.0.0.1:{free_port()}")
        return make_settings(
            "linkage",
            linkage_master_key=master_key_b64,
            linkage_job_poll_interval=0.2,
            **overrides,
        )

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class AccessRights:
    """The access service's live-rights answer, as the linkage service meets it over HTTP
    (the whole path, with the real access service, runs in ``tests/security``)."""

    url: str = ""
    refused: set[str] = field(default_factory=set)
    asked: list[tuple[uuid.UUID, str]] = field(default_factory=list)


@pytest.fixture
async def access_rights(
    token_public_key: str, service_private_key: str
) -> AsyncIterator[AccessRights]:
    verifier = InternalTokenVerifier(
        token_public_key,
        issuer="hdh-gateway",
        audience="access",
        service_public_pem=public_key_pem(service_private_key),
    )
    rights = AccessRights()
    app = FastAPI()

    @app.get("/access/grants/{grant_id}/readers/{subject}")
    async def readers(grant_id: uuid.UUID, subject: str, request: Request) -> ReaderRights:
        caller = verifier.verify(request.headers["authorization"].removeprefix("Bearer "))
        assert caller.roles == {Role.SYSTEM} and caller.subject == "hdh-linkage"
        rights.asked.append((grant_id, subject))
        allowed = subject not in rights.refused
        reason = None if allowed else "Not a member of the project now."
        return ReaderRights(
            grant_id=grant_id, project_id=None, subject=subject, allowed=allowed, reason=reason
        )

    async with serve_http(app) as url:
        rights.url = url
        yield rights


async def in_transaction(url: str, action: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    """Run ``action`` in a committed transaction of its own, as a consumer or a job would."""
    engine = create_async_engine(url)
    try:
        async with create_sessionmaker(engine).begin() as session:
            return await action(session)
    finally:
        await engine.dispose()


async def catalogue_validated(url: str, data: dict[str, Any]) -> None:
    """The catalogue's ``version.validated`` event, consumed as the broker would hand it over."""
    event = CloudEvent(
        source="/catalog",
        type="hdh.catalog.version.validated.v1",
        subject=str(data["version_id"]),
        data=data,
        actor="catalog",
    )
    await in_transaction(url, lambda session: on_catalog_event(NO_STATE, session, event))


async def record_validated(url: str, data: dict[str, Any]) -> None:
    """A version as the catalogue validated it, recorded without queueing its job."""
    payload = VersionValidated.model_validate(data)
    await in_transaction(url, lambda session: ValidatedVersionRepository(session).record(payload))
