"""The README's configuration table, generated from the settings classes.

``python -m hdh_dev.settings_doc`` prints it; ``tests/test_readme.py`` checks the README
holds exactly this table, so a new setting cannot go undocumented.
"""

import json
from importlib import import_module
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

PARTS = ("gateway", "catalog", "access", "linkage", "audit", "workspace")
HEADER = "| variable | read by | default | meaning |\n|---|---|---|---|"


def settings_classes() -> dict[str, type[BaseSettings]]:
    classes: dict[str, type[BaseSettings]] = {
        part: import_module(f"{part}.config").Settings for part in PARTS
    }
    classes["make up"] = import_module("hdh_dev.up").LauncherSettings
    return classes


def _default(value: Any) -> str:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value in ("", None):
        return "(none)"
    text = value if isinstance(value, str | Path) else json.dumps(value, default=str)
    return f"`{text}`"


def table() -> str:
    readers: dict[str, list[str]] = {}
    fields: dict[str, Any] = {}
    for part, settings in settings_classes().items():
        for name, field in settings.model_fields.items():
            if part == "make up" and not field.description:
                continue  # read by the launcher only to pass it on to the parts
            readers.setdefault(name, []).append(part)
            fields.setdefault(name, field)
    rows = []
    for name in sorted(fields, key=lambda n: (_scope(readers[n]), n)):
        field = fields[name]
        default = "per part" if name == "port" else _default(field.default)
        reader = _readers(readers[name])
        rows.append(f"| {_variable(name, field)} | {reader} | {default} | {field.description} |")
    return "\n".join([HEADER, *rows])


def _variable(name: str, field: FieldInfo) -> str:
    """``HDH_<NAME>``, or the names a standard variable is read under (the first wins)."""
    if isinstance(field.validation_alias, AliasChoices):
        return " or ".join(f"`{choice}`" for choice in field.validation_alias.choices)
    return f"`HDH_{name.upper()}`"


def _scope(parts: list[str]) -> int:
    return -len(parts)


def _readers(parts: list[str]) -> str:
    services = [p for p in parts if p in PARTS[1:]]
    if len(services) == len(PARTS) - 1:
        rest = [p for p in parts if p not in services]
        return ", ".join(["all services", *rest])
    return ", ".join(parts)


if __name__ == "__main__":
    print(table())
