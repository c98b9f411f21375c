"""The NIR's control key over Arrow arrays of well-shaped values (see :mod:`.nir`)."""

import pyarrow as pa
import pyarrow.compute as pc


def control_keys(bodies: pa.Array) -> pa.Array:
    """The key of each well-shaped 13-character upper-case body (Corsica included), as int64."""
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


def keys_match(nirs: pa.Array) -> pa.Array:
    """Whether each well-shaped 15-character upper-case NIR ends with its body's key."""
    keys = pc.cast(pc.utf8_slice_codeunits(nirs, 13, 15), pa.int64())
    return pc.equal(keys, control_keys(pc.utf8_slice_codeunits(nirs, 0, 13)))


def _key(number: pa.Array) -> pa.Array:
    return pc.subtract(97, pc.subtract(number, pc.multiply(pc.divide(number, 97), 97)))
