"""Frictionless Table Schema and Data Package documents, read into import specifications.

Pure functions: no database. Every problem found is collected, so one response lists them all.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from catalog.dictionary.identifiers import classify
from catalog.imports.order_rules import ORDER_RULES, read_order_rules

FIELD_TYPES = frozenset(
    {
        "string",
        "integer",
        "number",
        "boolean",
        "date",
        "datetime",
        "time",
        "year",
        "yearmonth",
        "duration",
        "object",
        "array",
        "geopoint",
        "geojson",
        "any",
    }
)
NO_NOMENCLATURE = frozenset({"", "-"})
_YEAR = re.compile(r"^\s*(\d{4})")
_EXTRA_KEYS = (
    "identifierKind",
    "observation",
    "regle_gestion",
    "type_oracle",
    "dateMissing",
    "constraints",
    "trueValues",
    "falseValues",
    "missingValues",
    "decimalChar",
    "groupChar",
    "bareNumber",
)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    description: str
    type: str
    format: str
    length: int | None
    unit: str
    required: bool
    nomenclature: str | None
    identifier: str
    sensitivity: str
    created_year: int | None
    deleted_year: int | None
    extra: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class ForeignKeySpec:
    fields: tuple[str, ...]
    reference_table: str
    reference_fields: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "fields": list(self.fields),
            "reference_table": self.reference_table,
            "reference_fields": list(self.reference_fields),
        }


@dataclass(frozen=True)
class TableSpec:
    name: str
    title: str
    description: str
    product: str
    primary_key: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    foreign_keys: tuple[ForeignKeySpec, ...]
    order_rules: tuple[dict[str, Any], ...] = ()
    event_dates: tuple[str, ...] = ()

    def header(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "product": self.product,
            "primary_key": list(self.primary_key),
            "event_dates": list(self.event_dates),
            "foreign_keys": [fk.as_dict() for fk in self.foreign_keys],
            "order_rules": list(self.order_rules),
        }


@dataclass(frozen=True)
class NomenclatureSpec:
    name: str
    title: str
    code_field: str
    label_field: str | None
    fields: list[dict[str, Any]]
    version: str | None
    codes: list[tuple[str, str | None]] | None

    def checksum(self) -> str:
        return hashlib.sha256(json.dumps(self.codes, ensure_ascii=False).encode()).hexdigest()


@dataclass
class PackageSpec:
    whole: bool
    tables: list[TableSpec] = field(default_factory=list)
    nomenclatures: list[NomenclatureSpec] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)


def read_document(document: dict[str, Any]) -> PackageSpec:
    """A Data Package (``resources``) is the whole dictionary; a lone Table Schema, one table."""
    if "resources" in document:
        return _read_package(document)
    package = PackageSpec(whole=False)
    _read_resource(package, {"name": document.get("name"), "schema": document}, where="schema")
    _check_names(package)
    return package


def _read_package(document: dict[str, Any]) -> PackageSpec:
    package = PackageSpec(whole=True)
    resources = document.get("resources")
    if not isinstance(resources, list) or not resources:
        package.errors.append(_error("resources", "A Data Package needs a non-empty list."))
        return package
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            package.errors.append(_error(f"resources[{index}]", "A resource is an object."))
            continue
        _read_resource(package, resource, where=f"resources[{index}]")
    _check_names(package)
    return package


def _read_resource(package: PackageSpec, resource: dict[str, Any], *, where: str) -> None:
    schema = resource.get("schema")
    if not isinstance(schema, dict):
        package.errors.append(_error(f"{where}.schema", "A Table Schema object is required."))
        return
    name = resource.get("name") or schema.get("name")
    if not isinstance(name, str) or not name.strip():
        package.errors.append(_error(f"{where}.name", "The resource needs a name."))
        return
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields or not all(isinstance(f, dict) for f in fields):
        package.errors.append(_error(f"{where}.fields", "A Table Schema needs a list of fields."))
        return
    if any(f.get("role") == "code" for f in fields):
        nomenclature = _nomenclature(name, schema, resource, package.errors, where=where)
        if nomenclature is not None:
            package.nomenclatures.append(nomenclature)
        return
    table = _table(name, schema, resource, package.errors, where=where)
    if table is not None:
        package.tables.append(table)


def _table(
    name: str,
    schema: dict[str, Any],
    resource: dict[str, Any],
    errors: list[dict[str, str]],
    *,
    where: str,
) -> TableSpec | None:
    count = len(errors)
    missing = schema.get("missingValues")
    fields = tuple(
        _field(_with_missing(raw, missing), errors, where=f"{where}.fields[{i}]")
        for i, raw in enumerate(schema["fields"])
    )
    names = [f.name for f in fields]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        errors.append(_error(f"{where}.fields", f"Field {duplicate!r} is declared twice."))
    primary_key = _names(schema.get("primaryKey"))
    for missing in [n for n in primary_key if n not in names]:
        errors.append(_error(f"{where}.primaryKey", f"{missing!r} is not a field of {name}."))
    foreign_keys = tuple(
        _foreign_key(raw, name, names, errors, where=f"{where}.foreignKeys[{i}]")
        for i, raw in enumerate(schema.get("foreignKeys") or [])
    )
    fields_by_name = {f.name: f for f in fields}
    order_rules = read_order_rules(
        schema.get(ORDER_RULES),
        fields_by_name,
        foreign_keys,
        errors,
        where=f"{where}.{ORDER_RULES}",
    )
    event_dates = _event_dates(schema.get("eventDates"), fields, errors, where=where)
    if len(errors) > count:
        return None
    return TableSpec(
        name=name,
        title=_text(schema.get("title") or resource.get("title")),
        description=_text(schema.get("description") or resource.get("description")),
        product=_text(schema.get("produit") or resource.get("group") or schema.get("group")),
        primary_key=primary_key,
        fields=fields,
        foreign_keys=foreign_keys,
        order_rules=order_rules,
        event_dates=event_dates,
    )


DATE_TYPES = frozenset({"date", "datetime"})


def _event_dates(
    raw: object, fields: tuple[FieldSpec, ...], errors: list[dict[str, str]], *, where: str
) -> tuple[str, ...]:
    """``eventDates``: the date column(s) saying when a row's event happened (care, discharge);
    a grant's period keeps the rows with one of them inside it."""
    names = _names(raw)
    types = {f.name: f.type for f in fields}
    for name in names:
        if types.get(name) not in DATE_TYPES:
            errors.append(
                _error(f"{where}.eventDates", f"{name!r} is not a date or datetime field.")
            )
    return names


