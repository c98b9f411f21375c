"""Validation benchmark: our validator against ``frictionless validate`` on the same file,
with every Table Schema rule on (types and formats, missing values, every constraint,
primary and unique keys), in the same run.

    .venv/bin/python services/catalog/bench/bench_validation.py [--size-mib 100] [--prefix-mib 2]
        [--runs 3] [--default-missing]

Ours reads the whole file (CSV blocks, as an upload is read) on one thread; its CPU time
gives MiB/s per core, the best of ``--runs`` runs (the machine may be shared). ``frictionless``
is pure Python and takes minutes on 100 MiB: it reads the first ``--prefix-mib`` of the same
file (whole rows), and its rate is extrapolated to the whole file (its cost per row does not
depend on the file's length). Both must find no error. With ``--default-missing`` the schema
declares no missing values (``[""]``), under which the CSV reader converts some types itself.
"""

import argparse
import io
import tempfile
import time
from pathlib import Path
from typing import Any

from frictionless import Resource

from catalog.uploads.dialect import SAMPLE_BYTES, sniff
from catalog.uploads.validator import TableRules, Validator, csv_batches

SCHEMA: dict[str, Any] = {
    "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
    "missingValues": ["", "NA"],
    "primaryKey": ["ID"],
    "fields": [
        {"name": "ID", "type": "string", "constraints": {"required": True, "minLength": 12}},
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
            "constraints": {"pattern": "[A-Z]{2}[0-9]{3}", "maxLength": 5},
        },
        {"name": "MAIL", "type": "string", "format": "email"},
        {"name": "UID", "type": "string", "format": "uuid"},
        {"name": "ACTIF", "type": "boolean"},
        {"name": "NAIS", "type": "date", "constraints": {"minimum": "1900-01-01"}},
        {"name": "SORTIE", "type": "date", "format": "%d/%m/%Y"},
        {"name": "VU", "type": "datetime"},
        {"name": "ANNEE", "type": "year", "constraints": {"maximum": 2030}},
        {"name": "MOIS", "type": "yearmonth"},
        {"name": "REF", "type": "string", "constraints": {"unique": True}},
        {"name": "CATEGORIE", "type": "string", "constraints": {"enum": ["A", "B", "C"]}},
    ],
}
NAMES = [f["name"] for f in SCHEMA["fields"]]
RESOURCE_V2 = "https://datapackage.org/profiles/2.0/dataresource.json"


def say(text: str) -> None:
    print(f"[validation] {text}", flush=True)


def write_csv(path: Path, size: int) -> None:
    """A valid CSV of about ``size`` bytes, unique keys, written block by block."""
    rows = 20_000
    template = "".join(
        f"Q0000{i:07d},{i % 100},{1 + i % 2},{40 + i % 60}.5,AB{100 + i % 900},"
        f"p{i}@exemple.fr,0b8c0a52-4d1f-4b39-9d3c-6d9a0e{i:06d},{'true' if i % 2 else 'false'},"
        f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9},1{i % 9}/0{1 + i % 9}/2021,"
        f"2021-03-0{1 + i % 9}T10:{i % 60:02d}:00,{1990 + i % 30},2020-{1 + i % 12:02d},"
        f"Rq0000{i:07d},{'ABC'[i % 3]}\n"
        for i in range(rows)
    ).encode()
    with path.open("wb") as file:
        file.write((",".join(NAMES) + "\n").encode())
        block = 0
        while file.tell() < size:
            file.write(
                template.replace(b"q0000", b"%05d" % block).replace(b"Q0000", b"%05d" % block)
            )
            block += 1


def ours(path: Path, schema: dict[str, Any]) -> tuple[float, float, int]:
    """Wall and CPU seconds of the whole file, and its rows."""
    rules = TableRules.from_schema(schema)
    with tempfile.TemporaryDirectory(prefix="hdh-bench-") as folder, path.open("rb") as file:
        started, cpu_started = time.perf_counter(), time.thread_time()
        sample = file.read(SAMPLE_BYTES)
        file.seek(0)
        dialect = sniff(sample, names=NAMES, numbers={"POIDS"}, given={})
        validator = Validator(rules, workdir=Path(folder), max_errors=10)
        outcome = validator.run(
            csv_batches(
                io.BufferedReader(file),  # type: ignore[arg-type]
                report=validator.report,
                columns=NAMES,
                rules=rules,
                dialect=dialect,
            )
        )
        seconds, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
    assert outcome.report.ok, outcome.report.errors[:5]
    return seconds, cpu, outcome.report.rows


def theirs(path: Path, prefix: int, schema: dict[str, Any]) -> tuple[float, float, int]:
    """Wall and CPU seconds ``frictionless`` takes over the first ``prefix`` bytes (whole
    rows), and those bytes."""
    with path.open("rb") as file:
        data = file.read(prefix).rsplit(b"\n", 1)[0] + b"\n"
    with tempfile.TemporaryDirectory(prefix="hdh-bench-") as folder:
        part = Path(folder) / "prefix.csv"
        part.write_bytes(data)
        descriptor = {"$schema": RESOURCE_V2, "name": "p", "path": part.name, "schema": schema}
        started, cpu_started = time.perf_counter(), time.thread_time()
        report = Resource.from_descriptor(descriptor, basepath=folder).validate()
        seconds, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
    assert report.valid, report.flatten(["type", "rowNumber", "fieldName", "note"])[:5]
    return seconds, cpu, len(data)


def main(args: argparse.Namespace) -> None:
    schema = SCHEMA
    if args.default_missing:
        schema = {key: value for key, value in SCHEMA.items() if key != "missingValues"}
    with tempfile.TemporaryDirectory(prefix="hdh-bench-") as folder:
        path = Path(folder) / "bench.csv"
        write_csv(path, args.size_mib * 2**20)
        mib = path.stat().st_size / 2**20
        runs = [ours(path, schema) for _ in range(args.runs)]
        seconds, cpu, rows = min(runs, key=lambda run: run[1])
        their_seconds, their_cpu, their_bytes = theirs(path, args.prefix_mib * 2**20, schema)
        their_mib = their_bytes / 2**20
        their_rate = their_mib / their_seconds
        missing = schema.get("missingValues", [""])
        say(f"file: {mib:.0f} MiB, {rows} rows, {len(NAMES)} columns, every rule on")
        say(f"missing values: {missing}")
        say(
            f"ours, 1 thread, best of {args.runs}              : {mib / seconds:7.1f} MiB/s wall,"
            f" {mib / cpu:7.1f} MiB/s per core of CPU (target >= 100)"
        )
        say(
            f"frictionless validate, on {their_mib:.1f} MiB   : {their_rate:7.2f} MiB/s wall,"
            f" {their_mib / their_cpu:7.2f} MiB/s per core of CPU"
        )
        say(
            f"frictionless extrapolated to the file  : {mib / their_rate:.0f} s"
            f" (ours: {seconds:.1f} s)"
        )
        say(
            f"ratio ours / frictionless               : {mib / seconds / their_rate:7.1f}x wall,"
            f" {(mib / cpu) / (their_mib / their_cpu):7.1f}x CPU (target >= 20x)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=100, help="CSV size")
    parser.add_argument("--prefix-mib", type=int, default=2, help="what frictionless reads")
    parser.add_argument("--runs", type=int, default=3, help="runs of ours, the best kept")
    parser.add_argument("--default-missing", action="store_true", help="no missingValues declared")
    main(parser.parse_args())
