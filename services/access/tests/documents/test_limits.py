"""Oversized or wrong-type documents get a precise problem and leave nothing behind."""

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"document_max_bytes": 1000}


async def stored(hub, root: Path) -> tuple[int, int]:
    """Rows in the database, files in the filesystem store (``make_settings`` puts it there)."""
    async with hub.engine.connect() as connection:
        rows = int(await connection.scalar(sa.text("SELECT count(*) FROM access.document")))
    return rows, len(files_under(root))


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def test_oversized_document(hub, tmp_path: Path) -> None:
    request = await hub.draft()
    response = await hub.upload(request["id"], "protocol", content=b"x" * 1001)
    assert response.status_code == 413
    assert response.json()["type"] == "/problems/document-too-large"
    assert response.json()["max_bytes"] == 1000
    assert await stored(hub, tmp_path / "objects") == (0, 0)


async def test_oversized_stream_without_length(hub, tmp_path: Path) -> None:
    request = await hub.draft()

    async def chunks():
        for _ in range(5):
            yield b"y" * 300

    response = await hub.client.post(
        f"/access/requests/{request['id']}/documents",
        params={"kind": "protocol", "filename": "p.pdf"},
        content=chunks(),
        headers=hub.as_("researcher", "alice") | {"Content-Type": "application/pdf"},
    )
    assert response.status_code == 413
    assert await stored(hub, tmp_path / "objects") == (0, 0)


async def test_wrong_type_and_bad_parameters(hub, tmp_path: Path) -> None:
    request = await hub.draft()
    url = f"/access/requests/{request['id']}/documents"
    alice = hub.as_("researcher", "alice")
    exe = await hub.client.post(
        url,
        params={"kind": "protocol", "filename": "p.exe"},
        content=b"MZ",
        headers=alice | {"Content-Type": "application/x-msdownload"},
    )
    assert exe.status_code == 415
    assert exe.json()["type"] == "/problems/unsupported-document-type"
    kind = await hub.client.post(
        url,
        params={"kind": "selfie", "filename": "p.pdf"},
        content=b"%PDF",
        headers=alice | {"Content-Type": "application/pdf"},
    )
    assert kind.status_code == 422 and kind.json()["errors"][0]["loc"] == ["query", "kind"]
    name = await hub.client.post(
        url,
        params={"kind": "protocol", "filename": "../etc/passwd"},
        content=b"%PDF",
        headers=alice | {"Content-Type": "application/pdf"},
    )
    assert name.status_code == 422
    assert await stored(hub, tmp_path / "objects") == (0, 0)