def _field(raw: dict[str, Any], errors: list[dict[str, str]], *, where: str) -> FieldSpec:
    name = _text(raw.get("name"))
    if not name:
        errors.append(_error(f"{where}.name", "A field needs a name."))
    kind = _text(raw.get("type")) or "string"
    if kind not in FIELD_TYPES:
        errors.append(_error(f"{where}.type", f"Unknown Table Schema type {kind!r}."))
    nomenclature = _text(raw.get("nomenclature")).strip()
    constraints = raw.get("constraints")
    required = isinstance(constraints, dict) and bool(constraints.get("required", False))
    history = {"dateCreated": raw.get("dateCreated"), "dateDeleted": raw.get("dateDeleted")}
    return FieldSpec(
        name=name,
        label=_text(raw.get("title") or raw.get("description")),
        description=_text(raw.get("description")),
        type=kind,
        format=_text(raw.get("format")) or "default",
        length=_integer(raw.get("length")),
        unit=_text(raw.get("unit")),
        required=required,
        nomenclature=None if nomenclature in NO_NOMENCLATURE else nomenclature,
        identifier=classify(name, raw.get("identifier")),
        sensitivity=_text(raw.get("sensitivity")) or "normal",
        created_year=_year(history["dateCreated"]),
        deleted_year=_year(history["dateDeleted"]),
        extra={k: raw[k] for k in _EXTRA_KEYS if raw.get(k) not in (None, "", [], {})},
    )


