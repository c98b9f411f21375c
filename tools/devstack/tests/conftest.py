import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A folder outside pytest's own temporary root, which pytest keeps at mode 0700 (and
    resets at each session start): the embedded PostgreSQL's unprivileged user must reach it."""
    path = Path(tempfile.mkdtemp(prefix="hdh-devstack-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
