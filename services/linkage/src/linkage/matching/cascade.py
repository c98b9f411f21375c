"""Linkage in passes: exact on pseudonyms first, then Fellegi-Sunter on what is left.

Every link records the pass that made it and its weight (``inf`` for a deterministic one).
"""

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.matching import fellegi_sunter as fs
from linkage.matching.linker import Linker, Report

DETERMINISTIC, PROBABILISTIC = "deterministic", "probabilistic"
LINK_SCHEMA = pa.schema(
    [
        ("left_row", pa.int64()),
        ("right_row", pa.int64()),
        ("pass", pa.string()),
        ("weight", pa.float64()),
    ]
)
REVIEW_SCHEMA = pa.schema(
    [
        ("left_row", pa.int64()),
        ("right_row", pa.int64()),
        ("weight", pa.float64()),
        ("probability", pa.float64()),
    ]
)


def deterministic(left: pa.Table, right: pa.Table, columns: Sequence[str]) -> pa.Table:
    """Rows equal on every pseudonym column (nulls never link)."""
    keyed_left = left.select(list(columns)).append_column(
        "left_row", pa.array(np.arange(left.num_rows))
    )
    keyed_right = right.select(list(columns)).append_column(
        "right_row", pa.array(np.arange(right.num_rows))
    )
    for name in columns:
        keyed_left = keyed_left.filter(pc.is_valid(keyed_left.column(name)))
        keyed_right = keyed_right.filter(pc.is_valid(keyed_right.column(name)))
    joined = keyed_left.join(keyed_right, keys=list(columns), join_type="inner")
    n = joined.num_rows
    return pa.table(
        [
            joined.column("left_row"),
            joined.column("right_row"),
            pa.array([DETERMINISTIC] * n),
            pa.array(np.full(n, np.inf)),
        ],
        schema=LINK_SCHEMA,
    )


def cascade(
    left: pa.Table,
    right: pa.Table,
    *,
    pseudonym_columns: Sequence[str],
    settings: fs.Settings | None,
    link: Linker,
) -> tuple[pa.Table, pa.Table, Report | None]:
    """Links of both passes, the pairs to review (near the probabilistic threshold), the
    probabilistic report; ``link`` runs the probabilistic pass."""
    exact = (
        deterministic(left, right, pseudonym_columns)
        if pseudonym_columns
        else LINK_SCHEMA.empty_table()
    )
    if settings is None:
        return exact, REVIEW_SCHEMA.empty_table(), None
    rest_left = np.setdiff1d(np.arange(left.num_rows), exact.column("left_row").to_numpy())
    rest_right = np.setdiff1d(np.arange(right.num_rows), exact.column("right_row").to_numpy())
    linked = link(settings, left.take(pa.array(rest_left)), right.take(pa.array(rest_right)))
    links, review = linked.links, linked.review
    n = len(links.left)
    probabilistic = pa.table(
        [
            pa.array(rest_left[links.left]),
            pa.array(rest_right[links.right]),
            pa.array([PROBABILISTIC] * n),
            pa.array(links.weight),
        ],
        schema=LINK_SCHEMA,
    )
    pairs = pa.table(
        [
            pa.array(rest_left[review.left]),
            pa.array(rest_right[review.right]),
            pa.array(review.weight),
            pa.array(review.probability),
        ],
        schema=REVIEW_SCHEMA,
    )
    return pa.concat_tables([exact, probabilistic]), pairs, linked.report
