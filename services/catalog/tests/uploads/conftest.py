import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from minio import Minio

from catalog.main import create_app
from hdh_dev.s3server import S3Server
from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, running

from .hub import ACCESS_KEY, PATIENT, SECRET_KEY, SEX, Hub


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    """More settings of the catalogue under test (a test module overrides this fixture)."""
    return {}


@pytest.fixture
async def hub(
    make_settings: SettingsFactory,
    make_token: TokenFactory,
    s3_server: S3Server,
    hub_overrides: dict[str, Any],
) -> AsyncIterator[Hub]:
    suffix = uuid.uuid4().hex[:8]
    settings = make_settings(
        "catalog",
        storage_backend="s3",
        s3_endpoint=s3_server.endpoint,
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
        catalog_landing_bucket=f"landing-{suffix}",
        **hub_overrides,
    )
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    producer = bearer(make_token("catalog", "producer", sub="producer-1", org="aphp"))
    async with running(create_app(settings)) as client:
        body = {"slug": "patients", "title": "Patients", "publisher": "aphp"}
        created = await client.post("/catalog/datasets", json=body, headers=staff)
        dataset_id = created.json()["id"]
        package = {"resources": [SEX, {"name": "PATIENT", "schema": PATIENT}]}
        imported = await client.post(
            "/catalog/import/table-schema",
            params={"dataset_id": dataset_id},
            json=package,
            headers=staff,
        )
        assert imported.status_code == 200, imported.text
        # published, so that others see it and are refused for what they are, not hidden from
        published = await client.post(f"/catalog/datasets/{dataset_id}/publish", headers=staff)
        assert published.status_code == 200, published.text
        minio = Minio(
            s3_server.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False
        )
        yield Hub(
            client,
            dataset_id,
            producer,
            staff,
            minio,
            settings.catalog_landing_bucket,
        )
