"""Acceptance 1: the validator against ``frictionless``, the reference implementation.

A corpus generator writes files that each break one rule of the Table Schema (some break
several) into an otherwise valid table; both validators read every file, and must find the
same errors: the same type, row and field. Every file is read twice: with the missing values
the schema declares, and with the default ones (``[""]``), under which the CSV reader converts
some types itself.
"""

import csv
import io
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from frictionless import Package, Resource

from catalog.uploads.references import TableKeys, check, foreign_keys, referenced_fields
from catalog.uploads.validator import TableRules, Validator, csv_batches

SCHEMA: dict[str, Any] = {
    "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
    "missingValues": ["", "NA"],
    "primaryKey": ["ID"],
    "fields": [
        {"name": "ID", "type": "string"},
        {"name": "AGE", "type": "integer", "constraints": {"minimum": 0, "maximum": 120}},
        {"name": "SEXE", "type": "integer", "constraints": {"enum": [1, 2]}},
        {
            "name": "POIDS",
            "type": "number",
            "constraints": {"exclusiveMinimum": 0, "exclusiveMaximum": 500},
        },
        {
            "name": "CODE",
            "type": "string",
            "constraints": {"pattern": "[A-Z]{2}[0-9]{3}", "minLength": 5, "maxLength": 5},
        },
        {"name": "NOM", "type": "string", "constraints": {"required": True}},
        {"name": "MAIL", "type": "string", "format": "email"},
        {"name": "UID", "type": "string", "format": "uuid"},
        {"name": "SITE", "type": "string", "format": "uri"},
        {"name": "ACTIF", "type": "boolean", "trueValues": ["oui"], "falseValues": ["non"]},
        {"name": "VIVANT", "type": "boolean"},
        {
            "name": "NAIS",
            "type": "date",
            "format": "%d/%m/%Y",
            "constraints": {"minimum": "01/01/1900"},
        },
        {"name": "ENTREE", "type": "date", "constraints": {"maximum": "2030-12-31"}},
        {"name": "VU", "type": "datetime"},
        {"name": "HEURE", "type": "time"},
        {"name": "ANNEE", "type": "year", "constraints": {"minimum": 1950}},
        {"name": "MOIS", "type": "yearmonth"},
        {"name": "DUREE", "type": "duration"},
        {"name": "MONTANT", "type": "number", "decimalChar": ",", "groupChar": " "},
        {"name": "NIVEAU", "type": "integer", "bareNumber": False},
        {"name": "REF", "type": "string", "constraints": {"unique": True}},
        {"name": "CATEGORIE", "type": "string", "constraints": {"enum": ["A", "B", "C"]}},
    ],
}
RESOURCE_V2 = "https://datapackage.org/profiles/2.0/dataresource.json"
NAMES = [f["name"] for f in SCHEMA["fields"]]
ROWS = 12
# errors of a whole row, and a label that is no field: no field named
ROW_ERRORS = {"primary-key", "blank-row", "extra-cell", "extra-label"}


def valid_row(i: int) -> dict[str, str]:
    return {
        "ID": f"P{i:04d}",
        "AGE": str(20 + i),
        "SEXE": str(1 + i % 2),
        "POIDS": f"{50 + i}.5",
        "CODE": f"AB{100 + i}",
        "NOM": f"Nom {i}",
        "MAIL": f"personne{i}@example.fr",
        "UID": f"0b8c0a52-4d1f-4b39-9d3c-6d9a0e1a2b{i:02d}",
        "SITE": f"https://example.org/p/{i}",
        "ACTIF": "oui" if i % 2 else "non",
        "VIVANT": ["true", "False", "1", "0"][i % 4],
        "NAIS": f"{1 + i:02d}/0{1 + i % 9}/19{60 + i}",
        "ENTREE": f"2020-0{1 + i % 9}-1{i % 10}",
        "VU": f"2021-03-0{1 + i % 9}T10:{i:02d}:00",
        "HEURE": f"1{i % 10}:30:00",
        "ANNEE": str(1990 + i),
        "MOIS": f"2020-{1 + i % 12:02d}",
        "DUREE": f"P{i}DT2H",
        "MONTANT": f"1 2{i:02d},50",
        "NIVEAU": f"niveau {i}",
        "REF": f"R{i}",
        "CATEGORIE": "ABC"[i % 3],
    }


