"""Columns whose values identify people, whatever their name or declaration said.

The values of each column not already an identifier are counted against these rules, block
by block (vectorised, in the memory of one block); at the end a column is an identifier when
enough of its non-empty values follow one rule. The NIR rules see every value; the others,
which judge a column by a share of its values, see the first ``SAMPLE`` values of each
block, as Frictionless infers a schema from a sample (the whole file costs a fifth of the
validation's time for the same verdict):

- ``nir-shape``: at least 10 % look like a NIR: 13 digits, or 15 with the key, starting with
  1, 2, 7 or 8 (so CIP13 and French EAN-13 codes, which start with 3, do not), a month 01-12
  or 20-99, Corsica's 2A/2B allowed. Kind ``nir`` when at least half of those carry a valid
  key (97 - the number mod 97), ``direct`` otherwise;
- ``nir-key``: at least 1 % are NIRs with a valid key (one value in 97 passes by chance);
- ``email`` and ``phone`` (French numbers: 0 or +33 then nine digits): at least 10 %;
- ``first-name``: at least 30 % start with a common French first name (kind ``name``).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from catalog.uploads.first_names import FIRST_NAMES
from hdh_identifiers import nir
from hdh_identifiers.nir_arrow import keys_match

SAMPLE = 16_384
SHAPE_SHARE = 0.10
KEY_SHARE = 0.01
NAME_SHARE = 0.30
# The NIR's layout, the key optional, starting as a scan accepts, a real month; either case.
_NIR_LAYOUT = nir.pattern(first=nir.SCAN_FIRST_DIGITS, month=nir.MONTH, optional_key=True)
_NIR = f"^{_NIR_LAYOUT}$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
_PHONE = r"^(\+33 ?|0033 ?|0)[1-9]([ .-]?\d{2}){4}$"
_NIR_LENGTHS = pa.array([13, 15], pa.int32())
_NAMES = pa.array(sorted(FIRST_NAMES), pa.string())
_NIR_FIRST = np.frombuffer(nir.SCAN_FIRST_DIGITS.encode(), np.uint8)


@dataclass
class _Counts:
    present: int = 0
    sampled: int = 0
    shaped: int = 0
    keyed: int = 0
    email: int = 0
    phone: int = 0
    name: int = 0

    def finding(self) -> tuple[str, str] | None:
        """The identifier kind and the rule that fired, if one did."""
        if self.present == 0:
            return None
        return self._nir() or (self._sampled() if self.sampled else None)

    def _nir(self) -> tuple[str, str] | None:
        if self.shaped >= SHAPE_SHARE * self.present:
            return ("nir", "nir-key") if 2 * self.keyed >= self.shaped else ("direct", "nir-shape")
        if self.keyed >= KEY_SHARE * self.present:
            return "nir", "nir-key"
        return None

    def _sampled(self) -> tuple[str, str] | None:
        if self.email >= SHAPE_SHARE * self.sampled:
            return "direct", "email"
        if self.phone >= SHAPE_SHARE * self.sampled:
            return "direct", "phone"
        if self.name >= NAME_SHARE * self.sampled:
            return "name", "first-name"
        return None


class IdentifierScan:
    def __init__(self, columns: Iterable[str]) -> None:
        self.counts = {name: _Counts() for name in columns}

    def add(self, name: str, array: pa.Array) -> None:
        counts = self.counts.get(name)
        if counts is None:
            return
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        if pa.types.is_large_string(array.type):
            array = array.cast(pa.string())
        if pa.types.is_string(array.type):
            _scan_text(array, counts)
        elif pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
            counts.present += len(array) - array.null_count
            _scan_nirs(_numbers_as_text(array), counts)

    def found(self) -> dict[str, tuple[str, str]]:
        """Each column found to identify people: its identifier kind and the rule that fired."""
        findings = {name: counts.finding() for name, counts in self.counts.items()}
        return {name: finding for name, finding in findings.items() if finding is not None}


def _scan_text(array: pa.Array, counts: _Counts) -> None:
    lengths = pc.binary_length(array)
    shortest, longest = pc.min_max(lengths).values()
    empty = array.null_count > 0 or shortest.as_py() == 0
    present = array.filter(pc.greater(lengths, 0)) if empty else array
    counts.present += len(present)
    if not len(present):
        return
    if shortest.as_py() <= 15 and longest.as_py() >= 13:  # a NIR has 13 or 15 characters
        _scan_nirs(array.filter(pc.is_in(lengths, value_set=_NIR_LENGTHS)), counts)
    present = present.slice(0, SAMPLE)
    counts.sampled += len(present)
    if _holds(present, b"@"):
        counts.email += _matches(present.filter(pc.match_substring(present, "@")), _EMAIL)
    dialled = pc.starts_with(present, "0")
    if _holds(present, b"+"):
        dialled = pc.or_(dialled, pc.starts_with(present, "+"))
    counts.phone += _matches(present.filter(dialled), _PHONE)
    counts.name += _first_names(pc.ascii_lower(present), spaced=_holds(present, b" "))


def _holds(array: pa.Array, needle: bytes) -> bool:
    """Whether ``needle`` is in any value: one search of the array's bytes, far cheaper than
    a test per value."""
    _, offsets, data = array.buffers()
    if not len(array) or data is None:
        return False
    bounds = np.frombuffer(offsets, np.int32)[array.offset : array.offset + len(array) + 1]
    return memoryview(data)[bounds[0] : bounds[-1]].tobytes().find(needle) >= 0


def _first_names(lowered: pa.Array, *, spaced: bool) -> int:
    """How many values are, or start with, a first name (then a space)."""
    if spaced:
        spaced_values = pc.match_substring(lowered, " ")
        spaced = pc.any(spaced_values).as_py() is True
    if spaced:
        split = pc.split_pattern(lowered.filter(spaced_values), " ", max_splits=1)
        lowered = pa.concat_arrays(
            [lowered.filter(pc.invert(spaced_values)), pc.list_element(split, 0)]
        )
    return int(pc.sum(pc.is_in(lowered, value_set=_NAMES)).as_py() or 0)


def _matches(array: pa.Array, pattern: str) -> int:
    if not len(array):
        return 0
    return int(pc.sum(pc.match_substring_regex(array, pattern)).as_py() or 0)


def _scan_nirs(candidates: pa.Array, counts: _Counts) -> None:
    """``candidates``: values of 13 or 15 characters."""
    if len(candidates):
        candidates = candidates.filter(np.isin(_first_bytes(candidates), _NIR_FIRST))
    if not len(candidates):
        return
    shaped = candidates.filter(pc.match_substring_regex(candidates, _NIR, ignore_case=True))
    counts.shaped += len(shaped)
    counts.keyed += _valid_keys(shaped.filter(pc.equal(pc.binary_length(shaped), 15)))


def _first_bytes(array: pa.Array) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The first byte of each value (none empty): a test far cheaper than a regular expression
    that most values fail at their first character."""
    _, offsets, data = array.buffers()
    starts = np.frombuffer(offsets, np.int32)[array.offset : array.offset + len(array)]
    return np.frombuffer(data, np.uint8)[starts]


