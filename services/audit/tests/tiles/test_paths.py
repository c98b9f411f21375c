import pytest

from audit.tiles.paths import Tile, encode_index, parse_level, parse_tile, tile_path


@pytest.mark.parametrize(
    ("index", "path"),
    [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_index_encoding(index: int, path: str) -> None:
    assert encode_index(index) == path
    assert parse_tile(path) == Tile(index, 256)
    assert parse_tile(path + ".p/17") == Tile(index, 17)
    assert tile_path(index, 17) == path + ".p/17"


@pytest.mark.parametrize(
    "path", ["", "1", "0000", "x000/001", "001/000", "x1/000", "000.p/", "000.p/01", "000.p/-1"]
)
def test_non_canonical_paths(path: str) -> None:
    assert parse_tile(path) is None


def test_levels() -> None:
    assert [parse_level(text) for text in ("0", "9", "63", "64", "01", "", "a")] == [
        0,
        9,
        63,
        None,
        None,
        None,
        None,
    ]
