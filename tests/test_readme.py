from pathlib import Path

from pydantic_settings import BaseSettings

from gateway.config import Settings as GatewaySettings
from hdh_common.settings import ServiceSettings
from hdh_dev.up import LauncherSettings

README = Path(__file__).parents[1] / "README.md"


def variables(settings: type[BaseSettings]) -> set[str]:
    return {f"HDH_{name.upper()}" for name in settings.model_fields}


def test_readme_lists_every_variable() -> None:
    text = README.read_text()
    missing = {
        v
        for v in variables(ServiceSettings)
        | variables(GatewaySettings)
        | variables(LauncherSettings)
        if f"`{v}`" not in text
    }
    assert not missing


def test_readme_keeps_the_two_commands() -> None:
    text = README.read_text()
    assert "make up" in text and "make test" in text
