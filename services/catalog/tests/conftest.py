from collections.abc import AsyncIterator

import httpx
import pytest

from catalog.main import create_app
from hdh_dev.testing import SettingsFactory, running


@pytest.fixture
async def client(make_settings: SettingsFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(make_settings("catalog"))) as client:
        yield client