def _valid_keys(nirs: pa.Array) -> int:
    if not len(nirs):
        return 0
    return int(pc.sum(keys_match(pc.utf8_upper(nirs))).as_py() or 0)


def _numbers_as_text(array: pa.Array) -> pa.Array:
    """The numbers of 13 or 15 digits, as text: the only ones that may be NIRs."""
    if array.null_count == len(array) or pc.max(array).as_py() < 10**12:
        return pa.array([], pa.string())
    short = pc.and_(pc.greater_equal(array, 10**12), pc.less(array, 10**13))
    long = pc.and_(pc.greater_equal(array, 10**14), pc.less(array, 10**15))
    candidates = array.filter(pc.or_(short, long))
    if pa.types.is_floating(candidates.type):
        candidates = candidates.filter(pc.equal(candidates, pc.floor(candidates)))
    return pc.cast(pc.cast(candidates, pa.int64()), pa.string())


# The same rules, found anywhere in one value or in a message quoting values.
_ONE_NIR = re.compile(rf"(?<!\d){_NIR_LAYOUT}(?!\d)", re.IGNORECASE)
_ONE_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_ONE_PHONE = re.compile(r"(\+33 ?|0033 ?|0)[1-9]([ .-]?\d{2}){4}")


def looks_identifying(value: object) -> bool:
    """Whether one value (or a message quoting values) holds something that may identify."""
    if not isinstance(value, str):
        return isinstance(value, int | float) and looks_identifying(str(value))
    if any(p.search(value) for p in (_ONE_NIR, _ONE_EMAIL, _ONE_PHONE)):
        return True
    first = value.strip().split(" ", 1)[0].lower()
    return first in FIRST_NAMES