# One mistake per rule: the field and a value that breaks it (None: a missing value).
CELL_MISTAKES: list[tuple[str, str | None]] = [
    ("AGE", "douze"),
    ("AGE", "121"),
    ("AGE", "-1"),
    ("AGE", "12.5"),
    ("SEXE", "3"),
    ("POIDS", "0"),
    ("POIDS", "500"),
    ("POIDS", "lourd"),
    ("CODE", "ab123"),
    ("CODE", "ABC1234"),
    ("CODE", "AB12"),
    ("NOM", None),
    ("NOM", "NA"),
    ("MAIL", "pas-une-adresse"),
    ("UID", "pas-un-uuid"),
    ("SITE", "pas une uri"),
    ("ACTIF", "true"),
    ("VIVANT", "oui"),  # the defaults are Table Schema's: other spellings are declared
    ("VIVANT", "t"),
    ("NAIS", "1990-01-01"),
    ("NAIS", "31/02/1990"),
    ("NAIS", "31/12/1899"),
    ("ENTREE", "2031-01-01"),
    ("ENTREE", "01/02/2020"),
    ("VU", "2021-13-01T10:00:00"),
    ("VU", "hier"),
    ("VU", "2021-03-01"),  # no time
    ("VU", "2021-03-01 10:00"),  # no seconds
    ("VU", "2021-03-01T10:00:00 "),
    ("HEURE", "25:00:00"),
    ("ANNEE", "90"),
    ("ANNEE", "01990"),
    ("ANNEE", "0950"),  # a year, before the minimum
    ("ANNEE", " 199"),  # four characters, a year for Python
    ("ANNEE", "-999"),
    ("AGE", "0x10"),  # Arrow reads hexadecimal integers
    ("ENTREE", " 2020-01-01"),  # Arrow's reader trims dates
    ("ANNEE", "1949"),
    ("MOIS", "2020-13"),
    ("DUREE", "2 jours"),
    ("MONTANT", "1.5"),
    ("MONTANT", "beaucoup"),
    ("NIVEAU", "aucun"),
    ("CATEGORIE", "D"),
]


@dataclass
class Case:
    name: str
    rows: list[list[str]]
    header: list[str] = field(default_factory=lambda: list(NAMES))


def base_rows() -> list[list[str]]:
    return [[valid_row(i)[n] for n in NAMES] for i in range(1, ROWS + 1)]


def cell(rows: list[list[str]], row: int, name: str, value: str | None) -> None:
    rows[row][NAMES.index(name)] = "" if value is None else value


def corpus(rng: random.Random) -> list[Case]:
    cases = []
    for number, (name, value) in enumerate(CELL_MISTAKES):
        rows = base_rows()
        cell(rows, rng.randrange(ROWS), name, value)
        cases.append(Case(f"{number:02d}-{name}", rows))
    cases.extend(_row_cases(rng))
    for number in range(6):  # several mistakes in one file
        rows = base_rows()
        for name, value in rng.sample(CELL_MISTAKES, 4):
            cell(rows, rng.randrange(ROWS), name, value)
        cases.append(Case(f"several-{number}", rows))
    return cases


def _row_cases(rng: random.Random) -> list[Case]:
    def mutated(change: Callable[[list[list[str]]], None]) -> list[list[str]]:
        rows = base_rows()
        change(rows)
        return rows

    at = rng.randrange(1, ROWS - 1)
    renamed = [*NAMES[:3], "AUTRE", *NAMES[4:]]
    return [
        Case("duplicate-key", mutated(lambda r: cell(r, at, "ID", r[0][0]))),
        Case("null-key", mutated(lambda r: cell(r, at, "ID", None))),
        Case("duplicate-unique", mutated(lambda r: cell(r, at, "REF", r[at - 1][-2]))),
        Case("blank-row", mutated(lambda r: r.insert(at, [""] * len(NAMES)))),
        Case("empty-line", mutated(lambda r: r.insert(at, []))),
        Case("missing-cells", mutated(lambda r: r.__setitem__(at, r[at][:-3]))),
        Case(  # the rows after a short row keep their numbers
            "missing-cells-then-more",
            mutated(lambda r: (r.__setitem__(at, r[at][:-3]), cell(r, at + 1, "AGE", "x"))),
        ),
        Case("extra-cell", mutated(lambda r: r[at].append("en trop"))),
        Case("incorrect-label", base_rows(), header=renamed),
        Case("missing-label", [r[:-1] for r in base_rows()], header=NAMES[:-1]),
        Case("extra-label", [[*r, "x"] for r in base_rows()], header=[*NAMES, "EN_TROP"]),
    ]


def write(case: Case, path: Path) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(case.header)
    writer.writerows(case.rows)
    path.write_text(buffer.getvalue())
    return buffer.getvalue().encode()


Error = tuple[str, int | None, str | None]


def theirs(path: Path, schema: dict[str, Any]) -> Counter[Error]:
    descriptor = {"$schema": RESOURCE_V2, "name": "t", "path": path.name, "schema": schema}
    report = Resource.from_descriptor(descriptor, basepath=str(path.parent)).validate()
    found: Counter[Error] = Counter()
    for kind, row, name in report.flatten(["type", "rowNumber", "fieldName"]):
        found[kind, row, None if kind in ROW_ERRORS or not name else name] += 1
    return found


