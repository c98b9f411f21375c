"""A project's own file, Parquet to Parquet one record batch at a time: a NIR (or a national
pseudonym) becomes the pseudonym the project's extracts use (keyed into `central`, then
re-keyed into the project's domain), names and other direct identifiers are dropped, a birth
date keeps only its year, a sex is normalised. Pure and synchronous: a job runs it in a
thread on local temporary files."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkage.events import ColumnSpec, Identifier
from linkage.jobs.pipeline import (
    META_DOMAIN,
    META_KEY_VERSION,
    META_PSEUDONYMISED,
    ColumnReport,
    Outcome,
    PipelineError,
    check_identifier,
    nir_shaped,
    open_parquet,
)
from linkage.pseudonyms.hmac import KeyedHasher

KEYED = frozenset({Identifier.NIR, Identifier.NATIONAL_PSEUDONYM})
DROPPED = frozenset({Identifier.NAME, Identifier.DIRECT})
YEAR_SUFFIX = "_year"


@dataclass(frozen=True)
class ProjectKeys:
    """``central``: a hasher per keyed kind, as central versions are keyed; ``project``: the
    re-keying of central pseudonyms into the project's domain, as extracts do it."""

    central: dict[Identifier, KeyedHasher]
    project: KeyedHasher
    domain: str
    version: int


def output_name(name: str, kind: Identifier) -> str | None:
    """The column's name in the project's file; None for a column dropped."""
    if kind in DROPPED:
        return None
    return name + YEAR_SUFFIX if kind is Identifier.BIRTH_DATE else name


def _output_field(field: pa.Field, kind: Identifier) -> pa.Field | None:
    name = output_name(field.name, kind)
    if name is None:
        return None
    if kind in KEYED or kind is Identifier.SEX:
        return pa.field(name, pa.string())
    return pa.field(name, pa.int32()) if kind is Identifier.BIRTH_DATE else field


def load_file(
    source: Path,
    target: Path,
    *,
    columns: Sequence[ColumnSpec],
    keys: ProjectKeys,
    batch_rows: int,
) -> Outcome:
    reader = open_parquet(source)
    names = reader.schema_arrow.names
    kinds = {c.name: c.identifier for c in columns}
    if unknown := [n for n in names if n not in kinds] + [n for n in kinds if n not in names]:
        raise PipelineError(f"columns not as validated: {', '.join(unknown)}")
    keyed = [n for n in names if kinds[n] in KEYED]
    if not keyed:
        raise PipelineError("no column holds a NIR or a national pseudonym to key the rows by")
    fields = [_output_field(f, kinds[f.name]) for f in reader.schema_arrow]
    metadata = {
        META_DOMAIN: keys.domain.encode(),
        META_KEY_VERSION: str(keys.version).encode(),
        META_PSEUDONYMISED: json.dumps(keyed).encode(),
    }
    schema = pa.schema([f for f in fields if f is not None], metadata=metadata)
    outcome = Outcome()
    outcome.columns = {
        n: ColumnReport(identifier=k.value) for n, k in kinds.items() if k is not Identifier.NONE
    }
    with pq.ParquetWriter(target, schema, compression="zstd") as writer:
        for batch in reader.iter_batches(batch_size=batch_rows):
            arrays = [
                _column(name, kinds[name], batch.column(name), keys, outcome)
                for name in names
                if kinds[name] not in DROPPED
            ]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            outcome.rows_in += batch.num_rows
            outcome.rows_out += batch.num_rows
    return outcome


def _column(
    name: str, kind: Identifier, values: pa.Array, keys: ProjectKeys, outcome: Outcome
) -> pa.Array:
    if kind is Identifier.NONE:
        if nir_shaped(values):
            raise PipelineError(f"column {name} holds NIR-shaped values")
        return values
    checked = check_identifier(kind, values)
    valid = len(checked.values) - checked.values.null_count
    outcome.columns[name].add(valid=valid, missing=checked.missing, invalid=checked.invalid)
    if kind in KEYED:
        return keys.project.pseudonyms(keys.central[kind].pseudonyms(checked.values))
    if kind is Identifier.BIRTH_DATE:
        return pc.cast(pc.year(checked.values), pa.int32())
    return checked.values
