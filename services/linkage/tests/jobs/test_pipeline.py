import os
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkage.events import PSEUDONYMISED_KINDS, ColumnSpec, Identifier
from linkage.jobs.pipeline import (
    NAME_KEY_TAGS,
    PROJECT_TAG,
    TAGS,
    Cancelled,
    CentralKey,
    PipelineError,
    extract_file,
    nir_shaped,
    pseudonymise_file,
    read_metadata,
)
from linkage.matching import french
from linkage.pseudonyms.hmac import KeyedHasher

from ..support import CLEAR_VALUES, PEOPLE_COLUMNS, VALID_NIRS, people_table, snds_beneficiaries

CENTRAL_SECRET = os.urandom(32)


def central(version: int = 1, secret: bytes = CENTRAL_SECRET) -> CentralKey:
    hashers = {k: KeyedHasher(secret, tag=TAGS[k]) for k in PSEUDONYMISED_KINDS}
    return CentralKey(domain="central", version=version, hashers=hashers)


def project(name: str, version: int = 1, secret: bytes | None = None) -> CentralKey:
    hasher = KeyedHasher(secret or os.urandom(32), tag=PROJECT_TAG)
    return CentralKey(domain=f"project:{name}", version=version, hashers={Identifier.NONE: hasher})


def write(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path)
    return path


def pseudonymise(tmp_path: Path, table: pa.Table, columns: list[dict[str, str]]) -> Path:
    target = tmp_path / f"central-{len(list(tmp_path.iterdir()))}.parquet"
    seen: list[int] = []
    pseudonymise_file(
        write(table, tmp_path / "landing.parquet"),
        target,
        columns=[ColumnSpec.model_validate(c) for c in columns],
        key=central(),
        batch_rows=3,
        progress=seen.append,
    )
    assert sum(seen) == table.num_rows and len(seen) > 1
    return target


def all_cells(path: Path) -> set[str]:
    table = pq.read_table(path)
    return {str(v) for column in table.columns for v in column.to_pylist()}


def test_identifiers_are_replaced_and_invalid_ones_counted_not_hashed(tmp_path: Path) -> None:
    source = tmp_path / "landing.parquet"
    outcome = pseudonymise_file(
        write(people_table(), source),
        tmp_path / "central.parquet",
        columns=[ColumnSpec.model_validate(c) for c in PEOPLE_COLUMNS],
        key=central(),
        batch_rows=4,
        progress=lambda _: None,
    )
    out = pq.read_table(tmp_path / "central.parquet")
    nirs = out.column("NIR").to_pylist()
    assert nirs[0] == nirs[5] and len(set(nirs[:5])) == 5
    assert nirs[6:] == [None] * 4
    assert outcome.columns["NIR"].invalid == {"nir.key": 1, "nir.length": 1, "nir.characters": 1}
    assert outcome.columns["NIR"].missing == 1 and outcome.columns["NIR"].valid == 6
    assert outcome.columns["SEXE"].invalid == {"sex.unknown": 1}
    assert out.column("ACTE").to_pylist() == people_table().column("ACTE").to_pylist()
    assert out.schema.field("DATE_NAISSANCE").type == pa.date32()
    assert not set(CLEAR_VALUES) & all_cells(tmp_path / "central.parquet")
    assert read_metadata(tmp_path / "central.parquet") == (1, ["NIR", "NOM"])


def test_names_get_keyed_derived_keys_comparable_across_columns_not_across_keys(
    tmp_path: Path,
) -> None:
    table = pa.table(
        {
            "PRENOM": ["Jean-Pierre", "JEAN PIERRE", "Jean", "Marie", None],
            "NOM": ["Lefèvre", "LEFEBVRE", "de Lefèvre", "Marie", "Dupont"],
            "NOM_USAGE": ["Dupont", None, "Lefevre", None, "X1"],
        }
    )
    key = central()
    name_keys = {k: KeyedHasher(CENTRAL_SECRET, tag=tag) for k, tag in NAME_KEY_TAGS.items()}
    pseudonymise_file(
        write(table, tmp_path / "landing.parquet"),
        tmp_path / "central.parquet",
        columns=[ColumnSpec(name=n, identifier=Identifier.NAME) for n in table.column_names],
        key=CentralKey(key.domain, key.version, key.hashers, name_keys),
        batch_rows=2,
        progress=lambda _: None,
    )
    out = pq.read_table(tmp_path / "central.parquet").to_pydict()
    derived = [f"{n}:{k}" for n in table.column_names for k in ("norm", "first", "phonetic")]
    assert list(out)[3:] == derived
    assert read_metadata(tmp_path / "central.parquet")[1] == [*table.column_names, *derived]
    assert out["PRENOM:norm"][0] == out["PRENOM:norm"][1] != out["PRENOM:norm"][2]
    assert out["PRENOM:first"][0] == out["PRENOM:first"][2] == out["PRENOM:first"][1]
    assert out["NOM:phonetic"][0] == out["NOM:phonetic"][1] == out["NOM:phonetic"][2]
    assert out["NOM:norm"][0] == out["NOM:norm"][2] == out["NOM_USAGE:norm"][2]  # particle
    assert out["NOM:norm"][3] == out["PRENOM:norm"][3] != out["NOM:first"][3]  # MARIE
    assert out["NOM:norm"][4] == out["NOM_USAGE:norm"][0]
    assert out["PRENOM:phonetic"][4] is None and out["NOM_USAGE:first"][4] is None  # invalid
    values = pa.chunked_array([c for column in table.columns for c in column.chunks])
    clear = {v.upper() for v in values.to_pylist() if v}
    clear |= {v for k in french.DERIVED for v in french.derive(values, k).to_pylist() if v}
    assert {"JEAN", "JEANPIERRE", "LEFEVRE"} <= clear
    assert not clear & {str(v).upper() for column in out.values() for v in column}