def ours(data: bytes, workdir: Path, schema: dict[str, Any]) -> Counter[Error]:
    rules = TableRules.from_schema(schema)
    validator = Validator(rules, workdir=workdir, max_errors=10_000)
    outcome = validator.run(
        csv_batches(io.BytesIO(data), report=validator.report, columns=NAMES, rules=rules)
    )
    found: Counter[Error] = Counter()
    for error in outcome.report.errors:
        kind, name = error["type"], error["column"]
        found[kind, error["row"], None if kind in ROW_ERRORS or not name else name] += 1
    return found


@pytest.mark.parametrize("missing", ["declared", "default"])
@pytest.mark.parametrize("seed", [17, 2026])
def test_the_same_errors_as_frictionless(tmp_path: Path, seed: int, missing: str) -> None:
    schema = SCHEMA
    unbroken = []  # a missing value only under the declared ones breaks no rule by default
    if missing == "default":
        schema = {k: v for k, v in SCHEMA.items() if k != "missingValues"}
        unbroken = [f"{n:02d}-{name}" for n, (name, v) in enumerate(CELL_MISTAKES) if v == "NA"]
    cases = corpus(random.Random(seed))
    differences, clean = {}, []
    for case in cases:
        path = tmp_path / f"{case.name}.csv"
        data = write(case, path)
        workdir = tmp_path / case.name
        workdir.mkdir()
        expected, found = theirs(path, schema), ours(data, workdir, schema)
        if not expected:
            clean.append(case.name)  # a file worth comparing breaks some rule
        if expected != found:
            differences[case.name] = {"frictionless": expected, "ours": found}
    assert not differences, differences
    assert clean == unbroken and len(cases) > 40


# Foreign keys between the tables of one package: patients (each may name their mother, a
# self-reference), their stays (a composite key) and acts (a composite and a single foreign
# key), and the doctors who perform acts (referenced by a unique field, not the primary key).
PACKAGE: dict[str, dict[str, Any]] = {
    "patient": {
        "missingValues": ["", "NA"],
        "primaryKey": ["ID"],
        "fields": [
            {"name": "ID", "type": "string"},
            {"name": "MERE", "type": "string"},
            {"name": "AGE", "type": "integer"},
        ],
        "foreignKeys": [{"fields": ["MERE"], "reference": {"resource": "", "fields": ["ID"]}}],
    },
    "sejour": {
        "missingValues": ["", "NA"],
        "primaryKey": ["PAT", "NUM"],
        "fields": [
            {"name": "PAT", "type": "string"},
            {"name": "NUM", "type": "integer"},
            {"name": "ENTREE", "type": "date"},
        ],
        "foreignKeys": [
            {"fields": ["PAT"], "reference": {"resource": "patient", "fields": ["ID"]}}
        ],
    },
    "medecin": {
        "primaryKey": ["ID"],
        "fields": [
            {"name": "ID", "type": "integer"},
            {"name": "RPPS", "type": "string", "constraints": {"unique": True}},
        ],
    },
    "acte": {
        "missingValues": ["", "NA"],
        "fields": [
            {"name": "PAT", "type": "string"},
            {"name": "NUM", "type": "integer"},
            {"name": "RPPS", "type": "string"},
            {"name": "CODE", "type": "string"},
        ],
        "foreignKeys": [
            {
                "fields": ["PAT", "NUM"],
                "reference": {"resource": "sejour", "fields": ["PAT", "NUM"]},
            },
            {"fields": "PAT", "reference": {"resource": "patient", "fields": "ID"}},
            {"fields": ["RPPS"], "reference": {"resource": "medecin", "fields": ["RPPS"]}},
        ],
    },
}
Tables = dict[str, list[list[str]]]


