"""Checking NIRs (rules in :mod:`hdh_identifiers.nir`), rule by rule, for the jobs' reports.

Spaces, dots, dashes and underscores are removed and letters upper-cased before validation.

Where the C kernel of :mod:`linkage.pseudonyms` is built, it classifies straight from the
Arrow buffers the values that normalisation leaves unchanged (ASCII digits and capitals:
nearly all); the others go through the vectorised pyarrow rules below, and both agree.
"""

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from hdh_identifiers.nir import LENGTH, SEX_DIGITS, control_key, pattern
from hdh_identifiers.nir_arrow import keys_match
from linkage.identifiers.checked import Checked, as_strings, blank_to_null, first_failure
from linkage.pseudonyms.hmac import native_kernel

RULE_LENGTH = "nir.length"
RULE_CHARACTERS = "nir.characters"
RULE_SEX = "nir.sex"
RULE_KEY = "nir.key"
_SHAPE = f"^{pattern(first='0-9')}$"
_SEX_DIGITS = pa.array(list(SEX_DIGITS))


def normalise(values: pa.Array) -> pa.Array:
    cleaned = pc.replace_substring_regex(blank_to_null(values), r"[\s.\-_]", "")
    return pc.utf8_upper(cleaned)


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
    valid, counts = first_failure(
        [
            (RULE_LENGTH, pc.not_equal(pc.utf8_length(normal), LENGTH)),
            (RULE_CHARACTERS, pc.invert(shaped)),
            (RULE_SEX, pc.invert(pc.is_in(pc.utf8_slice_codeunits(normal, 0, 1), _SEX_DIGITS))),
            (RULE_KEY, pc.invert(keys_match(safe))),
        ],
        present,
    )
    missing = len(normal) - int(pc.sum(pc.cast(present, pa.int64())).as_py() or 0)
    return Checked(pc.if_else(valid, normal, pa.scalar(None, pa.string())), counts, missing)


def with_key(body: str) -> str:
    """A 13-character body followed by its key (for tests and synthetic data)."""
    return f"{body.upper()}{control_key(body):02d}"