def test_national_pseudonyms_are_keyed_into_the_central_domain(tmp_path: Path) -> None:
    snds = snds_beneficiaries()
    columns = [
        {"name": "BEN_NIR_PSA", "identifier": "national_pseudonym"},
        {"name": "BEN_SEX_COD", "identifier": "sex"},
    ]
    target = pseudonymise(tmp_path, snds, columns)
    out = pq.read_table(target)
    clear = set(snds.column("BEN_NIR_PSA").to_pylist())
    assert not clear & set(out.column("BEN_NIR_PSA").to_pylist())
    assert out.column("BEN_NIR_PSA").null_count == 0
    assert out.column("BEN_RES_DPT").to_pylist() == snds.column("BEN_RES_DPT").to_pylist()


def test_declared_columns_must_exist(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="GHOST"):
        pseudonymise(tmp_path, people_table(), [{"name": "GHOST", "identifier": "nir"}])


DECLARED = {c["name"]: Identifier(c["identifier"]) for c in PEOPLE_COLUMNS}


def extract(source: Path, target: Path, key: CentralKey, variables: list[str]) -> list[str]:
    extract_file(
        source,
        target,
        table="PEOPLE",
        variables=variables,
        declared=DECLARED,
        project=key,
        batch_rows=4,
        progress=lambda _: None,
    )
    return pq.read_table(target).column("NIR").to_pylist()


def test_projects_get_unlinkable_pseudonyms_shared_across_their_datasets(tmp_path: Path) -> None:
    first = pseudonymise(tmp_path, people_table(), PEOPLE_COLUMNS)
    second = pseudonymise(tmp_path, people_table().slice(0, 5), PEOPLE_COLUMNS)
    alpha, beta = project("alpha"), project("beta")
    alpha_1 = extract(first, tmp_path / "a1.parquet", alpha, ["NIR", "MONTANT"])
    alpha_2 = extract(second, tmp_path / "a2.parquet", alpha, ["NIR", "MONTANT"])
    beta_1 = extract(first, tmp_path / "b1.parquet", beta, ["NIR", "MONTANT"])
    assert alpha_1[:5] == alpha_2  # same person, two datasets of one project: same pseudonym
    assert not set(alpha_1[:5]) & set(beta_1[:5])  # two projects: nothing in common
    assert not set(alpha_1[:5]) & set(pq.read_table(first).column("NIR").to_pylist())
    assert pq.read_schema(tmp_path / "a1.parquet").names == ["NIR", "MONTANT"]


def test_rotation_changes_pseudonyms_only_under_the_new_version(tmp_path: Path) -> None:
    source = pseudonymise(tmp_path, people_table(), PEOPLE_COLUMNS)
    secret_v1, secret_v2 = os.urandom(32), os.urandom(32)
    v1 = extract(source, tmp_path / "v1.parquet", project("p", 1, secret_v1), ["NIR"])
    again = extract(source, tmp_path / "v1b.parquet", project("p", 1, secret_v1), ["NIR"])
    v2 = extract(source, tmp_path / "v2.parquet", project("p", 2, secret_v2), ["NIR"])
    assert v1 == again
    assert not set(v1[:5]) & set(v2[:5])
    assert read_metadata(tmp_path / "v1.parquet")[0] == 1
    assert read_metadata(tmp_path / "v2.parquet")[0] == 2


def test_objecting_persons_are_excluded_and_counted(tmp_path: Path) -> None:
    source = pseudonymise(tmp_path, people_table(), PEOPLE_COLUMNS)
    objector = pq.read_table(source).column("NIR")[0]
    outcome = extract_file(
        source,
        tmp_path / "x.parquet",
        table="PEOPLE",
        variables=["NIR", "ACTE"],
        declared=DECLARED,
        project=project("p"),
        batch_rows=4,
        progress=lambda _: None,
        excluded_persons=pa.array([objector.as_py()]),
    )
    assert outcome.excluded == 2 and outcome.rows_out == outcome.rows_in - 2


