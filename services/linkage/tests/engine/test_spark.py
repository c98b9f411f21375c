"""The Spark engine against the embedded one, on the same inputs: same pseudonyms, same
extracts, same refusals; and the key kept out of plans and logs."""

import base64
import contextlib
import logging
import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkage.engine.embedded import EmbeddedEngine
from linkage.events import PSEUDONYMISED_KINDS, ColumnSpec, Identifier
from linkage.jobs.pipeline import (
    NAME_KEY_TAGS,
    PROJECT_TAG,
    TAGS,
    CentralKey,
    Period,
    PipelineError,
)
from linkage.pseudonyms.hmac import KeyedHasher

from ..support import PEOPLE_COLUMNS, Captured, people_table
from .conftest import SparkRun

pytestmark = pytest.mark.spark

START, END = date(2024, 1, 1), date(2024, 12, 31)
COPIES = 300
ROW_GROUP = 500
EMBEDDED = EmbeddedEngine(batch_rows=700, workers=2)


def ignore(rows: int) -> None:
    pass


def central_key(secret: bytes) -> CentralKey:
    return CentralKey(
        domain="central",
        version=1,
        hashers={kind: KeyedHasher(secret, tag=TAGS[kind]) for kind in PSEUDONYMISED_KINDS},
        name_keys={name: KeyedHasher(secret, tag=tag) for name, tag in NAME_KEY_TAGS.items()},
    )


def project_key(secret: bytes) -> CentralKey:
    hasher = KeyedHasher(secret, tag=PROJECT_TAG)
    return CentralKey(domain="project-p", version=1, hashers={Identifier.NONE: hasher})


def care(copies: int = COPIES) -> pa.Table:
    """The people (valid, invalid and missing NIRs) many times over, with care dates on
    both sides of each bound of the period, and missing ones."""
    people = people_table()
    table = pa.concat_tables([people] * copies)
    days = [START - timedelta(1), START, END, END + timedelta(1), None, date(2024, 6, 1)]
    dated = [days[i % len(days)] for i in range(table.num_rows)]
    return table.append_column("DATE_SOINS", pa.array(dated, pa.date32()))


COLUMNS = [
    ColumnSpec.model_validate(c)
    for c in [*PEOPLE_COLUMNS, {"name": "DATE_SOINS", "identifier": "none"}]
]
DECLARED = {c.name: c.identifier for c in COLUMNS}


@contextlib.contextmanager
def small_splits(run: SparkRun) -> Iterator[None]:
    """Spark splits even a small file into several partitions (one per row group)."""
    conf = run.engine.session.conf
    conf.set("spark.sql.files.maxPartitionBytes", "1024")
    conf.set("spark.sql.files.openCostInBytes", "0")
    try:
        yield
    finally:
        conf.unset("spark.sql.files.maxPartitionBytes")
        conf.unset("spark.sql.files.openCostInBytes")


@pytest.fixture
def landed(tmp_path: Path) -> Path:
    path = tmp_path / "landed.parquet"
    pq.write_table(care(), path, row_group_size=ROW_GROUP)
    return path


def test_pseudonyms_are_byte_identical_and_in_the_same_order(
    spark_run: SparkRun, landed: Path, tmp_path: Path
) -> None:
    key = central_key(os.urandom(32))
    done: list[int] = []
    with small_splits(spark_run):
        partitions = spark_run.engine.session.read.parquet(str(landed)).rdd.getNumPartitions()
        on_spark = spark_run.engine.pseudonymise(
            landed,
            tmp_path / "s.parquet",
            columns=COLUMNS,
            key=key,
            progress=done.append,
            label="t",
        )
    embedded = EMBEDDED.pseudonymise(
        landed, tmp_path / "e.parquet", columns=COLUMNS, key=key, progress=ignore, label="t"
    )
    assert partitions > 2
    assert on_spark == embedded
    assert embedded.columns["NIR"].invalid and embedded.columns["NIR"].missing == COPIES
    assert sum(done) == on_spark.rows_in == care().num_rows
    expected, found = pq.read_table(tmp_path / "e.parquet"), pq.read_table(tmp_path / "s.parquet")
    assert found.schema.equals(expected.schema, check_metadata=True)
    assert found.equals(expected)
    assert found.column("NIR").null_count > COPIES  # invalid and missing NIRs stay null
    assert "NOM:phonetic" in found.column_names


