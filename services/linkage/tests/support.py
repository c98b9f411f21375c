"""Data and helpers of the linkage tests: people with NIRs, SNDS beneficiaries, catalogue events."""

import csv
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from hdh_common.db import create_sessionmaker
from hdh_common.events import CloudEvent
from hdh_common.storage import ObjectStore
from linkage.consumers import on_catalog_event
from linkage.events import VersionValidated
from linkage.identifiers.nir import with_key
from linkage.jobs.repository import ValidatedVersionRepository
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


def parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


class Captured(logging.Handler):
    """Every log line of the run, formatted, to scan for clear values."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + repr(record.args))


ACCESS_KEY, SECRET_KEY = "test-access", "test-secret"


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


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def land(store: ObjectStore, table: pa.Table) -> str:
    """The table as an upload in the ``landing`` bucket; its key."""
    key = f"uploads/{uuid.uuid4()}/data.parquet"
    await store.ensure_bucket("landing")
    await store.put("landing", key, one_chunk(parquet_bytes(table)))
    return key


def validated_people(object_key: str) -> dict[str, Any]:
    return {
        "dataset_id": str(uuid.uuid4()),
        "version_id": str(uuid.uuid4()),
        "table": "PEOPLE",
        "object_key": object_key,
        "columns": PEOPLE_COLUMNS,
    }
