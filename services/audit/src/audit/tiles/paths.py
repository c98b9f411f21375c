"""Tile paths of c2sp.org/tlog-tiles: ``<N>[.p/<W>]``, ``N`` in zero-padded 3-digit elements,
all but the last prefixed with ``x`` (1234067 is ``x001/x234/067``)."""

import re
from typing import NamedTuple

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_ELEMENT = re.compile(r"x[0-9]{3}")
_LAST = re.compile(r"[0-9]{3}")


class Tile(NamedTuple):
    index: int  # type: ignore[assignment]
    width: int
    """256 for a full tile."""


def encode_index(index: int) -> str:
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    elements = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{e}" for e in elements[:-1]), elements[-1]])


def tile_path(index: int, width: int = TILE_WIDTH) -> str:
    return encode_index(index) + ("" if width == TILE_WIDTH else f".p/{width}")


def parse_level(text: str) -> int | None:
    if not _LEVEL.fullmatch(text) or int(text) > MAX_LEVEL:
        return None
    return int(text)


def parse_tile(path: str) -> Tile | None:
    """``None`` for anything but the one canonical spelling of a tile."""
    index_part, partial, width_part = path.partition(".p/")
    width = TILE_WIDTH
    if partial:
        if not _WIDTH.fullmatch(width_part) or int(width_part) >= TILE_WIDTH:
            return None
        width = int(width_part)
    elements = index_part.split("/")
    if not _LAST.fullmatch(elements[-1]) or not all(map(_ELEMENT.fullmatch, elements[:-1])):
        return None
    index = int("".join(e.lstrip("x") for e in elements))
    if encode_index(index) != index_part or index >= 1 << 63:
        return None
    return Tile(index, width)
