"""What the linkage service reports about the HMAC path it runs."""

import pytest

from hdh_dev.testing import SettingsFactory, running
from linkage.main import create_app
from linkage.pseudonyms import hmac as module


@pytest.mark.parametrize(("native", "name"), [(True, "native"), (False, "python")])
async def test_readiness_metrics_and_start_log_name_the_hmac_path(
    linkage_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
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
    assert f"components: {{'hmac_kernel': '{name}'}}" in capsys.readouterr().err
