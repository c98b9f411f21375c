"""Person names: accents removed, upper case, punctuation to spaces, spaces collapsed."""

import pyarrow as pa
import pyarrow.compute as pc

from linkage.identifiers.checked import Checked, blank_to_null, first_failure

RULE_EMPTY = "name.empty"
RULE_CHARACTERS = "name.characters"


def normalise(values: pa.Array) -> pa.Array:
    text = pc.utf8_normalize(blank_to_null(values), form="NFKD")
    text = pc.replace_substring_regex(text, r"\p{Mn}", "")
    text = pc.utf8_upper(text)
    text = pc.replace_substring(text, "Œ", "OE")
    text = pc.replace_substring(text, "Æ", "AE")
    text = pc.replace_substring(text, "ß", "SS")
    text = pc.replace_substring_regex(text, r"[\s'\x{2019}\-_.,]+", " ")
    return pc.utf8_trim_whitespace(text)


def check(values: pa.Array) -> Checked:
    normal = normalise(values)
    present = pc.is_valid(blank_to_null(values))
    valid, counts = first_failure(
        [
            (RULE_EMPTY, pc.equal(normal, "")),
            (RULE_CHARACTERS, pc.invert(pc.match_substring_regex(normal, r"^[A-Z ]+$"))),
        ],
        present,
    )
    missing = len(values) - int(pc.sum(pc.cast(present, pa.int64())).as_py() or 0)
    return Checked(pc.if_else(valid, normal, pa.scalar(None, pa.string())), counts, missing)
