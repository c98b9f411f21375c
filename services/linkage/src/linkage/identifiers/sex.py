"""Sex codes, normalised to the SNDS nomenclature ``IR_SEX_V``: 1 male, 2 female."""

import pyarrow as pa
import pyarrow.compute as pc

from linkage.identifiers.checked import Checked, blank_to_null, first_failure

RULE_UNKNOWN = "sex.unknown"
_MALE = ["1", "M", "H", "MALE", "HOMME", "MASCULIN"]
_FEMALE = ["2", "F", "FEMALE", "FEMME", "FEMININ", "FÉMININ"]


def check(values: pa.Array) -> Checked:
    normal = pc.utf8_upper(blank_to_null(values))
    male = pc.is_in(normal, pa.array(_MALE))
    female = pc.is_in(normal, pa.array(_FEMALE))
    present = pc.is_valid(normal)
    valid, counts = first_failure([(RULE_UNKNOWN, pc.invert(pc.or_(male, female)))], present)
    code = pc.if_else(male, "1", pc.if_else(female, "2", pa.scalar(None, pa.string())))
    missing = len(values) - int(pc.sum(pc.cast(present, pa.int64())).as_py() or 0)
    return Checked(pc.if_else(valid, code, pa.scalar(None, pa.string())), counts, missing)
