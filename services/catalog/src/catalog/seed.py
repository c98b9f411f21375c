"""Seed the catalogue from a folder of Table Schemas: ``python -m catalog.seed PATH``.

Every ``*.json`` Table Schema under the folder is read: tables go into one dataset (named
after the folder unless ``--dataset`` says otherwise), nomenclatures (fields with
``role: code``) take their code list from the ``.csv`` beside them. The SNDS folder of
``shared/data/snds`` is such a folder. Importing again changes nothing.

A table that declares no ``orderRules`` gets those of ``seeds/snds_order_rules.json`` that
apply to it: the obvious ones of the SNDS (care starts before it ends, birth before death,
care within the person's life).
"""

import argparse
import asyncio
import csv
import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.config import Settings
from catalog.curation import service as curation
from catalog.datasets import schemas as dataset_schemas
from catalog.datasets import service as datasets
from catalog.datasets.repository import DatasetRepository
from catalog.db import SCHEMA
from catalog.imports.order_rules import NUMERIC, TEMPORAL
from catalog.imports.schemas import ImportReport
from catalog.imports.service import import_document
from catalog.seed_event_dates import with_event_dates
from hdh_common.db import create_engine, create_sessionmaker
from hdh_common.identity import Principal, Role

ORDER_RULES = Path(__file__).parent / "seeds" / "snds_order_rules.json"
SEEDER = Principal(subject="catalog-seed", roles=frozenset({Role.HUB_STAFF}), organisation="hdh")
DEMO = {
    "resources": [
        {
            "name": "PATIENT",
            "schema": {
                "title": "Patients de démonstration",
                "primaryKey": "PAT_ID",
                "fields": [
                    {"name": "PAT_ID", "type": "string", "description": "Identifiant du patient"},
                    {"name": "PAT_SEX", "type": "integer", "description": "Sexe du patient"},
                    {"name": "PAT_NAI_ANN", "type": "year", "description": "Année de naissance"},
                ],
            },
        },
        {
            "name": "SEJOUR",
            "schema": {
                "title": "Séjours hospitaliers de démonstration",
                "fields": [
                    {"name": "SEJ_ID", "type": "string", "description": "Identifiant du séjour"},
                    {"name": "PAT_ID", "type": "string", "description": "Identifiant du patient"},
                    {"name": "SEJ_ENT_DTE", "type": "date", "description": "Date d'entrée"},
                ],
                "eventDates": ["SEJ_ENT_DTE"],
                "foreignKeys": [
                    {"fields": "PAT_ID", "reference": {"resource": "PATIENT", "fields": "PAT_ID"}}
                ],
            },
        },
    ]
}


def seeded_order_rules(schema: dict[str, Any], pairs: list[dict[str, Any]]) -> list[Any]:
    """The ``orderRules`` of a table: its own, or the seeded pairs whose sides it holds."""
    if "orderRules" in schema:
        return list(schema["orderRules"])
    names = {f.get("name") for f in schema.get("fields", []) if _orderable(f)}
    targets = {
        fk["reference"].get("resource")
        for fk in schema.get("foreignKeys") or []
        if isinstance(fk, dict) and isinstance(fk.get("reference"), dict)
    }
    rules = []
    for pair in pairs:
        sides = [_seeded_side(pair[end], names, targets - {schema.get("name")}) for end in SIDES]
        if None not in sides and any(isinstance(side, str) for side in sides):
            rules.append(
                dict(zip(SIDES, sides, strict=True)) | {"strict": pair.get("strict", False)}
            )
    return rules


SIDES = ("before", "after")


def _seeded_side(side: str, names: set[Any], targets: set[Any]) -> str | dict[str, str] | None:
    resource, _, field = side.rpartition(".")
    if not resource:
        return side if side in names else None
    return {"resource": resource, "field": field} if resource in targets else None


def _orderable(field: object) -> bool:
    """A field of a type with an order: a number, or a date that has its year."""
    if not isinstance(field, dict) or field.get("type") not in TEMPORAL | NUMERIC:
        return False
    written = str(field.get("format") or "default")
    return written in ("default", "any") or "%Y" in written or "%y" in written


