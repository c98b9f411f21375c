"""The same documents on a real S3 API server."""

import hashlib
from typing import Any

import pytest

from hdh_dev.s3server import S3Server


@pytest.fixture
def settings_overrides(s3_server: S3Server) -> dict[str, Any]:
    return {
        "storage_backend": "s3",
        "s3_endpoint": s3_server.endpoint,
        "s3_access_key": "test-access",
        "s3_secret_key": "test-secret",
        "documents_bucket": "access-documents-test",
    }


async def test_upload_and_download_through_s3(hub) -> None:
    request = await hub.draft()
    content = b"%PDF " + bytes(range(256)) * 100
    uploaded = await hub.upload(request["id"], "data_management_plan", content=content)
    assert uploaded.status_code == 201
    assert uploaded.json()["sha256"] == hashlib.sha256(content).hexdigest()
    download = await hub.client.get(
        f"/access/requests/{request['id']}/documents/{uploaded.json()['id']}/content",
        headers=hub.as_("researcher", "alice"),
    )
    assert download.content == content
