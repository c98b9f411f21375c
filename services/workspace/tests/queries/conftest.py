from pathlib import Path

import pytest

from .support import WriteTable, table_writer


@pytest.fixture
def write_table(tmp_path: Path) -> WriteTable:
    return table_writer(tmp_path)