def order_rule_pairs() -> list[dict[str, Any]]:
    pairs: list[dict[str, Any]] = json.loads(ORDER_RULES.read_text(encoding="utf-8"))["pairs"]
    return pairs


def read_folder(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tables and the nomenclatures of a folder, as two Data Packages."""
    tables, nomenclatures = [], []
    pairs = order_rule_pairs()
    for path in sorted(folder.rglob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
            continue
        name = schema.get("name") or path.stem
        resource: dict[str, Any] = {"name": name, "schema": with_event_dates(name, schema)}
        if any(isinstance(f, dict) and f.get("role") == "code" for f in schema["fields"]):
            values = path.with_suffix(".csv")
            if values.exists():
                resource["data"] = _rows(values)
            nomenclatures.append(resource)
        else:
            schema["orderRules"] = seeded_order_rules(schema, pairs)
            tables.append(resource)
    return {"resources": tables}, {"resources": nomenclatures}


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        sample = file.readline()
        file.seek(0)
        delimiter = ";" if sample.count(";") >= sample.count(",") else ","
        return [row for row in csv.reader(file, delimiter=delimiter) if row]


def load(folder: Path | None) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Tables, nomenclatures and a title: from ``folder``, or the demo when it is missing."""
    if folder is None or not folder.is_dir():
        return DEMO, {}, "Dictionnaire de démonstration"
    tables, nomenclatures = read_folder(folder)
    return tables, nomenclatures, f"Dictionnaire {folder.name}"


async def seed(
    session: AsyncSession, folder: Path | None, *, slug: str, publisher: str
) -> list[ImportReport]:
    """Import ``folder`` (or a small demo when it does not exist) into dataset ``slug``."""
    tables, nomenclatures, title = await asyncio.to_thread(load, folder)
    dataset = await DatasetRepository(session).by_slug(slug)
    if dataset is None:
        payload = dataset_schemas.DatasetCreate(slug=slug, title=title, publisher=publisher)
        dataset = await datasets.register(session, SEEDER, payload)
    reports = []
    if nomenclatures.get("resources"):
        reports.append(await import_document(session, SEEDER, dataset=None, document=nomenclatures))
    reports.append(await import_document(session, SEEDER, dataset=dataset, document=tables))
    if dataset.status == "draft":  # the hub's own dictionary opens the open catalogue
        await curation.transition(session, SEEDER, dataset, "publish")
    return reports


async def seed_in_background(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """Seed an empty catalogue from ``HDH_CATALOG_SEED_PATH`` beside the running service, so
    the service is ready at once and a first start does not wait for the whole SNDS import."""
    if settings.catalog_seed_path is not None:
        await seed_if_empty(sessionmaker, settings.catalog_seed_path)


async def seed_if_empty(
    sessionmaker: async_sessionmaker[AsyncSession], folder: Path | None
) -> bool:
    """First start: seed only a catalogue that holds no dataset yet."""
    async with sessionmaker() as session, session.begin():
        if await DatasetRepository(session).count() > 0:
            return False
        await seed(session, folder, slug=slug_of(folder), publisher="cnam")
    return True


def slug_of(folder: Path | None) -> str:
    if folder is None or not folder.is_dir():
        return "demo"
    cleaned = re.sub(r"[^a-z0-9]+", "-", folder.name.lower()).strip("-")
    return cleaned if len(cleaned) >= 3 else f"{cleaned}-dictionary"


async def _main(folder: Path, slug: str | None, publisher: str) -> None:
    settings = Settings()
    engine = create_engine(settings.database_url, schema=SCHEMA, tls=settings.database_tls())
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            reports = await seed(session, folder, slug=slug or slug_of(folder), publisher=publisher)
    finally:
        await engine.dispose()
    for report in reports:
        print(report.model_dump_json(include={"changed", "tables", "counts"}))


def main() -> None:
    parser = argparse.ArgumentParser(description="Import a folder of Table Schemas.")
    parser.add_argument("path", type=Path)
    parser.add_argument("--dataset", help="dataset slug (default: from the folder name)")
    parser.add_argument("--publisher", default="cnam", help="publishing organisation")
    args = parser.parse_args()
    asyncio.run(_main(args.path, args.dataset, args.publisher))


if __name__ == "__main__":
    main()
