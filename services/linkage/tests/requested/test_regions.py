"""Issue 18: a requested linkage's report shows its match rate by region, and persons whose
code has no region are counted in an ``unknown`` group, not left out."""

import uuid
from collections import Counter
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from linkage.events import ProbabilisticNeed
from linkage.matching.french_population import population
from linkage.matching.linker import link
from linkage.requested.linking import Source, probabilistic
from linkage.requested.regions import REGIONS, UNKNOWN, region

PERSONS = 300
PLACES = [
    ("75011", "Île-de-France"),
    ("92100", "Île-de-France"),
    ("2A004", "Corse"),  # a commune code
    ("20090", "Corse"),  # a postcode
    ("97411", "La Réunion"),
    ("13001", "Provence-Alpes-Côte d'Azur"),
    ("99134", UNKNOWN),  # abroad
    ("97500", UNKNOWN),  # Saint-Pierre-et-Miquelon, a collectivity
    (None, UNKNOWN),
    ("7", UNKNOWN),
]
"""Person ``p`` lives at ``PLACES[p % 10]``: 30 persons of the cohort at each place."""
QUASI = ["surname", "given_name", "birth_date", "sex", "postcode"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("01001", "Auvergne-Rhône-Alpes"),
        ("2b033", "Corse"),
        (" 59350 ", "Hauts-de-France"),
        ("97209", "Martinique"),
        ("97611", "Mayotte"),
        ("96000", UNKNOWN),
        ("98000", UNKNOWN),  # Monaco
        ("", UNKNOWN),
        *PLACES,
    ],
)
def test_a_code_has_its_region_or_is_unknown(code: str | None, expected: str) -> None:
    assert region(pa.array([code], pa.string())).to_pylist() == [expected]


def test_the_table_holds_the_18_regions_and_each_departement_once() -> None:
    departments = [d for _, ds in REGIONS.values() for d in ds if d != "20"]
    assert len(REGIONS) == 18
    assert len(departments) == len(set(departments)) == 101


def test_the_report_gives_the_match_rate_of_each_region_unknown_included(
    tmp_path: Path,
) -> None:
    people = population(PERSONS, seed=18)
    sources = [
        source(tmp_path, "left", people.left, people.left_person),
        source(tmp_path, "right", people.right, people.right_person),
    ]
    need = ProbabilisticNeed.model_validate(
        {
            "method": "probabilistic",
            "left": {"dataset_id": sources[0].dataset_id, "table": "left", "person": "person"},
            "right": {"dataset_id": sources[1].dataset_id, "table": "right", "person": "person"},
            "compare": [{"kind": k, "left": k, "right": k} for k in QUASI],
        }
    )

    linked = probabilistic(need, *sources, where="linkage 1", link=link)

    persons = Counter(PLACES[p % len(PLACES)][1] for p in range(PERSONS))
    regions = {"Île-de-France": 60, "Corse": 60, "La Réunion": 30, UNKNOWN: 120}
    assert persons == regions | {"Provence-Alpes-Côte d'Azur": 30}
    left = linked.links["left_pseudonym"].to_pylist()
    found = Counter(PLACES[int(p[1:]) % len(PLACES)][1] for p in left)
    expected = {r: round(found[r] / n, 4) for r, n in persons.items()}
    assert linked.report["match_rate_by_group"]["region"] == expected
    assert sum(found.values()) == linked.links.num_rows > 0.7 * PERSONS


def source(folder: Path, name: str, table: pa.Table, person: npt.NDArray[np.int64]) -> Source:
    """The persons keyed by ``P<person>``, living at their place of :data:`PLACES`; names
    upper-cased on both sides (the referential's are)."""
    data = pa.table(
        {
            "surname": pc.utf8_upper(table["surname"]),
            "given_name": pc.utf8_upper(table["given_name"]),
            "birth_date": table["birth_date"],
            "sex": table["sex"],
            "postcode": pa.array([PLACES[p % len(PLACES)][0] for p in person.tolist()]),
            "person": [f"P{p}" for p in person.tolist()],
        }
    )
    path = folder / f"{name}.parquet"
    pq.write_table(data, path)
    return Source(uuid.uuid4(), name, path, {c: c for c in QUASI} | {"person": "pseudonym"})
