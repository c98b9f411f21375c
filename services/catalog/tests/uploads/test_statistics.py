"""The small-cell rule on column statistics: suppression that a total cannot undo."""

from catalog.uploads.statistics import mask

THRESHOLD = 10


def summary(**values: object) -> dict[str, object]:
    return {"count": 100, "missing": 0, "low": None, "high": None, "categories": None} | values


def test_one_small_category_hides_the_next_smallest_too() -> None:
    masked = mask(summary(categories={"1": 60, "2": 37, "9": 3}), THRESHOLD)
    assert masked.categories == {"1": 60, "2": None, "9": None} and masked.masked


def test_a_small_missing_count_is_a_cell_of_the_partition() -> None:
    masked = mask(summary(missing=4, categories={"1": 50, "2": 46}), THRESHOLD)
    assert masked.missing is None
    assert masked.categories == {"1": 50, "2": None}


def test_two_small_cells_are_enough() -> None:
    masked = mask(summary(categories={"1": 90, "2": 5, "9": 5}), THRESHOLD)
    assert masked.categories == {"1": 90, "2": None, "9": None}


def test_no_small_cell_shows_everything() -> None:
    masked = mask(summary(missing=20, categories={"1": 50, "2": 30}), THRESHOLD)
    assert (masked.missing, masked.categories, masked.masked) == (20, {"1": 50, "2": 30}, False)


def test_bounds_are_coarsened_and_never_an_exact_extreme() -> None:
    masked = mask(summary(low=61.37, high=187.2), THRESHOLD)
    assert (masked.min, masked.max) == (60.0, 190.0)  # steps of a tenth of the spread's power


def test_statistics_recorded_with_exact_extremes_do_not_serve_them() -> None:
    masked = mask(summary(min=1.0, max=9.0), THRESHOLD)
    assert (masked.min, masked.max) == (None, None)


def test_a_small_column_shows_nothing() -> None:
    masked = mask(summary(count=9, low=1.0, high=2.0), THRESHOLD)
    assert (masked.count, masked.min, masked.max, masked.masked) == (None, None, None, True)