def test_extracts_hold_the_same_rows_with_the_period_and_objections(
    spark_run: SparkRun, landed: Path, tmp_path: Path
) -> None:
    central = tmp_path / "central.parquet"
    EMBEDDED.pseudonymise(
        landed,
        central,
        columns=COLUMNS,
        key=central_key(os.urandom(32)),
        progress=ignore,
        label="t",
    )
    objector = pq.read_table(central).column("NIR")[1]
    arguments = {
        "table": "CARE",
        "variables": ["NIR", "ACTE", "MONTANT", "DATE_SOINS", "NOM:norm"],
        "declared": {**DECLARED, "NOM:norm": Identifier.NAME},
        "project": project_key(os.urandom(32)),
        "excluded_persons": pa.array([objector.as_py()], pa.string()),
        "period": Period(start=START, end=END, columns=("DATE_SOINS",)),
        "progress": ignore,
        "label": "t",
    }
    with small_splits(spark_run):
        on_spark = spark_run.engine.extract(central, tmp_path / "s.parquet", **arguments)
    embedded = EMBEDDED.extract(central, tmp_path / "e.parquet", **arguments)
    assert on_spark == embedded
    assert embedded.excluded and embedded.outside_period
    assert embedded.rows_out == embedded.rows_in - embedded.excluded - embedded.outside_period
    expected, found = pq.read_table(tmp_path / "e.parquet"), pq.read_table(tmp_path / "s.parquet")
    assert found.schema.equals(expected.schema, check_metadata=True)
    order = [(name, "ascending") for name in ["ACTE", "DATE_SOINS", "NIR"]]
    assert found.sort_by(order).equals(expected.sort_by(order))
    kept = set(found.column("DATE_SOINS").to_pylist())
    assert kept == {START, END, date(2024, 6, 1)}


def test_both_engines_refuse_a_nir_shaped_value_naming_the_column(
    spark_run: SparkRun, landed: Path, tmp_path: Path
) -> None:
    table = pq.read_table(landed)
    notes = ["fine"] * table.num_rows
    notes[-3] = f"NIR {people_table().column('NIR')[0]}"
    central = tmp_path / "central.parquet"
    pq.write_table(table.append_column("NOTE", pa.array(notes)), landed, row_group_size=ROW_GROUP)
    columns = [*COLUMNS, ColumnSpec(name="NOTE", identifier=Identifier.NONE)]
    EMBEDDED.pseudonymise(
        landed,
        central,
        columns=columns,
        key=central_key(os.urandom(32)),
        progress=ignore,
        label="t",
    )
    arguments = {
        "table": "CARE",
        "variables": ["NIR", "NOTE"],
        "declared": {c.name: c.identifier for c in columns},
        "project": project_key(os.urandom(32)),
        "progress": ignore,
        "label": "t",
    }
    refusals = []
    for engine in (spark_run.engine, EMBEDDED):
        with small_splits(spark_run), pytest.raises(PipelineError) as refused:
            engine.extract(central, tmp_path / f"{engine.name}.parquet", **arguments)
        refusals.append(str(refused.value))
    assert refusals == ["table CARE: column NOTE holds NIR-shaped values"] * 2
    assert not (tmp_path / "spark.parquet.parts").exists()


def test_the_key_is_in_no_plan_and_no_log(
    spark_run: SparkRun,
    landed: Path,
    tmp_path: Path,
    captured_logs: Captured,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = os.urandom(32)
    key = central_key(secret)
    context = spark_run.engine.session.sparkContext
    context.setLogLevel("DEBUG")
    py4j = logging.getLogger("py4j")
    previous = py4j.level
    py4j.setLevel(logging.DEBUG)
    try:
        mapped = spark_run.engine.pseudonymised(landed, columns=COLUMNS, key=key)
        mapped.frame.explain(extended=True)
        spark_run.engine.pseudonymise(
            landed, tmp_path / "s.parquet", columns=COLUMNS, key=key, progress=ignore, label="t"
        )
    finally:
        context.setLogLevel("WARN")
        py4j.setLevel(previous)
    plan = capsys.readouterr().out
    assert "MapInArrow" in plan
    seen = "\n".join([plan, *captured_logs.lines, spark_run.log.read_text(errors="replace")])
    assert captured_logs.lines and "DEBUG" in spark_run.log.read_text(errors="replace")
    for shown in (
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode(),
        repr(secret)[2:-1],
    ):
        assert shown not in seen
