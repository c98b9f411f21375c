"""The linkages a request asked for, run on the project's extract (project pseudonyms).

Pure and synchronous, file to table: the job runs them in a thread on local copies of the
extract's files. A link table holds pairs of persons, each side keyed by its dataset's
project pseudonym, with the link's weight and probability; its report holds the match
rate, the errors the model expects and the match rate by age band, sex and region.
"""

import dataclasses
import itertools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkage.events import DeterministicNeed, ProbabilisticNeed, QuasiIdentifier
from linkage.jobs.linking import match_rates
from linkage.jobs.pipeline import META_DOMAIN, META_KEY_VERSION, META_PSEUDONYMISED, PipelineError
from linkage.matching import fellegi_sunter as fs
from linkage.matching.comparisons import Comparison
from linkage.matching.linker import Linker
from linkage.requested import regions

PERSON = "person"
PSEUDONYMS = ("left_pseudonym", "right_pseudonym")
LINK_SCHEMA = pa.schema(
    [
        ("left_dataset", pa.string()),
        ("left_pseudonym", pa.string()),
        ("right_dataset", pa.string()),
        ("right_pseudonym", pa.string()),
        ("method", pa.string()),
        ("weight", pa.float64()),
        ("probability", pa.float64()),
    ]
)
COMPARISONS = {
    "birth_date": Comparison("birth_date", "birth_date", (31.0, 366.0)),
    "birth_year": Comparison("birth_year", "numeric", (1.0,)),
    "sex": Comparison("sex"),
    "postcode": Comparison("postcode", "prefix", (2,)),
    "commune": Comparison("commune", "prefix", (2,)),
    "surname": Comparison("surname", term_frequency=True),
    "given_name": Comparison("given_name", term_frequency=True),
}
"""How each kind of quasi-identifier compares. Names in an extract are project pseudonyms:
they agree exactly or not at all."""
PRIOR_RECALL = 0.7
"""The share of true pairs taken to agree on every quasi-identifier (the prior's rule)."""
SELECTIVE = ("birth_date",)
"""Kinds that block alone; the others block two by two."""


@dataclass(frozen=True)
class Source:
    """A table of the extract, as a linkage reads it: its local copy and its columns' kinds."""

    dataset_id: uuid.UUID
    table: str
    path: Path
    kinds: dict[str, str]


@dataclass(frozen=True)
class Linked:
    links: pa.Table
    report: dict[str, Any]


def write(linked: Linked, target: Path, *, domain: str, key_version: int) -> None:
    metadata = {
        META_DOMAIN: domain.encode(),
        META_KEY_VERSION: str(key_version).encode(),
        META_PSEUDONYMISED: json.dumps(PSEUDONYMS).encode(),
    }
    pq.write_table(linked.links.replace_schema_metadata(metadata), target)


def _key_checked(source: Source, column: str, *, where: str) -> None:
    """Persons are keyed by a pseudonym of the project's domain, never by a clear value."""
    if source.kinds.get(column) != "pseudonym":
        raise PipelineError(
            f"{where}: column {column} of table {source.table} is no pseudonym in the extract"
        )


def _persons(source: Source, column: str, *, where: str) -> pa.Array:
    _key_checked(source, column, where=where)
    values = pq.read_table(source.path, columns=[column]).column(column)
    return pc.unique(pc.drop_null(values.combine_chunks()))