def _with_missing(raw: dict[str, Any], missing: object) -> dict[str, Any]:
    """A field keeps the schema's ``missingValues`` unless it declares its own (v2)."""
    if not isinstance(missing, list) or "missingValues" in raw or missing == [""]:
        return raw
    return raw | {"missingValues": missing}


def _foreign_key(
    raw: object, table: str, names: list[str], errors: list[dict[str, str]], *, where: str
) -> ForeignKeySpec:
    if not isinstance(raw, dict) or not isinstance(raw.get("reference"), dict):
        errors.append(_error(where, "A foreign key needs fields and a reference."))
        return ForeignKeySpec((), table, ())
    fields = _names(raw.get("fields"))
    reference = raw["reference"]
    target = _text(reference.get("resource")) or table
    reference_fields = _names(reference.get("fields"))
    if not fields or len(fields) != len(reference_fields):
        errors.append(_error(where, "fields and reference.fields must have the same length."))
    for missing in [n for n in fields if n not in names]:
        errors.append(_error(f"{where}.fields", f"{missing!r} is not a field of {table}."))
    return ForeignKeySpec(fields, target, reference_fields)


def _nomenclature(
    name: str,
    schema: dict[str, Any],
    resource: dict[str, Any],
    errors: list[dict[str, str]],
    *,
    where: str,
) -> NomenclatureSpec | None:
    fields = [f for f in schema["fields"] if isinstance(f, dict)]
    code_field = next(_text(f.get("name")) for f in fields if f.get("role") == "code")
    label_field = next((_text(f.get("name")) for f in fields if f.get("role") == "label"), None)
    codes = None
    if "data" in resource:
        codes = _codes(resource["data"], code_field, label_field, errors, where=f"{where}.data")
        if codes is None:
            return None
    return NomenclatureSpec(
        name=name,
        title=_text(schema.get("title") or resource.get("title")),
        code_field=code_field,
        label_field=label_field,
        fields=[{k: f.get(k) for k in ("name", "type", "role") if f.get(k)} for f in fields],
        version=_text(resource.get("version")) or None,
        codes=codes,
    )


def _codes(
    data: object,
    code_field: str,
    label_field: str | None,
    errors: list[dict[str, str]],
    *,
    where: str,
) -> list[tuple[str, str | None]] | None:
    """Inline ``data``: rows as objects, or as arrays whose first row is the header."""
    if not isinstance(data, list):
        errors.append(_error(where, "Inline data is a list of rows."))
        return None
    if data and isinstance(data[0], list):
        header = [str(h) for h in data[0]]
        if code_field not in header:
            errors.append(_error(where, f"The header lacks the code column {code_field!r}."))
            return None
        rows = [dict(zip(header, row, strict=False)) for row in data[1:] if isinstance(row, list)]
    else:
        rows = [row for row in data if isinstance(row, dict)]
    if len(rows) != len(data) - (1 if data and isinstance(data[0], list) else 0):
        errors.append(_error(where, "Every row must have the same shape as the first."))
        return None
    return [
        (_text(row.get(code_field)), _text(row.get(label_field)) if label_field else None)
        for row in rows
        if _text(row.get(code_field))
    ]


def _check_names(package: PackageSpec) -> None:
    names = [t.name for t in package.tables]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        package.errors.append(_error("resources", f"Table {duplicate!r} is declared twice."))


def _names(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _integer(value: object) -> int | None:
    text = _text(value).strip()
    return int(text) if text.isdigit() else None


def _year(value: object) -> int | None:
    match = _YEAR.match(_text(value))
    return int(match.group(1)) if match else None


def _error(where: str, message: str) -> dict[str, str]:
    return {"loc": where, "msg": message}
