import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, mapped_column
from sqlalchemy.pool import NullPool

from hdh_common.errors import install_error_handlers
from hdh_common.pagination import (
    CURSOR_EXAMPLE,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CursorQuery,
    InvalidCursor,
    LimitQuery,
    Page,
    decode_cursor,
    encode_cursor,
    keyset,
)
from hdh_dev.testing import SERVER_URL

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "paged_item"
    __table_args__ = {"prefixes": ["TEMPORARY"]}

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    name: Mapped[str] = mapped_column(String(20))
    rank: Mapped[int] = mapped_column(Integer)


@pytest.fixture
async def session() -> AsyncIterator[AsyncSession]:
    """A connection of its own holding a temporary table of seven items, three sharing
    ``at`` with each other and three more sharing another ``at``."""
    url = os.environ.get("HDH_TEST_DATABASE_URL", SERVER_URL)
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(Base.metadata.create_all)
            async with AsyncSession(connection) as session:
                for n, minutes in enumerate([0, 0, 0, 5, 5, 5, 9]):
                    at = T0 + timedelta(minutes=minutes)
                    session.add(Item(id=uuid.uuid4(), at=at, name=f"item-{n}", rank=n))
                await session.flush()
                yield session
    finally:
        await engine.dispose()


async def walk(
    session: AsyncSession,
    *columns: InstrumentedAttribute[object],
    limit: int,
    descending: bool = False,
) -> list[list[int]]:
    """The ranks on every page, following ``next_cursor`` until it is absent."""
    pages: list[list[int]] = []
    cursor = None
    while True:
        query = keyset(select(Item), *columns, cursor=cursor, limit=limit, descending=descending)
        rows = list(await session.scalars(query))
        page = Page[int].from_rows(
            rows,
            limit,
            key=lambda i: [getattr(i, c.key) for c in columns],
            convert=lambda i: i.rank,
        )
        pages.append(page.items)
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


@pytest.mark.parametrize("descending", [False, True])
async def test_pages_follow_the_key_through_ties(session: AsyncSession, descending: bool) -> None:
    everything = sorted(await session.scalars(select(Item)), key=lambda i: (i.at, i.id))
    pages = await walk(session, Item.at, Item.id, limit=2, descending=descending)
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    expected = everything[::-1] if descending else everything
    assert [rank for p in pages for rank in p] == [i.rank for i in expected]


@pytest.mark.parametrize("column", [Item.rank, Item.name])
async def test_a_single_unique_column_is_a_key(
    session: AsyncSession, column: InstrumentedAttribute[object]
) -> None:
    pages = await walk(session, column, limit=3, descending=True)
    assert pages == [[6, 5, 4], [3, 2, 1], [0]]


async def test_a_last_full_page_has_no_next_cursor(session: AsyncSession) -> None:
    pages = await walk(session, Item.rank, limit=7)
    assert [len(p) for p in pages] == [7]


def test_the_documented_cursor_is_a_time_key() -> None:
    keyset(select(Item), Item.at, Item.id, cursor=CURSOR_EXAMPLE, limit=2)


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_a_fixed_sequence_pages_by_position(limit: int) -> None:
    letters, seen, cursor = list("abcde"), [], None
    while True:
        page = Page[str].of(letters, cursor=cursor, limit=limit)
        seen.append(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert [x for items in seen for x in items] == letters
    assert [len(items) for items in seen[:-1]] == [limit] * (len(seen) - 1)


@pytest.mark.parametrize("cursor", [encode_cursor([-1]), encode_cursor(["1"]), "%%%"])
def test_a_forged_position_is_an_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        Page[str].of(["a"], cursor=cursor, limit=1)


def test_from_rows_trims_the_extra_row_and_points_after_the_last_shown() -> None:
    page = Page[str].from_rows([1, 2, 3], 2, key=lambda n: [n * 10], convert=str)
    assert page.items == ["1", "2"]
    assert page.next_cursor is not None
    assert decode_cursor(page.next_cursor, length=1) == [20]


async def test_a_cursor_of_another_key_is_invalid(session: AsyncSession) -> None:
    by_name = encode_cursor(["item-3"])
    with pytest.raises(InvalidCursor):
        keyset(select(Item), Item.rank, cursor=by_name, limit=2)
    with pytest.raises(InvalidCursor):
        keyset(select(Item), Item.at, Item.id, cursor=by_name, limit=2)


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        encode_cursor({}),
        encode_cursor(["not a date", "not a uuid"]),
        encode_cursor([T0.isoformat(), 5]),
        encode_cursor([T0.replace(tzinfo=None).isoformat(), str(uuid.uuid4())]),
        encode_cursor(["0001-01-01T00:00:00+05:00", str(uuid.uuid4())]),
        encode_cursor(["9999-12-31T23:59:59-10:00", str(uuid.uuid4())]),
    ],
)
def test_a_forged_time_key_is_an_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        keyset(select(Item), Item.at, Item.id, cursor=cursor, limit=2)


@pytest.mark.parametrize("cursor", [encode_cursor([True]), encode_cursor([2**63]), "W251bGxd"])
def test_an_integer_key_takes_only_a_bigint(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        keyset(select(Item), Item.rank, cursor=cursor, limit=2)


def test_a_text_key_refuses_a_nul() -> None:
    with pytest.raises(InvalidCursor):
        keyset(select(Item), Item.name, cursor=encode_cursor(["a\x00"]), limit=2)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/items")
    async def items(cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT) -> Page[int]:
        keyset(select(Item), Item.at, Item.id, cursor=cursor, limit=limit)
        return Page(items=[limit])

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


async def test_an_invalid_cursor_is_a_400_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/items", params={"cursor": encode_cursor(["x", "y"])})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/invalid-cursor"


@pytest.mark.parametrize(
    ("limit", "status"), [(0, 422), (1, 200), (MAX_LIMIT, 200), (MAX_LIMIT + 1, 422)]
)
async def test_the_limit_is_bounded(client: httpx.AsyncClient, limit: int, status: int) -> None:
    response = await client.get("/items", params={"limit": limit})
    assert response.status_code == status
    if status == 200:
        assert response.json() == {"items": [limit], "next_cursor": None}


async def test_the_limit_defaults(client: httpx.AsyncClient) -> None:
    assert (await client.get("/items")).json()["items"] == [DEFAULT_LIMIT]
