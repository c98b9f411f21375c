"""Scratch folders of the services (uploads being validated, jobs, extracts), under the
configured work folder (``HDH_WORK_DIR``, an ephemeral volume in the chart) or the system's
temporary folder."""

import tempfile
from pathlib import Path


def work_folder(root: Path | None, *, prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A folder of its own under ``root``, removed with what it holds when the block ends."""
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=root)
