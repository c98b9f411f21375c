"""``hdh_dev.backup`` against the test server: a round trip of a schema (its extensions
included) and the object store, and the refusals that keep a restore from doing harm."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import make_url

from hdh_dev.backup import (
    BackupError,
    NamedObject,
    Target,
    backup,
    check_objects,
    restore,
    sha256_of,
)
from hdh_dev.testing import fresh_database


@pytest.fixture
async def database() -> AsyncIterator[str]:
    async with fresh_database("hdh_backup", services=("catalog",)) as url:
        yield url


async def sql(url: str, statement: str) -> object:
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, database=parsed.database
    )
    try:
        return await connection.fetchval(statement)
    finally:
        await connection.close()


@pytest.fixture
async def target(database: str, tmp_path: Path) -> Target:
    await sql(database, "CREATE TABLE catalog.marker (key text, sha256 text)")
    objects = tmp_path / "objects"
    (objects / "landing" / "a").mkdir(parents=True)
    (objects / "landing" / "a" / "one.parquet").write_bytes(b"one")
    (objects / "central" / "two.parquet").parent.mkdir()
    (objects / "central" / "two.parquet").write_bytes(b"two")
    digest = sha256_of(objects / "landing" / "a" / "one.parquet")
    await sql(database, f"INSERT INTO catalog.marker VALUES ('a/one.parquet', '{digest}')")
    return Target(database_url=database, objects=objects)


MARKER = NamedObject("catalog.marker", "landing", key="key")


async def test_a_backup_restores_the_schemas_extensions_and_objects(
    target: Target, tmp_path: Path
) -> None:
    folder = await asyncio.to_thread(backup, target, tmp_path / "backups")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["schemas"] == ["catalog"]
    assert manifest["files"]["objects/central/two.parquet"]["sha256"] == sha256_of(
        target.objects / "central" / "two.parquet"
    )
    assert not list((tmp_path / "backups").glob("*.partial"))

    await sql(target.database_url, "DROP SCHEMA catalog CASCADE")
    (target.objects / "central" / "two.parquet").unlink()
    (target.objects / "stray").write_bytes(b"not in the backup")
    await asyncio.to_thread(restore, target, folder)

    assert await sql(target.database_url, "SELECT key FROM catalog.marker") == "a/one.parquet"
    assert await sql(target.database_url, "SELECT catalog.unaccent('Été')") == "Ete"
    assert (target.objects / "central" / "two.parquet").read_bytes() == b"two"
    assert not (target.objects / "stray").exists()
    report = await check_objects(target.database_url, target.objects, named_objects=[MARKER])
    assert (report.checked, report.ok) == (1, True)


async def test_a_tampered_backup_is_refused_before_anything_changes(
    target: Target, tmp_path: Path
) -> None:
    folder = await asyncio.to_thread(backup, target, tmp_path / "backups")
    (folder / "objects" / "central" / "two.parquet").write_bytes(b"owt")
    await sql(target.database_url, "INSERT INTO catalog.marker VALUES ('after', '')")

    with pytest.raises(BackupError, match=r"objects/central/two\.parquet"):
        await asyncio.to_thread(restore, target, folder)
    assert await sql(target.database_url, "SELECT count(*) FROM catalog.marker") == 2


async def test_a_restore_is_refused_while_the_platform_is_connected(
    target: Target, tmp_path: Path
) -> None:
    folder = await asyncio.to_thread(backup, target, tmp_path / "backups")
    parsed = make_url(target.database_url)
    platform = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, database=parsed.database
    )
    try:
        with pytest.raises(BackupError, match="stop the platform"):
            await asyncio.to_thread(restore, target, folder)
    finally:
        await platform.close()
    assert await sql(target.database_url, "SELECT count(*) FROM catalog.marker") == 1


async def test_the_check_finds_missing_and_altered_objects(target: Target) -> None:
    await sql(target.database_url, "INSERT INTO catalog.marker VALUES ('gone.parquet', 'x')")
    (target.objects / "landing" / "a" / "one.parquet").write_bytes(b"changed")

    report = await check_objects(target.database_url, target.objects, named_objects=[MARKER])

    assert report.checked == 2 and not report.ok
    assert [Path(p).name for p in report.missing] == ["gone.parquet"]
    assert [Path(p).name for p in report.altered] == ["one.parquet"]