def deterministic(need: DeterministicNeed, sources: Sequence[Source], *, where: str) -> Linked:
    """Each pair of datasets, the persons both hold (the same pseudonym on each side)."""
    persons = {}
    for dataset in need.datasets:
        holding = [s for s in sources if s.dataset_id == dataset and need.on in s.kinds]
        if not holding:
            raise PipelineError(f"{where}: no table of dataset {dataset} holds {need.on}")
        found = [_persons(s, need.on, where=where) for s in holding]
        persons[dataset] = pc.unique(pa.concat_arrays(found))
    parts: list[pa.Table] = []
    pairs: list[dict[str, Any]] = []
    for a, b in itertools.combinations(need.datasets, 2):
        shared = pc.filter(persons[a], pc.is_in(persons[a], value_set=persons[b]))
        parts.append(_links(a, shared, b, shared, "deterministic", np.full(len(shared), np.inf)))
        pairs.append(
            {
                "left_dataset": str(a),
                "right_dataset": str(b),
                "left_persons": len(persons[a]),
                "right_persons": len(persons[b]),
                "links": len(shared),
                "match_rate": _rate(len(shared), len(persons[a])),
            }
        )
    report = {
        "method": "deterministic",
        "on": need.on,
        "pairs": pairs,
        "links": sum(part.num_rows for part in parts),
        "match_rate": pairs[0]["match_rate"],  # of the first dataset's persons, in the second
        "estimated_false_match_rate": None,
        "estimated_missed_match_rate": None,
        "errors_note": "Exact on pseudonyms: the errors are those of the identifiers, which"
        " no model estimates.",
        "match_rate_by_group": _bias_deterministic(need, sources, persons, where=where),
    }
    return Linked(pa.concat_tables(parts), report)


def _bias_deterministic(
    need: DeterministicNeed,
    sources: Sequence[Source],
    persons: dict[uuid.UUID, pa.Array],
    *,
    where: str,
) -> dict[str, Any]:
    """Match rates of the first dataset's persons (linked to the second) by the groups its
    first table holding the key declares (birth date, sex)."""
    first, second = need.datasets[0], need.datasets[1]
    source = next(s for s in sources if s.dataset_id == first and need.on in s.kinds)
    declared = {k: c for c, k in source.kinds.items() if k in ("birth_date", "sex")}
    table = pq.read_table(source.path, columns=[need.on, *declared.values()])
    renamed = table.rename_columns([PERSON, *declared])
    typed = _typed(renamed, list(declared), table_name=source.table, where=where)
    one = _one_row_per_person(typed)
    linked = pc.is_in(one.column(PERSON), value_set=persons[second])
    return _bias(one, linked)


def _one_row_per_person(table: pa.Table) -> pa.Table:
    others = [c for c in table.column_names if c != PERSON]
    table = table.filter(pc.is_valid(table.column(PERSON)))
    grouped = table.group_by(PERSON, use_threads=False).aggregate([(c, "first") for c in others])
    return grouped.rename_columns([n.removesuffix("_first") for n in grouped.column_names])


def _rate(linked: int, total: int) -> float:
    return round(linked / max(total, 1), 4)


def _links(
    left_dataset: uuid.UUID,
    left: pa.Array,
    right_dataset: uuid.UUID,
    right: pa.Array,
    method: str,
    weight: np.typing.NDArray[np.float64],
) -> pa.Table:
    n = len(left)
    return pa.table(
        [
            pa.array([str(left_dataset)] * n),
            left,
            pa.array([str(right_dataset)] * n),
            right,
            pa.array([method] * n),
            pa.array(weight, pa.float64()),
            pa.array(1.0 / (1.0 + np.exp2(-weight)), pa.float64()),
        ],
        schema=LINK_SCHEMA,
    )


def probabilistic(
    need: ProbabilisticNeed, left: Source, right: Source, *, where: str, link: Linker
) -> Linked:
    """Fellegi-Sunter on the quasi-identifiers (``link``: the engine's); persons are then
    paired by their best link."""
    a = _quasi(left, need.left.person, [(q.kind, q.left) for q in need.compare], where=where)
    b = _quasi(right, need.right.person, [(q.kind, q.right) for q in need.compare], where=where)
    settings = _settings(need.compare)
    found = link(settings, a, b)
    links = found.links
    pairs = pa.table(
        {
            "left": a.column(PERSON).take(pa.array(links.left)),
            "right": b.column(PERSON).take(pa.array(links.right)),
            "weight": pa.array(links.weight, pa.float64()),
        }
    )
    best = pairs.group_by(["left", "right"]).aggregate([("weight", "max")])
    weight = best.column("weight_max").to_numpy()
    table = _links(
        left.dataset_id,
        best.column("left"),
        right.dataset_id,
        best.column("right"),
        "probabilistic",
        weight,
    )
    persons = _one_row_per_person(a)
    linked = pc.is_in(persons.column(PERSON), value_set=best.column("left"))
    model = found.report
    report = {
        "method": "probabilistic",
        "compared": [q.kind for q in need.compare],
        "blocking_rules": [list(r) for r in settings.blocking_rules],
        "left_persons": persons.num_rows,
        "right_persons": len(pc.unique(b.column(PERSON))),
        "links": table.num_rows,
        "match_rate": _rate(int(pc.sum(linked).as_py() or 0), persons.num_rows),
        "estimated_false_match_rate": round(1 - model.estimated_precision, 4),
        "estimated_missed_match_rate": round(1 - model.estimated_recall, 4),
        "match_rate_by_group": _bias(persons, linked),
        "model": dataclasses.asdict(model),
    }
    return Linked(table, report)


