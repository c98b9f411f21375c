"""Validation writes its scratch Parquet under ``HDH_WORK_DIR`` (an ephemeral volume in the
chart, not the small ``/tmp``), and leaves nothing there."""

from pathlib import Path
from typing import Any

import pytest

from hdh_common import workdir

from .hub import Hub, csv_bytes, good_rows


@pytest.fixture
def hub_overrides(tmp_path: Path) -> dict[str, Any]:
    return {"work_dir": tmp_path / "work"}


async def test_validation_works_under_the_work_dir(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    used: list[Path] = []
    folder = workdir.work_folder

    def recording(root: Path | None, *, prefix: str) -> Any:
        scratch = folder(root, prefix=prefix)
        used.append(Path(scratch.name))
        return scratch

    monkeypatch.setattr("catalog.uploads.validator.work_folder", recording)
    response = await hub.send(csv_bytes(good_rows(50)), part_size=700)
    assert response.status_code == 202, response.text
    assert [path.parent for path in used] == [tmp_path / "work"]
    assert list((tmp_path / "work").iterdir()) == []