def test_an_extract_needs_at_least_one_granted_variable(tmp_path: Path) -> None:
    source = pseudonymise(tmp_path, people_table(), PEOPLE_COLUMNS)
    with pytest.raises(PipelineError):
        extract(source, tmp_path / "none.parquet", project("p"), ["NOT_THERE"])


def test_batch_threads_give_the_same_output_and_counts(tmp_path: Path) -> None:
    table = pa.concat_tables([people_table()] * 40)
    source = write(table, tmp_path / "landing.parquet")
    columns = [ColumnSpec.model_validate(c) for c in PEOPLE_COLUMNS]
    outcomes = [
        pseudonymise_file(
            source,
            tmp_path / f"out-{workers}.parquet",
            columns=columns,
            key=central(),
            batch_rows=16,
            progress=lambda _: None,
            workers=workers,
        )
        for workers in (1, 2)
    ]
    assert outcomes[0] == outcomes[1]
    assert outcomes[0].columns["NIR"].invalid == {
        "nir.key": 40,
        "nir.length": 40,
        "nir.characters": 40,
    }
    single, parallel = (pq.read_table(tmp_path / f"out-{w}.parquet") for w in (1, 2))
    assert single.equals(parallel)


def test_a_cancelled_parallel_run_stops_its_threads(tmp_path: Path) -> None:
    source = write(pa.concat_tables([people_table()] * 40), tmp_path / "landing.parquet")
    before = threading.active_count()

    def cancel(_: int) -> None:
        raise Cancelled()

    with pytest.raises(Cancelled):
        pseudonymise_file(
            source,
            tmp_path / "out.parquet",
            columns=[ColumnSpec.model_validate(c) for c in PEOPLE_COLUMNS],
            key=central(),
            batch_rows=16,
            progress=cancel,
            workers=2,
        )
    assert threading.active_count() == before


def pseudonym_chunk(path: Path, column: str) -> pq.ColumnChunkMetaData:
    metadata = pq.ParquetFile(path).metadata
    return metadata.row_group(0).column(metadata.schema.names.index(column))


@pytest.mark.parametrize("copies", [1, 8])
def test_pseudonyms_are_stored_plain_unless_they_repeat(tmp_path: Path, copies: int) -> None:
    people = pa.table({"NIR": [nir for nir in VALID_NIRS for _ in range(copies)]})
    target = tmp_path / "central.parquet"
    pseudonymise_file(
        write(people, tmp_path / "landing.parquet"),
        target,
        columns=[ColumnSpec(name="NIR", identifier=Identifier.NIR)],
        key=central(),
        batch_rows=64,
        progress=lambda _: None,
    )
    chunk = pseudonym_chunk(target, "NIR")
    assert chunk.compression == "UNCOMPRESSED" and not chunk.is_stats_set
    assert chunk.has_dictionary_page == (copies > 1)
    assert (
        pq.read_table(target).column("NIR").to_pylist()
        == central().hashers[Identifier.NIR].pseudonyms(people.column("NIR")).to_pylist()
    )


def test_other_columns_keep_compression_and_statistics(tmp_path: Path) -> None:
    target = pseudonymise(tmp_path, people_table(), PEOPLE_COLUMNS)
    chunk = pseudonym_chunk(target, "MONTANT")
    assert chunk.compression == "SNAPPY" and chunk.is_stats_set


@pytest.mark.parametrize(
    "values",
    [
        pa.array(["A1", "1841276451089"]),
        pa.array(["A1", "184127645108947"]),
        pa.array(["169022A004013"]),
        pa.array(["2 69 02 2b 004 016 45"]),
        pa.array(["seen 1841276451089 yesterday"]),
        pa.array([1841276451089, None], pa.int64()),
        pa.array(["1841276451089"]).dictionary_encode(),
        pa.array(["x", "2920375123456"], pa.large_string()),
    ],
)
def test_nir_shaped_values_are_found(values: pa.Array) -> None:
    assert nir_shaped(values)


@pytest.mark.parametrize(
    "values",
    [
        pa.array(["A1", "2020-01-01", None]),
        pa.array(["18412764510"]),
        pa.array(["18412764510894712"]),
        pa.array(["5841276451089"]),
        pa.array(["3400930000000", "3400936403114"]),  # CIP13 drug codes (SNDS pharmacy)
        pa.array([3400930000000], pa.int64()),
        pa.array([184127645108, 12], pa.int64()),
        pa.array([1841276451089.0]),
        pa.array([None, None], pa.string()),
    ],
)
def test_other_values_are_not_nir_shaped(values: pa.Array) -> None:
    assert not nir_shaped(values)
