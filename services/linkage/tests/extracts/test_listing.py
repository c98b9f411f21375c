"""A project's extract files list newest first, a page at a time."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, running
from linkage.extracts.models import ExtractFile
from linkage.main import create_app

from ..support import in_transaction

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def extract_file(project_id: uuid.UUID, created_at: datetime) -> ExtractFile:
    return ExtractFile(
        id=uuid.uuid4(),
        grant_id=uuid.uuid4(),
        project_id=project_id,
        dataset_id=uuid.uuid4(),
        table_name="PEOPLE",
        version_id=uuid.uuid4(),
        object_key=f"{project_id}/{uuid.uuid4()}.parquet",
        columns=["NIR"],
        rows=1,
        size=1,
        key_version=1,
        sha256="0" * 64,
        created_at=created_at,
    )


async def test_extract_files_list_newest_first(
    linkage_settings: SettingsFactory, make_token: TokenFactory, clean_database: str
) -> None:
    project = uuid.uuid4()
    files = [extract_file(project, T0 + timedelta(hours=n)) for n in range(3)]

    async def add(session: AsyncSession) -> None:
        session.add_all([*files, extract_file(uuid.uuid4(), T0)])

    await in_transaction(clean_database, add)
    staff = bearer(make_token("linkage", "hub_staff", sub="steward"))
    async with running(create_app(linkage_settings())) as client:
        params = {"project": str(project), "limit": 2}
        first = (await client.get("/linkage/extracts", params=params, headers=staff)).json()
        params["cursor"] = first["next_cursor"]
        rest = (await client.get("/linkage/extracts", params=params, headers=staff)).json()
    listed = [f["id"] for f in first["items"] + rest["items"]]
    assert listed == [str(f.id) for f in reversed(files)]
    assert rest["next_cursor"] is None