def valid_package() -> Tables:
    patients = [f"P{i:02d}" for i in range(1, 11)]
    stays = [(patients[i % 10], 1 + i // 10) for i in range(15)]
    return {
        "patient": [
            [p, "" if i < 3 else patients[i % 3], str(30 + i)] for i, p in enumerate(patients)
        ],
        "sejour": [[p, str(n), f"2024-0{1 + n}-1{i % 10}"] for i, (p, n) in enumerate(stays)],
        "medecin": [[str(i), f"1000{i}"] for i in range(1, 5)],
        "acte": [
            [p, str(n), f"1000{1 + i % 4}", f"A{i:02d}"]
            for i, (p, n) in enumerate(stays + stays[:5])
        ],
    }


def put(tables: Tables, table: str, row: int, name: str, value: str) -> None:
    tables[table][row][[f["name"] for f in PACKAGE[table]["fields"]].index(name)] = value


# One break per case: the table, the field and a value (of a random row).
KEY_MISTAKES: list[tuple[str, str, str]] = [
    ("sejour", "PAT", "P99"),  # a single key not in the parent
    ("acte", "NUM", "9"),  # a composite key not in the parent, its other part present
    ("acte", "NUM", ""),  # a composite key half missing: checked, and not found
    ("acte", "NUM", "NA"),
    ("acte", "NUM", "x"),  # a type error leaves the key half missing
    ("acte", "PAT", "P42"),  # breaks both foreign keys of the act
    ("acte", "RPPS", "99999"),  # a unique field referenced
    ("acte", "RPPS", "NA"),  # missing: not checked
    ("patient", "MERE", "P77"),  # a self-reference
    ("patient", "MERE", "NA"),
    ("sejour", "NUM", "y"),  # a parent key broken: its children lose it
    ("medecin", "RPPS", "2"),  # a referenced key changed
]


def package_corpus(rng: random.Random) -> list[tuple[str, Tables]]:
    cases = []
    for number, (table, name, value) in enumerate(KEY_MISTAKES):
        tables = valid_package()
        put(tables, table, rng.randrange(len(tables[table])), name, value)
        cases.append((f"{number:02d}-{table}-{name}", tables))
    both = valid_package()  # a whole composite key missing: not checked (nor the single one)
    put(both, "acte", 3, "PAT", "")
    put(both, "acte", 3, "NUM", "NA")
    cases.append(("whole-key-missing", both))
    removed = valid_package()  # a parent row gone: the rows of two tables that named it
    del removed["patient"][rng.randrange(3, 10)]
    cases.append(("parent-row-removed", removed))
    for number in range(4):  # several mistakes in several tables
        tables = valid_package()
        for table, name, value in rng.sample(KEY_MISTAKES, 4):
            put(tables, table, rng.randrange(len(tables[table])), name, value)
        cases.append((f"several-{number}", tables))
    return cases


PackageError = tuple[str, str, int | None, str | None]


def write_package(tables: Tables, folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    files = {}
    for name, rows in tables.items():
        header = [f["name"] for f in PACKAGE[name]["fields"]]
        files[name] = write(Case(name, rows, header), folder / f"{name}.csv")
    return files


def package_theirs(folder: Path) -> Counter[PackageError]:
    resources = [
        {"$schema": RESOURCE_V2, "name": name, "path": f"{name}.csv", "schema": schema}
        for name, schema in PACKAGE.items()
    ]
    report = Package({"resources": resources}, basepath=str(folder)).validate()
    found: Counter[PackageError] = Counter()
    for task in report.tasks:
        for error in task.errors:
            names = error.to_descriptor().get("fieldNames") or [getattr(error, "field_name", "")]
            found[task.name, error.type, getattr(error, "row_number", None), "+".join(names)] += 1
    return found


def package_ours(files: dict[str, bytes], workdir: Path, order: list[str]) -> Counter[PackageError]:
    keys = {name: foreign_keys(schema) for name, schema in PACKAGE.items()}
    referenced = referenced_fields(keys)
    tables, reports = {}, {}
    for name in order:  # any order: the keys are looked up once every table is read
        rules = TableRules.from_schema(PACKAGE[name])
        tables[name] = TableKeys(
            name, workdir / name, outgoing=keys[name], referenced=referenced[name]
        )
        validator = Validator(rules, workdir=workdir, max_errors=10_000, collect=tables[name].add)
        columns = [c.name for c in rules.columns]
        batches = csv_batches(
            io.BytesIO(files[name]), report=validator.report, columns=columns, rules=rules
        )
        reports[name] = validator.run(batches).report
        tables[name].close()
    check(tables, reports)
    found: Counter[PackageError] = Counter()
    for name, report in reports.items():
        for error in report.errors:
            found[name, error["type"], error["row"], error["column"] or ""] += 1
    return found


@pytest.mark.parametrize("seed", [17, 2026])
def test_the_same_foreign_key_errors_as_frictionless(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    cases = package_corpus(rng)
    differences, kinds, clean = {}, Counter[str](), []
    for name, tables in cases:
        files = write_package(tables, tmp_path / name)
        workdir = tmp_path / f"{name}-ours"
        workdir.mkdir()
        expected = package_theirs(tmp_path / name)
        found = package_ours(files, workdir, rng.sample(list(PACKAGE), len(PACKAGE)))
        kinds.update(kind for _, kind, _, _ in expected.elements())
        if not any(kind == "foreign-key" for _, kind, _, _ in expected):
            clean.append(name)
        if expected != found:
            differences[name] = {"frictionless": expected, "ours": found}
    assert not differences, differences
    assert clean == ["07-acte-RPPS", "09-patient-MERE", "whole-key-missing"]  # missing: unchecked
    assert kinds["foreign-key"] > 20
