"""Columns whose values identify people are identifiers, whatever they were declared."""

import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from catalog.uploads.validator import (
    ColumnRule,
    Dialect,
    Outcome,
    TableRules,
    Validator,
    csv_batches,
)


def nir(body: str) -> str:
    """A NIR with its valid key (Corsica's 2A and 2B count as 19 and 18)."""
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return f"{body}{97 - number % 97:02d}"


NIRS = [nir(f"{1 + i % 2}{50 + i % 40:02d}{1 + i % 12:02d}75{i:06d}") for i in range(30)]
CORSICAN = [nir(f"2850{1 + i % 9}2A{i:06d}") for i in range(30)]
FIRST_NAMES = ["Marie", "JEAN", "Léa", "helene", "Jean-Pierre", "Nathalie", "Mohamed", "Chloé"]


def scan(tmp_path: Path, columns: dict[str, list[Any]], **types: str) -> Outcome:
    rules = TableRules(
        columns=tuple(ColumnRule(name, types.get(name, "string")) for name in columns)
    )
    batch = pa.record_batch([pa.array(values) for values in columns.values()], list(columns))
    return Validator(rules, workdir=tmp_path, max_errors=50).run([batch])


@pytest.mark.parametrize(
    ("values", "kind", "rule"),
    [
        (NIRS, "nir", "nir-key"),
        (CORSICAN, "nir", "nir-key"),
        ([n[:13] for n in NIRS], "direct", "nir-shape"),
        ([f"{n[:13]}00" for n in NIRS], "direct", "nir-shape"),
        ([f"p{i}.nom@exemple.fr" for i in range(30)], "direct", "email"),
        ([f"06 12 34 56 {i:02d}" for i in range(30)], "direct", "phone"),
        ([f"+33 1 45 67 89 {i:02d}" for i in range(30)], "direct", "phone"),
        ([f"01456789{i:02d}" for i in range(30)], "direct", "phone"),
        (FIRST_NAMES * 4, "name", "first-name"),
        ([f"{n} Dupont" for n in FIRST_NAMES] * 4, "name", "first-name"),
    ],
)
def test_values_that_identify_make_an_identifier_with_a_notice(
    tmp_path: Path, values: list[str], kind: str, rule: str
) -> None:
    padding = ["", "C510"] * (len(values) // 4)  # a few other values do not hide them
    numbers = [str(n) for n in range(len(values) + len(padding))]
    outcome = scan(tmp_path, {"CODE": values + padding, "N": numbers}, N="integer")
    assert outcome.identifiers == {"CODE": kind}
    assert outcome.report.notices == [{"column": "CODE", "rule": rule, "identifier": kind}]
    assert outcome.report.ok and outcome.parquet is not None


def test_nirs_stored_as_numbers_are_found(tmp_path: Path) -> None:
    outcome = scan(
        tmp_path,
        {"KEYED": [int(n) for n in NIRS], "SHORT": [int(n[:13]) for n in NIRS]},
        KEYED="integer",
        SHORT="number",
    )
    assert outcome.identifiers == {"KEYED": "nir", "SHORT": "direct"}


def test_an_identifier_among_many_other_values_is_found(tmp_path: Path) -> None:
    values = [f"ID{i:06d}" for i in range(90)] + NIRS[:10]
    assert scan(tmp_path, {"KEY": values}).identifiers == {"KEY": "nir"}


def test_codes_and_measures_are_not_identifiers(tmp_path: Path) -> None:
    count = 40
    columns: dict[str, list[object]] = {
        "CIP13": [f"34009{3000000 + i:08d}" for i in range(count)],
        "EAN13": [f"3{i:012d}" for i in range(count)],
        "SIRET": [f"{30000000000000 + i}" for i in range(count)],
        "CIM10": ["C510", "E119", "I10", "J189"] * (count // 4),
        "CCAM": ["AHQP001", "YYYY600"] * (count // 2),
        "FINESS": [f"75071{i:04d}" for i in range(count)],
        "CP": [f"750{i % 20:02d}" for i in range(count)],
        "LIB": ["MASCULIN", "FEMININ", "INCONNU", "Paris", "Lyon"] * (count // 5),
        "RPPS": [f"10{i:09d}" for i in range(count)],
        "N": list(range(10**11, 10**11 + count)),
        "MONTANT": [1.5 * i for i in range(count)],
    }
    outcome = scan(tmp_path, columns, N="integer", MONTANT="number")
    assert outcome.identifiers == {}
    assert outcome.report.notices == []


def test_declared_identifiers_are_not_scanned_again(tmp_path: Path) -> None:
    rules = TableRules(columns=(ColumnRule("BEN_NIR", "string"),), identifiers={"BEN_NIR": "nir"})
    batch = pa.record_batch([pa.array(NIRS)], ["BEN_NIR"])
    outcome = Validator(rules, workdir=tmp_path, max_errors=5).run([batch])
    assert outcome.identifiers == {} and outcome.report.notices == []


def test_the_scan_covers_every_block_of_a_csv(tmp_path: Path) -> None:
    rows = [f"X{i:07d};{i}" for i in range(200)] + [f"{n};1" for n in NIRS]
    rules = TableRules(columns=(ColumnRule("A", "string"), ColumnRule("B", "integer")))
    validator = Validator(rules, workdir=tmp_path, max_errors=5)
    source = io.BytesIO(("A;B\n" + "\n".join(rows) + "\n").encode())
    outcome = validator.run(
        csv_batches(
            source,
            dialect=Dialect(delimiter=";"),
            report=validator.report,
            columns=["A", "B"],
            rules=rules,
        )
    )
    assert outcome.identifiers == {"A": "nir"}


def test_reports_name_rows_and_rules_never_identifier_values(tmp_path: Path) -> None:
    rules = TableRules(
        columns=(
            ColumnRule("BEN_NIR", "string", required=True),
            ColumnRule("REF", "string"),
            ColumnRule("N", "integer"),
            ColumnRule("SEX", "integer", codes=frozenset({"1", "2"})),
        ),
        primary_key=("BEN_NIR",),
        identifiers={"BEN_NIR": "nir", "SEX": "sex"},
    )
    refs = NIRS[:20] + NIRS[:2]  # found by the scan, repeated
    batch = pa.record_batch(
        [
            pa.array(NIRS[:20] + NIRS[:1] + [""]),
            pa.array(refs),
            pa.array(["1"] * 19 + ["jean.dupont@exemple.fr", "x", "1"]),
            pa.array(["1"] * 21 + ["7"]),
        ],
        ["BEN_NIR", "REF", "N", "SEX"],
    )
    outcome = Validator(rules, workdir=tmp_path, max_errors=50).run([batch])
    errors = {(e["rule"], e["column"], e["row"]): e["value"] for e in outcome.report.errors}
    assert errors == {
        ("required", "BEN_NIR", 22): None,
        ("type:integer", "N", 20): None,  # one address is no identifier column, still hidden
        ("type:integer", "N", 21): "x",
        ("nomenclature", "SEX", 22): None,
        ("primary-key", "BEN_NIR", 21): None,  # the same key as row 1
        ("primary-key", "BEN_NIR", 22): None,  # no key
    }
    assert not any(n in str(outcome.report) for n in NIRS)
    assert "dupont" not in str(outcome.report)


def test_a_composite_key_with_an_identifier_keeps_its_values_out(tmp_path: Path) -> None:
    rules = TableRules(
        columns=(ColumnRule("A", "string"), ColumnRule("B", "string")),
        primary_key=("A", "B"),
    )
    batch = pa.record_batch([pa.array(["k", "k"] * 20), pa.array(NIRS[:2] * 20)], ["A", "B"])
    outcome = Validator(rules, workdir=tmp_path, max_errors=50).run([batch])
    assert outcome.identifiers == {"B": "nir"}
    duplicates = [e for e in outcome.report.errors if e["type"] == "primary-key"]
    assert len(duplicates) == 38 and all(e["value"] is None for e in duplicates)
