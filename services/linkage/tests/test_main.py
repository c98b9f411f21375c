"""What the linkage service reports about the HMAC path it runs."""

import logging
from collections.abc import Iterator
from logging.handlers import BufferingHandler

import pytest

from hdh_dev.testing import SettingsFactory, running
from linkage.main import create_app
from linkage.pseudonyms import hmac as module


@pytest.fixture
def start_log() -> Iterator[BufferingHandler]:
    """What the common app logs (on its own logger: starting, the app replaces the root's
    handlers)."""
    handler = BufferingHandler(capacity=1000)
    logger = logging.getLogger("hdh_common.app")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.mark.parametrize(("native", "name"), [(True, "native"), (False, "python")])
async def test_readiness_metrics_and_start_log_name_the_hmac_path(
    linkage_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    start_log: BufferingHandler,
    request: pytest.FixtureRequest,
    native: bool,
    name: str,
) -> None:
    if native:
        request.getfixturevalue("kernel")  # skips where not built, fails in CI
    else:
        monkeypatch.setattr(module, "_native", None)
    async with running(create_app(linkage_settings(broker=True))) as client:
        ready = await client.get("/readyz")
        metrics = (await client.get("/metrics")).text
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["components"] == {"hmac_kernel": name}
    assert body["checks"] == {"database": "ok", "broker": "ok"}
    assert f'hdh_component_info{{hmac_kernel="{name}"}} 1.0' in metrics
    logged = [record.getMessage() for record in start_log.buffer]
    assert f"components: {{'hmac_kernel': '{name}'}}" in logged
