"""The SNDS reference files (``shared/data/snds``), read as the import API expects them."""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from catalog.seed import order_rule_pairs, seeded_order_rules
from hdh_dev.testing import TokenFactory, bearer

SHARED_DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
SNDS = SHARED_DATA / "snds"
DCAT = SHARED_DATA / "dcat"


def table_schemas() -> list[dict[str, Any]]:
    """The SNDS Table Schemas, with the order rules the seed gives them."""
    files = sorted((SNDS / "schemas").rglob("*.json"))
    schemas = [json.loads(path.read_text(encoding="utf-8")) for path in files]
    pairs = order_rule_pairs()
    return [schema | {"orderRules": seeded_order_rules(schema, pairs)} for schema in schemas]


def table_package() -> dict[str, Any]:
    resources = [{"name": s["name"], "schema": s} for s in table_schemas()]
    return {"name": "snds", "resources": resources}


def nomenclature_files() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted((SNDS / "nomenclatures").glob("*/*.json")):
        yield path, json.loads(path.read_text(encoding="utf-8"))


def nomenclature_package(*, with_codes: set[str] | None = None) -> dict[str, Any]:
    """Every nomenclature schema; code lists inline for ``with_codes`` (None: all present)."""
    resources = []
    for path, schema in nomenclature_files():
        resource: dict[str, Any] = {"name": schema["name"], "schema": schema}
        values = path.with_suffix(".csv")
        if values.exists() and (with_codes is None or schema["name"] in with_codes):
            with values.open(encoding="utf-8", newline="") as file:
                resource["data"] = [row for row in csv.reader(file, delimiter=";") if row]
        resources.append(resource)
    return {"name": "snds-nomenclatures", "resources": resources}


@dataclass(frozen=True)
class Snds:
    """A catalogue holding the whole SNDS dictionary, imported once per session."""

    client: httpx.AsyncClient
    dataset_id: str
    first_report: dict[str, object]
    make_token: TokenFactory

    @property
    def staff(self) -> dict[str, str]:
        """A hub staff token minted now: internal tokens live at most a minute, the session
        much longer."""
        return bearer(self.make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
