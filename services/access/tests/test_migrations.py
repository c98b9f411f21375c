"""The register's migration upgrades a live database: lines already published get the
references, dates and search text the database knows, and the downgrade gives them back."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_common import migrations
from hdh_dev.testing import fresh_database

BEFORE = "r0007"
START = date(2026, 4, 1)  # the move to active, 2026-03-31 23:30 UTC, is April 1st in France
PROJECT, ACTIVE, CLOSED = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
DATASETS = json.dumps([{"dataset_id": str(uuid.uuid4()), "title": "SNDS — DCIR"}])
LIVE_DATA = [
    f"""INSERT INTO access.project (id, title, summary, purpose, public_interest, organisation,
        funding, version, created_by)
        VALUES ('{PROJECT}', 'Pollution et diabète', 's', 'Étudier le diabète.', 'i', 'inserm',
        '', 1, 'alice')""",
    *(
        f"""INSERT INTO access.access_request (id, project_id, state, version, legal_basis,
            period_start, period_end, expected_duration_months, linkage, filed_by, review_round)
            VALUES ('{rid}', '{PROJECT}', '{state}', 9, 'cnil_authorisation', '2015-01-01',
            '2020-12-31', 24, '[]', 'alice', 2)"""
        for rid, state in ((ACTIVE, "active"), (CLOSED, "closed"))
    ),
    *(
        f"""INSERT INTO access.decision (id, request_id, kind, outcome, round, reference,
            decided_on, text, recorded_by, recorded_at)
            VALUES ('{uuid.uuid4()}', '{ACTIVE}', '{kind}', '{outcome}', {round_}, '{ref}',
            '2026-01-05', '', 'carl', '{at}')"""
        for kind, outcome, round_, ref, at in (
            ("opinion", "unfavourable", 1, "CESREES-1", "2026-01-05"),
            ("opinion", "favourable", 2, "CESREES-2", "2026-01-20"),
            ("regulator", "authorised", "NULL", "DR-2026-042", "2026-02-01"),
        )
    ),
    f"""INSERT INTO access.request_transition (request_id, transition, from_state, to_state,
        actor, at) VALUES ('{ACTIVE}', 'activate', 'data_preparation', 'active', 'linkage',
        '2026-03-31 23:30:00+00')""",
    f"""INSERT INTO access.grant (id, request_id, project_id, datasets, period_start, period_end,
        expires_on, status, issued_at) VALUES ('{uuid.uuid4()}', '{ACTIVE}', '{PROJECT}', '[]',
        '2015-01-01', '2020-12-31', '2028-03-31', 'active', '2026-03-30 10:00:00+00')""",
    *(
        f"""INSERT INTO access.register_entry (request_id, project_title, organisation, purpose,
            datasets, legal_basis, status, decided_on, updated_at, outputs_released)
            VALUES ('{rid}', 'Pollution et diabète', 'inserm', 'Étudier le diabète.',
            '{DATASETS}', 'CNIL authorisation', '{status}', '2026-02-02', '{updated}', 3)"""
        for rid, status, updated in (
            (ACTIVE, "active", "2026-04-01 08:00:00+00"),
            (CLOSED, "closed", "2026-06-30 22:30:00+00"),
        )
    ),
]
LINES = """SELECT request_id, committee_opinion_reference, regulator_decision_reference,
  started_on, ends_on, closed_on, published_at = updated_at AS published, outputs_released
  FROM access.register_entry ORDER BY status"""
FOUND = """SELECT count(*) FROM access.register_entry
 WHERE search_document @@ websearch_to_tsquery('french'::regconfig, :q)"""


@pytest.fixture
async def live_database() -> AsyncIterator[str]:
    """A database at the revision before the register's, holding published lines."""
    async with fresh_database("hdh_access_mig", services=()) as url:
        await asyncio.to_thread(migrations.upgrade, "access", url, BEFORE)
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            for statement in LIVE_DATA:
                await connection.execute(sa.text(statement))
        await engine.dispose()
        yield url


async def test_published_lines_are_completed_then_given_back(live_database: str) -> None:
    await asyncio.to_thread(migrations.upgrade, "access", live_database)
    engine = create_async_engine(live_database)
    try:
        async with engine.connect() as connection:
            lines = [tuple(row) for row in await connection.execute(sa.text(LINES))]
            found = [
                await connection.scalar(sa.text(FOUND), {"q": q})
                for q in ("diabete", "DCIR", "inserm", "asthme")
            ]
        assert lines == [
            (ACTIVE, "CESREES-2", "DR-2026-042", START, date(2028, 3, 31), None, True, 3),
            (CLOSED, None, None, None, None, date(2026, 7, 1), True, 3),
        ]
        assert found == [2, 2, 2, 0]
        await asyncio.to_thread(migrations.downgrade, "access", live_database, BEFORE)
        async with engine.connect() as connection:
            kept = await connection.scalar(sa.text("SELECT count(*) FROM access.register_entry"))
            columns = await connection.scalars(
                sa.text(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = 'access' AND table_name = 'register_entry'"
                )
            )
            assert kept == 2 and "search_document" not in set(columns)
    finally:
        await engine.dispose()
