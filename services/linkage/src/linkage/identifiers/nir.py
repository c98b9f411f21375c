"""The French NIR (numéro d'inscription au répertoire): 13 characters and a 2-digit key.

Layout: sex (1), year (2), month (2), department (2, ``2A``/``2B`` for Corsica), commune (3),
order (3), key (2). The key is ``97 - (number mod 97)`` where, for Corsica, the official
rule replaces ``2A`` by ``19`` and ``2B`` by ``18`` before computing the number.
Spaces, dots and dashes are removed and letters upper-cased before validation.

Where the C kernel of :mod:`linkage.pseudonyms` is built, it classifies straight from the
Arrow buffers the values that normalisation leaves unchanged (ASCII digits and capitals:
nearly all); the others go through the vectorised pyarrow rules below, and both agree.
"""

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from linkage.identifiers.checked import Checked, as_strings, blank_to_null, first_failure
from linkage.pseudonyms.hmac import native_kernel

LENGTH = 15
RULE_LENGTH = "nir.length"
RULE_CHARACTERS = "nir.characters"
RULE_SEX = "nir.sex"
RULE_KEY = "nir.key"
_SHAPE = r"^\d{5}(\d\d|2A|2B)\d{8}$"
_SEX_DIGITS = pa.array(["1", "2", "3", "4", "7", "8"])


def normalise(values: pa.Array) -> pa.Array:
    cleaned = pc.replace_substring_regex(blank_to_null(values), r"[\s.\-_]", "")
    return pc.utf8_upper(cleaned)


def control_key(bodies: pa.Array) -> pa.Array:
    """The key of well-shaped 13-character bodies (Corsica included), as int64."""
    corsica = pc.invert(pc.utf8_is_decimal(bodies))
    if not pc.any(corsica).as_py():
        return _key(pc.cast(bodies, pa.int64()))
    corsica_a = pc.match_substring(bodies, "2A")
    corsica_b = pc.match_substring(bodies, "2B")
    digits = pc.replace_substring(pc.replace_substring(bodies, "A", "0"), "B", "0")
    number = pc.cast(digits, pa.int64())
    number = pc.subtract(number, pc.multiply(pc.cast(corsica_a, pa.int64()), 1_000_000))
    number = pc.subtract(number, pc.multiply(pc.cast(corsica_b, pa.int64()), 2_000_000))
    return _key(number)


def _key(number: pa.Array) -> pa.Array:
    return pc.subtract(97, pc.subtract(number, pc.multiply(pc.divide(number, 97), 97)))


def _shaped(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Normalised values and whether each is well shaped; the costly clean-up (separators,
    lower case) runs only when some value needs it."""
    normal = blank_to_null(values)
    shaped = pc.fill_null(pc.match_substring_regex(normal, _SHAPE), False)
    if pc.all(pc.or_(shaped, pc.is_null(normal))).as_py():
        return normal, shaped
    normal = pc.if_else(shaped, normal, normalise(normal))
    return normal, pc.fill_null(pc.match_substring_regex(normal, _SHAPE), False)


def check(values: pa.Array) -> Checked:
    """Validate NIRs; the normalised 15-character value where valid, else null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = as_strings(values)
    kernel = native_kernel()
    if kernel is None or not len(text):
        return _check(text)
    return _check_native(kernel, text)


# The kernel's statuses, and the rule each invalid one breaks.
_VALID, _NULL, _OTHER = 0, 1, 2
_KERNEL_RULES = {3: RULE_SEX, 4: RULE_KEY, 5: RULE_LENGTH, 6: RULE_CHARACTERS}


def _statuses(kernel: Any, text: pa.Array) -> npt.NDArray[np.uint8]:
    validity, offsets, data = text.buffers()
    statuses = kernel.nir_status(
        validity if text.null_count else None,
        offsets,
        data if data is not None else b"",
        text.offset,
        len(text),
        pa.types.is_large_string(text.type),
    )
    return np.frombuffer(statuses, dtype=np.uint8)


def _check_native(kernel: Any, text: pa.Array) -> Checked:
    status = _statuses(kernel, text)
    counts = np.bincount(status, minlength=7)
    invalid = {rule: int(counts[code]) for code, rule in _KERNEL_RULES.items() if counts[code]}
    valid = _masked(text, status == _VALID)
    if not counts[_OTHER]:
        return Checked(valid, invalid, int(counts[_NULL]))
    others = status == _OTHER
    rest = _check(text.filter(pa.array(others)))
    for rule, n in rest.invalid.items():
        invalid[rule] = invalid.get(rule, 0) + n
    missing = int(counts[_NULL]) + rest.missing
    if rest.values.null_count == len(rest.values):  # nothing valid once normalised
        return Checked(valid, invalid, missing)
    merged = pc.replace_with_mask(valid, pa.array(others), rest.values.cast(text.type))
    return Checked(merged, invalid, missing)


def _masked(text: pa.Array, keep: npt.NDArray[np.bool_]) -> pa.Array:
    """``text`` with every value not in ``keep`` null (same buffers, a new validity bitmap)."""
    bits = np.packbits(np.concatenate([np.zeros(text.offset, bool), keep]), bitorder="little")
    _, offsets, data = text.buffers()
    return pa.Array.from_buffers(
        text.type,
        len(text),
        [pa.py_buffer(bits), offsets, data or pa.py_buffer(b"")],
        null_count=len(text) - int(np.count_nonzero(keep)),
        offset=text.offset,
    )


def _check(values: pa.Array) -> Checked:
    normal, shaped = _shaped(values)
    present = pc.is_valid(normal)
    safe = pc.if_else(shaped, normal, "000000000000097")
    key = pc.cast(pc.utf8_slice_codeunits(safe, 13, 15), pa.int64())
    expected = control_key(pc.utf8_slice_codeunits(safe, 0, 13))
    valid, counts = first_failure(
        [
            (RULE_LENGTH, pc.not_equal(pc.utf8_length(normal), LENGTH)),
            (RULE_CHARACTERS, pc.invert(shaped)),
            (RULE_SEX, pc.invert(pc.is_in(pc.utf8_slice_codeunits(normal, 0, 1), _SEX_DIGITS))),
            (RULE_KEY, pc.not_equal(key, expected)),
        ],
        present,
    )
    missing = len(normal) - int(pc.sum(pc.cast(present, pa.int64())).as_py() or 0)
    return Checked(pc.if_else(valid, normal, pa.scalar(None, pa.string())), counts, missing)


def with_key(body: str) -> str:
    """A 13-character body followed by its key (for tests and synthetic data)."""
    key = control_key(pa.array([body.upper()]))[0].as_py()
    return f"{body.upper()}{key:02d}"
