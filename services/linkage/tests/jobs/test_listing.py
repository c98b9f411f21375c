"""Staff scan jobs for recent work: newest first, filtered by version, kind and state."""

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, running
from linkage.jobs.models import CANCELLED, EXTRACT, FAILED, LINK, PSEUDONYMISE, SUCCEEDED, Job
from linkage.main import create_app

from ..support import in_transaction

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KINDS, STATES = (PSEUDONYMISE, EXTRACT, LINK), (SUCCEEDED, FAILED, CANCELLED)
OTHERS = 120


@pytest.fixture
async def staff(make_token: TokenFactory) -> dict[str, str]:
    return bearer(make_token("linkage", "hub_staff", sub="steward"))


@pytest.fixture
async def wanted(clean_database: str) -> str:
    """The version of the oldest job, a pseudonymisation, behind 120 finished jobs (kinds
    and states in turn) of other versions."""
    version = str(uuid.uuid4())
    kinds, states = itertools.cycle(KINDS), itertools.cycle(STATES)
    jobs = [job(PSEUDONYMISE, SUCCEEDED, version, T0)]
    jobs += [
        job(next(kinds), next(states), str(uuid.uuid4()), T0 + timedelta(minutes=n))
        for n in range(1, OTHERS + 1)
    ]

    async def add(session: AsyncSession) -> None:
        session.add_all(jobs)

    await in_transaction(clean_database, add)
    return version


def job(kind: str, state: str, version_id: str, created_at: datetime) -> Job:
    return Job(
        id=uuid.uuid4(),
        kind=kind,
        state=state,
        params={"version_id": version_id},
        created_by="steward",
        created_at=created_at,
    )


async def every_page(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/linkage/jobs", params=query, headers=headers)).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_on_many_pages_the_filtered_list_finds_the_job(
    linkage_settings: SettingsFactory, staff: dict[str, str], wanted: str
) -> None:
    async with running(create_app(linkage_settings())) as client:
        first = (await client.get("/linkage/jobs", params={"limit": 100}, headers=staff)).json()
        params = {"version_id": wanted, "kind": PSEUDONYMISE, "limit": 1}
        found = (await client.get("/linkage/jobs", params=params, headers=staff)).json()
    assert first["next_cursor"] is not None
    assert wanted not in [j["params"]["version_id"] for j in first["items"]]
    assert [j["params"]["version_id"] for j in found["items"]] == [wanted]
    assert found["next_cursor"] is None


async def test_jobs_list_newest_first_through_every_page(
    linkage_settings: SettingsFactory, staff: dict[str, str], wanted: str
) -> None:
    async with running(create_app(linkage_settings())) as client:
        items = await every_page(client, staff, limit=50)
    created = [datetime.fromisoformat(j["created_at"]) for j in items]
    assert len(items) == OTHERS + 1 and len({j["id"] for j in items}) == OTHERS + 1
    assert created == sorted(created, reverse=True)
    assert items[-1]["params"]["version_id"] == wanted


async def test_jobs_filter_by_kind_and_state(
    linkage_settings: SettingsFactory, staff: dict[str, str], wanted: str
) -> None:
    async with running(create_app(linkage_settings())) as client:
        links = await every_page(client, staff, kind=LINK, state=CANCELLED, limit=7)
        failed_links = await every_page(client, staff, kind=LINK, state=FAILED)
        bogus = await client.get("/linkage/jobs", params={"kind": "bogus"}, headers=staff)
        garbled = await client.get("/linkage/jobs", params={"version_id": "x"}, headers=staff)
    # kinds and states turn together: every third job is a link, and every link cancelled
    assert len(links) == OTHERS // 3 and failed_links == []
    assert {(j["kind"], j["state"]) for j in links} == {(LINK, CANCELLED)}
    assert (bogus.status_code, garbled.status_code) == (422, 422)