def _settings(compare: Sequence[QuasiIdentifier]) -> fs.Settings:
    kinds = [q.kind for q in compare]
    alone = [[k] for k in kinds if k in SELECTIVE]
    paired = [list(p) for p in itertools.combinations([k for k in kinds if k not in SELECTIVE], 2)]
    return fs.Settings(
        comparisons=[COMPARISONS[k] for k in kinds],
        blocking_rules=alone + paired or [kinds],
        threshold_probability=None,
        clustering="one_to_one",
        prior_rules=[kinds],
        prior_recall=PRIOR_RECALL,
    )


def _quasi(source: Source, person: str, columns: list[tuple[str, str]], *, where: str) -> pa.Table:
    """The person's pseudonym and the quasi-identifiers, named by their kind and typed."""
    _key_checked(source, person, where=where)
    missing = [c for _, c in columns if c not in source.kinds]
    if missing:
        raise PipelineError(f"{where}: table {source.table} has no column {', '.join(missing)}")
    table = pq.read_table(source.path, columns=[person, *(c for _, c in columns)])
    renamed = table.rename_columns([PERSON, *(k for k, _ in columns)])
    renamed = renamed.filter(pc.is_valid(renamed.column(PERSON)))
    return _typed(renamed, [k for k, _ in columns], table_name=source.table, where=where)


def _typed(table: pa.Table, kinds: Sequence[str], *, table_name: str, where: str) -> pa.Table:
    """Columns named by their kind, cast to what their comparison reads."""
    for kind in kinds:
        try:
            values = _cast(kind, table.column(kind))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise PipelineError(
                f"{where}: the {kind} of table {table_name} does not hold what its kind says"
                " (ISO dates, years, codes)"
            ) from None
        table = table.set_column(table.column_names.index(kind), kind, values)
    return table


def _cast(kind: str, values: pa.ChunkedArray) -> pa.ChunkedArray:
    if kind == "birth_date":
        return _dates(values)
    if kind == "birth_year":
        return _years(values)
    return pc.cast(values, pa.string())


def _dates(values: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return pc.cast(pc.utf8_slice_codeunits(values, 0, 10), pa.date32())
    return pc.cast(values, pa.date32())


def _years(values: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        return pc.cast(pc.year(values), pa.int64())
    return pc.cast(values, pa.int64())


def _bias(persons: pa.Table, linked: pa.Array) -> dict[str, Any]:
    """Match rates by age band (from a birth date or year), sex and region (of a postcode or
    commune code, :mod:`linkage.requested.regions`), of the columns the persons have."""
    groups: dict[str, pa.Array] = {}
    names = persons.column_names
    if "birth_date" in names:
        groups["age_band"] = persons.column("birth_date")
    elif "birth_year" in names:
        years = pc.cast(persons.column("birth_year"), pa.string())
        groups["age_band"] = pc.cast(pc.binary_join_element_wise(years, "01-01", "-"), pa.date32())
    if "sex" in names:
        groups["sex"] = persons.column("sex")
    place = next((c for c in ("postcode", "commune") if c in names), None)
    if place is not None:
        groups["region"] = regions.region(persons.column(place))
    if not groups:
        return {}
    table = pa.table(groups)
    rows = pc.cast(pc.indices_nonzero(linked), pa.int64())
    return match_rates(table, rows, {label: label for label in groups})
