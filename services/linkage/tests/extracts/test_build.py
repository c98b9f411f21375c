"""The extract builder's own defences: only columns the catalogue validated, and no NIR."""

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_common.storage import create_object_store
from hdh_dev.testing import SettingsFactory, eventually, running
from linkage.events import GrantIssued
from linkage.extracts import service as extracts
from linkage.main import create_app

from ..jobs.test_router import job_states, land, validated_people
from ..support import (
    CLEAR_VALUES,
    PEOPLE_COLUMNS,
    catalogue_validated,
    in_transaction,
    people_table,
)


async def rows(url: str, query: str) -> list[Any]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        found = list(await connection.scalars(sa.text(query)))
    await engine.dispose()
    return found


def grant(dataset_id: str, variables: list[str]) -> GrantIssued:
    return GrantIssued.model_validate(
        {
            "grant_id": str(uuid.uuid4()),
            "request_id": str(uuid.uuid4()),
            "project_id": str(uuid.uuid4()),
            "datasets": [
                {
                    "dataset_id": dataset_id,
                    "variables": [{"table": "PEOPLE", "name": n} for n in variables],
                }
            ],
            "members": ["rita"],
            "expires_on": (date.today() + timedelta(days=30)).isoformat(),
        }
    )


def declared_none(name: str) -> list[dict[str, str]]:
    return [c | {"identifier": "none"} if c["name"] == name else c for c in PEOPLE_COLUMNS]


def left_out(name: str) -> list[dict[str, str]]:
    return [c for c in PEOPLE_COLUMNS if c["name"] != name]


@pytest.mark.parametrize(
    ("columns", "granted", "reason"),
    [
        (declared_none("NIR"), ["NIR", "MONTANT"], "table PEOPLE: column NIR holds NIR-shaped"),
        (left_out("ACTE"), ["NIR", "ACTE"], "table PEOPLE: column ACTE is not covered"),
    ],
    ids=["nir-declared-as-none", "undeclared-column"],
)
async def test_an_extract_fails_rather_than_hand_out_what_was_not_validated(
    linkage_settings: SettingsFactory,
    clean_database: str,
    columns: list[dict[str, str]],
    granted: list[str],
    reason: str,
) -> None:
    settings = linkage_settings()
    store = create_object_store(settings)
    validated = validated_people(await land(store, people_table())) | {"columns": columns}
    await catalogue_validated(clean_database, validated)

    async def settled() -> bool:
        states = await job_states(clean_database)
        return len(states) == len(granted) and not {"queued", "running"} & set(states)

    async with running(create_app(settings)):
        issued = grant(validated["dataset_id"], granted)
        await in_transaction(
            clean_database, lambda session: extracts.grant_issued(session, issued, actor="access")
        )
        await eventually(settled)
    [error] = await rows(clean_database, "SELECT error FROM linkage.job WHERE kind = 'extract'")
    assert error.startswith(reason), error
    [failed] = await rows(
        clean_database,
        "SELECT payload FROM linkage.outbox"
        " WHERE payload->>'type' = 'hdh.linkage.extract.failed.v1'",
    )
    assert failed["data"]["reason"] == error
    assert failed["data"]["outcome"] == "failure"  # what the audit trail records
    assert await rows(clean_database, "SELECT id FROM linkage.extract_file") == []
    assert await store.list("projects") == []
    for clear in CLEAR_VALUES:
        assert clear not in error
